"""Problems (堵点) and service records as services: the one door through which people, imports
and the reminder scan open, work off, close (销号) and escalate problems.

Every function checks its own permission (``approvals.access.permissions``); a transition runs through
``workflow.run_transition`` on the locked row, so a refused one leaves the problem as it was and
every one is recorded with who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.access import permissions
from approvals.audit import services as audit
from approvals.cases.colours import Colour, MilestoneColours, warnings
from approvals.casework.models.problem import description_key, due_by_default
from approvals.core.display import day_in_words, sentences
from approvals.models import (
    UNSOLVED,
    AuditKind,
    Problem,
    ProblemCategory,
    ProblemSource,
    ProblemStatus,
    Project,
    ServiceKind,
    ServiceRecord,
    TransitionRefused,
)
from approvals.stages import workflow

ADD_PROBLEM = "approvals.add_problem"
ADD_RECORD = "approvals.add_servicerecord"


@dataclass(frozen=True)
class FollowUp:
    """A problem to open from a service record: what, of which kind, handed to whom, by when."""

    description: str
    category: str = ProblemCategory.OTHER
    department: str = ""
    deadline: dt.date | None = None


def _check_responsible(project: Project, responsible) -> None:
    if responsible is None:
        return
    if not permissions.officer_choices({project.zone_id}).filter(pk=responsible.pk).exists():
        raise TransitionRefused(
            _("%(person)s is no officer or supervisor of the project's zone.")
            % {"person": responsible}
        )


def _full_clean(problem: Problem) -> None:
    try:
        problem.full_clean(exclude=["project", "description_key", "status"])
    except ValidationError as invalid:
        raise TransitionRefused(
            [
                f"{problem._meta.get_field(f).verbose_name}: {sentences(m)}"
                if f != "__all__"
                else sentences(m)
                for f, m in invalid.message_dict.items()
            ]
        ) from invalid


def problem_add(
    *,
    project: Project,
    by,
    description: str,
    category: str = ProblemCategory.OTHER,
    department: str = "",
    deadline: dt.date | None = None,
    responsible=None,
    reported_on: dt.date | None = None,
    service_record: ServiceRecord | None = None,
) -> Problem:
    """A person reports a problem of a project it does casework on; without a deadline it is
    due 30 days after it was reported (``due_by_default``). The same text of the same project
    is the same problem: reporting it again is refused, naming the one recorded."""
    if not permissions.has(by, ADD_PROBLEM, project):
        raise PermissionDenied(_("You may not report problems of this project."))
    description = (description or "").strip()
    if not description:
        raise TransitionRefused(_("Say what the problem is."))
    if category not in ProblemCategory.values:
        raise TransitionRefused(_("Unknown category “%(value)s”.") % {"value": category})
    _check_responsible(project, responsible)
    reported_on = reported_on or timezone.localdate()
    problem = Problem(
        project=project,
        description=description,
        category=category,
        department=(department or "").strip(),
        deadline=deadline or due_by_default(reported_on),
        responsible=responsible,
        reported_on=reported_on,
        source=ProblemSource.SERVICE if service_record else ProblemSource.PERSON,
        service_record=service_record,
        created_by=by,
    )
    return _saved_once(problem, by)


def problem_from_enterprise(
    *,
    project: Project,
    enterprise_id: int,
    contact: str,
    description: str,
    category: str = ProblemCategory.OTHER,
) -> Problem:
    """A request for help (诉求) the enterprise sends from the investor's page (portal/, issue
    22): a problem of its own project, its source the enterprise and ``contact`` (who sent it),
    reported by no person of the desk. Nobody is named responsible, so the project's officer
    handles it (or, without one, the zone's supervisors: ``handlers``) and finds it on the
    problem list and 我的待办; it is due 30 days after it was sent, and climbs the same ladder.
    The caller has checked the link; the project must be the enterprise's. The same text of the
    same project is the same problem: sending it again is refused, naming the one recorded."""
    if project.enterprise_id is None or project.enterprise_id != enterprise_id:
        raise PermissionDenied(_("This project is not the enterprise's."))
    description = (description or "").strip()
    if not description:
        raise TransitionRefused(_("Say what you need help with."))
    if category not in ProblemCategory.values:
        raise TransitionRefused(_("Unknown category “%(value)s”.") % {"value": category})
    reported_on = timezone.localdate()
    problem = Problem(
        project=project,
        description=description,
        category=category,
        deadline=due_by_default(reported_on),
        reported_on=reported_on,
        source=ProblemSource.ENTERPRISE,
        contact=(contact or "").strip()[:100],
    )
    return _saved_once(problem, None)


def _saved_once(problem: Problem, by) -> Problem:
    """Save a new problem, checked, in ``by``'s name (None: nobody of the desk, the enterprise);
    the same text of the same project is the same problem: refused, naming the one recorded."""
    _full_clean(problem)
    problem._changed_by = by
    problem._history_user = by
    same = Problem.objects.filter(
        project=problem.project, description_key=description_key(problem.description)
    )
    try:
        with transaction.atomic():
            if same.exists():
                raise TransitionRefused(_already(same.get()))
            problem.save()
    except IntegrityError as clash:  # the unique key: the same text was saved meanwhile
        raise TransitionRefused(_already(same.get())) from clash
    return problem


def _already(problem: Problem) -> str:
    return _(
        "This problem is already recorded for the project (%(status)s, reported on %(day)s)."
    ) % {
        "status": problem.get_status_display(),
        "day": day_in_words(problem.reported_on),
    }


def problem_options(problem: Problem, user) -> list[workflow.TransitionOption]:
    """What ``user`` may do with the problem now, and why not the rest."""
    options = workflow.transition_options(problem, user)
    if problem.status == ProblemStatus.RESOLVED and permissions.resolved_it(user, problem):
        four_eyes = _("You resolved it: another supervisor confirms the closing.")
        options = [
            workflow.TransitionOption(
                o.name, o.label, o.target, o.evidence, [*o.reasons, four_eyes]
            )
            if problem.transition_spec(o.name).get("four_eyes") and o.allowed is False
            else o
            for o in options
        ]
    return options


def problem_transition(
    problem: Problem, name: str, *, by, comment: str = "", **evidence
) -> Problem:
    """Run one transition of a problem for ``by``: ``start``, ``resolve`` (resolution and date),
    ``close`` (销号: a supervisor who did not resolve it), ``reopen`` (a reason), ``escalate``."""
    if name in ("close", "reopen") and permissions.resolved_it(by, problem):
        # Said before anything else, whatever the row holds now: nobody confirms its own work
        # (the transitions' permission, ``may_close_problem``, refuses it on the locked row).
        raise PermissionDenied(_("Nobody closes a problem it resolved itself."))
    with transaction.atomic():
        problem = workflow.run_transition(problem, name, by=by, comment=comment, **evidence)
        if name in ("close", "reopen"):  # 销号 confirmed or sent back: a decision, audited
            audit.record(
                AuditKind.DECISION,
                user=by,
                obj=problem,
                decision="closed" if name == "close" else "sent back",
                project=str(problem.project),
            )
    return problem


# --- service records ---------------------------------------------------------------------------


def service_record_add(
    *,
    project: Project,
    by,
    day: dt.date,
    kind: str = ServiceKind.VISIT,
    participants: str,
    done: str,
    follow_up: FollowUp | None = None,
) -> tuple[ServiceRecord, Problem | None]:
    """Record a visit, call, meeting or on-site office; a follow-up opens a problem in the same
    step (both or neither are saved)."""
    if not permissions.has(by, ADD_RECORD, project):
        raise PermissionDenied(_("You may not record services for this project."))
    record = ServiceRecord(
        project=project, day=day, kind=kind, participants=participants, done=done, recorded_by=by
    )
    try:
        record.full_clean(exclude=["project"])
    except ValidationError as invalid:
        raise TransitionRefused(
            [
                f"{record._meta.get_field(f).verbose_name}: {sentences(m)}"
                for f, m in invalid.message_dict.items()
            ]
        ) from invalid
    record._history_user = by
    with transaction.atomic():
        record.save()
        problem = None
        if follow_up is not None:
            problem = problem_add(
                project=project,
                by=by,
                description=follow_up.description,
                category=follow_up.category,
                department=follow_up.department,
                deadline=follow_up.deadline,
                reported_on=day,
                service_record=record,
            )
    return record, problem


# --- from spreadsheets -------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """A 存在问题 cell of an imported row: its project and its text."""

    project_id: int
    text: str


@dataclass
class ImportedProblems:
    opened: list[Problem]
    known: list[tuple[Listed, Problem]]  # listed again: the one recorded, left as it is

    def note(self, listed: Listed) -> str:
        """What the preview says of a listed problem: opened, or already recorded (and how it
        stands: a resolved one is not reopened). Looked up in an index made once."""
        index = getattr(self, "_index", None)
        if index is None:
            opened = {(p.project_id, p.description_key): p for p in self.opened}
            index = self._index = (opened, dict(self.known))
        opened, known = index
        if listed in known:
            return _("problem already recorded (%(status)s): not opened again") % {
                "status": known[listed].get_status_display()
            }
        problem = opened.get((listed.project_id, description_key(listed.text)))
        return _("problem opened, due %(day)s") % {
            "day": day_in_words(problem.deadline if problem else None)
        }


#: Projects whose problems are read at once: by the leading column of the unique index
#: (project, text), not by two IN lists whose every pair SQLite probes.
PROJECTS_AT_ONCE = 500


def _recorded(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Problem]:
    projects = sorted({pid for pid, _key in keys})
    found = {}
    for start in range(0, len(projects), PROJECTS_AT_ONCE):
        for problem in Problem.objects.filter(
            project_id__in=projects[start : start + PROJECTS_AT_ONCE]
        ):
            key = (problem.project_id, problem.description_key)
            if key in keys:
                found[key] = problem
    return found


def problems_from_import(
    listed: Iterable[Listed],
    *,
    by,
    reported_on: dt.date,
    source: str,
    batch=None,
    dry_run: bool = False,
) -> ImportedProblems:
    """Open a problem for each listed text not recorded yet for its project, reported on
    ``reported_on`` (the list's date: its round's event, a monthly table's month; not after
    today) and due 30 days after the import, or after that date when it is later (an event to
    come: guide section 12). Run inside the import's transaction, after the import checked the rows' zones (``import_zones``): a
    problem listed again — open, resolved or closed — is left as it is, and so is one another
    import recorded a moment ago (each is saved under its own savepoint)."""
    wanted: dict[tuple[int, str], Listed] = {}
    for item in listed:
        text = (item.text or "").strip()
        if text:
            wanted.setdefault(
                (item.project_id, description_key(text)), Listed(item.project_id, text)
            )
    existing = _recorded(set(wanted))
    result = ImportedProblems([], [])
    today = timezone.localdate()
    due = due_by_default(max(reported_on, today))
    for key, item in wanted.items():
        if key in existing:
            result.known.append((item, existing[key]))
            continue
        problem = Problem(
            project_id=item.project_id,
            description=item.text,
            description_key=key[1],
            reported_on=min(reported_on, today),
            deadline=due,
            source=source,
            batch=batch,
            created_by=by,
        )
        problem._changed_by = by
        problem._history_user = by
        if not dry_run:
            try:
                with transaction.atomic():
                    problem.save()
            except IntegrityError:  # another import recorded the same text meanwhile
                result.known.append(
                    (item, Problem.objects.get(project_id=key[0], description_key=key[1]))
                )
                continue
        result.opened.append(problem)
    return result


# --- the ladder's escalation ---------------------------------------------------------------------


def escalate_red(day: dt.date | None = None, rules=None) -> list[int]:
    """Escalate to the leader every unsolved problem that turned red (more than the red
    threshold past its deadline), as the reminder scan runs: recorded with no person and the
    days late. Returns the ids escalated."""
    day = day or timezone.localdate()
    colours = MilestoneColours.on(day, rules or warnings())
    red = (
        Problem.objects.filter(status__in=[ProblemStatus.OPEN, ProblemStatus.IN_PROGRESS])
        .filter(colours.filter(Colour.RED, "deadline", risk=False))
        .values_list("pk", "deadline")
    )
    done = []
    for pk, deadline in red:
        with transaction.atomic():
            locked = Problem.objects.select_for_update().get(pk=pk)
            if locked.status not in UNSOLVED or locked.status == ProblemStatus.ESCALATED:
                continue  # solved or escalated meanwhile
            reason = _("Red: %(days)d days past its deadline %(day)s.") % {
                "days": (day - deadline).days,
                "day": day_in_words(deadline),
            }
            workflow._apply(locked, "escalate", by=None, comment="", evidence={"reason": reason})
        done.append(pk)
    return done
