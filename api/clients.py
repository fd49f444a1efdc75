"""A client system's account and the zones it reaches: the account holds the client's platform
role (``Role.PLATFORM_READ`` or ``PLATFORM_WRITE``) in each zone of its scope — its zones, every
zone of its cities, or every zone — kept in step here when the client is saved or a zone is
added. The rules (``approvals.access.permissions``) then scope it as they scope a person."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from api.models import Access, Client
from zones.models import PLATFORM_ROLES, Role, Zone, ZoneRole


def role_of(client: Client) -> str:
    return Role.PLATFORM_WRITE if client.access == Access.READ_WRITE else Role.PLATFORM_READ


def zone_ids(client: Client) -> set[int]:
    """The zones of the client's scope, read now (a city's new zone is in)."""
    if client.whole_province:
        return set(Zone.objects.values_list("pk", flat=True))
    ids = set(client.zones.values_list("pk", flat=True)) if client.pk else set()
    cities = client.city_names()
    if cities:
        ids |= set(Zone.objects.filter(city__in=cities).values_list("pk", flat=True))
    return ids


def new_account(name: str):
    """The account a new client acts through: no password (it never logs in to the desk), no
    staff flag (its roles are no person's: ``permissions.holds_a_role``)."""
    User = get_user_model()
    account = User(username=f"platform-{secrets.token_hex(6)}", first_name=name[:150])
    account.set_unusable_password()
    account.save()
    return account


@transaction.atomic
def sync_roles(client: Client) -> None:
    """Give the client's account its role in exactly the zones of its scope."""
    wanted = {(zone, role_of(client)) for zone in zone_ids(client)}
    held = set(
        ZoneRole.objects.filter(user=client.account, role__in=PLATFORM_ROLES).values_list(
            "zone_id", "role"
        )
    )
    for zone, role in held - wanted:
        ZoneRole.objects.filter(user=client.account, zone_id=zone, role=role).delete()
    ZoneRole.objects.bulk_create(
        [ZoneRole(user=client.account, zone_id=zone, role=role) for zone, role in wanted - held]
    )
    # The account's cached roles (a request's user object) are read again on its next use.
    for attribute in ("_zone_roles_cache", "_every_zone_cache"):
        client.account.__dict__.pop(attribute, None)


def sync_zone(zone: Zone) -> None:
    """A zone added (or moved to another city) joins the scopes that name it."""
    for client in Client.objects.select_related("account"):
        sync_roles(client)
