"""Client systems and tokens of the API.

A token is shown once, when it is issued, and kept as the SHA-256 of its secret part (a token
is a long random secret, not a password: one hash, no salt, compared in constant time); its
prefix finds the row. A client system (a city's or the province's platform) acts through an
account of its own, which holds a platform role in each zone of its scope (``clients``): every
list and rule then scopes it as it scopes a person, through ``approvals.access.permissions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zones.models import Zone


class Access(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


class Client(models.Model):
    """A system that reads (and may write) the desk's cases through the API."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    access = models.CharField(_("access"), max_length=20, choices=Access.choices)
    zones = models.ManyToManyField(
        Zone,
        verbose_name=_("zones"),
        blank=True,
        related_name="+",
        help_text=_("The zones whose cases the client reads (besides its cities)."),
    )
    cities = models.CharField(
        _("cities"),
        max_length=200,
        blank=True,
        help_text=_(
            "Every zone of these cities, those added later too (names as on the zones, "
            "separated by commas)."
        ),
    )
    whole_province = models.BooleanField(
        _("whole province"), default=False, help_text=_("Every zone, those added later too.")
    )
    rate_per_minute = models.PositiveIntegerField(
        _("calls per minute"),
        default=120,
        help_text=_("Per token; the calls beyond are refused until the minute is over."),
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def city_names(self) -> list[str]:
        return [c.strip() for c in self.cities.replace("，", ",").split(",") if c.strip()]


class TokenQuerySet(models.QuerySet["Token"]):
    def usable(self) -> TokenQuerySet:
        """Neither revoked nor expired (``Token.usable``'s query form)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class Token(models.Model):
    """A client system's token (``client`` set) or a person's own, for its scripts (``client``
    empty: it acts with the person's roles)."""

    client = models.ForeignKey(
        Client,
        verbose_name=_("API client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tokens",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
