"""Making, revoking and opening investors' links (issue 22), the one door for each.

A link is a random token of 192 bits (``secrets.token_urlsafe``) in the page's address; the
desk keeps its SHA-256 digest only, so the token is shown once — as a QR code and as text, when
the officer makes it — and a copy of the database opens no page. A slow hash is not needed: the
token is random, not a password someone chose. Making and revoking ask the one home of the
rules (``permissions.may_link_investor``: someone who may edit one of the enterprise's
projects) and are written in the security audit log; so is every visit, refused ones too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.demo_accounts import DEMO_INVESTOR_TOKEN
from approvals.access import permissions
from approvals.audit import services as audit
from approvals.models import AuditKind, AuditResult
from portal.models import LINK_DAYS, InvestorLink, LinkState, normalise_phone
from zones.models import Enterprise


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class MadeLink:
    """A link just made, with its token: the only moment the token exists outside the page's
    address."""

    link: InvestorLink
    token: str


def _refuse_unless_allowed(by, enterprise: Enterprise) -> None:
    if not permissions.may_link_investor(by, enterprise):
        raise PermissionDenied(
            _(
                "Only someone who may edit one of the enterprise's projects makes or revokes its links."
            )
        )


def investor_link_make(
    *, enterprise: Enterprise, contact_name: str, contact_phone: str, by
) -> MadeLink:
    """A new link for a contact of the enterprise, valid for ``LINK_DAYS`` days; the contact's
    live link, if any, ends as replaced (one per contact: name and phone)."""
    _refuse_unless_allowed(by, enterprise)
    name, phone = (contact_name or "").strip(), normalise_phone(contact_phone)
    if not name or not phone:
        raise ValidationError(_("Give the contact's name and phone."))
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    with transaction.atomic():
        replaced = list(
            InvestorLink.objects.select_for_update().filter(
                enterprise=enterprise, contact_phone=phone, ended_at__isnull=True
            )
        )
        for old in replaced:
            old.ended_at, old.ended_by, old.end = now, by, LinkState.REPLACED
            old.save(update_fields=["ended_at", "ended_by", "end"])
            audit.record(
                AuditKind.INVESTOR_LINK,
                user=by,
                obj=old,
                action="link replaced",
                enterprise=enterprise.name,
                contact=old.contact_name,
            )
        link = InvestorLink(
            enterprise=enterprise,
            contact_name=name,
            contact_phone=phone,
            token_digest=digest(token),
            created_by=by,
            created_at=now,
            expires_at=now + dt.timedelta(days=LINK_DAYS),
        )
        try:
            with transaction.atomic():
                link.save()
        except IntegrityError as clash:  # another officer made one for the contact meanwhile
            raise ValidationError(
                _("A link for this contact was made a moment ago: reload the page.")
            ) from clash
        audit.record(
            AuditKind.INVESTOR_LINK,
            user=by,
            obj=link,
            action="link made",
            enterprise=enterprise.name,
            contact=name,
            expires=link.expires_at,
        )
    return MadeLink(link, token)


def investor_link_revoke(*, link: InvestorLink, by) -> bool:
    """End a link now. False when it had already ended (revoked or replaced)."""
    _refuse_unless_allowed(by, link.enterprise)
    with transaction.atomic():
        ended = InvestorLink.objects.filter(pk=link.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=by, end=LinkState.REVOKED
        )
        if ended:
            audit.record(
                AuditKind.INVESTOR_LINK,
                user=by,
                obj=link,
                action="link revoked",
                enterprise=link.enterprise.name,
                contact=link.contact_name,
            )
    link.refresh_from_db()
    return bool(ended)


@dataclass(frozen=True)
class Opened:
    """What a token opens: the link (None for a token nobody made) and its state now."""

    link: InvestorLink | None
    state: LinkState | None

    @property
    def live(self) -> bool:
        return self.state == LinkState.LIVE


def investor_link_open(token: str, *, request: HttpRequest, page: str) -> Opened:
    """The link of ``token`` and whether it opens the page now. A refused visit (a token nobody
    made, an expired or ended link) is audited here; the caller audits an opened one with what
    came of it (``visit_record``). ``page`` names what was asked: the page, a request for help."""
    # The demo's published link opens nothing outside the demo (DEBUG off), like its accounts.
    published = token == DEMO_INVESTOR_TOKEN and not settings.DEBUG
    link = (
        InvestorLink.objects.select_related("enterprise").filter(token_digest=digest(token)).first()
        if token and not published
        else None
    )
    if link is None:
        audit.record(
            AuditKind.INVESTOR_VISIT,
            request=request,
            result=AuditResult.FAILURE,
            reason="unknown link",
            page=page,
        )
        return Opened(None, None)
    state = link.state()
    if state != LinkState.LIVE:
        reason = "expired" if state == LinkState.EXPIRED else "revoked"
        visit_record(Opened(link, state), request, page, result=AuditResult.FAILURE, reason=reason)
    return Opened(link, state)


def visit_record(opened: Opened, request: HttpRequest, page: str, **facts) -> None:
    """Audit a visit through a link: who (the contact), of which enterprise, what was asked,
    and what came of it (``facts``: ``action``, ``result``, ``reason``, …)."""
    link = opened.link
    audit.record(
        AuditKind.INVESTOR_VISIT,
        request=request,
        username=link.contact_name,
        obj=link,
        enterprise=link.enterprise.name,
        contact=link.contact_name,
        page=page,
        **facts,
    )
    if opened.live:
        InvestorLink.objects.filter(pk=link.pk).update(last_visit_at=timezone.now())
