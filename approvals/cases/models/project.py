"""What a project is: its facts and its stage machine.

How a stage change is asked for and run for a person lives in ``approvals/stages/workflow.py``; the
transitions here only check their own evidence and keep it in memory, and ``save()`` writes the
milestone dates (``milestones``) and the ``StageChange`` row (``stage_changes``) once the stage
update itself succeeded. The stages are named in ``stages``, the querysets in ``querysets``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, FSMField, transition
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.cases.models.querysets import ProjectQuerySet
from approvals.cases.models.stages import NEXT_STAGE, OPEN_STAGES, Stage
from approvals.cases.project_code import (
    CodeGeneration,
    ProjectCodeField,
    code_generation,
    is_project_code,
)
from approvals.core import units
from approvals.core.dates import validate_not_future
from approvals.core.display import day_in_words
from approvals.core.machine import RecordedMachine, TransitionRefused, condition
from zones.models import Enterprise, NameKeyField, Zone, normalise_name

#: The checklist counters kept on the project (``approvals/checklist/counters.py``).
ITEM_COUNTERS = (
    "items_approved",
    "items_commitment",
    "items_unified",
    "items_not_applicable",
    "items_open",
    "items_blocking",
)

#: Amounts (investment, output, land) are never negative.
NOT_NEGATIVE = MinValueValidator(0)


class Authorisation(models.TextChoices):
    FILING = "filing", _("Filing (备案)")
    APPROVAL = "approval", _("Approval (核准)")
    GOVERNMENT = "government", _("Government-funded (审批)")


@condition(_("The investor (enterprise) is not recorded."))
def has_enterprise(project: Project) -> bool:
    return project.enterprise_id is not None


@condition(_("The expected annual output is not recorded, so capacity cannot be measured."))
def has_expected_output(project: Project) -> bool:
    return project.expected_annual_output is not None


@condition(_("There is no approval checklist yet: generate it from the catalogue first."))
def has_checklist(project: Project) -> bool:
    return project.approval_items.exists()


def _explain_start_blockers(project: Project) -> str:
    items = "、".join(
        f"{item.approval_type.code} {item.approval_type.name}（{item.get_status_display()}）"
        for item in project.start_blockers()
    )
    return _("Approval items still open before works can start: %(items)s.") % {"items": items}


@condition(_explain_start_blockers)
def start_approvals_settled(project: Project) -> bool:
    return not project.start_blockers().exists()


@condition(_("There is no stage to return to."))
def has_stage_to_resume(project: Project) -> bool:
    return project.stage_before_suspension in OPEN_STAGES


def _stage_to_resume(project: Project, **evidence: Any) -> str:
    return project.stage_before_suspension


#: The stages a catch-up from a list passes from, and those it reaches: up to 投产, the last
#: stage a 三个一批 category names.
CATCH_UP_SOURCES = [Stage.RESERVE, Stage.SIGNED, Stage.READY, Stage.UNDER_CONSTRUCTION]
CATCH_UP_TARGETS = [NEXT_STAGE[stage] for stage in CATCH_UP_SOURCES]


def _next_stage(project: Project, **evidence: Any) -> str:
    return NEXT_STAGE[project.stage]


def transition_choices() -> list[tuple[str, str]]:
    """The project's stage changes with their labels, for fields that name one."""
    return Project.transition_choices()


class Project(RecordedMachine):
    transition_record_relation = "stage_changes"

    code = ProjectCodeField(
        _("project code"),
        max_length=24,
        unique=True,
        null=True,  # empty until issued; NULLs do not collide under the unique constraint
        blank=True,
        help_text=_("24 characters, e.g. 2509-140602-89-05-864976; leave empty until issued."),
    )
    name = models.CharField(_("project name"), max_length=200)
    name_key = NameKeyField(
        _("name as matched"),
        max_length=200,
        editable=False,
        blank=True,
        help_text=_("The name without spaces, full-width characters folded: how lists match it."),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        db_index=False,  # project_enterprise_id (enterprise, id) leads with it
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        help_text=_("A project without a zone is visible to administrators only."),
        db_index=False,  # project_zone_ids (zone, id) leads with it
    )
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    content = models.TextField(_("construction content and scale"), blank=True)
    total_investment = models.DecimalField(
        _("total investment (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    expected_annual_output = models.DecimalField(
        _("expected annual output (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    actual_annual_output = models.DecimalField(
        _("actual annual output (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
        editable=False,  # evidence of reaching capacity: written by that transition only
    )
    land_area_mu = models.DecimalField(
        _("land area (mu)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    authorisation = models.CharField(
        _("authorisation"),
        max_length=20,
        choices=Authorisation.choices,
        default=Authorisation.FILING,
    )
    is_provincial_key = models.BooleanField(_("provincial key project"), default=False)
    is_city_key = models.BooleanField(_("city key project"), default=False)
    is_standard_land = models.BooleanField(_("standard land"), default=False)
    is_commitment = models.BooleanField(_("commitment system"), default=False)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects_handled",
        db_index=False,  # project_officer_id (officer, id) leads with it
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervising leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects_followed",
    )
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    stage = FSMField(
        _("stage"),
        max_length=20,
        choices=Stage.choices,
        default=Stage.RESERVE,
        protected=True,  # indexed by project_stage_id (stage, id)
    )
    stage_before_suspension = models.CharField(
        _("stage before suspension"),
        max_length=20,
        choices=Stage.choices,
        blank=True,
        editable=False,
    )
    suspension_reason = models.TextField(_("reason for suspension"), blank=True, editable=False)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)
    progress = models.TextField(_("progress"), blank=True)
    progress_as_of = models.DateField(
        _("progress as of"), null=True, blank=True, validators=[validate_not_future]
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Foreseen lateness (预计延误, guide sections 6 and 11): since when the project is at risk,
    # worked out by ``foresight`` when its checklist or plan changes and every morning. The date
    # it can start at the earliest moves every day, so it is worked out when shown.
    at_risk_since = models.DateField(
        _("foreseen delay since"), null=True, blank=True, editable=False
    )
    # A compliance flag (guide section 12): the project was brought to "under construction" by
    # a catch-up from a list while items needed before works were open (or it had no
    # checklist): 开工时前期手续未办结. A historical fact, the day of that catch-up; never
    # cleared (the case file says whether the items have since been settled).
    started_before_permits_on = models.DateField(
        _("started before permits on"), null=True, blank=True, editable=False
    )
    # The planned date of the next milestone (the stage the project heads for), stored so that
    # the list sorts and filters by it through an index instead of a subquery per project.
    # Kept in step by save() here, Milestone.save()/delete() and the list import
    # (milestones.refresh_next_milestones); tests/admin/test_speed_queries.py compares it with the
    # subquery.
    next_milestone_on = models.DateField(
        _("next milestone planned on"), null=True, blank=True, editable=False
    )
    # The project's colour date (guide section 12): the earliest planned date still open — a
    # milestone of a stage ahead, not reached, or a task node not done — of an open project, and
    # which it is (a milestone's stage or a task node's name). The colour thresholds are monotone
    # in the date, so the project's colour, the worst of its open dates, is this date's
    # (``cases.lateness``: the rule, its query and ``refresh_colour_dates``, which every change
    # of a milestone, a task node or the stage runs, and the daily job as a safety net).
    colour_date = models.DateField(_("colour date"), null=True, blank=True, editable=False)
    colour_stage = models.CharField(
        _("colour date's milestone"),
        max_length=20,
        choices=Stage.choices,
        blank=True,
        editable=False,
    )
    colour_node = models.CharField(
        _("colour date's task node"), max_length=100, blank=True, editable=False
    )

    # The project's checklist counted for the readiness figure (guide section 9): its items of
    # each kind (``ItemKind``) and those blocking the start of works. Kept by every write of
    # its items (``approvals/checklist/counters.py``: the rule, its object and query forms, and
    # who calls them); never written by save(), which would write a stale copy back.
    items_approved = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    items_commitment = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    items_unified = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    items_not_applicable = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    items_open = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    items_blocking = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    objects = ProjectQuerySet.as_manager()
    # Worked out, not entered: the field history keeps what people and imports change.
    history = HistoricalRecords(
        # A project's history is read by its id (the history page, ``provenance``), never by
        # these: their indexes only slowed every write of a project (issue 21's imports).
        no_db_index=["code", "stage", "zone", "officer", "leader", "enterprise"],
        excluded_fields=[
            "at_risk_since",
            "next_milestone_on",
            "colour_date",
            "colour_stage",
            "colour_node",
            *ITEM_COUNTERS,
        ],
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["zone__name", "name"]
        permissions = [
            ("request_stage_change", _("Can request a change of a project's stage")),
            ("import_spreadsheets", _("Can import spreadsheets of projects and approvals")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["zone", "name"], name="project_name_unique_in_zone"),
        ]
        indexes = [
            # Imports match a listed name to a project of the zone by this key.
            models.Index(fields=["zone", "name_key"], name="project_zone_name_key"),
            # Lists and to-do lists filter the few projects at risk.
            models.Index(
                fields=["zone"],
                name="project_at_risk",
                condition=Q(at_risk_since__isnull=False),
            ),
            # The list sorted by next milestone, and its colour filter, read this index.
            models.Index(fields=["next_milestone_on", "id"], name="project_next_milestone"),
            # The list sorted by a column reads its first page off the column's index, the id
            # breaking ties in the same direction (``base.ChangeList``; issue 21: 208–722 ms
            # sorting 100,000 projects without them).
            models.Index(fields=["name", "id"], name="project_name_id"),
            models.Index(fields=["code", "id"], name="project_code_id"),
            models.Index(fields=["total_investment", "id"], name="project_investment_id"),
            models.Index(fields=["enterprise", "id"], name="project_enterprise_id"),
            models.Index(fields=["stage", "id"], name="project_stage_id"),
            models.Index(fields=["officer", "id"], name="project_officer_id"),
            # The list filter and the dashboard count the few flagged projects.
            models.Index(
                fields=["zone"],
                name="project_started_early",
                condition=Q(started_before_permits_on__isnull=False),
            ),
            # The colour filters, counts and to-do lists read the colour date through this one.
            models.Index(fields=["colour_date"], name="project_colour_date"),
            # The home page's colour counts of the open projects one sees, by zone, from the
            # index alone (benchmarks/visibility.py: two reads of every project before).
            models.Index(
                fields=["zone", "colour_date"],
                name="project_open_colour",
                condition=Q(stage__in=OPEN_STAGES),
                include=["at_risk_since", "stage"],
            ),
            # One zone's projects as ids, from the index alone (no visit of the wide rows):
            # every figure of a zone reads the rows of ``project_id IN (its projects)``
            # (benchmarks/figures_recount.py).
            models.Index(fields=["zone", "id"], name="project_zone_ids"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_milestones: dict[str, dt.date] = {}

    def __str__(self) -> str:
        return self.name

    # --- facts derived for display -------------------------------------------------------

    @property
    def at_risk(self) -> bool:
        """A foreseen delay: its planned start is before the earliest it can start."""
        return self.at_risk_since is not None

    @property
    def total_investment_yi(self) -> Decimal | None:
        """Users read investment in 亿元; it is stored in 万元."""
        return units.yi(self.total_investment)

    def may_transition(self, user) -> bool:
        return permissions.may_run_stage_transition(self, user)

    def start_blockers(self):
        """The checklist items that keep this project from being ready to start works."""
        return self.approval_items.blocking_start().select_related("approval_type")

    @property
    def code_generation(self) -> CodeGeneration | None:
        """None while the code is empty, or not a valid one (a rejected form is redrawn with it)."""
        return code_generation(self.code) if is_project_code(self.code) else None

    # --- the stage machine ---------------------------------------------------------------
    # Bodies only validate evidence and keep it in memory; save() writes it after the stage
    # update succeeded, so a refused or conflicting transition leaves no rows behind.

    @transition(
        field=stage,
        source=Stage.RESERVE,
        target=Stage.SIGNED,
        conditions=[has_enterprise],
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Sign the agreement"),
            "evidence": ("agreement_date",),
        },
    )
    def sign(self, *, agreement_date: dt.date | None = None, comment: str = "") -> None:
        self._reach_milestone(Stage.SIGNED, agreement_date, _("agreement date"))

    @transition(
        field=stage,
        source=Stage.SIGNED,
        target=Stage.READY,
        conditions=[has_checklist, start_approvals_settled],
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Mark ready to start works"),
            "evidence": (),
        },
    )
    def mark_ready(self, *, comment: str = "") -> None:
        self._reach_milestone(Stage.READY, timezone.localdate(), _("date ready"))

    @transition(
        field=stage,
        source=Stage.READY,
        target=Stage.UNDER_CONSTRUCTION,
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Start works"),
            "evidence": ("start_date",),
        },
    )
    def start_works(self, *, start_date: dt.date | None = None, comment: str = "") -> None:
        self._reach_milestone(Stage.UNDER_CONSTRUCTION, start_date, _("actual start date"))

    @transition(
        field=stage,
        source=Stage.UNDER_CONSTRUCTION,
        target=Stage.IN_PRODUCTION,
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Start production"),
            "evidence": ("production_date",),
        },
    )
    def start_production(
        self, *, production_date: dt.date | None = None, comment: str = ""
    ) -> None:
        self._reach_milestone(Stage.IN_PRODUCTION, production_date, _("actual production date"))

    @transition(
        field=stage,
        source=Stage.IN_PRODUCTION,
        target=Stage.AT_CAPACITY,
        conditions=[has_expected_output],
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Reach design capacity"),
            "evidence": ("capacity_date", "actual_annual_output"),
        },
    )
    def reach_capacity(
        self,
        *,
        capacity_date: dt.date | None = None,
        actual_annual_output: Decimal | None = None,
        comment: str = "",
    ) -> None:
        if actual_annual_output is None or actual_annual_output <= 0:
            raise TransitionRefused(_("The actual annual output must be given and positive."))
        self._reach_milestone(Stage.AT_CAPACITY, capacity_date, _("date capacity was reached"))
        self.actual_annual_output = actual_annual_output

    @transition(
        field=stage,
        source=OPEN_STAGES,
        target=Stage.SUSPENDED,
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Suspend"),
            "evidence": ("reason",),
        },
    )
    def suspend(self, *, reason: str = "", comment: str = "") -> None:
        self.suspension_reason = self._required_reason(reason)
        self.stage_before_suspension = self.stage

    @transition(
        field=stage,
        source=Stage.SUSPENDED,
        target=GET_STATE(_stage_to_resume, states=OPEN_STAGES),
        conditions=[has_stage_to_resume],
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Resume"),
            "evidence": (),
        },
    )
    def resume(self, *, comment: str = "") -> None:
        self.suspension_reason = ""

    @transition(
        field=stage,
        source=[*OPEN_STAGES, Stage.SUSPENDED],
        target=Stage.WITHDRAWN,
        permission=permissions.may_run_stage_transition,
        custom={
            "label": _("Withdraw"),
            "evidence": ("reason",),
        },
    )
    def withdraw(self, *, reason: str = "", comment: str = "") -> None:
        self.withdrawal_reason = self._required_reason(reason)

    # A catch-up from a 三个一批 list (guide section 12) passes one stage at a time, with the
    # gates of the regular change *not* checked here: django-fsm checks every condition it is
    # given and has no way to skip them, so this transition declares none, and
    # ``approvals/stages/catch_up.py`` evaluates the regular change's conditions itself and
    # records those that do not hold on the change (``StageChange.gates_not_held``). Run only by
    # an approved request from a list ("import": never offered to a person).
    @transition(
        field=stage,
        source=CATCH_UP_SOURCES,
        target=GET_STATE(_next_stage, states=CATCH_UP_TARGETS),
        permission=permissions.may_run_stage_transition,
        custom={"label": _("Caught up from a list"), "evidence": (), "import": True},
    )
    def catch_up(self, *, reached_on: dt.date | None = None, comment: str = "") -> None:
        """One stage passed: its milestone without a date (an intermediate stage), or reached on
        ``reached_on`` (the list's event date, for the stage the list names)."""
        if reached_on is not None:
            self._reach_milestone(NEXT_STAGE[self.stage], reached_on, _("event date"))

    def _reach_milestone(self, stage: str, day: dt.date | None, what: str) -> None:
        if day is None:
            raise TransitionRefused(_("The %(what)s is required.") % {"what": what})
        if day > timezone.localdate():
            raise TransitionRefused(
                _("The %(what)s %(day)s is in the future.")
                % {"what": what, "day": day_in_words(day)}
            )
        self._pending_milestones[stage] = day

    def _next_milestone_planned(self) -> dt.date | None:
        """The stored next-milestone date for the stage being saved (the milestones written
        by a transition set actual dates only, never the plan)."""
        heading_for = NEXT_STAGE.get(self.stage)
        if self.pk is None or heading_for is None:
            return None
        return (
            self.milestones.filter(stage=heading_for).values_list("planned_date", flat=True).first()
        )

    @staticmethod
    def _required_reason(reason: str) -> str:
        if not (reason or "").strip():
            raise TransitionRefused(_("A reason is required."))
        return reason.strip()

    @classmethod
    def recorded_as(
        cls, zone_id: int, name: str, *, other_than: int | None = None
    ) -> Project | None:
        """The project of the zone recorded already that ``name`` means (the same key,
        ``name_key``: full-width characters and spaces aside): the first recorded, should two
        share it (made before the form refused the second), none but ``other_than`` (one being
        edited). The lists find it the same way (``by_zone_and_key``)."""
        return (
            cls.objects.filter(zone_id=zone_id, name_key=normalise_name(name))
            .exclude(pk=other_than)
            .order_by("pk")
            .first()
        )

    @staticmethod
    def by_zone_and_key(rows: Iterable[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
        """Stored projects read as plain rows (``id``, ``zone_id``, ``name_key``), by zone and
        key: the first recorded where two share one, as ``recorded_as`` picks."""
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for row in sorted(rows, key=itemgetter("id")):
            found.setdefault((row["zone_id"], row["name_key"]), row)
        return found

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = normalise_name(self.name)
        self.next_milestone_on = self._next_milestone_planned()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key", "next_milestone_on"}
        elif not self._state.adding and not kwargs.get("force_insert"):
            # every field but the checklist counters, which the items' writes keep: a project
            # read before an item changed would write its old counts back
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in ITEM_COUNTERS
            ]
        super().save(*args, **kwargs)
        for stage, day in self._pending_milestones.items():
            self.milestones.update_or_create(stage=stage, defaults={"actual_date": day})
        self._pending_milestones = {}
