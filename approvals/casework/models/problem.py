"""Problems (堵点 / 存在问题) reported for a project, worked off and closed (销号) under four eyes.

A problem is handed to a department with a deadline (by default 30 days after it was raised:
``due_by_default``); the person responsible (责任人) works it — whoever is named, else whoever
follows the project: its officer, or with none its zone's supervisors (``handlers``, and
``ProblemQuerySet.handled_by`` as a query: the one home of who handles a problem) — resolves
it with a resolution text and date, and a supervisor of the zone who did not resolve it confirms the closing (销号) — or sends
it back. Past its deadline it takes the milestones' colours and climbs the same reminder
ladder (``approvals/reminders/services.py``); when it turns red the ladder escalates it to the leader,
which is a status of its own (guide sections 10 and 11).

Transitions run only through ``approvals/casework/problems.py``, inside one transaction on the locked
row; their bodies keep their effects in memory and ``save()`` writes the record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.cases.followers import followed_apart, followers, supervisors_by_zone
from approvals.core.dates import validate_entered_date, validate_not_future
from approvals.core.display import day_in_words
from approvals.core.machine import RecordedMachine, TransitionRecord, TransitionRefused
from zones.models import normalise_name


class ProblemCategory(models.TextChoices):
    LAND = "land", _("Land")
    ENERGY = "energy", _("Energy")
    FUNDS = "funds", _("Funds")
    ENVIRONMENT = "environment", _("Environmental capacity")
    APPROVALS = "approvals", _("Approvals")
    LABOUR = "labour", _("Labour")
    OTHER = "other", _("Other")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem status", "Open")
    IN_PROGRESS = "in_progress", _("Being solved")
    ESCALATED = "escalated", _("Escalated to the leader")
    RESOLVED = "resolved", _("Resolved, awaiting closing")
    CLOSED = "closed", _("Closed (销号)")


#: Statuses of a problem still to be solved: these have a colour and climb the ladder.
UNSOLVED = (ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS, ProblemStatus.ESCALATED)
#: Statuses of a problem with a resolution (closed or waiting for its closing).
SOLVED = (ProblemStatus.RESOLVED, ProblemStatus.CLOSED)


#: A problem raised without a deadline is due this many days after it was raised (guide
#: section 12); one read from a list, this many days after the import or the event if later.
DUE_AFTER_DAYS = 30


def due_by_default(raised_on: dt.date) -> dt.date:
    """The deadline of a problem raised on ``raised_on`` that nobody gave one."""
    return raised_on + dt.timedelta(days=DUE_AFTER_DAYS)


# Who handles a problem, for one problem (``handlers``) and as a query
# (``ProblemQuerySet.handled_by``), side by side; the two agree (tests/test_one_home.py). The
# reminder ladder's officer step, the problems' "mine" queue and 我的待办 read it.


def handlers(
    responsible_id: int | None,
    officer_id: int | None,
    zone_id: int,
    supervisors: Mapping[int, Sequence[int]],
) -> list[int]:
    """Who handles a problem: the person responsible named on it, else whoever follows its
    project (``followers``: the officer, or with none the zone's supervisors)."""
    return followers(responsible_id or officer_id, zone_id, supervisors)


class ProblemSource(models.TextChoices):
    PERSON = "person", _("Entered by hand")
    SERVICE = "service", _("Follow-up of a service record")
    LIST_IMPORT = "list_import", _("Quarterly list (存在问题)")
    MONTHLY_IMPORT = "monthly_import", _("Monthly progress table (存在问题)")
    #: Sent by the enterprise from the investor's page (portal/, issue 22).
    ENTERPRISE = "enterprise", _("Enterprise's request (诉求)")


class ProblemQuerySet(models.QuerySet["Problem"]):
    def visible_to(self, user) -> ProblemQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")

    def unsolved(self) -> ProblemQuerySet:
        return self.filter(status__in=UNSOLVED)

    def handled_by(self, user) -> ProblemQuerySet:
        """One's own problems (``handlers`` as a query): named responsible, or, with nobody
        named, those of the projects one follows (as officer, or as a supervisor of a zone's
        project without one)."""
        if getattr(user, "pk", None) is None:
            return self.none()
        # The ids of each part apart, through its own index (responsible; the project's
        # officer; the zone's projects without one), joined: as one condition with OR the
        # query read every problem joined to its project (benchmarks/visibility.py: the
        # to-do's count of one's problems 117 → … ms at 100,000 projects).
        parts = [Q(responsible=user)] + [
            Q(responsible__isnull=True) & part for part in followed_apart(user, "project__")
        ]
        ids = [Problem.objects.filter(part).order_by().values("pk") for part in parts]
        return self.filter(pk__in=ids[0].union(*ids[1:], all=True))

    def awaiting_closing(self, user) -> ProblemQuerySet:
        """Resolved problems ``user`` may close (销号): never one it resolved itself."""
        return permissions.closable(self.filter(status=ProblemStatus.RESOLVED), user)


def _may_work(problem: Problem, user) -> bool:
    return permissions.may_work_problem(user, problem)


def _may_close(problem: Problem, user) -> bool:
    return permissions.may_close_problem(user, problem)


def _may_escalate(problem: Problem, user) -> bool:
    return permissions.may_escalate_problem(user, problem)


def description_key(text: str) -> str:
    """What makes two texts the same problem: equal once spaces are dropped and full-width
    characters folded, as lists write them either way (a digest: texts may be long)."""
    return hashlib.sha256(normalise_name(text).encode()).hexdigest()


def _text(value: str, what) -> str:
    value = (value or "").strip()
    if not value:
        raise TransitionRefused(_("The %(what)s is required.") % {"what": what})
    return value


class Problem(RecordedMachine):
    transition_record_relation = "status_changes"

    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="problems",
    )
    description = models.TextField(_("problem"))
    description_key = models.CharField(
        _("problem as matched"),
        max_length=64,
        editable=False,
        help_text=_(
            "A digest of the text without spaces, full-width characters folded: the same text "
            "of the same project is the same problem."
        ),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=ProblemCategory.choices, default=ProblemCategory.OTHER
    )
    department = models.CharField(
        _("handed to (department)"), max_length=100, blank=True, db_index=True
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person responsible"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        help_text=_(
            "Who follows it up and is reminded; empty: the project's officer, or, while it has "
            "none, the zone's supervisors."
        ),
    )
    reported_on = models.DateField(
        _("reported on"), default=timezone.localdate, validators=[validate_not_future]
    )
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        validators=[validate_entered_date],
        help_text=_("Empty: 30 days after it was reported."),
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=ProblemStatus.choices,
        default=ProblemStatus.OPEN,
        protected=True,
        # No index of its own: the scan reads unsolved problems through problem_unsolved_due,
        # which SQLite passed over for a status index when there was one.
    )
    resolution = models.TextField(_("resolution"), blank=True, editable=False)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True, editable=False)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=ProblemSource.choices,
        default=ProblemSource.PERSON,
        editable=False,
    )
    batch = models.ForeignKey(
        "approvals.Batch",
        verbose_name=_("listed in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="problems",
    )
    service_record = models.ForeignKey(
        "approvals.ServiceRecord",
        verbose_name=_("service record"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="problems",
    )
    contact = models.CharField(
        _("enterprise contact"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Who of the enterprise sent it from the investor's page, to answer."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ProblemQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-reported_on", "-id"]
        permissions = [("close_problem", _("Can close (销号) a resolved problem"))]
        constraints = [
            # The same project and the same text is the same problem: an import listing it
            # again opens none twice, even when two imports run at once.
            models.UniqueConstraint(
                fields=["project", "description_key"], name="problem_unique_text"
            ),
        ]
        indexes = [
            # The list sorted by a column (issue 21; tests/admin/test_sort_indexes.py). Not
            # by status, which is filtered: an index of it took the scan's place on SQLite.
            models.Index(fields=["category", "id"], name="problem_category_id"),
            models.Index(fields=["deadline", "id"], name="problem_deadline_id"),
            # 我的待办's problems awaiting closing (销号), the longest resolved first, and their
            # bounded count: read off the few resolved ones (issue 21).
            models.Index(
                fields=["resolved_on", "id"],
                name="problem_awaiting_closing",
                condition=Q(status="resolved"),
            ),
            # The reminder scan reads unsolved problems past their deadline.
            models.Index(
                fields=["deadline", "project"],
                name="problem_unsolved_due",
                condition=Q(status__in=["open", "in_progress", "escalated"]),
            ),
        ]

    def __str__(self) -> str:
        text = self.description if len(self.description) <= 40 else self.description[:39] + "…"
        return f"{self.project} · {text}"

    def may_transition(self, user) -> bool:
        return permissions.may_work_problem(user, self)

    def handlers(self) -> list[int]:
        """``handlers`` of this problem (its project read, and its zone's supervisors)."""
        project = self.project
        supervisors = supervisors_by_zone([project.zone_id])
        return handlers(self.responsible_id, project.officer_id, project.zone_id, supervisors)

    # --- the status machine -----------------------------------------------------------------

    @transition(
        field=status,
        source=ProblemStatus.OPEN,
        target=ProblemStatus.IN_PROGRESS,
        permission=_may_work,
        custom={"label": _("Start working on it"), "evidence": ()},
    )
    def start(self, *, comment: str = "") -> None:
        pass  # the status itself is the whole change

    @transition(
        field=status,
        source=list(UNSOLVED),
        target=ProblemStatus.RESOLVED,
        permission=_may_work,
        custom={"label": _("Resolved"), "evidence": ("resolution", "resolved_on")},
    )
    def resolve(
        self, *, resolution: str = "", resolved_on: dt.date | None = None, comment: str = ""
    ) -> None:
        self.resolution = _text(resolution, _("resolution"))
        if resolved_on is None:
            raise TransitionRefused(_("The %(what)s is required.") % {"what": _("resolution date")})
        if resolved_on > timezone.localdate():
            raise TransitionRefused(
                _("The resolution date %(day)s is in the future.")
                % {"day": day_in_words(resolved_on)}
            )
        if resolved_on < self.reported_on:
            raise TransitionRefused(_("The resolution date is before the problem was reported."))
        self.resolved_on = resolved_on
        self.resolved_by = self._changed_by

    @transition(
        field=status,
        source=ProblemStatus.RESOLVED,
        target=ProblemStatus.CLOSED,
        permission=_may_close,
        custom={"label": _("Confirm closing (销号)"), "evidence": (), "four_eyes": True},
    )
    def close(self, *, comment: str = "") -> None:
        self.closed_by = self._changed_by
        self.closed_at = timezone.now()

    @transition(
        field=status,
        source=ProblemStatus.RESOLVED,
        target=ProblemStatus.IN_PROGRESS,
        permission=_may_close,
        custom={"label": _("Send back: not solved"), "evidence": ("reason",), "four_eyes": True},
    )
    def reopen(self, *, reason: str = "", comment: str = "") -> None:
        _text(reason, _("reason"))
        self.resolution = ""
        self.resolved_on = None
        self.resolved_by = None

    @transition(
        field=status,
        source=[ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS],
        target=ProblemStatus.ESCALATED,
        permission=_may_escalate,
        custom={"label": _("Escalate to the leader"), "evidence": ("reason",)},
    )
    def escalate(self, *, reason: str = "", comment: str = "") -> None:
        _text(reason, _("reason"))
        self.escalated_on = timezone.localdate()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.description_key = description_key(self.description)
        if self.deadline is None and self.reported_on is not None:
            # Whatever raised it (a form, a service record, an import) or cleared its deadline:
            # stored, so that the scan and the colours read one indexed date.
            self.deadline = due_by_default(self.reported_on)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "description_key", "deadline"}
        super().save(*args, **kwargs)


class ProblemChange(TransitionRecord):
    """One change of a problem's status: who, when, from, to, why."""

    problem = models.ForeignKey(
        Problem,
        verbose_name=_("problem"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    source = models.CharField(
        _("from status"), max_length=20, choices=ProblemStatus.choices, blank=True
    )
    target = models.CharField(_("to status"), max_length=20, choices=ProblemStatus.choices)

    class Meta(TransitionRecord.Meta):
        verbose_name = _("problem status change")
        verbose_name_plural = _("problem status changes")

    def __str__(self) -> str:
        return f"{self.problem}: {self.get_source_display() or '—'} → {self.get_target_display()}"
