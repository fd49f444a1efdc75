"""Writing the security audit log (安全审计, ``approvals.audit.models``): :func:`record`, the
request's context for signal handlers, and the handlers that record what Django and the
libraries signal (logins, failed logins, logouts, lockouts, second-factor failures, password
changes, permission and role changes, deletions). Imports, exports and decisions call
:func:`record` where they happen.

**A record and its action commit together.** :func:`record` writes in the caller's transaction
(under a savepoint): an action that rolls back leaves no record claiming it happened. When the
write itself fails, the event goes in full to the ``projectdesk.audit`` logger at ERROR (the
operators' log, which they alert on: never silently lost) and then:

- inside a transaction — every change of data: decisions, imports, role and permission changes,
  deletions, the purge — the error is raised, so that the action rolls back with it: nothing
  changes without its record;
- outside one — a login, a logout, a failed login, a download — there is nothing to roll back
  and the action goes on: the log line is its record.

**Source address**: the address our trusted proxy saw (``accounts.security.client_address``, which
the lockout reads too): ``REMOTE_ADDR``, or behind ``TRUSTED_PROXY`` the ``X-Forwarded-For``
entry our proxy added — never one the client wrote.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import reverse

from accounts.security import client_address
from accounts.signals import second_factor_throttled
from approvals.audit.models import AuditEvent, AuditKind, AuditResult
from zones.models import Administrator, CityRole, ZoneRole

logger = logging.getLogger("projectdesk.audit")
SUCCESS, FAILURE = AuditResult.SUCCESS, AuditResult.FAILURE

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
#: Who acts when no person does: a command names itself (``acting_as``).
_actor: ContextVar[str] = ContextVar("audit_actor", default="")


class AuditContextMiddleware:
    """Makes the request (its address and person) available to the signal handlers below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_request() -> HttpRequest | None:
    return _request.get()


@contextmanager
def acting_as(name: str):
    """Records written meanwhile without a person name ``name`` as their subject (a command
    run on the server: ``manage.py grant_admin_role``)."""
    token = _actor.set(name)
    try:
        yield
    finally:
        _actor.reset(token)


def _person(request: HttpRequest | None):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _object_fields(obj: Any) -> dict[str, str]:
    if obj is None:
        return {}
    if isinstance(obj, models.Model):
        return {
            "object_type": obj._meta.label,
            "object_id": "" if obj.pk is None else str(obj.pk),
            "object_repr": str(obj)[:300],
        }
    return {"object_repr": str(obj)[:300]}


def record(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    obj: Any = None,
    result: str = SUCCESS,
    **detail: Any,
) -> AuditEvent | None:
    """Write one audit record. ``request`` defaults to the current one; ``user`` to its person;
    ``username`` (as typed, kept for unknown names) to the user's; ``obj`` is a model instance or
    a text naming what was acted on; ``detail`` any further facts (JSON)."""
    request = request or current_request()
    user = user if user is not None else _person(request)
    if user is not None and not getattr(user, "pk", None):
        user = None
    event = AuditEvent(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user is not None else _actor.get()))[:150],
        result=result,
        source_address=client_address(request),
        detail=detail,
        **_object_fields(obj),
    )
    try:
        with transaction.atomic():
            event.save()
    except Exception:
        logger.exception(
            "audit record not written: kind=%s user=%s object=%s/%s %s result=%s address=%s "
            "detail=%s",
            event.kind,
            event.username,
            event.object_type,
            event.object_id,
            event.object_repr,
            event.result,
            event.source_address,
            detail,
        )
        if transaction.get_connection().in_atomic_block:
            raise
        return None
    return event


# --- logins, logouts, lockouts, second factor ------------------------------------------------


@receiver(user_logged_in, dispatch_uid="approvals.audit.services.login")
def _logged_in(sender, request, user, **kwargs) -> None:
    record(AuditKind.LOGIN, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="approvals.audit.services.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    name = str(credentials.get("username", "") or "")
    known = get_user_model().objects.filter(username=name).first() if name else None
    record(AuditKind.LOGIN_FAILED, request=request, user=known, username=name, result=FAILURE)


@receiver(user_logged_out, dispatch_uid="approvals.audit.services.logout")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record(AuditKind.LOGOUT, request=request, user=user)


def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    name = str(username or "")
    known = get_user_model().objects.filter(username=name).first() if name else None
    record(AuditKind.LOCKOUT, request=request, user=known, username=name, result=FAILURE)


def _second_factor_failed(sender, user=None, **kwargs) -> None:
    record(AuditKind.SECOND_FACTOR, user=user, result=FAILURE, reason="wrong code")


@receiver(second_factor_throttled, dispatch_uid="approvals.audit.services.otp_throttled")
def _second_factor_throttled(sender, device, **kwargs) -> None:
    record(
        AuditKind.SECOND_FACTOR, user=device.user, obj=device, result=FAILURE, reason="throttled"
    )


try:  # the lockout (django-axes) and the second factor (django-otp), when installed
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="approvals.audit.services.lockout")
except ImportError:  # pragma: no cover - without axes there is no lockout to record
    pass
try:
    from django_otp.forms import otp_verification_failed
    from django_otp.plugins.otp_totp.models import TOTPDevice

    otp_verification_failed.connect(
        _second_factor_failed, dispatch_uid="approvals.audit.services.otp"
    )

    @receiver(pre_save, sender=TOTPDevice, dispatch_uid="approvals.audit.services.totp_before")
    def _totp_before(sender, instance, **kwargs) -> None:
        before = sender.objects.filter(pk=instance.pk).values_list(
            "throttling_failure_count", flat=True
        )
        instance._audit_failures = before.first() if instance.pk else None

    @receiver(post_save, sender=TOTPDevice, dispatch_uid="approvals.audit.services.totp_after")
    def _totp_after(sender, instance, created, **kwargs) -> None:
        """A failed code raises the device's throttling count (django-otp saves it)."""
        before = getattr(instance, "_audit_failures", None)
        if before is not None and instance.throttling_failure_count > before:
            record(
                AuditKind.SECOND_FACTOR,
                user=instance.user,
                obj=instance,
                result=FAILURE,
                failures=instance.throttling_failure_count,
            )
except ImportError:  # pragma: no cover
    pass


# --- passwords, accounts' flags, groups and permissions ----------------------------------------

_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(
    pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="approvals.audit.services.user_before"
)
def _user_before(sender, instance, update_fields=None, **kwargs) -> None:
    watched = {"password", *_FLAGS}
    if instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        instance._audit_before = None
        return
    instance._audit_before = (
        sender.objects.filter(pk=instance.pk).values("password", *_FLAGS).first()
    )


@receiver(
    post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="approvals.audit.services.user_after"
)
def _user_after(sender, instance, created, **kwargs) -> None:
    if created:
        record(AuditKind.PERMISSION, obj=instance, action="account created")
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    if not before:
        return
    if before["password"] != instance.password:
        record(AuditKind.PASSWORD, obj=instance)
    changed = {
        f: [before[f], getattr(instance, f)] for f in _FLAGS if before[f] != getattr(instance, f)
    }
    if changed:
        # Why, when the desk changed it itself: is_staff follows the roles (approvals/signals.py).
        reason = instance.__dict__.pop("_audit_reason", None)
        record(
            AuditKind.PERMISSION,
            obj=instance,
            changed=changed,
            **({"reason": reason} if reason else {}),
        )


def _members_changed(field: str):
    def handler(sender, instance, action, model, pk_set, reverse, **kwargs) -> None:
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        if reverse:  # from the group's or permission's side: name the users
            users = get_user_model().objects.filter(pk__in=pk_set or ())
            for user in users:
                record(AuditKind.PERMISSION, obj=user, **{field: action[5:], "of": str(instance)})
            return
        names = [str(o) for o in model.objects.filter(pk__in=pk_set or ())]
        record(AuditKind.PERMISSION, obj=instance, **{field: action[5:], "names": names})

    return handler


_groups = _members_changed("groups")
_own_permissions = _members_changed("user_permissions")
m2m_changed.connect(
    _groups, sender=get_user_model().groups.through, dispatch_uid="approvals.audit.services.groups"
)
m2m_changed.connect(
    _own_permissions,
    sender=get_user_model().user_permissions.through,
    dispatch_uid="approvals.audit.services.user_permissions",
)


# --- zone roles and administrator roles ----------------------------------------------------


def _role_facts(instance) -> dict[str, Any]:
    facts = {"holder": str(instance.user), "role": instance.role}
    if isinstance(instance, ZoneRole):
        facts["zone"] = str(instance.zone)
    if isinstance(instance, CityRole):
        facts["city"] = instance.city
    return facts


def _role_before(sender, instance, **kwargs) -> None:
    old = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = _role_facts(old) if old is not None else None


def _role_saved(sender, instance, created, **kwargs) -> None:
    now = _role_facts(instance)
    if created:
        record(AuditKind.PERMISSION, obj=instance, action="granted", **now)
    elif getattr(instance, "_audit_before", None) != now:
        record(
            AuditKind.PERMISSION,
            obj=instance,
            action="changed",
            before=instance._audit_before,
            **now,
        )


def _role_deleted(sender, instance, **kwargs) -> None:
    record(AuditKind.PERMISSION, obj=instance, action="revoked", **_role_facts(instance))


_ROLES = (ZoneRole, CityRole, Administrator)

for _model in _ROLES:
    _uid = f"approvals.audit.services.{_model.__name__}"
    pre_save.connect(_role_before, sender=_model, dispatch_uid=f"{_uid}.before")
    post_save.connect(_role_saved, sender=_model, dispatch_uid=f"{_uid}.saved")
    post_delete.connect(_role_deleted, sender=_model, dispatch_uid=f"{_uid}.deleted")


# --- deletions by people ---------------------------------------------------------------------

#: Deletions recorded: of the desk's own rows and accounts, when a person deletes them through
#: the application (a request is under way) or a command run on the server names itself
#: (``acting_as``: ``manage.py reset_second_factor``). Connected per model, so that the log's own rows
#: (purged by ``manage.py purge_audit``, which records itself) and the history tables keep
#: Django's one-statement delete; roles are recorded as revoked above.
_DELETION_APPS = ("approvals", "zones", "auth")


def _deleted(sender, instance, **kwargs) -> None:
    request = current_request()
    if request is None and not _actor.get():  # neither a person nor a command that says so
        return
    if sender._meta.label == "axes.AccessAttempt":
        # A successful login forgets its own failures (AXES_RESET_ON_SUCCESS): no unlock.
        if request is None or request.path != reverse("admin:login"):
            record(AuditKind.UNLOCK, obj=instance, of=instance.username)
    elif sender._meta.label == "otp_totp.TOTPDevice":
        record(AuditKind.SECOND_FACTOR, obj=instance, action="reset", of=str(instance.user))
    else:
        record(AuditKind.DELETION, obj=instance)


def _deletions_recorded():
    from django.apps import apps

    for label in _DELETION_APPS:
        for model in apps.get_app_config(label).get_models():
            if model not in (AuditEvent, *_ROLES) and not model.__name__.startswith("Historical"):
                yield model
    for label, name in (("axes", "AccessAttempt"), ("otp_totp", "TOTPDevice")):
        try:
            yield apps.get_model(label, name)
        except LookupError:
            continue


for _model in _deletions_recorded():
    post_delete.connect(
        _deleted,
        sender=_model,
        dispatch_uid=f"approvals.audit.services.deleted.{_model._meta.label}",
    )
