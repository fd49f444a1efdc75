"""How late a project is: where it stands (a suspended project where it stood), which stages
are still ahead of it, and the colour of a milestone by the milestones' rule. The one home of
these rules: the project page (``admin/lateness.py``), the case file and the reminder scan read
them from here."""

from __future__ import annotations

from django.utils import timezone

from approvals.cases.colours import Colour, MilestoneColours
from approvals.models import FORWARD_STAGES, Milestone, Project, Stage


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
