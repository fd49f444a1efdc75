"""The four-eyes rules of casework: a stage request's decision and a problem's 销号, each for
one row and as a query, side by side; the two agree (tests/test_one_home.py).

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.access.grants import has, scope
from approvals.access.projects import may_see
from approvals.access.roles import CLOSE_PROBLEM, DECIDE, WORK_PROBLEM, _active

# The four-eyes rule of a stage decision, for one request (``may_decide``) and as a query
# (``decidable``), side by side; the two agree (tests/test_one_home.py). ``workflow.decide``
# asks ``may_decide`` (and ``asked_it`` only to say why it refuses).


def asked_it(user, stage_request) -> bool:
    """Whether ``user`` asked for this stage change: then it never decides it (four eyes)."""
    return stage_request.requested_by_id == getattr(user, "pk", None)


def may_decide(user, stage_request) -> bool:
    """A supervisor of the project's zone, or a city supervisor of its city (who decides the
    requests the zone's only supervisor asked for itself), or the demo's superuser; never on
    its own request (four eyes)."""
    if asked_it(user, stage_request):
        return False
    return has(user, DECIDE, stage_request.project)


def decidable(requests: QuerySet, user) -> QuerySet:
    """``may_decide`` as a query: the rows of ``requests`` that ``user`` may decide."""
    others = requests.exclude(requested_by=user) if _active(user) else requests.none()
    return scope(others, user, DECIDE, "project__")


def may_decide_somewhere(user) -> bool:
    """For lists and the admin index: is ``user`` a decider anywhere at all?"""
    return has(user, DECIDE)


def may_cancel(user, stage_request) -> bool:
    """Only the person who asked, while it still sees the project."""
    return asked_it(user, stage_request) and may_see(user, stage_request.project)


# --- problems (堵点) ---------------------------------------------------------------------------


def may_work_problem(user, problem) -> bool:
    """Work a problem off: start it, resolve it (those who do the project's casework)."""
    return has(user, WORK_PROBLEM, problem)


# The four-eyes rule of 销号, for one problem (``may_close_problem``) and as a query
# (``closable``), side by side; the two agree (tests/test_one_home.py). The problem's close and
# reopen transitions ask ``may_close_problem``; ``casework/problems.py`` asks ``resolved_it``
# only to say why it refuses.


def resolved_it(user, problem) -> bool:
    """Whether ``user`` resolved this problem: then it neither closes it nor sends it back."""
    resolver = problem.resolved_by_id
    return resolver is not None and resolver == getattr(user, "pk", None)


def may_close_problem(user, problem) -> bool:
    """Close (销号) a resolved problem, or send it back: a supervisor of the project's zone or
    a city supervisor of its city (or the demo's superuser) who did not resolve it (four eyes,
    as for stage requests)."""
    if resolved_it(user, problem):
        return False
    return has(user, CLOSE_PROBLEM, problem)


def closable(problems: QuerySet, user) -> QuerySet:
    """``may_close_problem`` as a query: the rows of ``problems`` that ``user`` may close (a
    problem nobody resolved yet is kept: the four eyes do not exclude it)."""
    others = problems.exclude(resolved_by=user) if _active(user) else problems.none()
    return scope(others, user, CLOSE_PROBLEM, "project__")


def may_escalate_problem(user, problem) -> bool:
    """Hand a problem to the leader by hand: a supervisor's call (the reminder scan escalates a
    red one by itself)."""
    return has(user, CLOSE_PROBLEM, problem)


def may_close_somewhere(user) -> bool:
    return has(user, CLOSE_PROBLEM)
