"""Issuing, revoking and checking API tokens.

A token reads ``pd_<prefix>_<secret>``: the prefix finds its row, the secret's SHA-256 is what
is kept (shown once, never stored). A client's token is bound to the client's scope; a person's
own token acts with the person's roles, and the people's rules hold for it: a person who must
prove a second factor issues it only from a session that proved one, and it lapses when unused
for ``API_PERSONAL_TOKEN_IDLE_DAYS``. A client's token knows no second factor and no idle time
(the issue: a platform calls at night and at weekends), only its expiry and revocation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import security
from api.models import Client, Token
from approvals.access import permissions
from approvals.audit import services as audit
from approvals.models import AuditKind

PREFIX = "pd_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: Token
    text: str  # the whole token, shown once


def _issue(*, user, client: Client | None, name: str, days: int, by) -> Issued:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = Token.objects.create(
        client=client,
        user=user,
        name=name[:100],
        prefix=prefix,
        digest=digest(secret),
        created_by=by,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit.record(
        AuditKind.PERMISSION,
        user=by,
        obj=token,
        action="api_token_issued",
        client=client.name if client else "",
        acts_as=user.get_username(),
        expires_at=token.expires_at.isoformat(),
    )
    return Issued(token, f"{PREFIX}{prefix}_{secret}")


def issue_for_client(client: Client, *, by, name: str = "", days: int | None = None) -> Issued:
    """A token of ``client`` (issued by the system administrator, ``permissions``)."""
    if not permissions.may_keep_configuration(by):
        raise PermissionDenied(_("Only the system administrator issues tokens of client systems."))
    days = days or settings.API_CLIENT_TOKEN_DAYS
    return _issue(user=client.account, client=client, name=name, days=days, by=by)


def issue_personal(user, *, verified: bool, name: str = "", days: int | None = None) -> Issued:
    """A person's own token, acting with its roles. ``verified``: whether the session issuing
    it proved a second factor (needed where the person's roles require one)."""
    if not permissions.holds_a_role(user):
        raise PermissionDenied(_("Only people who hold a role may have a token."))
    if security.needs_second_factor(user) and not verified:
        raise PermissionDenied(_("Prove your second factor before issuing a token."))
    days = min(days or settings.API_PERSONAL_TOKEN_DAYS, settings.API_PERSONAL_TOKEN_DAYS)
    return _issue(user=user, client=None, name=name, days=days, by=user)


def revoke(token: Token, *, by) -> None:
    if token.revoked_at is not None:
        return
    own = token.client_id is None and token.user_id == by.pk
    if not (own or permissions.may_keep_configuration(by)):
        raise PermissionDenied(_("You may not revoke this token."))
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(AuditKind.PERMISSION, user=by, obj=token, action="api_token_revoked")


class Refused(Exception):
    """A token that is no token, or no longer one; the message says which, in Chinese."""


def check(text: str) -> Token:
    """The usable token ``text`` is, or ``Refused``."""
    if not text.startswith(PREFIX) or text.count("_") < 2:
        raise Refused(_("The token is not a ProjectDesk token."))
    prefix, _sep, secret = text[len(PREFIX) :].partition("_")
    token = (
        Token.objects.select_related("client", "user").filter(prefix=prefix).first()
        if prefix
        else None
    )
    if token is None or not hmac.compare_digest(token.digest, digest(secret)):
        raise Refused(_("The token is unknown."))
    now = timezone.now()
    if token.revoked_at is not None:
        raise Refused(_("The token was revoked."))
    if token.expires_at <= now:
        raise Refused(_("The token has expired."))
    if not token.user.is_active or permissions.is_demo_account_refused(token.user):
        raise Refused(_("The token's account is deactivated."))
    if token.client_id is None:
        idle = dt.timedelta(days=settings.API_PERSONAL_TOKEN_IDLE_DAYS)
        if (token.last_used_at or token.created_at) + idle <= now:
            raise Refused(_("The token was not used for too long: issue a new one."))
    # Written at most once a minute: a platform paging through 100,000 projects is no
    # stream of updates of one row.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
