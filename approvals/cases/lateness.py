"""How late a project is: where it stands (a suspended project where it stood), which stages
are still ahead of it, the colour of a milestone by the milestones' rule, and the project's own
colour — the worst of its open dates (guide section 12). The one home of these rules: the project
page and list (``admin/lateness.py``), the case file, the dashboard, 我的待办, the exports and the
reminder scan read them from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Lookup,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, In
from django.utils import timezone
from django.utils.translation import gettext

from approvals.cases.colours import Colour, MilestoneColours
from approvals.models import (
    FORWARD_STAGES,
    NEXT_STAGE,
    OPEN_STAGES,
    Milestone,
    Project,
    Stage,
    TaskNode,
)


def effective_stage(project: Project) -> str:
    """The stage a project stands at on the forward path: a suspended one where it stood."""
    return project.stage_before_suspension if project.stage == Stage.SUSPENDED else project.stage


def _position(current: str) -> int | None:
    """Where a project standing at ``current`` (its effective stage) is on the forward path;
    None for a closed case (withdrawn), which has left it."""
    return FORWARD_STAGES.index(current) if current in FORWARD_STAGES else None


def stage_ahead(stage: str, current: str) -> bool:
    """Whether ``stage`` is still ahead of a project standing at ``current`` (its effective
    stage). A closed case (withdrawn) has nothing ahead."""
    position = _position(current)
    return position is not None and FORWARD_STAGES.index(stage) > position


def stage_reached(project: Project, stage: str) -> bool:
    """Whether ``project`` is at ``stage`` or past it: a suspended project where it stood, a
    withdrawn one everywhere (its case is closed)."""
    return not stage_ahead(stage, effective_stage(project))


def stage_passed_through(project: Project, stage: str) -> bool:
    """Whether ``project`` got to ``stage`` on the forward path (the case file's ticks): at it
    or past it, a suspended project where it stood. Unlike ``stage_reached``, a withdrawn
    project got nowhere: it left the path, and which stages it had reached is not kept."""
    position = _position(effective_stage(project))
    return position is not None and FORWARD_STAGES.index(stage) <= position


def milestone_colour(milestone: Milestone) -> Colour | None:
    """A milestone reached, or of a stage the project has passed, is never late."""
    if milestone.actual_date is not None:
        return Colour.GREEN
    project = milestone.project
    if stage_reached(project, milestone.stage):
        return None
    at_risk = project.at_risk and milestone.stage == Stage.UNDER_CONSTRUCTION
    return MilestoneColours.on(timezone.localdate()).colour(milestone.planned_date, at_risk=at_risk)


def of_record(milestone: Milestone) -> bool:
    """A milestone with an actual date, or of a stage the project has reached, is a fact of
    record: the decision that moved the stage wrote it, and only the workflow (a request and a
    decision) changes it. The reports count it (开工率 reads the actual dates by stage)."""
    return milestone.actual_date is not None or stage_reached(milestone.project, milestone.stage)


# --- the project's colour: the worst of its open dates (guide section 12) -----------------------
# Every milestone not reached (of a stage still ahead, no actual date) and every task node not
# done is an open date; approval items and problems keep their own colours and set none here.
# Red > yellow > 预计延误 > green, and the thresholds are monotone in the date: the worst colour
# is the colour of the earliest open date, a foreseen delay applying as for one milestone. A
# suspended or withdrawn project (and one at capacity, its case closed) has no colour. The
# earliest open date is stored on the project (``colour_date``, which it is in ``colour_stage`` or
# ``colour_node``), so the lists filter, count and show it from one indexed column.


@dataclass(frozen=True)
class OpenDate:
    """A planned date still open: a milestone's (``stage``) or a task node's (``node``)."""

    day: dt.date
    stage: str = ""
    node: str = ""

    @property
    def label(self) -> str:
        return str(Stage(self.stage).label) if self.stage else self.node


def open_dates(stage: str, milestones: Iterable, nodes: Iterable) -> list[tuple]:
    """The object form: the open dates of a project at ``stage`` from its milestones and task
    nodes (rows with their fields as attributes), each as (sort key, ``OpenDate``). On one day a
    milestone comes before a task node, an earlier stage before a later one, and a task node
    entered earlier before one entered later — the order of ``refresh_colour_dates``."""
    if stage not in OPEN_STAGES:
        return []
    found = [
        (
            (m.planned_date, 0, FORWARD_STAGES.index(m.stage)),
            OpenDate(m.planned_date, stage=m.stage),
        )
        for m in milestones
        if m.actual_date is None and m.planned_date is not None and stage_ahead(m.stage, stage)
    ]
    found += [
        ((n.planned_date, 1, n.pk), OpenDate(n.planned_date, node=n.name))
        for n in nodes
        if n.actual_date is None
    ]
    return found


def colour_date(stage: str, milestones: Iterable, nodes: Iterable) -> OpenDate | None:
    """The earliest open date of a project at ``stage`` (None: nothing open is planned), one
    project at a time; ``refresh_colour_dates`` is the same rule as a query."""
    found = open_dates(stage, milestones, nodes)
    return min(found, key=lambda pair: pair[0])[1] if found else None


def store_colour_date(project_id: int) -> None:
    """Store one project's colour date by the object form, after a change of one of its rows or
    of its stage (``approvals/signals.py``): its rows read plainly, and written only when it
    moved (a set-based UPDATE compiled for every save cost 50 ms)."""
    stored = (
        Project.objects.filter(pk=project_id)
        .order_by()  # the model's ordering joins the zones
        .values_list("stage", "colour_date", "colour_stage", "colour_node")
        .first()
    )
    if stored is None:  # being deleted
        return
    stage = stored[0]
    milestones = Milestone.objects.filter(project_id=project_id, actual_date__isnull=True)
    nodes = TaskNode.objects.filter(project_id=project_id, actual_date__isnull=True)
    earliest = (
        colour_date(
            stage,
            milestones.values_list("stage", "planned_date", "actual_date", named=True),
            nodes.values_list("pk", "name", "planned_date", "actual_date", named=True),
        )
        if stage in OPEN_STAGES
        else None
    )
    wanted = (earliest.day, earliest.stage, earliest.node) if earliest else (None, "", "")
    if wanted != tuple(stored[1:]):
        Project.objects.filter(pk=project_id).update(
            colour_date=wanted[0], colour_stage=wanted[1], colour_node=wanted[2]
        )


def project_colour(
    project: Project, colours: MilestoneColours, milestones: Iterable, nodes: Iterable
) -> Colour | None:
    """The project's colour from its rows (the case file): the colour of its earliest open
    date, a foreseen delay as for one milestone; none for a project not open."""
    if project.stage not in OPEN_STAGES:
        return None
    earliest = colour_date(project.stage, milestones, nodes)
    return colours.colour(earliest.day if earliest else None, at_risk=project.at_risk)


def stored_colour(project: Project, colours: MilestoneColours) -> Colour | None:
    """The same, from the stored colour date (the lists, the to-do list, the exports: no query
    per project)."""
    if project.stage not in OPEN_STAGES:
        return None
    return colours.colour(project.colour_date, at_risk=project.at_risk)


def stored_colour_date(project: Project) -> OpenDate | None:
    """Which open date the stored colour date is (None: nothing open is planned)."""
    if project.colour_date is None:
        return None
    return OpenDate(project.colour_date, stage=project.colour_stage, node=project.colour_node)


def colour_filter(colour: str, colours: MilestoneColours) -> Q:
    """The query form of ``stored_colour`` (and so of ``project_colour``): the projects of
    ``colour`` (or ``ATTENTION``) by their stored colour date, through its index."""
    return Q(stage__in=OPEN_STAGES) & colours.filter(colour, "colour_date")


def colour_note(project: Project, colours: MilestoneColours) -> str:
    """What makes the project red or yellow when it is not its next milestone ("延误：已开工
    2025-07-26"), for the list beside the next milestone; "" otherwise."""
    if stored_colour(project, colours) not in (Colour.RED, Colour.YELLOW):
        return ""
    earliest = stored_colour_date(project)
    if earliest is None or (earliest.stage and earliest.stage == NEXT_STAGE.get(project.stage)):
        return ""
    values = {"what": earliest.label, "day": earliest.day.isoformat()}
    if earliest.day < colours.today:
        return gettext("late: %(what)s %(day)s") % values
    return gettext("due soon: %(what)s %(day)s") % values


def _stage_rank(field: str) -> Case:
    return Case(
        *[When(**{field: s}, then=Value(i)) for i, s in enumerate(FORWARD_STAGES)],
        output_field=IntegerField(),
    )


class DistinctFrom(Lookup):
    """``a IS DISTINCT FROM b``: unequal, a NULL against a value counting as unequal and two
    NULLs as equal (SQLite spells it ``IS NOT``). Used as an expression in ``filter()``."""

    lookup_name = "distinct_from"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"
        return f"{lhs} {operator} {rhs}", (*lhs_params, *rhs_params)


def refresh_colour_dates(among: Q | None = None) -> int:
    """The query form of ``colour_date``: store every project's colour date afresh (or those of
    ``among``, a condition on projects) in two UPDATEs, milestones first, then the task nodes
    that come earlier, each writing only the projects whose stored date, stage or node differ
    from what the rule says (the daily job runs it over every project: rewriting them all made
    a new version of every row each day). Run by the writers in bulk beside
    ``refresh_next_milestones`` (the list import) and by the daily job (``reminders.run``) as a
    safety net; a change of one row runs ``store_colour_date``. Returns how many projects it
    wrote."""
    projects = Project.objects.all() if among is None else Project.objects.filter(among)
    ahead = Q()  # the project's own stage, read from the outer row: no join per project
    for position, stage in enumerate(OPEN_STAGES):
        ahead |= Q(Exact(OuterRef("stage"), stage), stage__in=FORWARD_STAGES[position + 1 :])
    milestones = (
        Milestone.objects.filter(
            ahead, project=OuterRef("pk"), actual_date__isnull=True, planned_date__isnull=False
        )
        .annotate(rank=_stage_rank("stage"))
        .order_by("planned_date", "rank")
    )
    nodes = TaskNode.objects.filter(
        In(OuterRef("stage"), OPEN_STAGES), project=OuterRef("pk"), actual_date__isnull=True
    ).order_by("planned_date", "pk")
    first_milestone = Subquery(milestones.values("planned_date")[:1])
    milestone_stage = Coalesce(Subquery(milestones.values("stage")[:1]), Value(""))
    first_node, node_name = (Subquery(nodes.values(f)[:1]) for f in ("planned_date", "name"))
    projects = projects.annotate(milestone_date=first_milestone)
    node_first = Exists(nodes.filter(planned_date__lt=OuterRef("milestone_date"))) | (
        Q(milestone_date__isnull=True) & Exists(nodes)
    )
    with transaction.atomic():
        written = projects.filter(
            DistinctFrom(F("colour_date"), F("milestone_date"))
            | DistinctFrom(F("colour_stage"), milestone_stage)
            | ~Q(colour_node=""),
            ~node_first,
        ).update(colour_date=first_milestone, colour_stage=milestone_stage, colour_node="")
        written += projects.filter(
            node_first,
            DistinctFrom(F("colour_date"), first_node)
            | ~Q(colour_stage="")
            | DistinctFrom(F("colour_node"), node_name),
        ).update(colour_date=first_node, colour_stage="", colour_node=node_name)
    return written
