"""The case file: what an officer or a leader needs at a glance at the top of a project's
page — the stage timeline (each milestone planned and actual, coloured by the same rule as the
milestones list), the checklist's progress with the items holding up the next stage, and the
三个一批 rounds the project was listed in. A fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from .admin.lateness import milestone_colour
from .colours import Colour
from .models import FORWARD_STAGES, MILESTONE_STAGES, ApprovalItem, BatchEntry, Project, Stage


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
    settled: int
    total: int
    blockers: list[ApprovalItem] = field(default_factory=list)
    entries: list[BatchEntry] = field(default_factory=list)

    @property
    def settled_percent(self) -> int:
        return round(100 * self.settled / self.total) if self.total else 0


def case_file(project: Project) -> CaseFile:
    current = project.stage_before_suspension if project.stage == Stage.SUSPENDED else project.stage
    position = FORWARD_STAGES.index(current) if current in FORWARD_STAGES else -1
    milestones = {m.stage: m for m in project.milestones.all()}
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
                reached=FORWARD_STAGES.index(stage) <= position,
                current=stage == current,
            )
        )
    items = project.approval_items.all()
    total = items.count()
    settled = items.settled().count() if total else 0
    blockers = []
    if current in (Stage.RESERVE, Stage.SIGNED):  # what keeps it from being ready to start
        blockers = list(project.start_blockers().order_by("approval_type__sort_order"))
    entries = list(
        project.batch_entries.select_related("batch").order_by("-batch__year", "-batch__round")
    )
    return CaseFile(steps, settled, total, blockers, entries)
