"""The authentication backends named in ``AUTHENTICATION_BACKENDS``: ``AccountBackend`` checks
the password and grants nothing, ``ZoneRoleBackend`` answers Django's permission questions from
the rules of this package. Settings (and the sessions, which store the backend's path) name them
as ``approvals.access.permissions.AccountBackend`` and ``...ZoneRoleBackend``: that path keeps
working, ``permissions`` re-exports them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import BaseBackend, ModelBackend

from approvals.access.administrators import is_demo_account_refused
from approvals.access.grants import granted


class ZoneRoleBackend(BaseBackend):
    """Django's permission questions, answered by ``granted`` (the rules of this package)."""

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return granted(user_obj, obj)

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in granted(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        prefix = f"{app_label}."
        return any(p.startswith(prefix) for p in granted(user_obj))


class AccountBackend(ModelBackend):
    """Django's password check, and nothing more: it grants no permission (groups and a user's
    own permissions grant nothing; ``ZoneRoleBackend`` answers from this package's rules). The
    demo's accounts never log in with DEBUG off, and with ``SUPERUSER_POWERS`` off a superuser's
    flag is read as off, so that Django's own shortcut in ``User.has_perm`` grants nothing."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not is_demo_account_refused(user)

    def authenticate(self, request, username=None, password=None, **kwargs):
        return _flag_read(super().authenticate(request, username, password, **kwargs))

    def get_user(self, user_id):
        return _flag_read(super().get_user(user_id))

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return False

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return False


def _flag_read(user):
    if user is not None and not settings.SUPERUSER_POWERS:
        user.is_superuser = False
    return user
