"""Who follows a project (guide section 12, "Nobody's project is nobody's"): the one home of the
rule, for one project and as a query, side by side (tested to agree, tests/test_one_home.py).

A project is followed by its officer (项目管家); while it has none, by its zone's supervisors
(``permissions.is_supervisor``). The reminder ladder's officer step goes to them
(``reminders.ladder``), a problem nobody is named for is theirs
(``casework.models.problem.handlers``), and 我的待办 shows a supervisor its zones' open projects
without an officer (``figures.todo``).

An officer who departs (made inactive) follows nothing: its projects lose it
(``release_departed``, when the person is made inactive and, for a deactivation that bypassed
that, by the daily reminder job), so that their zone's supervisors follow them until another
officer is assigned, as the guide has a list naming a departed officer name none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from approvals.access import permissions


def supervisors_by_zone(zone_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Zone id → its supervisors' ids (None: of every zone), in one query."""
    found: dict[int, list[int]] = defaultdict(list)
    roles = permissions.supervisor_roles(None if zone_ids is None else set(zone_ids))
    for zone_id, user_id in roles.order_by("zone_id", "user_id").values_list("zone_id", "user_id"):
        found[zone_id].append(user_id)
    return found


def followers(
    officer_id: int | None, zone_id: int, supervisors: Mapping[int, Sequence[int]]
) -> list[int]:
    """Who follows a project with this officer in this zone: the officer, or with none the
    zone's supervisors (``supervisors``: as ``supervisors_by_zone`` gives them)."""
    return [officer_id] if officer_id else list(supervisors.get(zone_id, ()))


def project_followers(project) -> list[int]:
    """``followers`` of one project object."""
    return followers(project.officer_id, project.zone_id, supervisors_by_zone([project.zone_id]))


def supervised_zones(user) -> QuerySet:
    """The ids of the zones ``user`` supervises, as a subquery."""
    return permissions.supervisor_roles().filter(user_id=user.pk).values("zone_id")


def without_officer(user, path: str = "") -> Q:
    """Projects (or rows of projects, through ``path``, e.g. "project__") that ``user`` follows
    for want of an officer: those of the zones it supervises that have none."""
    return Q(**{f"{path}officer__isnull": True, f"{path}zone__in": supervised_zones(user)})


def followed_apart(user, path: str = "") -> list[Q]:
    """``followed_by`` as conditions that exclude one another (as its officer; for want of
    one), each of which an index serves alone: a query that needs the person's rows and no
    others reads each apart and joins their ids (``ProblemQuerySet.handled_by``)."""
    if getattr(user, "pk", None) is None:
        return []
    return [Q(**{f"{path}officer": user}), without_officer(user, path)]


def followed_by(user, path: str = "") -> Q:
    """``followers`` as a query: the projects (or rows of projects, through ``path``) that
    ``user`` follows."""
    if getattr(user, "pk", None) is None:
        return Q(pk__in=[])  # nobody: "officer = None" would be every project without one
    return Q(**{f"{path}officer": user}) | without_officer(user, path)


def departed_officers_projects(officer=None) -> QuerySet:
    """The projects whose officer has departed (is inactive): of ``officer``, or of anyone."""
    projects = apps.get_model("approvals", "Project").objects.filter(officer__is_active=False)
    return projects if officer is None else projects.filter(officer=officer)


def release_departed(officer=None) -> int:
    """The projects of a departed officer (``officer``, or anyone's) left without one, each
    saved with the reason in its history (who it was stays there), so that the zone's
    supervisors follow them (reminders, problems, 我的待办's 项目管家未指定 with the way to assign
    one). How many."""
    released = 0
    for project in departed_officers_projects(officer).order_by("pk"):
        project.officer = None
        project._change_reason = gettext(
            "The officer has left: followed by the zone's supervisors until one is assigned"
        )
        project.save(update_fields=["officer"])
        released += 1
    return released
