"""How a project moves: which stage changes a person may run now, why not, and running one.

Every path that changes a stage for a person goes through ``run_transition``: django-fsm does
not enforce a transition's ``permission`` itself, so the check is made here, on a row locked
for the duration, inside one database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import Transition

from .models import Project, Stage, TransitionRefused, may_change_stage


@dataclass(frozen=True)
class TransitionOption:
    """One stage change as shown on the project page: may it run now, and if not, why."""

    name: str
    label: str
    target: str
    evidence: tuple[str, ...]
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons


def _transitions() -> list[Transition]:
    return list(Project._meta.get_field("stage").get_all_transitions(Project))


def transition_names() -> list[str]:
    """Each transition once, in the order the model declares them."""
    return list(dict.fromkeys(t.name for t in _transitions()))


def _sources(name: str) -> list[str]:
    return [t.source for t in _transitions() if t.name == name]


def _current_transition(project: Project, name: str) -> Transition | None:
    method = getattr(project, name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        raise ValueError(f"{name!r} is not a stage transition")
    return meta.get_transition(project.stage)


def _target_label(transition: Transition | None, name: str, project: Project) -> str:
    if name == "resume":
        return Stage(project.stage_before_suspension).label if project.stage_before_suspension else ""
    target = transition.target if transition else next(
        t.target for t in _transitions() if t.name == name
    )
    return Stage(target).label if isinstance(target, str) else ""


def refusal_reasons(project: Project, name: str, user=None) -> list[str]:
    """Why ``name`` cannot run on ``project`` now (for ``user``, when given); empty if it can."""
    current = _current_transition(project, name)
    if current is None:
        sources = "、".join(str(Stage(s).label) for s in _sources(name))
        return [
            _("Not possible at stage “%(stage)s”; possible at: %(sources)s.")
            % {"stage": project.get_stage_display(), "sources": sources}
        ]
    reasons = [str(c.message) for c in current.conditions if not c(project)]
    if user is not None and not may_change_stage(project, user):
        reasons.append(_("You may not change the stage of this project."))
    return reasons


def transition_options(project: Project, user) -> list[TransitionOption]:
    options = []
    for name in transition_names():
        current = _current_transition(project, name)
        spec = (current or next(t for t in _transitions() if t.name == name)).custom
        options.append(
            TransitionOption(
                name=name,
                label=str(spec["label"]),
                target=str(_target_label(current, name, project)),
                evidence=tuple(spec["evidence"]),
                reasons=refusal_reasons(project, name, user),
            )
        )
    return options


def run_transition(project: Project, name: str, *, by, comment: str = "", **evidence: Any) -> Project:
    """Run one stage change for ``by``; on any refusal the project is left exactly as it was.

    Raises ``PermissionDenied`` when ``by`` may not change this project's stage and
    ``TransitionRefused`` (with the reasons) when the change is not possible now.
    """
    if name not in transition_names():
        raise TransitionRefused(_("Unknown stage change “%(name)s”.") % {"name": name})
    with transaction.atomic():
        # The lock serialises concurrent changes of one project; the stage read under it is
        # the one the conditions are checked against.
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if not may_change_stage(locked, by):
            raise PermissionDenied(_("You may not change the stage of this project."))
        reasons = refusal_reasons(locked, name)
        if reasons:
            raise TransitionRefused(reasons)
        locked._changed_by = by
        getattr(locked, name)(comment=comment, **evidence)
        locked.save()
    project.refresh_from_db()
    return locked
