"""Identification and authentication (身份鉴别, issue 12): the rules, in one place.

- **Passwords** are checked by ``settings.AUTH_PASSWORD_VALIDATORS`` (``accounts.validators``) and
  live ``PASSWORD_MAX_AGE_DAYS``: the owner of an older one opens nothing but the password
  change page (``accounts.middleware``).
- **Lockout** (django-axes): failures are counted per (user name, source address) and, with a
  higher limit, per user name from any address (guide section 11). Axes counts both groups
  (``AXES_LOCKOUT_PARAMETERS``) but compares the larger with a single limit, and a callable
  ``AXES_FAILURE_LIMIT`` sees the request, not the group: so :class:`LockoutHandler` hands
  axes the count of whichever limit binds first. Unknown names are counted, refused and
  answered exactly like known ones; Django's ``ModelBackend`` runs the password hasher for an
  unknown name too, so the answer takes as long.
- **Sessions** end after ``SESSION_IDLE_MINUTES`` idle (each request renews the expiry:
  ``SESSION_SAVE_EVERY_REQUEST``), and an account holds one: a login records its session as
  the account's current one, and a request of any older session is logged out.
- **Second factor** (TOTP, django-otp): with ``REQUIRE_2FA`` on, supervisors and administrators
  enrol an authenticator app after their password and enter its code at every login; until
  then no page opens.
- **The client's address** (:func:`client_address`) is the one the outermost of our
  ``TRUSTED_PROXY`` proxies saw: the lockout (``AXES_CLIENT_IP_CALLABLE``) and the audit log
  both read it here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_logged_in
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.access import permissions
from zones.models import AccountSecurity

# --- the client's address ----------------------------------------------------------------------


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from, as the outermost of our proxies saw it.

    Behind ``TRUSTED_PROXY`` = N proxies of ours, each appends the address it received the
    request from to ``X-Forwarded-For``, after whatever the client itself wrote there: the
    entry the outermost one added is the N-th from the right, and everything left of it is the
    client's to forge. Fewer entries than proxies: the leftmost, which one of ours added. No
    header, or an entry that is no address: ``REMOTE_ADDR`` (the request did not come through
    the proxies, or they are misconfigured; either way that peer is what we know). Without
    trusted proxies the header is ignored. None only when ``REMOTE_ADDR`` is no address either.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR", "")
    raw = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    proxies = settings.TRUSTED_PROXY
    if proxies and forwarded.strip():
        entries = [entry.strip() for entry in forwarded.split(",")]
        raw = entries[-proxies] if len(entries) >= proxies else entries[0]
    for candidate in (raw, remote):
        try:
            return str(ipaddress.ip_address(candidate.strip()))
        except ValueError:
            continue
    return None


# --- passwords ---------------------------------------------------------------------------------


def account_security(user) -> AccountSecurity | None:
    """The account's row, read once per user object (a request's user lives one request)."""
    if not hasattr(user, "_account_security_cache"):
        user._account_security_cache = AccountSecurity.objects.filter(user_id=user.pk).first()
    return user._account_security_cache


def record_password_change(user, at: dt.datetime | None = None) -> None:
    at = at or timezone.now()
    AccountSecurity.objects.update_or_create(user_id=user.pk, defaults={"password_changed_at": at})
    user.__dict__.pop("_account_security_cache", None)


def password_expired(user, now: dt.datetime | None = None) -> bool:
    """Whether ``user``'s password is older than ``PASSWORD_MAX_AGE_DAYS``. An account whose
    password was set before the date was recorded counts from the day it joined: never later
    than the truth."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days or not user.has_usable_password():
        return False
    record = account_security(user)
    changed = record.password_changed_at if record and record.password_changed_at else None
    changed = changed or user.date_joined
    return changed < (now or timezone.now()) - dt.timedelta(days=days)


# --- sessions ----------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="accounts.security.record_login")
def record_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """The session of this login becomes the account's current one (Django has given it a new
    key already): every older session of the account ends at its next request."""
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        # Logging in over another person's session flushes it and leaves the key to be made
        # when the session is saved, after this signal: make it now, to record it.
        session.save()
    AccountSecurity.objects.update_or_create(
        user_id=user.pk, defaults={"session_key": session.session_key}
    )
    user.__dict__.pop("_account_security_cache", None)


def ended_by_newer_login(request: HttpRequest) -> bool:
    """Whether the request's session is not its account's current one. An account with no
    session recorded (none since this rule came in) keeps the one it has."""
    record = account_security(request.user)
    current = record.session_key if record else ""
    return bool(current) and current != request.session.session_key


def follow_new_session_key(user, old_key: str | None, new_key: str | None) -> None:
    """The current session got a new key without a login (a password change cycles it, so
    that a stolen cookie of the old key stops working): the record follows it. Conditional,
    so that a login elsewhere meanwhile is not overwritten."""
    if old_key and new_key and old_key != new_key:
        AccountSecurity.objects.filter(user_id=user.pk, session_key=old_key).update(
            session_key=new_key
        )


# --- second factor -----------------------------------------------------------------------------


def needs_second_factor(user) -> bool:
    """Supervisors (in any zone) and administrators (superusers and the three administrator
    roles) prove a second factor when ``REQUIRE_2FA`` is on."""
    if not settings.REQUIRE_2FA or not user.is_authenticated:
        return False
    return permissions.holds_a_second_factor_role(user)


# --- lockout -----------------------------------------------------------------------------------


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with the two limits of guide section 11.

    Axes locks when ``get_failures() >= AXES_FAILURE_LIMIT`` (``LOGIN_FAILURE_LIMIT``), at
    the failure that reaches it (the answer is the lockout page) and at every later attempt
    (refused before the password is checked). The count given is the (name, address) pair's,
    raised to that limit once the name's failures from every address reach
    ``LOGIN_FAILURE_LIMIT_PER_NAME``.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # One queryset per group of AXES_LOCKOUT_PARAMETERS: (name, address), then the name.
        from_here, from_anywhere = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if from_anywhere >= settings.LOGIN_FAILURE_LIMIT_PER_NAME:
            return max(from_here, settings.LOGIN_FAILURE_LIMIT)
        return from_here


def failure_limit(request=None, credentials=None) -> int:
    """Axes' ``AXES_FAILURE_LIMIT``: the (name, address) limit, read when asked."""
    return settings.LOGIN_FAILURE_LIMIT


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The lockout page: the same for every name, known or not, and naming none."""
    context = {
        **admin.site.each_context(request),
        "title": _("Login refused"),
        "minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "admin/security/locked_out.html", context, status=429)


def with_failure_counts(attempts: QuerySet[AccessAttempt]) -> QuerySet[AccessAttempt]:
    """Each attempt row with the failures still counted against its (name, address) pair and
    against its name from every address (``pair_failures``, ``name_failures``)."""
    counted = AccessAttempt.objects.order_by()
    if settings.AXES_COOLOFF_TIME:
        since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        counted = counted.filter(attempt_time__gte=since)

    def total(**match) -> Subquery:
        rows = counted.filter(**match).values("username").annotate(n=Sum("failures_since_start"))
        return Subquery(rows.values("n")[:1])

    return attempts.annotate(
        pair_failures=total(username=OuterRef("username"), ip_address=OuterRef("ip_address")),
        name_failures=total(username=OuterRef("username")),
    )


def is_locked(attempt: AccessAttempt) -> bool:
    """Whether the name of an attempt of :func:`with_failure_counts` is locked out now."""
    return (attempt.pair_failures or 0) >= settings.LOGIN_FAILURE_LIMIT or (
        attempt.name_failures or 0
    ) >= settings.LOGIN_FAILURE_LIMIT_PER_NAME


def lift_lockout(username: str) -> int:
    """Forget the failures of ``username`` from every address; returns how many rows went."""
    from axes.utils import reset

    return reset(username=username)
