"""``manage.py check --deploy`` (issue 12): outside the embedded demo nobody is a Django
superuser (the flag grants nothing there, ``approvals.permissions``, but it is a loaded gun), and
the demo's accounts, whose names and password are published, do not exist. Both are errors, not
warnings: the deployment is not ready while either holds. Imported by ``zones.admin``, which the
admin loads at start-up."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


def _active_users():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True)


@register(Tags.security, deploy=True)
def no_superusers(app_configs=None, **kwargs) -> list[Error]:
    if settings.SUPERUSER_POWERS:  # the embedded demo (DEBUG on), and the tests' settings
        return []
    try:
        names = sorted(_active_users().filter(is_superuser=True).values_list("username", flat=True))
    except DatabaseError:  # not migrated yet: nobody exists
        return []
    if not names:
        return []
    return [
        Error(
            f"Active superusers exist: {', '.join(names)}.",
            hint=(
                "Nobody is a Django superuser in production: give each person an administrator "
                "role (manage.py grant_admin_role) and clear the flag, or deactivate the account."
            ),
            id="projectdesk.E120",
        )
    ]


@register(Tags.security, deploy=True)
def no_demo_accounts(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    from approvals.management.commands.seed_demo import demo_usernames

    try:
        names = sorted(
            _active_users().filter(username__in=demo_usernames()).values_list("username", flat=True)
        )
    except DatabaseError:
        return []
    if not names:
        return []
    return [
        Error(
            f"The demo's accounts exist and are active: {', '.join(names)}.",
            hint="Their names and password are published: deactivate or delete them.",
            id="projectdesk.E121",
        )
    ]
