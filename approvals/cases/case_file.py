"""The case file: what an officer or a leader needs at a glance at the top of a project's
page — the project's colour (the worst of its open dates, and which date gives it), the stage
timeline (each milestone planned and actual, coloured by the same rule as the milestones list),
the checklist's progress with the items holding up the next stage, the 三个一批 rounds the
project was listed in, its unsolved problems (堵点) with their colour, deadline and department,
and its compliance flag (开工时前期手续未办结) if it carries one. A fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone

from approvals.cases import compliance
from approvals.cases.colours import Colour, MilestoneColours, problem_colour
from approvals.cases.lateness import (
    OpenDate,
    colour_date,
    effective_stage,
    milestone_colour,
    project_colour,
    stage_passed_through,
)
from approvals.checklist.models import ChecklistProgress
from approvals.models import (
    MILESTONE_STAGES,
    ApprovalItem,
    BatchEntry,
    Problem,
    Project,
    Stage,
)


@dataclass
class Step:
    stage: str
    label: str
    planned: object = None
    actual: object = None
    colour: Colour | None = None
    reached: bool = False
    current: bool = False


@dataclass
class CaseFile:
    steps: list[Step]
    #: the checklist's items by kind (已办结 · 承诺制 · 统一服务 · 不涉及 · 未办结)
    progress: ChecklistProgress
    blockers: list[ApprovalItem] = field(default_factory=list)
    entries: list[BatchEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The compliance flag 开工时前期手续未办结, with whether the items have since been settled.
    started_before_permits: compliance.StartedBeforePermits | None = None
    #: The project's colour, the worst of its open dates (None: not open, or nothing planned),
    #: and the open date that gives it (none for a foreseen delay: its panel says why).
    colour: Colour | None = None
    colour_by: OpenDate | None = None

    @property
    def settled(self) -> int:
        return self.progress.settled

    @property
    def total(self) -> int:
        return self.progress.total

    @property
    def settled_percent(self) -> int:
        return round(100 * self.settled / self.total) if self.total else 0


def case_file(project: Project) -> CaseFile:
    current = effective_stage(project)
    milestones = {m.stage: m for m in project.milestones.all()}
    open_nodes = list(project.task_nodes.open())
    colours = MilestoneColours.on(timezone.localdate())
    steps = []
    for stage in MILESTONE_STAGES:
        milestone = milestones.get(stage)
        if milestone is not None:
            milestone.project = project  # the colour rule reads the project's stage
        steps.append(
            Step(
                stage=stage.value,
                label=str(stage.label),
                planned=milestone.planned_date if milestone else None,
                actual=milestone.actual_date if milestone else None,
                colour=milestone_colour(milestone) if milestone else None,
                reached=stage_passed_through(project, stage),
                current=stage == current,
            )
        )
    # One query for every kind: the problems below stay within the case file's handful.
    progress = project.approval_items.progress()
    blockers = []
    if current in (Stage.RESERVE, Stage.SIGNED):  # what keeps it from being ready to start
        blockers = list(project.start_blockers().order_by("approval_type__sort_order"))
    entries = list(
        project.batch_entries.select_related("batch").order_by("-batch__year", "-batch__round")
    )
    rows = (milestones.values(), open_nodes)
    colour = project_colour(project, colours, *rows)
    return CaseFile(
        steps,
        progress,
        blockers,
        entries,
        unsolved_problems(project),
        compliance.started_before_permits(project),
        colour=colour,
        colour_by=None if colour == Colour.AT_RISK else colour_date(project.stage, *rows),
    )


def unsolved_problems(project: Project) -> list[Problem]:
    """The project's unsolved problems, the most pressing first (deadline, none last), each
    with its colour (``problem.colour``) by the milestones' rule."""
    problems = list(
        project.problems.unsolved().order_by(F("deadline").asc(nulls_last=True), "reported_on")
    )
    if problems:
        colours = MilestoneColours.on(timezone.localdate())
        for problem in problems:
            problem.colour = problem_colour(problem, colours)
    return problems
