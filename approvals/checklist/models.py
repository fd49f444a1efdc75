"""Each project's checklist (一项目一清单): its approval items, their status machine, the
rule of a settled item and the kinds its progress counts (each for one item and as a query). The catalogue they come from is in
``catalogue``, the records of their status and mode changes in ``item_changes``.

An item's deadline is a stored fact computed when it is accepted (and again when the holiday
calendar changes); its colour is computed from it (``approvals/checklist/services.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, transition
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.checklist.calendar import CalendarDay
from approvals.checklist.catalogue import SETTLED_MODES, ApprovalType, LimitUnit, Mode
from approvals.core.dates import validate_entered_date, validate_not_future
from approvals.core.display import day_in_words
from approvals.core.machine import RecordedMachine, TransitionRefused, condition
from approvals.core.workdays import WorkingCalendar, deadline_after


class ItemStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PREPARING = "preparing", _("Preparing documents")
    ACCEPTED = "accepted", _("Accepted")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("approval item", "Withdrawn")


# "Settled", the one home of the rule: for one item (``settled``, read by
# ``ApprovalItem.is_settled``) and as a query (``SETTLED_ITEM``, read by the querysets below,
# the case file and the reports), side by side; the two agree over every status and mode
# (tests/test_one_home.py).


def settled(mode: str, status: str) -> bool:
    """An item settled by its mode (承诺 / 统一服务 / 不涉及: nothing is left to obtain) or by
    its approval: what the ready-to-start gate asks of each item."""
    return mode in SETTLED_MODES or status == ItemStatus.APPROVED


#: ``settled`` as a query.
SETTLED_ITEM = Q(mode__in=SETTLED_MODES) | Q(status=ItemStatus.APPROVED)
#: An item that must be settled before works start and is not.
BLOCKING_START = Q(approval_type__before_works=True) & ~SETTLED_ITEM


# The kinds of a checklist's progress, the one home of the rule: for one item (``kind_of``) and
# as queries (``KIND_OF_ITEM``), side by side; the two agree over every status and mode, and the
# kinds other than 未办结 are exactly the settled items (tests/test_one_home.py). Every page that
# shows a checklist's progress counts with ``ChecklistProgress`` (the case file, the project
# list, the dashboard and the readiness report).


class ItemKind(models.TextChoices):
    """How an item counts in its checklist's progress: by its mode where the mode settles it
    (承诺制, 统一服务, 不涉及), else approved (已办结) or not (未办结). A commitment or a unified
    service is never 已办结: nothing was approved, and it stays a commitment even where a table
    later recorded an approval for it (its mode says how it was settled)."""

    APPROVED = "approved", pgettext_lazy("checklist progress", "approved")
    COMMITMENT = "commitment", pgettext_lazy("checklist progress", "commitment")
    UNIFIED = "unified", pgettext_lazy("checklist progress", "unified service")
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("checklist progress", "not applicable")
    OPEN = "open", pgettext_lazy("checklist progress", "open")


def kind_of(mode: str, status: str) -> ItemKind:
    """The kind of an item in its checklist's progress (``KIND_OF_ITEM`` as queries)."""
    if mode == Mode.COMMITMENT:
        return ItemKind.COMMITMENT
    if mode == Mode.UNIFIED:
        return ItemKind.UNIFIED
    if mode == Mode.NOT_APPLICABLE:
        return ItemKind.NOT_APPLICABLE
    return ItemKind.APPROVED if status == ItemStatus.APPROVED else ItemKind.OPEN


#: ``kind_of`` as queries, one per kind.
KIND_OF_ITEM: dict[str, Q] = {
    ItemKind.APPROVED: ~Q(mode__in=SETTLED_MODES) & Q(status=ItemStatus.APPROVED),
    ItemKind.COMMITMENT: Q(mode=Mode.COMMITMENT),
    ItemKind.UNIFIED: Q(mode=Mode.UNIFIED),
    ItemKind.NOT_APPLICABLE: Q(mode=Mode.NOT_APPLICABLE),
    ItemKind.OPEN: ~SETTLED_ITEM,
}


@dataclass(frozen=True)
class ChecklistProgress:
    """How many items of a checklist (or of several) are of each kind, as plain numbers; shown
    as "已办结 10 · 承诺制 5 · 统一服务 2 · 不涉及 1 · 未办结 3"."""

    counts: dict[str, int]

    @classmethod
    def of(cls, counts: dict) -> ChecklistProgress:
        """From counts by kind value (a kind left out counts 0)."""
        return cls({kind.value: int(counts.get(kind.value) or 0) for kind in ItemKind})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def settled(self) -> int:
        """Nothing left to obtain: every kind but 未办结."""
        return self.total - self.counts[ItemKind.OPEN]

    def parts(self) -> list[tuple[str, int]]:
        return [(str(kind.label), self.counts[kind.value]) for kind in ItemKind]

    def __str__(self) -> str:
        return " · ".join(f"{label} {count}" for label, count in self.parts())


def kind_counts() -> dict[str, Count]:
    """The aggregates counting the items of each kind (keys: the kinds' values)."""
    return {kind.value: Count("pk", filter=KIND_OF_ITEM[kind]) for kind in ItemKind}


class ApprovalItemQuerySet(models.QuerySet["ApprovalItem"]):
    def settled(self) -> ApprovalItemQuerySet:
        return self.filter(SETTLED_ITEM)

    def unsettled(self) -> ApprovalItemQuerySet:
        return self.exclude(SETTLED_ITEM)

    def progress(self) -> ChecklistProgress:
        """The kinds of these items (one query)."""
        return ChecklistProgress.of(self.order_by().aggregate(**kind_counts()))

    def progress_by_project(self) -> dict[int, ChecklistProgress]:
        """The kinds of these items per project (one grouped query)."""
        rows = self.order_by().values("project_id").annotate(**kind_counts())
        return {row.pop("project_id"): ChecklistProgress.of(row) for row in rows}

    def blocking_start(self) -> ApprovalItemQuerySet:
        """Items that must be settled before works start and are not."""
        return self.filter(BLOCKING_START)

    def running(self) -> ApprovalItemQuerySet:
        """Accepted applications waiting for a decision: the ones with a deadline."""
        return self.filter(mode=Mode.APPROVAL, status=ItemStatus.ACCEPTED)

    def visible_to(self, user) -> ApprovalItemQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")

    def handled_by(self, user) -> ApprovalItemQuerySet:
        """The items a person handles (经办): named on the item, or else the project's officer.
        The reminder scan addresses items by the same rule."""
        return self.filter(Q(officer=user) | Q(officer__isnull=True, project__officer=user))


def _may_work(item: ApprovalItem, user) -> bool:
    return permissions.may_work_item(user, item)


@condition(_("Only an item handled by approval has a procedure; this one is settled by its mode."))
def is_approval_mode(item: ApprovalItem) -> bool:
    return item.mode == Mode.APPROVAL


def _not_after_today(day: dt.date | None, what: str) -> dt.date:
    if day is None:
        raise TransitionRefused(_("The %(what)s is required.") % {"what": what})
    if day > timezone.localdate():
        raise TransitionRefused(
            _("The %(what)s %(day)s is in the future.") % {"what": what, "day": day_in_words(day)}
        )
    return day


class ApprovalItem(RecordedMachine):
    """One approval one project needs: its mode, its procedure, and its deadline."""

    transition_record_relation = "status_changes"

    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="approval_items",
    )
    approval_type = models.ForeignKey(
        ApprovalType,
        verbose_name=_("approval type"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.APPROVAL)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=ItemStatus.choices,
        default=ItemStatus.NOT_STARTED,
        protected=True,
    )
    accepted_on = models.DateField(
        _("accepted on"), null=True, blank=True, editable=False, validators=[validate_not_future]
    )
    is_provisional = models.BooleanField(
        _("accepted with documents missing (容缺受理)"), default=False, editable=False
    )
    supplement_due = models.DateField(
        _("missing documents due"),
        null=True,
        blank=True,
        editable=False,
        validators=[validate_entered_date],
    )
    extended = models.BooleanField(
        _("time limit extended"), default=False, help_text=_("The agency extended the time limit.")
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True, editable=False)
    deadline_uncovered_years = models.CharField(
        _("years counted Monday to Friday"),
        max_length=50,
        blank=True,
        editable=False,
        help_text=_("Years the official calendar does not cover yet, without holidays entered."),
    )
    approved_on = models.DateField(
        _("approved on"), null=True, blank=True, editable=False, validators=[validate_not_future]
    )
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    outcome_reason = models.TextField(
        _("reason (refusal or withdrawal)"), blank=True, editable=False
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approval_items",
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ApprovalItemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval item")
        verbose_name_plural = _("approval items")
        ordering = ["project", "approval_type__sort_order"]
        permissions = [("change_item_status", _("Can change the status of an approval item"))]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "approval_type"], name="approval_item_unique_type"
            ),
        ]
        indexes = [
            # The list sorted by a column reads a page off that column's index (issue 21;
            # tests/admin/test_sort_indexes.py); by type or project, off their keys'. Not by
            # mode or status: those are filtered, and an index of theirs took the overdue
            # scan's place on SQLite (tests/reminders/test_reminders.py, TestTheScanScales).
            models.Index(fields=["accepted_on", "id"], name="approval_item_accepted_id"),
            models.Index(fields=["deadline", "id"], name="approval_item_deadline_id"),
            # The overdue scan reads running applications by deadline; settled ones are most.
            models.Index(
                fields=["deadline"],
                name="approval_item_running_due",
                condition=Q(status="accepted"),
            ),
            # The list's notice of deadlines beyond the official calendar reads the few items
            # whose deadline runs into such a year, not all of them (issue 21).
            models.Index(
                fields=["deadline_uncovered_years"],
                name="approval_item_uncovered",
                condition=~Q(deadline_uncovered_years=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.approval_type}"

    @property
    def is_settled(self) -> bool:
        """By its mode or by its approval (``settled``; ``SETTLED_ITEM`` as a query)."""
        return settled(self.mode, self.status)

    def may_transition(self, user) -> bool:
        return permissions.may_work_item(user, self)

    def compute_deadline(
        self, calendar: WorkingCalendar | None = None
    ) -> tuple[dt.date | None, set[int]]:
        """The deadline of an accepted application, counted from the day after acceptance, and
        the years it crossed that the calendar does not cover."""
        kind = self.approval_type
        if self.mode != Mode.APPROVAL or self.accepted_on is None or not kind.time_limit:
            return None, set()
        limit = kind.time_limit + ((kind.extension or 0) if self.extended else 0)
        return deadline_after(
            self.accepted_on,
            limit,
            working_days=kind.limit_unit == LimitUnit.WORKING_DAYS,
            calendar=calendar or CalendarDay.objects.calendar(),
        )

    # --- the status machine ---------------------------------------------------------------

    @transition(
        field=status,
        source=ItemStatus.NOT_STARTED,
        target=ItemStatus.PREPARING,
        conditions=[is_approval_mode],
        permission=_may_work,
        custom={"label": _("Start preparing"), "evidence": ()},
    )
    def start_preparing(self, *, comment: str = "") -> None:
        pass  # the status itself is the whole change

    @transition(
        field=status,
        source=ItemStatus.PREPARING,
        target=ItemStatus.ACCEPTED,
        conditions=[is_approval_mode],
        permission=_may_work,
        custom={
            "label": _("Accepted by the agency"),
            "evidence": ("accepted_on", "is_provisional", "supplement_due"),
        },
    )
    def accept(
        self,
        *,
        accepted_on: dt.date | None = None,
        is_provisional: bool = False,
        supplement_due: dt.date | None = None,
        comment: str = "",
    ) -> None:
        self.accepted_on = _not_after_today(accepted_on, _("acceptance date"))
        if is_provisional:
            if supplement_due is None or supplement_due <= self.accepted_on:
                raise TransitionRefused(
                    _(
                        "Accepted with documents missing: give the date they are due, after acceptance."
                    )
                )
        self.is_provisional = bool(is_provisional)
        self.supplement_due = supplement_due if is_provisional else None

    @transition(
        field=status,
        source=ItemStatus.ACCEPTED,
        target=ItemStatus.APPROVED,
        conditions=[is_approval_mode],
        permission=_may_work,
        custom={"label": _("Approved"), "evidence": ("approved_on", "document_number")},
    )
    def approve(
        self, *, approved_on: dt.date | None = None, document_number: str = "", comment: str = ""
    ) -> None:
        approved_on = _not_after_today(approved_on, _("approval date"))
        if self.accepted_on and approved_on < self.accepted_on:
            raise TransitionRefused(_("The approval date is before the acceptance date."))
        if not (document_number or "").strip():
            raise TransitionRefused(_("The document number is required."))
        self.approved_on = approved_on
        self.document_number = document_number.strip()

    @transition(
        field=status,
        source=ItemStatus.ACCEPTED,
        target=ItemStatus.REFUSED,
        permission=_may_work,
        custom={"label": _("Refused"), "evidence": ("reason",)},
    )
    def refuse(self, *, reason: str = "", comment: str = "") -> None:
        self.outcome_reason = _required(reason)

    @transition(
        field=status,
        source=[ItemStatus.PREPARING, ItemStatus.ACCEPTED],
        target=ItemStatus.WITHDRAWN,
        permission=_may_work,
        custom={"label": _("Application withdrawn"), "evidence": ("reason",)},
    )
    def withdraw(self, *, reason: str = "", comment: str = "") -> None:
        self.outcome_reason = _required(reason)

    @transition(
        field=status,
        source=[ItemStatus.REFUSED, ItemStatus.WITHDRAWN],
        target=ItemStatus.PREPARING,
        conditions=[is_approval_mode],
        permission=_may_work,
        custom={"label": _("Apply again"), "evidence": ()},
    )
    def reapply(self, *, comment: str = "") -> None:
        self.accepted_on = self.approved_on = self.supplement_due = None
        self.is_provisional = False
        self.outcome_reason = ""

    @transition(
        field=status,
        source="*",
        target=RETURN_VALUE(*ItemStatus.values),
        permission=permissions.may_run_import_transition,
        custom={
            "label": _("Recorded from an approval progress table"),
            "evidence": (),
            "import": True,
        },
    )
    def record_import(
        self,
        *,
        status: str,
        on: dt.date | None = None,
        provisional: bool = False,
        comment: str = "",
    ) -> str:
        """A fact of record from an approval progress table (guide section 11), from any status:
        approved on a date (or on a date unknown), accepted (its deadline counted from the
        date), preparing or not started. Run only by imports, which check who may import."""
        if on is not None and on > timezone.localdate():
            raise TransitionRefused(_("%(day)s is in the future.") % {"day": day_in_words(on)})
        if status != ItemStatus.APPROVED:
            self.document_number = ""  # the number of an approval it no longer has
        if status == ItemStatus.APPROVED:
            self.approved_on = on
        elif status == ItemStatus.ACCEPTED:
            self.accepted_on = on
            self.is_provisional = bool(provisional)
            self.approved_on = None
        else:
            self.accepted_on = self.approved_on = None
            self.is_provisional = False
        if status != ItemStatus.ACCEPTED:
            self.supplement_due = None
        self.outcome_reason = ""
        return status

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.deadline, uncovered = self.compute_deadline()
        self.deadline_uncovered_years = ",".join(str(y) for y in sorted(uncovered))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "deadline",
                "deadline_uncovered_years",
            }
        super().save(*args, **kwargs)


def _required(reason: str) -> str:
    if not (reason or "").strip():
        raise TransitionRefused(_("A reason is required."))
    return reason.strip()
