"""A project's approval checklist (一项目一方案一清单): generating it from the catalogue, the
items' warning colours, and keeping deadlines right when the holiday calendar changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ApprovalItem, ApprovalType, Authorisation, ItemStatus, Mode, Project
from .workdays import WorkingCalendar, item_deadline

#: Working days before its deadline an item turns yellow, and past it, red (guide section 6).
YELLOW_WITHIN_WORKING_DAYS = 3
RED_AFTER_WORKING_DAYS = 10


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


def proposed_mode(approval_type: ApprovalType, project: Project) -> str:
    """The mode an item is proposed with, from the catalogue and the project's flags."""
    mode = approval_type.default_mode
    if project.authorisation == Authorisation.APPROVAL and approval_type.mode_for_approval_projects:
        mode = approval_type.mode_for_approval_projects
    if project.is_commitment and approval_type.committable and mode == Mode.APPROVAL:
        mode = Mode.COMMITMENT
    return mode


@dataclass(frozen=True)
class GeneratedChecklist:
    created: list[ApprovalItem]
    kept: int


def checklist_generate(*, project: Project, by=None) -> GeneratedChecklist:
    """Add the catalogue items the project does not have yet; never touch the ones it has."""
    with transaction.atomic():
        # Two officers pressing the button at once must not both add the same items.
        Project.objects.select_for_update().get(pk=project.pk)
        existing = set(project.approval_items.values_list("approval_type_id", flat=True))
        created = []
        for approval_type in ApprovalType.objects.filter(is_active=True).exclude(pk__in=existing):
            item = ApprovalItem(
                project=project,
                approval_type=approval_type,
                mode=proposed_mode(approval_type, project),
                officer=project.officer,
            )
            item._changed_by = by
            item.save()
            created.append(item)
    return GeneratedChecklist(created=created, kept=len(existing))


@dataclass(frozen=True)
class ColourBounds:
    """The deadline dates at which a running item changes colour, as of one day."""

    yellow_from: dt.date  # deadline on or before this: yellow (or red)
    red_before: dt.date  # deadline before this: red

    @classmethod
    def on(cls, today: dt.date, calendar: WorkingCalendar) -> ColourBounds:
        return cls(
            yellow_from=calendar.add_working_days(today, YELLOW_WITHIN_WORKING_DAYS),
            red_before=calendar.add_working_days(today, -RED_AFTER_WORKING_DAYS),
        )

    def colour(self, item: ApprovalItem) -> Colour | None:
        if item.mode != Mode.APPROVAL or item.status != ItemStatus.ACCEPTED or not item.deadline:
            return None
        if item.deadline < self.red_before:
            return Colour.RED
        if item.deadline <= self.yellow_from:
            return Colour.YELLOW
        return Colour.GREEN

    def filter(self, colour: str) -> Q:
        """The same rule as ``colour()``, as a query on the stored deadline."""
        running = Q(mode=Mode.APPROVAL, status=ItemStatus.ACCEPTED, deadline__isnull=False)
        if colour == Colour.RED:
            return running & Q(deadline__lt=self.red_before)
        if colour == Colour.YELLOW:
            return running & Q(deadline__gte=self.red_before, deadline__lte=self.yellow_from)
        return running & Q(deadline__gt=self.yellow_from)


def colour_bounds(today: dt.date | None = None) -> ColourBounds:
    return ColourBounds.on(today or timezone.localdate(), WorkingCalendar.load())


def recompute_deadlines() -> int:
    """After the holiday calendar changed: store every dated item's deadline again."""
    calendar = WorkingCalendar.load()
    changed = 0
    dated = ApprovalItem.objects.filter(mode=Mode.APPROVAL, accepted_on__isnull=False)
    for item in dated.select_related("approval_type"):
        deadline, uncovered = item_deadline(item, calendar)
        years = ",".join(str(y) for y in sorted(uncovered))
        if (deadline, years) != (item.deadline, item.deadline_uncovered_years):
            ApprovalItem.objects.filter(pk=item.pk).update(
                deadline=deadline, deadline_uncovered_years=years
            )
            changed += 1
    return changed
