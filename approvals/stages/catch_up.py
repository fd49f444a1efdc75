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
from django.utils.translation import gettext_lazy

from approvals.cases import compliance
from approvals.cases.models.project import has_checklist
from approvals.core.display import sentences
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


#: The gates as the decision pages name them, short ("批准后将记录：无审批清单").
GATE_LABELS = {
    "has_enterprise": gettext_lazy("no enterprise"),
    "has_checklist": gettext_lazy("no approval checklist"),
    "start_approvals_settled": gettext_lazy("before-works items open"),
    STARTED_BEFORE_PERMITS: compliance.LABEL,
}


@dataclass(frozen=True)
class Gate:
    """A gate that does not hold: the condition's name, why, and (for the compliance flag) how
    many before-works items were open (None: there was no checklist)."""

    stage: str  # the stage the change it concerns leads to
    gate: str
    message: str
    open_items: int | None = None

    @property
    def label(self) -> str:
        return str(GATE_LABELS.get(self.gate, self.message))

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


# --- what the decision pages show ------------------------------------------------------------


@dataclass(frozen=True)
class FromList:
    """A request from a list as the supervisor reads it before deciding (plain data): the round
    and category, the file (whether it is kept, for a download link), the row, the event date,
    and the gates approval would record, judged now."""

    round: str
    category: str
    file_name: str
    file_kept: bool
    source: str
    event_date: dt.date | None
    gates: tuple[Gate, ...]

    @property
    def will_record(self) -> str:
        """批准后将记录：无审批清单；开工时前期手续未办结 (empty when every gate holds)."""
        if not self.gates:
            return ""
        labels = sentences(dict.fromkeys(g.label for g in self.gates))
        return _("Approval will record: %(gates)s") % {"gates": labels}


def from_list(stage_request: StageRequest) -> FromList | None:
    """The facts of a request from a list for the decision pages (None for one by hand). Reads
    the request's list entry, round and import (select them with it) and, while it is pending,
    the project's checklist for the gates."""
    if not stage_request.from_list:
        return None
    entry = stage_request.batch_entry
    record = stage_request.spreadsheet_import
    gates = tuple(gates_ahead(stage_request)) if stage_request.is_pending else ()
    return FromList(
        round=str(entry.batch) if entry else "",
        category=entry.get_category_display() if entry else "",
        file_name=record.file_name if record else "",
        file_kept=bool(record and record.file),
        source=stage_request.source or (entry.source if entry else ""),
        event_date=_stored_event_date(stage_request),
        gates=gates,
    )


def _stored_event_date(stage_request: StageRequest) -> dt.date | None:
    names = Project.transition_spec(stage_request.transition)["evidence"]
    value = stage_request.evidence.get(names[0]) if names else None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
