"""``manage.py check --deploy`` (issue 12): outside the embedded demo nobody is a Django
superuser (the flag grants nothing there, ``approvals.access.permissions``, but it is a loaded gun), and
the demo's accounts, whose names and password are published, do not exist. Both are errors, not
warnings: the deployment is not ready while either holds.

Authentication weakened by a setting (issue 17) is a warning each — the second factor off, a
password length under eight, a lockout that never comes (a limit above ten, or fifty per name,
or none at all) — so that ``./desk serve``, which refuses on any warning, does not start with
it unnoticed. Imported by ``approvals.admin.zones``, which the admin loads at start-up."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_password_validators,
)
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

from accounts.demo_accounts import demo_usernames


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


#: The least a password may be (GB/T 22239 level 3 practice: eight characters of mixed kinds).
SHORTEST_PASSWORD = 8
#: The most wrong passwords for a name from one address, and from any, before a lockout.
MOST_FAILURES, MOST_FAILURES_PER_NAME = 10, 50


@register(Tags.security, deploy=True)
def second_factor_required(app_configs=None, **kwargs) -> list[Warning]:
    if settings.REQUIRE_2FA:
        return []
    return [
        Warning(
            "The second factor is off (REQUIRE_2FA=0): supervisors and administrators log in "
            "with a password alone.",
            hint="Remove REQUIRE_2FA from the environment (it is on with DEBUG off) or set it to 1.",
            id="projectdesk.W122",
        )
    ]


@register(Tags.security, deploy=True)
def passwords_long_enough(app_configs=None, **kwargs) -> list[Warning]:
    # The rule in force, as every password form asks it: not the setting it was made from.
    lengths = [
        validator.min_length
        for validator in get_password_validators(settings.AUTH_PASSWORD_VALIDATORS)
        if isinstance(validator, MinimumLengthValidator)
    ]
    shortest = max(lengths, default=0)
    if shortest >= SHORTEST_PASSWORD:
        return []
    least = "any length" if not shortest else f"{shortest} character" + "s" * (shortest > 1)
    return [
        Warning(
            f"Passwords of {least} are accepted (PASSWORD_MIN_LENGTH="
            f"{settings.PASSWORD_MIN_LENGTH}).",
            hint=f"Set PASSWORD_MIN_LENGTH to {SHORTEST_PASSWORD} or more (the default is 10).",
            id="projectdesk.W123",
        )
    ]


@register(Tags.security, deploy=True)
def lockout_on(app_configs=None, **kwargs) -> list[Warning]:
    if not getattr(settings, "AXES_ENABLED", True):
        weak = "the lockout after wrong passwords is off (AXES_ENABLED=False)"
    elif settings.LOGIN_FAILURE_LIMIT > MOST_FAILURES:
        weak = (
            f"a name is locked out only after {settings.LOGIN_FAILURE_LIMIT} wrong passwords "
            f"from one address (LOGIN_FAILURE_LIMIT, at most {MOST_FAILURES})"
        )
    elif settings.LOGIN_FAILURE_LIMIT_PER_NAME > MOST_FAILURES_PER_NAME:
        weak = (
            f"a name is locked out only after {settings.LOGIN_FAILURE_LIMIT_PER_NAME} wrong "
            "passwords from any addresses (LOGIN_FAILURE_LIMIT_PER_NAME, at most "
            f"{MOST_FAILURES_PER_NAME})"
        )
    else:
        return []
    return [
        Warning(
            f"Passwords can be guessed: {weak}.",
            hint="The defaults are 5 from one address and 20 from any (README, Settings).",
            id="projectdesk.W124",
        )
    ]
