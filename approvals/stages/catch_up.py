"""The catch-up from a 三个一批 list (guide section 12): the one home of what approving a stage
request opened by a list does, and of what the decision pages say it will do.

The list says the project reached a stage at the event (signed, started works, in production);
the project's record is behind. Approval brings it there in one step, through every stage
between, each pass its own ``StageChange`` (the decider, the time, the request, the comment);
the milestones passed on the way get no date (like a project a list creates), the stage the list
names gets the event date. The gates of the regular changes (an enterprise to sign with, a
checklist, items settled before works) are not asked of a fact that already happened: each one
that does not hold is recorded on the change it concerned (``gates_not_held``) instead of
refusing it. Reaching "under construction" with before-works items open or no checklist sets the
compliance flag 开工时前期手续未办结 (``approvals.cases.compliance``) to the day of the catch-up:
it says what was known when the record caught up, not what held on the event date.

``workflow.decide`` (the one door) calls ``catch_up`` for a request of kind LIST, on the
project row it has locked, inside its transaction; who may decide is asked there, as for any
request (four eyes: the importer who opened it never decides it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases import compliance
from approvals.cases.models.project import has_checklist
from approvals.models import (
    FORWARD_STAGES,
    NEXT_STAGE,
    Project,
    Stage,
    StageRequest,
    TransitionRefused,
)

#: The name the compliance flag's gate is recorded under (the regular gates are recorded under
#: their condition's name).
STARTED_BEFORE_PERMITS = compliance.STARTED_BEFORE_PERMITS


@dataclass(frozen=True)
class Gate:
    """A gate that does not hold: the condition's name, why, and (for the compliance flag) how
    many before-works items were open (None: there was no checklist)."""

    stage: str  # the stage the change it concerns leads to
    gate: str
    message: str
    open_items: int | None = None

    def as_record(self) -> dict[str, Any]:
        record = {"gate": self.gate, "message": self.message}
        if self.gate == STARTED_BEFORE_PERMITS:
            record["open_items"] = self.open_items
        return record


def target_of(stage_request: StageRequest) -> str:
    """The stage a request from a list brings the project to: its target stage, else the one
    its change leads to."""
    if stage_request.target_stage:
        return stage_request.target_stage
    return next(t.target for t in Project.transitions() if t.name == stage_request.transition)


def stages_to_pass(project: Project, target: str) -> list[str]:
    """The stages a catch-up reaches, one by one, from where the project stands to ``target``.
    Refused when the project is not on the forward path (suspended, withdrawn) or already at or
    past ``target`` (it moved meanwhile: nothing to catch up)."""
    if target not in FORWARD_STAGES[1:] or target == Stage.AT_CAPACITY:
        raise TransitionRefused(
            _("A list cannot bring a project to “%(stage)s”.")
            % {"stage": Project.state_label(target)}
        )
    if project.stage not in FORWARD_STAGES:
        raise TransitionRefused(
            _("The project is “%(stage)s”: a list does not move it. Reject the request.")
            % {"stage": project.get_stage_display()}
        )
    if FORWARD_STAGES.index(project.stage) >= FORWARD_STAGES.index(target):
        raise TransitionRefused(
            _(
                "The project is already at “%(stage)s”, at or past “%(target)s” that the list "
                "names: nothing changes. Reject the request."
            )
            % {"stage": project.get_stage_display(), "target": Project.state_label(target)}
        )
    stages, stage = [], project.stage
    while stage != target:
        stage = NEXT_STAGE[stage]
        stages.append(stage)
    return stages


def _regular_change(source: str, target: str):
    """The change a person asks for from ``source`` to ``target`` (its conditions are the gates)."""
    return next(
        t
        for t in Project.transitions()
        if t.source == source and t.target == target and not t.custom.get("import")
    )


def gates_for(project: Project, source: str, target: str) -> list[Gate]:
    """The gates of the change ``source`` → ``target`` that do not hold for ``project`` now, and
    on the change into "under construction" the compliance flag's."""
    change = _regular_change(source, target)
    gates = [
        Gate(target, condition.__name__, str(condition.explain(project)))
        for condition in change.conditions
        if not condition(project)
    ]
    if target == Stage.UNDER_CONSTRUCTION and compliance.starts_before_permits(project):
        gates.append(_flag_gate(project))
    return gates


def _flag_gate(project: Project) -> Gate:
    if not has_checklist(project):
        message = _("Started works without an approval checklist.")
        return Gate(Stage.UNDER_CONSTRUCTION, STARTED_BEFORE_PERMITS, message, None)
    count = project.start_blockers().count()
    message = _("Started works with %(count)d before-works approval items open.") % {"count": count}
    return Gate(Stage.UNDER_CONSTRUCTION, STARTED_BEFORE_PERMITS, message, count)


def gates_ahead(stage_request: StageRequest) -> list[Gate]:
    """What approving ``stage_request`` would record, judged now (for the decision pages); empty
    when it could not run at all (the decision says why)."""
    project = stage_request.project
    try:
        stages = stages_to_pass(project, target_of(stage_request))
    except TransitionRefused:
        return []
    gates, source = [], project.stage
    for stage in stages:
        gates += gates_for(project, source, stage)
        source = stage
    return gates


def event_date(stage_request: StageRequest, evidence: dict[str, Any]) -> dt.date:
    """The event date: the date the request's evidence gives for its change (e.g. the start
    date of works), which the import set to the round's event date."""
    names = Project.transition_spec(stage_request.transition)["evidence"]
    day = evidence.get(names[0]) if names else None
    if not isinstance(day, dt.date):
        raise TransitionRefused(_("The request from a list names no event date."))
    return day


def catch_up(
    project: Project,
    stage_request: StageRequest,
    *,
    by,
    comment: str,
    evidence: dict[str, Any],
) -> list[Gate]:
    """Bring the locked ``project`` to the stage ``stage_request`` names, each stage passed by
    the project's ``catch_up`` transition and saved with its own record. The caller holds the
    transaction and the lock; a refusal anywhere leaves every row as it was. Returns the gates
    recorded."""
    target = target_of(stage_request)
    if _regular_change_into(stage_request.transition) != target:
        raise TransitionRefused(_("The request's change does not lead to its target stage."))
    day = event_date(stage_request, evidence)
    stages = stages_to_pass(project, target)
    recorded = []
    for stage in stages:
        gates = gates_for(project, project.stage, stage)
        if any(g.gate == STARTED_BEFORE_PERMITS for g in gates):
            # A historical fact: the first catch-up that started works early is the one kept.
            project.started_before_permits_on = (
                project.started_before_permits_on or timezone.localdate()
            )
        project._changed_by = by
        project._history_user = by
        project._record_extra = {
            "request": stage_request,
            "gates_not_held": [g.as_record() for g in gates],
        }
        project.catch_up(reached_on=day if stage == target else None, comment=comment)
        project.save()
        recorded += gates
    return recorded


def _regular_change_into(name: str) -> str:
    return next(t.target for t in Project.transitions() if t.name == name)
