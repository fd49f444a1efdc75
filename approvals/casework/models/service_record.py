"""Service records (入企服务记录): an officer's visit, call, meeting or on-site office with an
enterprise, and what was done. A follow-up opens a problem in the same step
(``approvals/casework/problems.py``: ``service_record_add``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.core.dates import validate_entered_date, validate_not_future


class ServiceKind(models.TextChoices):
    VISIT = "visit", _("Visit (走访)")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    ON_SITE = "on_site", _("On-site office (现场办公)")


class ServiceRecordQuerySet(models.QuerySet["ServiceRecord"]):
    def visible_to(self, user) -> ServiceRecordQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")


class ServiceRecord(models.Model):
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="service_records",
    )
    day = models.DateField(
        _("date"),
        default=timezone.localdate,
        validators=[validate_entered_date, validate_not_future],
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=ServiceKind.choices, default=ServiceKind.VISIT
    )
    participants = models.TextField(
        _("who took part"), help_text=_("People of the zone, the enterprise and the departments.")
    )
    done = models.TextField(_("what was done"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="service_records",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    objects = ServiceRecordQuerySet.as_manager()
    history = HistoricalRecords()  # a record edited later shows who changed what, and when

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(fields=["project", "-day"], name="service_record_project_day"),
            # The list, by day, reads a page off this index (issue 21).
            models.Index(fields=["day", "id"], name="service_record_day_id"),
            models.Index(fields=["kind", "id"], name="service_record_kind_id"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.day} {self.get_kind_display()}"
