"""Permissions from zone roles, checked per zone when asked about an object."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from .models import Role, Zone, ZoneRole
from .roles import ROLE_PERMISSIONS


def zone_id_of(obj: Any) -> int | None:
    """The zone an object belongs to: a zone itself, a project, or a row of a project."""
    if isinstance(obj, Zone):
        return obj.pk
    if hasattr(obj, "zone_id"):
        return obj.zone_id
    project = getattr(obj, "project", None)
    return getattr(project, "zone_id", None)


class ZoneRoleBackend(BaseBackend):
    def _roles(self, user) -> set[tuple[int, str]]:
        if not user.is_active or user.is_anonymous:
            return set()
        if not hasattr(user, "_zone_roles_cache"):
            user._zone_roles_cache = set(
                ZoneRole.objects.filter(user=user).values_list("zone_id", "role")
            )
        return user._zone_roles_cache

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        roles = self._roles(user_obj)
        if obj is None:
            held = {role for _, role in roles}
        else:
            zone_id = zone_id_of(obj)
            held = {role for zone, role in roles if zone == zone_id}
            project = obj if hasattr(obj, "leader_id") else getattr(obj, "project", None)
            if project is not None and getattr(project, "leader_id", None) == user_obj.pk:
                held.add(Role.LEADER)
        perms: set[str] = set()
        for role in held:
            perms |= ROLE_PERMISSIONS[role]
        return perms

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in self.get_group_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        prefix = f"{app_label}."
        return any(p.startswith(prefix) for p in self.get_group_permissions(user_obj))
