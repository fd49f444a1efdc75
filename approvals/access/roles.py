"""Who holds which role, and where: the names of the permissions, the administrators' roles
and the zone roles a person holds, the roles it holds *for a project*, and the zones they reach.

A person holds roles per zone (``zones.roles`` lists what each role may do); a city role
(``zones.models.CityRole``: the city supervisor) is held in every zone of its city, those added
later too, and counts everywhere below as that role held in each of them. Its roles *for a
project* are the zone-wide roles (officer, supervisor, statistician, city supervisor) it holds
in the project's zone, plus the leader's when it follows the project (包联领导) and holds a
leader's role somewhere. A row of a
project (an approval item, a stage request, a record) follows its project. An administrator
holds no zone role: any it is given counts for nothing (``approvals.access.administrators``).

Part of the one home of the access rules; callers ask ``approvals.access.permissions``. The
underscored helpers here are for the modules of this package only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import CharField, Q, QuerySet, Value

from zones.models import PLATFORM_ROLES, Administrator, AdminRole, CityRole, Role, Zone, ZoneRole
from zones.roles import ADMINISTRATOR_PERMISSIONS, ROLE_PERMISSIONS, ZONE_WIDE_ROLES

VIEW = "approvals.view_project"
EDIT = "approvals.change_project"
REQUEST = "approvals.request_stage_change"
DECIDE = "approvals.decide_stagerequest"
GENERATE = "approvals.add_approvalitem"
EDIT_ITEM = "approvals.change_approvalitem"
WORK_ITEM = "approvals.change_item_status"
IMPORT = "approvals.import_spreadsheets"
WORK_PROBLEM = "approvals.change_problem"
CLOSE_PROBLEM = "approvals.close_problem"
#: Shared by every zone: what a role may do with them holds wherever the role is held.
REFERENCE_DATA = frozenset({"approvals.ApprovalType", "approvals.CalendarDay"})


def _project_model():
    """The Project model, from the app registry: the models call these rules (their querysets'
    ``visible_to``, their transitions' ``permission=``), so the rules reach the models at call
    time rather than importing them (no import cycle between the two)."""
    return apps.get_model("approvals", "Project")


def _active(user) -> bool:
    return bool(user and user.is_active and not user.is_anonymous)


def is_administrator(user) -> bool:
    """The one ``is_superuser`` shortcut: the embedded demo's superuser sees and keeps
    everything. With ``SUPERUSER_POWERS`` off (DEBUG off) the flag grants nothing."""
    return _active(user) and user.is_superuser and settings.SUPERUSER_POWERS


def admin_role(user) -> str | None:
    """The administrator role ``user`` holds (an ``AdminRole`` value), or None; read once per
    user object."""
    if not _active(user):
        return None
    if not hasattr(user, "_admin_role_cache"):
        user._admin_role_cache = (
            Administrator.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
        )
    return user._admin_role_cache


def is_system_administrator(user) -> bool:
    """Sees every zone read-only and keeps the configuration (and the demo's superuser)."""
    return is_administrator(user) or admin_role(user) == AdminRole.SYSTEM


# --- who holds a role at all: who is let in (``is_staff`` follows it) ---------------------------


def holds_a_role(user) -> bool:
    """Whether ``user`` holds any role: an administrator role, a zone role or a city role (or
    is the embedded demo's superuser). Holding one is what lets a person into the desk: the
    account's ``is_staff``, which the admin's login asks, follows this rule (approvals/signals.py
    keeps it in step when a role is granted or removed). Read from the database, not from the
    caches of a request's user: it is asked right after a role changed. A client system's
    roles (``PLATFORM_ROLES``, api/) let its account into the API, never into the desk."""
    if user is None or user.pk is None:
        return False
    if settings.SUPERUSER_POWERS and user.is_superuser:
        return True
    return (
        Administrator.objects.filter(user_id=user.pk).exists()
        or ZoneRole.objects.filter(user_id=user.pk).exclude(role__in=PLATFORM_ROLES).exists()
        or CityRole.objects.filter(user_id=user.pk).exists()
    )


def role_holders(users: QuerySet) -> QuerySet:
    """``holds_a_role`` as a query over users (the user list's filter, the checks)."""
    held = (
        Q(pk__in=Administrator.objects.values("user_id"))
        | Q(pk__in=ZoneRole.objects.exclude(role__in=PLATFORM_ROLES).values("user_id"))
        | Q(pk__in=CityRole.objects.values("user_id"))
    )
    if settings.SUPERUSER_POWERS:
        held |= Q(is_superuser=True)
    return users.filter(held)


def _admin_permissions(user) -> frozenset[str]:
    role = admin_role(user)
    return ADMINISTRATOR_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def _zone_roles(user) -> set[tuple[int, str]]:
    """(zone id, role) pairs, read once per user object (a request's user lives one request):
    the roles held in a zone, and each city role as held in every zone of its city. An
    administrator holds none: a role it is given counts for nothing (nobody grants itself
    casework by assigning itself a zone role)."""
    if not _active(user) or admin_role(user) is not None:
        return set()
    if not hasattr(user, "_zone_roles_cache"):
        held = ZoneRole.objects.filter(user=user).order_by().values_list("zone_id", "role")
        # One query for all three: the zones of the cities where it is a city supervisor (the
        # one kind of city role), each paired with that role; and every zone, paired with no
        # role (``every_zone``: whoever holds a role in each sees without a filter).
        cities = CityRole.objects.filter(user=user, role=Role.CITY_SUPERVISOR).values("city")
        supervised = (
            Zone.objects.filter(city__in=cities)
            .order_by()
            .annotate(held=Value(Role.CITY_SUPERVISOR.value, output_field=CharField()))
            .values_list("pk", "held")
        )
        existing = (
            Zone.objects.order_by()
            .annotate(held=Value("", output_field=CharField()))
            .values_list("pk", "held")
        )
        rows = set(held.union(supervised, existing, all=True))
        user._zone_roles_cache = {(zone, role) for zone, role in rows if role}
        user._every_zone_cache = frozenset(zone for zone, role in rows if not role)
    return user._zone_roles_cache


def every_zone(user) -> frozenset[int]:
    """The ids of every zone, read with ``user``'s zone roles (empty for whoever holds none)."""
    if not _zone_roles(user):
        return frozenset()
    return user._every_zone_cache


def leads(user) -> bool:
    """Whether ``user`` holds a leader's role (in any zone): only then do the projects it
    follows (``Project.leader``) count as its own, beside those of its zones. A leader whose
    role was taken away keeps no sight of the projects it followed."""
    return any(role == Role.LEADER for _zone, role in _zone_roles(user))


def _granting(perm: str) -> set[str]:
    return {role for role, perms in ROLE_PERMISSIONS.items() if perm in perms}


def zone_ids(user, perm: str) -> set[int]:
    """The zones where ``user`` holds a zone-wide role that grants ``perm``."""
    granting = _granting(perm) & set(ZONE_WIDE_ROLES)
    return {zone for zone, role in _zone_roles(user) if role in granting}


def project_of(obj: Any):
    """The project a row belongs to (the object itself when it is one)."""
    if hasattr(obj, "leader_id") and hasattr(obj, "zone_id"):
        return obj
    for attribute in ("project", "item", "request"):
        related = getattr(obj, attribute, None)
        if related is not None:
            return project_of(related)
    return None


def roles_for(user, project) -> set[str]:
    """The roles ``user`` holds for ``project``: zone-wide ones in its zone, and the leader's
    when it follows the project and holds a leader's role (``leads``)."""
    held = {
        role
        for zone, role in _zone_roles(user)
        if zone == project.zone_id and role in ZONE_WIDE_ROLES
    }
    if _active(user) and project.leader_id == user.pk and leads(user):
        held.add(Role.LEADER)
    return held


# --- the zones a person reaches -------------------------------------------------------------------


def zones_seen(queryset: QuerySet, user, path: str = "pk") -> QuerySet:
    """Zones (or rows of zones, through ``path``) where ``user`` holds any role (every zone for
    the system administrator, who sees every zone and keeps their roles)."""
    if is_system_administrator(user):
        return queryset
    return queryset.filter(**{f"{path}__in": {zone for zone, _ in _zone_roles(user)}})


def zones_visible(user) -> QuerySet[Zone]:
    """The zones of the projects ``user`` may see: where it holds a role, and those of the
    projects it follows as a leader (for filters by zone, without reading every project)."""
    zones = Zone.objects.all()
    if is_system_administrator(user):
        return zones
    if not _active(user):
        return zones.none()
    Project = _project_model()

    led = Project.objects.filter(leader=user).order_by().values("zone_id")
    held = {zone for zone, _ in _zone_roles(user)}
    return zones.filter(Q(pk__in=held) | Q(pk__in=led))


def casework_zones(user) -> QuerySet[Zone]:
    """Zones where ``user`` may edit cases: where it may add projects or enterprises."""
    zones = Zone.objects.all()
    return zones if is_administrator(user) else zones.filter(pk__in=zone_ids(user, EDIT))
