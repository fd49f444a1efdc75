"""What a person may do on an object (``granted``, ``has``) and the same rule as a query
(``scope``), side by side; and the rules of enterprises, which ``granted`` answers for an
enterprise and which read the projects ``scope`` gives (so they live here, beside it).

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value

from approvals.access.roles import (
    EDIT,
    REFERENCE_DATA,
    VIEW,
    _active,
    _admin_permissions,
    _project_model,
    _zone_roles,
    every_zone,
    is_administrator,
    leads,
    project_of,
    roles_for,
    zone_ids,
)
from zones.models import Enterprise, Role, Zone
from zones.roles import ROLE_PERMISSIONS


def granted(user, obj: Any = None) -> set[str]:
    """The permissions ``user`` has on ``obj``, or anywhere when ``obj`` is None."""
    if not _active(user):
        return set()
    if obj is None:
        roles = {role for _, role in _zone_roles(user)}
    elif isinstance(obj, Enterprise):
        return _enterprise_permissions(user, obj) | _admin_permissions(user)
    elif isinstance(obj, Zone):
        roles = {role for zone, role in _zone_roles(user) if zone == obj.pk}
    elif (project := project_of(obj)) is not None:
        roles = roles_for(user, project)
    elif hasattr(obj, "zone_id"):  # a row of a zone (a role held there)
        roles = {role for zone, role in _zone_roles(user) if zone == obj.zone_id}
    elif obj._meta.label in REFERENCE_DATA:
        roles = {role for _, role in _zone_roles(user)}
    else:  # anything else belongs to nobody's zone: administrators only
        roles = set()
    perms: set[str] = set(_admin_permissions(user))
    for role in roles:
        perms |= ROLE_PERMISSIONS[role]
    return perms


def has(user, perm: str, obj: Any = None) -> bool:
    return is_administrator(user) or perm in granted(user, obj)


def scope(queryset: QuerySet, user, perm: str = VIEW, path: str = "") -> QuerySet:
    """``queryset`` narrowed to the rows whose project grants ``user`` ``perm``; ``path`` leads
    from the row to its project (``"project__"`` for an item, ``""`` for a project).

    Written for PostgreSQL at 100,000 projects (benchmarks/visibility.py): a condition on the
    project's zone, which the planner reads through the zone's index or joins row by row to
    the few rows a page shows. The union of ids is left to the one person who needs it: a
    leader who also holds a zone-wide role (its followed projects may lie outside its zones).
    As a union for everyone, every list read all 100,000 projects to build the set of ids
    (the stage requests' list 105 ms → 1.9 ms, the problems' 88 → 10 ms)."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return queryset
    if not _active(user):
        return queryset.none()
    zones = zone_ids(user, perm)
    follows = perm in ROLE_PERMISSIONS[Role.LEADER] and leads(user)
    if not follows:
        if zones and zones >= every_zone(user):  # a project without a zone is nobody's
            return queryset.filter(**{f"{path}zone_id__isnull": False})
        return queryset.filter(**{f"{path}zone_id__in": zones})
    if not zones:
        return queryset.filter(**{f"{path}leader": user})
    # The zones' projects and the projects it follows, as one set of ids read by two indexes
    # (zone, leader). Written as "zone IN (…) OR leader = …" the condition is no index's, and
    # PostgreSQL read every project, or every item joined to its project, to test it.
    Project = _project_model()

    projects = Project.objects.order_by()
    followed = projects.filter(leader=user).values("pk")
    ids = projects.filter(zone_id__in=zones).values("pk").union(followed)
    return queryset.filter(**{f"{path}pk__in": ids})


def zones_seen_whole(user, perm: str = VIEW) -> set[int] | None:
    """The zones whose every project ``scope`` gives ``user`` (None: every zone): its zone-wide
    roles' zones, not those where it only follows projects as a leader. Figures kept per zone
    are composed for these; the rest of what it sees is counted over its own projects."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return None
    if not _active(user):
        return set()
    return zone_ids(user, perm)


def sees_whole_zones(user, perm: str = VIEW) -> bool:
    """Whether ``scope`` gives ``user`` exactly the projects of ``zones_seen_whole`` (every
    project, those of no zone too, for an administrator): false for a leader, whose followed
    projects count beside its zones'. Figures kept per zone serve such a person as they are."""
    if is_administrator(user) or perm in _admin_permissions(user) or not _active(user):
        return True
    return not (perm in ROLE_PERMISSIONS[Role.LEADER] and leads(user))


def scope_key(user, perm: str = VIEW) -> str:
    """A name for the rows ``scope()`` gives ``user``: equal keys, equal rows (for a cache of
    figures over them). Administrators share one, and so do those who see the same zones and
    follow no project as a leader; a leader's key is its own, with its zones, so that a change
    of role changes it."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return "all"
    if not _active(user):
        return "none"
    zones = ",".join(str(zone) for zone in sorted(zone_ids(user, perm)))
    if perm in ROLE_PERMISSIONS[Role.LEADER] and leads(user):
        return f"user{user.pk}:zones{zones}"
    return f"zones{zones}"


# --- enterprises ---------------------------------------------------------------------------
# Shared reference data (a company may invest in several zones): name and credit code are for
# all staff, so that an officer finds an existing enterprise instead of adding a duplicate;
# contacts are for those who see one of its projects; editing for those who may edit one of
# them, or, while it has none, for the zone whose officer created it (guide section 11).


def _enterprise_q(user, perm: str) -> Q:
    Project = _project_model()

    projects = scope(Project.objects.filter(enterprise=OuterRef("pk")), user, perm)
    any_project = Project.objects.filter(enterprise=OuterRef("pk"))
    return Q(Exists(projects)) | (
        ~Q(Exists(any_project)) & Q(created_in_zone__in=zone_ids(user, perm))
    )


def enterprises(queryset: QuerySet, user, perm: str = VIEW) -> QuerySet:
    """Enterprises whose details ``user`` may see (``VIEW``) or edit (``EDIT``)."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return queryset
    if not _active(user):
        return queryset.none()
    return queryset.filter(_enterprise_q(user, perm))


def with_contacts_visible(queryset: QuerySet, user) -> QuerySet:
    """Annotates ``contacts_visible``: whether ``user`` may read the row's contact details."""
    if is_administrator(user) or VIEW in _admin_permissions(user):
        return queryset.annotate(contacts_visible=Value(True, output_field=BooleanField()))
    if not _active(user):
        return queryset.annotate(contacts_visible=Value(False, output_field=BooleanField()))
    return queryset.annotate(contacts_visible=_enterprise_q(user, VIEW))


# An investor's personal link (the investor's page, portal/, issue 22) shows the enterprise every
# one of its projects: it is made and revoked only by someone who may edit one of them — not by
# the zone that merely added the enterprise, nor by a reader (a leader, a statistician, the
# system administrator). The rule for one enterprise and as a query, side by side.


def may_link_investor(user, enterprise) -> bool:
    """Whether ``user`` may make or revoke the investor links of ``enterprise``: it may edit
    one of the enterprise's projects (``has``, project by project; an enterprise has few)."""
    if is_administrator(user):
        return True
    if not _active(user) or not zone_ids(user, EDIT):
        return False
    projects = _project_model().objects.filter(enterprise_id=enterprise.pk)
    return any(has(user, EDIT, project) for project in projects.only("pk", "zone", "leader"))


def investor_linkable(queryset: QuerySet, user, path: str = "") -> QuerySet:
    """``may_link_investor`` as a query: the enterprises (or rows of them, through ``path``,
    e.g. ``"enterprise__"``) one of whose projects ``user`` may edit."""
    if is_administrator(user):
        return queryset
    if not _active(user) or not zone_ids(user, EDIT):
        return queryset.none()
    Project = _project_model()

    editable = scope(Project.objects.order_by(), user, EDIT).exclude(enterprise=None)
    return queryset.filter(**{f"{path}pk__in": editable.values("enterprise_id")})


def may_link_investors_somewhere(user) -> bool:
    """Whether ``user`` may make investor links at all (the sidebar's link to them)."""
    return is_administrator(user) or bool(_active(user) and zone_ids(user, EDIT))


def _enterprise_permissions(user, enterprise) -> set[str]:
    one = Enterprise.objects.filter(pk=enterprise.pk)
    perms = set()
    if enterprises(one, user, VIEW).exists():
        perms.add("zones.view_enterprise")
    if enterprises(one, user, EDIT).exists():
        perms.add("zones.change_enterprise")
    return perms
