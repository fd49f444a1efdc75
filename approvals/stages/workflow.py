"""How projects and approval items move.

An approval item's status is changed by an officer through ``run_transition``. A project's
stage is never changed by the person who wants it changed: an officer asks
(``request_transition``), a supervisor of the project's zone decides (``decide``), and only an
approval runs the transition. django-fsm does not enforce a transition's ``permission`` itself,
so every check is made here, on rows locked for the duration, inside one database transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import State, Transition

from approvals.access import permissions
from approvals.access.permissions import project_of
from approvals.audit import services as audit
from approvals.checklist import foresight
from approvals.core.display import sentences
from approvals.models import (
    MODES_NEEDING_REASON,
    ApprovalItem,
    AuditKind,
    EvidenceRequirement,
    ItemModeChange,
    Mode,
    ModeOrigin,
    Project,
    RecordedMachine,
    RequestAttachment,
    RequestStatus,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import catch_up
from approvals.stages.evidence import check_attachments
from approvals.stages.forms import RequestForm, TransitionForm, form_errors

Machine = TypeVar("Machine", bound=RecordedMachine)


@dataclass(frozen=True)
class TransitionOption:
    """One transition as shown on a page: may it run now, and if not, why."""

    name: str
    label: str
    target: str
    evidence: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)
    documents: str = ""  # which documents back the change, in words
    documents_required: bool = False  # refused without one, unless a reason is given (容缺)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def why_not(self) -> str:
        """The reasons as one sentence (``sentences``: never "…已投产。；已有…")."""
        return sentences(self.reasons)

    @property
    def heading(self) -> str:
        """The change and the stage it leads to ("签约 → 已签约"); the label alone where the
        stage reads the same (停缓建, not "停缓建 → 停缓建")."""
        if not self.target or self.target == self.label:
            return self.label
        return f"{self.label} → {self.target}"


def transition_label(model: type[RecordedMachine], name: str) -> str:
    return model.transition_label(name)


def _target_label(obj: RecordedMachine, name: str, current: Transition | None) -> str:
    target = (current or next(t for t in obj.transitions() if t.name == name)).target
    if isinstance(target, State):
        if current is None:
            return ""
        target = target.func(obj)  # e.g. the stage a suspended project resumes to
    return obj.state_label(target) if target else ""


Permitted = Callable[[Any, Any], bool]


def may_run(obj: RecordedMachine, name: str, user) -> bool:
    """Whether ``user`` may run transition ``name`` of ``obj`` directly: the permission the
    transition declares from the current state (django-fsm never checks it itself), and the
    machine's own rule where no declaration applies from here. A problem's 销号 asks another
    person than its resolving, so the rule is per transition, not per machine."""
    current = obj.current_transition(name)
    return _declared_permission(obj, current, user)


def _declared_permission(obj: RecordedMachine, current: Transition | None, user) -> bool:
    rule = current.permission if current is not None else None
    if rule is None:
        return obj.may_transition(user)
    if callable(rule):
        return bool(rule(obj, user))
    return permissions.has(user, rule, obj)


def refusal_reasons(
    obj: RecordedMachine, name: str, user=None, *, permitted: Permitted | None = None
) -> list[str]:
    """Why ``name`` cannot run on ``obj`` now (for ``user``, when given); empty if it can.
    ``permitted`` replaces the transition's own permission (a stage change is asked for, not
    run: whether one may ask is the question)."""
    current = obj.current_transition(name)
    if current is None:
        sources = "、".join(obj.state_label(t.source) for t in obj.transitions() if t.name == name)
        return [
            _("Not possible at “%(state)s”; possible at: %(sources)s.")
            % {"state": obj.state_label(obj.state), "sources": sources}
        ]
    reasons = [str(c.explain(obj)) for c in current.conditions if not c(obj)]
    if user is not None:
        allowed = permitted(obj, user) if permitted else _declared_permission(obj, current, user)
        if not allowed:
            reasons.append(_("You may not make this change."))
    return reasons


def transition_options(
    obj: RecordedMachine, user, *, permitted: Permitted | None = None
) -> list[TransitionOption]:
    options = []
    for name in obj.transition_names():
        current = obj.current_transition(name)
        spec = obj.transition_spec(name)
        options.append(
            TransitionOption(
                name=name,
                label=str(spec["label"]),
                target=_target_label(obj, name, current),
                evidence=tuple(spec["evidence"]),
                reasons=refusal_reasons(obj, name, user, permitted=permitted),
            )
        )
    return options


def run_transition(obj: Machine, name: str, *, by, comment: str = "", **evidence: Any) -> Machine:
    """Run one transition for ``by``; on any refusal the object is left exactly as it was.

    Raises ``PermissionDenied`` when ``by`` may not make this change and ``TransitionRefused``
    (with the reasons) when it is not possible now.
    """
    model = type(obj)
    if name not in model.transition_names():
        raise TransitionRefused(_("Unknown change “%(name)s”.") % {"name": name})
    with transaction.atomic():
        # The lock serialises concurrent changes of one row; the state read under it is the
        # one the conditions are checked against.
        locked = model.objects.select_for_update().get(pk=obj.pk)
        if not may_run(locked, name, by):
            raise PermissionDenied(_("You may not make this change."))
        _apply(locked, name, by=by, comment=comment, evidence=evidence)
        foresight.refresh([project_of(locked).pk])
    obj.refresh_from_db()
    return locked


def _apply(
    locked: RecordedMachine, name: str, *, by, comment: str, evidence: dict, **record: Any
) -> None:
    """Check the conditions on the locked row and run the transition; the caller holds the
    transaction, so a refusal anywhere leaves every row as it was."""
    reasons = refusal_reasons(locked, name)
    if reasons:
        raise TransitionRefused(reasons)
    locked._changed_by = by
    locked._history_user = by  # django-simple-history: the field history names the same person
    locked._record_extra = record
    getattr(locked, name)(comment=comment, **evidence)
    locked.save()


# --- stage requests ------------------------------------------------------------------------


def _may_request(project: Project, user) -> bool:
    return permissions.may_request(user, project)


def request_options(project: Project, user) -> list[TransitionOption]:
    """The stage changes ``user`` may ask for now, and why not the others; each with the
    documents it needs, as the administrators keep them."""
    needs = EvidenceRequirement.objects.in_bulk(field_name="transition")
    pending = project.stage_requests.pending().first()
    busy = (
        [_("A request is already waiting for a decision: %(request)s.") % {"request": pending}]
        if pending is not None
        else []
    )
    options = []
    for option in transition_options(project, user, permitted=_may_request):
        need = needs.get(option.name)
        options.append(
            replace(
                option,
                reasons=[*option.reasons, *busy],
                documents=need.documents if need is not None else "",
                documents_required=need is not None and need.required,
            )
        )
    return options


def evidence_names(name: str, model: type[RecordedMachine] = Project) -> tuple[str, ...]:
    return tuple(model.transition_spec(name)["evidence"])


def evidence_form(name: str, data: dict | None = None) -> TransitionForm:
    """The form of a transition's evidence: reads a request's evidence back at decision."""
    return TransitionForm(data, evidence=evidence_names(name))


def _documents_refusal(transition: str, attachments: list, reason: str) -> str | None:
    """Why a hand request goes no further for want of documents, or None: the change needs
    documents (``EvidenceRequirement``), none is attached and no reason is given (容缺)."""
    needed = EvidenceRequirement.objects.documents_needed(transition)
    if not needed or attachments or reason:
        return None
    return _(
        "“%(change)s” needs documents: %(documents)s. Attach them, or give the reason they "
        "are missing (容缺)."
    ) % {"change": Project.transition_label(transition), "documents": needed}


def _evidence_of(stage_request: StageRequest) -> dict[str, Any]:
    form = evidence_form(stage_request.transition, data=stage_request.evidence)
    if not form.is_valid():  # stored by request_transition from a valid form: never expected
        raise TransitionRefused(
            _("The evidence of this request cannot be read: %(errors)s")
            % {"errors": form.errors.as_text()}
        )
    cleaned = dict(form.cleaned_data)
    cleaned.pop("comment", None)
    return cleaned


def request_transition(
    project: Project,
    transition: str,
    by,
    *,
    note: str = "",
    attachments: Iterable = (),
    documents_missing_reason: str = "",
    **evidence: Any,
) -> StageRequest:
    """Ask for a stage change by hand, with its evidence and documents. Refused when ``by``
    may not ask, when the change is not possible now, when the evidence does not hold, when
    the documents the change needs are missing and no reason is given (容缺: the reason is
    kept on the request for the supervisor), or when another request of the project is still
    waiting. (Requests a list import opens are not asked by hand and do not come this way.)"""
    if transition not in Project.transition_names():
        raise TransitionRefused(_("Unknown change “%(name)s”.") % {"name": transition})
    if not permissions.may_request(by, project):  # first: a refusal must not depend on input
        raise PermissionDenied(_("You may not request changes of this project's stage."))
    form = RequestForm(
        {**evidence, "comment": note, "documents_missing_reason": documents_missing_reason},
        evidence=evidence_names(transition),
    )
    if not form.is_valid():
        raise TransitionRefused(form_errors(form))
    cleaned = form.evidence_data
    reason = form.cleaned_data["documents_missing_reason"]
    attachments = check_attachments(attachments)
    missing = _documents_refusal(transition, attachments, reason)
    if missing:
        raise TransitionRefused(missing)
    try:
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if not permissions.may_request(by, locked):  # again: the zone may have changed
                raise PermissionDenied(_("You may not request changes of this project's stage."))
            reasons = refusal_reasons(locked, transition)
            if reasons:
                raise TransitionRefused(reasons)
            # The evidence is checked by the transition itself, on a copy that is never saved.
            getattr(Project.objects.get(pk=locked.pk), transition)(**cleaned)
            stage_request = StageRequest.objects.create(
                project=locked,
                transition=transition,
                evidence=cleaned,
                note=note,
                documents_missing_reason=reason,
                requested_by=by,
            )
            for upload in attachments:
                name = getattr(upload, "name", str(upload))
                RequestAttachment.objects.create(
                    request=stage_request, file=upload, name=name[:200]
                )
    except IntegrityError as clash:
        # The partial unique index: another request of this project was saved meanwhile.
        raise TransitionRefused(
            _("Another request of this project is already waiting for a decision.")
        ) from clash
    return stage_request


def _locked_pending(stage_request: StageRequest) -> StageRequest:
    locked = (
        StageRequest.objects.select_for_update(of=("self",))
        .select_related("project")
        .get(pk=stage_request.pk)
    )
    if not locked.is_pending:
        raise TransitionRefused(
            _("This request is no longer waiting: it was %(status)s by %(who)s at %(when)s.")
            % {
                "status": locked.get_status_display(),
                "who": locked.decided_by or locked.requested_by,
                "when": timezone.localtime(locked.decided_at).strftime("%Y-%m-%d %H:%M")
                if locked.decided_at
                else "",
            }
        )
    return locked


def decide(stage_request: StageRequest, by, approve: bool, comment: str = "") -> StageRequest:
    """A supervisor's decision. Approval re-checks the change's conditions now and runs it in
    the same transaction; if they no longer hold, nothing changes and the request stays open.
    A request from a list is approved by a catch-up instead (``catch_up``: the stages between
    passed, its gates recorded, not checked); it is refused, the request left open, when the
    project moved meanwhile to or past the stage the list names.
    A rejection says why: the officer must know what to fix."""
    if approve not in (True, False):
        raise TransitionRefused(_("Choose to approve or to reject."))
    comment = (comment or "").strip()
    with transaction.atomic():
        # Lock order: the project, then the request — the same order as request_transition.
        project = Project.objects.select_for_update().get(pk=stage_request.project_id)
        locked = _locked_pending(stage_request)
        locked.project = project
        if not permissions.may_decide(by, locked):  # the four-eyes rule's one home
            if permissions.asked_it(by, locked):
                raise PermissionDenied(_("Nobody decides its own request."))
            raise PermissionDenied(
                _("Only a supervisor of the project's zone or city decides its requests.")
            )
        if not approve and not comment:
            raise TransitionRefused(_("A rejection needs a reason: say what is to be fixed."))
        if approve and locked.from_list:
            catch_up.catch_up(
                project,
                locked,
                by=by,
                comment=comment or locked.note,
                evidence=_evidence_of(locked),
            )
        elif approve:
            _apply(
                project,
                locked.transition,
                by=by,
                comment=comment or locked.note,
                evidence=_evidence_of(locked),
                request=locked,
            )
        locked.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_comment = comment
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        # The security audit log's record commits with the decision (approvals/audit/services.py).
        audit.record(
            AuditKind.DECISION,
            user=by,
            obj=locked,
            decision="approved" if approve else "rejected",
            transition=locked.transition,
            project=str(project),
        )
        if approve:
            foresight.refresh([project.pk])
    stage_request.refresh_from_db()
    return locked


def cancel_request(stage_request: StageRequest, by) -> StageRequest:
    """Only the officer who asked may withdraw its pending request."""
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=stage_request.project_id)
        locked = _locked_pending(stage_request)
        locked.project = project
        if not permissions.may_cancel(by, locked):
            raise PermissionDenied(_("Only the person who asked may cancel a request."))
        locked.status = RequestStatus.CANCELLED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    stage_request.refresh_from_db()
    return locked


@dataclass(frozen=True)
class Decision:
    stage_request: StageRequest
    done: bool
    message: str


def decide_many(
    requests: Iterable[StageRequest], *, by, approve: bool, comment: str = ""
) -> list[Decision]:
    """Each request decided on its own (its own transaction); the report says which failed and why."""
    decisions = []
    for stage_request in requests:
        try:
            decide(stage_request, by=by, approve=approve, comment=comment)
        except (PermissionDenied, TransitionRefused) as refused:
            reasons = getattr(refused, "reasons", None) or [str(refused)]
            decisions.append(Decision(stage_request, False, sentences(reasons)))
        else:
            decisions.append(Decision(stage_request, True, ""))
    return decisions


# --- approval item modes -------------------------------------------------------------------


def mode_reason_missing(mode: str, reason: str) -> bool:
    """不涉及 and 统一服务 settle an item without any procedure: a person says why."""
    return mode in MODES_NEEDING_REASON and not (reason or "").strip()


def item_set_mode(
    item: ApprovalItem, mode: str, *, by, reason: str = "", origin: str = ModeOrigin.PERSON
) -> ApprovalItem:
    """Change how an item is settled (审批 / 承诺 / 统一服务 / 不涉及), recorded with who, when,
    old → new and why. Nothing happens when the mode is already ``mode``."""
    if mode not in Mode.values:
        raise TransitionRefused(_("Unknown mode “%(mode)s”.") % {"mode": mode})
    if not permissions.may_work_item(by, item):
        raise PermissionDenied(_("You may not change this approval item."))
    if origin == ModeOrigin.PERSON and mode_reason_missing(mode, reason):
        raise TransitionRefused(
            _("A reason is required to mark an item “%(mode)s”.") % {"mode": Mode(mode).label}
        )
    with transaction.atomic():
        locked = (
            ApprovalItem.objects.select_for_update().select_related("approval_type").get(pk=item.pk)
        )
        if locked.mode != mode:
            old = locked.mode
            locked.mode = mode
            locked._history_user = by
            locked.save(update_fields=["mode"])
            ItemModeChange.objects.create(
                item=locked, source=old, target=mode, origin=origin, reason=reason.strip(), by=by
            )
            foresight.refresh([locked.project_id])
    item.refresh_from_db()
    return item
