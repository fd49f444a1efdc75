"""The weekly 督办通报 kept for download (issue 23): one .docx per zone or city and week, written by
the worker on the first working day of the week (``weekly``), or asked for by a leader at any
time (kept too, beside the weekly one)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.channels.models import ZONE_OR_CITY


class Bulletin(models.Model):
    zone = models.ForeignKey(
        "zones.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bulletins",
    )
    city = models.CharField(_("city"), max_length=50, blank=True)
    week_start = models.DateField(
        _("week"), help_text=_("The Monday of the week the bulletin reports on.")
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    weekly = models.BooleanField(
        _("weekly"), default=False, help_text=_("Written on schedule by the worker.")
    )
    file = models.FileField(_("file"), upload_to="bulletins/%Y/")
    made_at = models.DateTimeField(_("made at"), default=timezone.now)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked for by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("supervision bulletin")
        verbose_name_plural = _("supervision bulletins")
        ordering = ["-week_start", "-made_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=ZONE_OR_CITY,
                name="bulletin_zone_or_city",
            ),
            # One weekly bulletin per zone and week, and per city and week (two keys: a city's
            # has no zone, and NULLs are all different to a unique index).
            models.UniqueConstraint(
                fields=["zone", "week_start"],
                name="bulletin_weekly_zone_once",
                condition=Q(weekly=True, zone__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["city", "week_start"],
                name="bulletin_weekly_city_once",
                condition=Q(weekly=True, zone__isnull=True),
            ),
        ]
        indexes = [models.Index(fields=["zone", "week_start"], name="bulletin_zone_week")]

    def __str__(self) -> str:
        return f"{self.zone or self.city} {self.week_start:%Y-%m-%d}"

    @property
    def download_name(self) -> str:
        """The name a person downloads it as, and a group receives it as:
        督办通报-<zone or city>-<week>.docx (reads ``zone`` as loaded)."""
        place = self.zone.name if self.zone_id else self.city
        return f"督办通报-{place}-{self.week_start:%Y-%m-%d}.docx"
