"""Who reads the 督办通报 (issue 23): a zone's bulletin is for those who hold a leader's, a
supervisor's or a statistician's role in the zone (a city supervisor in each zone of its city),
and for the system administrator; a city's bulletin names every zone's late projects, so it is
for whoever reads the bulletins of every zone of the city. Asking for one now is for the same
people. The object form and the query form side by side.

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from approvals.access.roles import _active, _zone_roles, is_system_administrator
from zones.models import Role, Zone

#: The roles a bulletin is written for (an officer reads its own lists and reminders).
BULLETIN_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR, Role.STATISTICIAN, Role.CITY_SUPERVISOR})


def bulletin_zones(user) -> set[int] | None:
    """The zones whose bulletins ``user`` reads (None: every zone)."""
    if is_system_administrator(user):
        return None
    if not _active(user):
        return set()
    return {zone for zone, role in _zone_roles(user) if role in BULLETIN_ROLES}


def bulletin_cities(user) -> set[str] | None:
    """The cities whose bulletins ``user`` reads: those all of whose zones it reads (None:
    every city)."""
    zones = bulletin_zones(user)
    if zones is None:
        return None
    if not zones:
        return set()
    cities: dict[str, set[int]] = {}
    for pk, city in Zone.objects.exclude(city="").values_list("pk", "city"):
        cities.setdefault(city, set()).add(pk)
    return {city for city, ids in cities.items() if ids <= zones}


def may_read_bulletin(user, *, zone_id: int | None = None, city: str = "") -> bool:
    """Whether ``user`` reads (downloads, asks for) the bulletin of a zone or of a city."""
    if zone_id is not None:
        zones = bulletin_zones(user)
        return zones is None or zone_id in zones
    cities = bulletin_cities(user)
    return bool(city) and (cities is None or city in cities)


def may_read_bulletins_somewhere(user) -> bool:
    zones = bulletin_zones(user)
    return zones is None or bool(zones)


def bulletins(queryset: QuerySet, user) -> QuerySet:
    """``may_read_bulletin`` as a query over ``Bulletin`` rows."""
    zones = bulletin_zones(user)
    if zones is None:
        return queryset
    if not zones:
        return queryset.none()
    return queryset.filter(
        Q(zone_id__in=zones) | Q(zone__isnull=True, city__in=bulletin_cities(user))
    )
