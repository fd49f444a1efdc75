"""A project's approval checklist (一项目一方案一清单): generating it from the catalogue, the
items' warning colours, and keeping deadlines right when the holiday calendar changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext

from approvals.access import permissions
from approvals.cases.colours import ItemColours
from approvals.checklist import foresight
from approvals.models import (
    SETTLED_MODES,
    ApprovalItem,
    ApprovalType,
    Authorisation,
    CalendarDay,
    ItemModeChange,
    Mode,
    ModeOrigin,
    Project,
)


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


def checklist_generate(*, project: Project, by) -> GeneratedChecklist:
    """Add the catalogue items the project does not have yet; never touch the ones it has.
    Each new item's mode is recorded as the catalogue's default (guide section 11)."""
    if not permissions.may_generate_checklist(by, project):
        raise PermissionDenied(gettext("You may not edit this project's checklist."))
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
            item._history_user = by
            item.save()
            ItemModeChange.objects.create(
                item=item, source="", target=item.mode, origin=ModeOrigin.CATALOGUE, by=by
            )
            created.append(item)
        foresight.refresh([project.pk])
    return GeneratedChecklist(created=created, kept=len(existing))


def colour_bounds(today: dt.date | None = None) -> ItemColours:
    return ItemColours.on(today or timezone.localdate(), CalendarDay.objects.calendar())


def recompute_deadlines(progress=None) -> int:
    """After the holiday calendar changed: store every dated item's deadline again.
    ``progress(done, total)`` is told along the way (the page shows it)."""
    calendar = CalendarDay.objects.calendar()
    changed = 0
    dated = ApprovalItem.objects.filter(mode=Mode.APPROVAL, accepted_on__isnull=False)
    total = dated.count()
    for done, item in enumerate(dated.select_related("approval_type").order_by("pk"), 1):
        if progress is not None and (done % 200 == 0 or done == total):
            progress(done, total)
        deadline, uncovered = item.compute_deadline(calendar)
        years = ",".join(str(y) for y in sorted(uncovered))
        if (deadline, years) != (item.deadline, item.deadline_uncovered_years):
            ApprovalItem.objects.filter(pk=item.pk).update(
                deadline=deadline, deadline_uncovered_years=years
            )
            changed += 1
    return changed


@dataclass(frozen=True)
class SettledByMode:
    """An item needed before works that counts as settled by its mode, not by an approval."""

    item: ApprovalItem
    change: ItemModeChange | None  # who set that mode, when and why (None: not recorded)


def settled_by_mode(project: Project) -> list[SettledByMode]:
    """What a supervisor reads before deciding 具备开工条件: every before-works item settled by
    承诺 / 统一服务 / 不涉及, with the person who set that mode (two queries)."""
    return settled_by_mode_of([project.pk]).get(project.pk, [])


def settled_by_mode_of(project_ids: Iterable[int]) -> dict[int, list[SettledByMode]]:
    """``settled_by_mode`` of several projects, by project id, in the same two queries (the
    page deciding several requests at once)."""
    items = (
        ApprovalItem.objects.filter(
            project_id__in=list(project_ids),
            approval_type__before_works=True,
            mode__in=SETTLED_MODES,
        )
        .select_related("approval_type")
        .prefetch_related(
            Prefetch(
                "mode_changes",
                queryset=ItemModeChange.objects.select_related("by").order_by("-at", "-id"),
            )
        )
        .order_by("project_id", "approval_type__sort_order", "approval_type__code")
    )
    result: dict[int, list[SettledByMode]] = {}
    for item in items:
        last = next((c for c in item.mode_changes.all() if c.target == item.mode), None)
        result.setdefault(item.project_id, []).append(SettledByMode(item, last))
    return result
