"""How projects and approval items move: which transitions a person may run now, why not, and
running one.

Every path that changes a project's stage or an item's status for a person goes through
``run_transition``: django-fsm does not enforce a transition's ``permission`` itself, so the
check is made here, on a row locked for the duration, inside one database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import State, Transition

from .models import RecordedMachine, TransitionRefused

Machine = TypeVar("Machine", bound=RecordedMachine)


@dataclass(frozen=True)
class TransitionOption:
    """One transition as shown on a page: may it run now, and if not, why."""

    name: str
    label: str
    target: str
    evidence: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons


def _transitions(model: type[RecordedMachine]) -> list[Transition]:
    return list(model.state_field().get_all_transitions(model))


def transition_names(model: type[RecordedMachine]) -> list[str]:
    """Each transition once, in the order the model declares them."""
    return list(dict.fromkeys(t.name for t in _transitions(model)))


def transition_label(model: type[RecordedMachine], name: str) -> str:
    if not name:
        return _("Created")
    spec = next((t.custom for t in _transitions(model) if t.name == name), None)
    return str(spec["label"]) if spec else name


def _state(obj: RecordedMachine) -> str:
    return getattr(obj, obj.state_field().name)


def _state_label(obj: RecordedMachine, value: str) -> str:
    return str(dict(obj.state_field().flatchoices).get(value, value))


def _current_transition(obj: RecordedMachine, name: str) -> Transition | None:
    meta = getattr(getattr(obj, name, None), "_django_fsm", None)
    if meta is None:
        raise ValueError(f"{name!r} is not a transition of {type(obj).__name__}")
    return meta.get_transition(_state(obj))


def _target_label(obj: RecordedMachine, name: str, current: Transition | None) -> str:
    target = (current or next(t for t in _transitions(type(obj)) if t.name == name)).target
    if isinstance(target, State):
        if current is None:
            return ""
        target = target.func(obj)  # e.g. the stage a suspended project resumes to
    return _state_label(obj, target) if target else ""


def refusal_reasons(obj: RecordedMachine, name: str, user=None) -> list[str]:
    """Why ``name`` cannot run on ``obj`` now (for ``user``, when given); empty if it can."""
    current = _current_transition(obj, name)
    if current is None:
        sources = "、".join(
            _state_label(obj, t.source) for t in _transitions(type(obj)) if t.name == name
        )
        return [
            _("Not possible at “%(state)s”; possible at: %(sources)s.")
            % {"state": _state_label(obj, _state(obj)), "sources": sources}
        ]
    reasons = [str(c.explain(obj)) for c in current.conditions if not c(obj)]
    if user is not None and not obj.may_transition(user):
        reasons.append(_("You may not make this change."))
    return reasons


def transition_options(obj: RecordedMachine, user) -> list[TransitionOption]:
    options = []
    for name in transition_names(type(obj)):
        current = _current_transition(obj, name)
        spec = (current or next(t for t in _transitions(type(obj)) if t.name == name)).custom
        options.append(
            TransitionOption(
                name=name,
                label=str(spec["label"]),
                target=_target_label(obj, name, current),
                evidence=tuple(spec["evidence"]),
                reasons=refusal_reasons(obj, name, user),
            )
        )
    return options


def run_transition(obj: Machine, name: str, *, by, comment: str = "", **evidence: Any) -> Machine:
    """Run one transition for ``by``; on any refusal the object is left exactly as it was.

    Raises ``PermissionDenied`` when ``by`` may not make this change and ``TransitionRefused``
    (with the reasons) when it is not possible now.
    """
    model = type(obj)
    if name not in transition_names(model):
        raise TransitionRefused(_("Unknown change “%(name)s”.") % {"name": name})
    with transaction.atomic():
        # The lock serialises concurrent changes of one row; the state read under it is the
        # one the conditions are checked against.
        locked = model.objects.select_for_update().get(pk=obj.pk)
        if not locked.may_transition(by):
            raise PermissionDenied(_("You may not make this change."))
        reasons = refusal_reasons(locked, name)
        if reasons:
            raise TransitionRefused(reasons)
        locked._changed_by = by
        getattr(locked, name)(comment=comment, **evidence)
        locked.save()
    obj.refresh_from_db()
    return locked
