"""An investor's personal link: an enterprise contact (name and phone) opens the investor's page
with it, no password. The link's token is shown once, when the officer makes it; only its digest
is kept (``portal.links``). It expires after ``LINK_DAYS`` days and ends earlier when revoked or
replaced by a new link for the same contact: one live link per contact of an enterprise, which
the database holds to (a partial unique key)."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zones.models import Enterprise

#: How long a link opens the page (the issue: 90 days).
LINK_DAYS = 90


def normalise_phone(value: str) -> str:
    """A phone number as one key, however it was typed: full-width digits folded, spaces and
    dashes dropped ("138 0000-0000" and "１３８００００００００" are one contact)."""
    folded = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in folded if ch not in " -()（）\u3000\t")


class LinkState(models.TextChoices):
    LIVE = "live", pgettext_lazy("investor link", "Valid")
    EXPIRED = "expired", pgettext_lazy("investor link", "Expired")
    REVOKED = "revoked", pgettext_lazy("investor link", "Revoked")
    REPLACED = "replaced", pgettext_lazy("investor link", "Replaced by a new link")


class InvestorLinkQuerySet(models.QuerySet["InvestorLink"]):
    def live(self, now: dt.datetime | None = None) -> InvestorLinkQuerySet:
        """Links that open the page now (``InvestorLink.state`` as a query)."""
        return self.filter(ended_at__isnull=True, expires_at__gt=now or timezone.now())


class InvestorLink(models.Model):
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="investor_links",
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"), editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    end = models.CharField(
        _("how it ended"),
        max_length=20,
        blank=True,
        editable=False,
        choices=[
            (LinkState.REVOKED.value, LinkState.REVOKED.label),
            (LinkState.REPLACED.value, LinkState.REPLACED.label),
        ],
    )
    last_visit_at = models.DateTimeField(_("last opened at"), null=True, blank=True, editable=False)

    objects = InvestorLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("investor link")
        verbose_name_plural = _("investor links")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live link per contact: a new one ends the old in the same transaction, and
            # two officers making one at the same moment cannot leave two.
            models.UniqueConstraint(
                fields=["enterprise", "contact_phone"],
                condition=Q(ended_at__isnull=True),
                name="investor_link_one_per_contact",
            ),
        ]
        indexes = [models.Index(fields=["created_at", "id"], name="investor_link_created_id")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.contact_name}"

    def state(self, now: dt.datetime | None = None) -> LinkState:
        if self.ended_at is not None:
            return LinkState(self.end or LinkState.REVOKED)
        if self.expires_at <= (now or timezone.now()):
            return LinkState.EXPIRED
        return LinkState.LIVE

    def save(self, *args, **kwargs) -> None:
        self.contact_phone = normalise_phone(self.contact_phone)
        self.contact_name = (self.contact_name or "").strip()
        super().save(*args, **kwargs)
