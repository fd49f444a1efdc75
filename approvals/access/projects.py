"""Projects and their rows: who sees, edits, asks for a stage change, generates and works a
checklist, imports, exports; who may be a project's officer or leader, and who supervises a
zone (each for one person and as a query, side by side); who sees the figures.

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from approvals.access.grants import has
from approvals.access.roles import (
    EDIT,
    EDIT_ITEM,
    GENERATE,
    IMPORT,
    REQUEST,
    VIEW,
    WORK_ITEM,
    _zone_roles,
    is_administrator,
    is_system_administrator,
    zone_ids,
)
from zones.models import Administrator, Role, ZoneRole
from zones.roles import CASEWORK_ROLES

# --- projects and their rows ---------------------------------------------------------------


def may_see(user, obj: Any) -> bool:
    return has(user, VIEW, obj)


def may_edit(user, obj: Any) -> bool:
    return has(user, EDIT, obj)


def may_edit_enterprise(user, enterprise) -> bool:
    return has(user, "zones.change_enterprise", enterprise)


def may_request(user, project) -> bool:
    return has(user, REQUEST, project)


def may_run_stage_transition(project, user) -> bool:
    """Nobody moves a stage directly: it moves when a supervisor approves a request."""
    return False


def may_run_import_transition(item, user) -> bool:
    """The transition that records an approval progress table is never a person's act: the
    import runs it after checking ``import_zones``."""
    return False


def may_generate_checklist(user, project) -> bool:
    return has(user, GENERATE, project)


def may_generate_somewhere(user) -> bool:
    return has(user, GENERATE)


def may_import_somewhere(user) -> bool:
    return has(user, IMPORT)


def may_export_projects(user) -> bool:
    """The project list's export and its weekly dispatch table (周调度): for whoever may open
    the list, each getting the projects it sees; not for the security or audit administrator,
    who see none (and whose pages they are not)."""
    return has(user, VIEW)


def import_zones(user) -> set[int] | None:
    """The zones whose rows ``user`` may import (None: every zone, for an administrator or a
    command run without a person: whoever runs manage.py already holds the database)."""
    if user is None or is_administrator(user):
        return None
    return zone_ids(user, IMPORT)


def may_edit_item(user, item) -> bool:
    return has(user, EDIT_ITEM, item)


def may_work_item(user, item) -> bool:
    """Change an item's status or mode (the officer's daily work on the checklist)."""
    return has(user, WORK_ITEM, item)


#: The roles that let a person be a project's officer (or an item's 经办人) or its leader, in
#: the zone where the role is held.
PEOPLE_ROLES = {"officer": CASEWORK_ROLES, "leader": (Role.LEADER,)}


def may_be(user, kind: str, zone_id: int) -> bool:
    """The rule of who may fill a project's ``kind`` ("officer", "leader") in a zone, for one
    person: an active person (no administrator: its zone roles count for nothing) holding one
    of ``PEOPLE_ROLES[kind]`` there. ``people_roles`` is the same rule as a query."""
    return any(z == zone_id and role in PEOPLE_ROLES[kind] for z, role in _zone_roles(user))


def people_roles(kind: str, zone_ids_: set[int] | None = None) -> QuerySet:
    """``may_be`` as a query: the zone roles (None: of every zone) that let their holder fill a
    project's ``kind`` there. The role and the zone are one condition on one row: a leader
    here who is an officer elsewhere is no officer here. Imports read people through it."""
    held = ZoneRole.objects.filter(role__in=PEOPLE_ROLES[kind], user__is_active=True).exclude(
        user__in=Administrator.objects.values("user_id")
    )
    return held if zone_ids_ is None else held.filter(zone_id__in=zone_ids_)


def is_supervisor(user, zone_id: int) -> bool:
    """Whether ``user`` supervises the zone: an active person (no administrator) holding the
    supervisor's role there. Who follows a project without an officer
    (``approvals.cases.followers``) reads it; ``supervisor_roles`` is the same rule as a query."""
    return (zone_id, Role.SUPERVISOR) in _zone_roles(user)


def supervises_somewhere(user) -> bool:
    """Whether ``user`` supervises any zone (``is_supervisor`` somewhere)."""
    return any(role == Role.SUPERVISOR for _zone, role in _zone_roles(user))


def supervisor_roles(zone_ids_: set[int] | None = None) -> QuerySet:
    """``is_supervisor`` as a query: the supervisors' zone roles (None: of every zone)."""
    held = ZoneRole.objects.filter(role=Role.SUPERVISOR, user__is_active=True).exclude(
        user__in=Administrator.objects.values("user_id")
    )
    return held if zone_ids_ is None else held.filter(zone_id__in=zone_ids_)


def _people_holding(zone_ids_: set[int] | None, kind: str) -> QuerySet:
    held = people_roles(kind, zone_ids_)
    return get_user_model().objects.filter(pk__in=held.values("user_id"))


def officer_choices(zone_ids_: set[int] | None) -> QuerySet:
    """Who may be a project's officer or an item's 经办人: officers and supervisors there."""
    return _people_holding(zone_ids_, "officer")


def leader_choices(zone_ids_: set[int] | None) -> QuerySet:
    return _people_holding(zone_ids_, "leader")


def choice_zones(user, project=None) -> set[int] | None:
    """The zones whose people are offered on a form: the project's own zone, or, for a new
    project, the zones where ``user`` does casework (None: every zone, for administrators)."""
    if project is not None and project.zone_id is not None:
        return {project.zone_id}
    if is_administrator(user):
        return None
    return zone_ids(user, EDIT)


def may_see_figures(user) -> bool:
    """The dashboard and the reports page: the system administrator and anyone with a role in
    a zone (each sees the figures of what it sees: its zones, or the projects it follows)."""
    return is_system_administrator(user) or bool(_zone_roles(user))
