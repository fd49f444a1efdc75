"""The security audit log (安全审计, GB/T 22239-2019 level 3; 网络安全法 art. 21): logins and
logouts, failed logins and lockouts, permission and role changes, imports, exports, decisions and
deletions, each with date and time, type, subject, object, result and source address.

Rows are written once and never changed or deleted through the application: ``save()`` refuses
an update and ``delete()`` refuses always; only ``manage.py purge_audit`` removes rows, and never
one younger than the retention period (six months at least)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Lockout")
    UNLOCK = "unlock", _("Lockout lifted")
    SECOND_FACTOR = "second_factor", _("Second factor")
    PASSWORD = "password", _("Password change")
    PERMISSION = "permission", _("Permission or role change")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    DECISION = "decision", _("Decision")
    DELETION = "deletion", _("Deletion")
    CONFIGURATION = "configuration", _("Configuration change")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class AuditRecordIsFinal(Exception):
    """An audit row may not be changed or deleted through the application."""


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date and time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("type"), max_length=20, choices=AuditKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("subject (user)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(
        _("subject"),
        max_length=150,
        blank=True,
        db_index=True,
        help_text=_("The user name as given (also for unknown names and failed logins)."),
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS
    )
    source_address = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("security audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRecordIsFinal(_("An audit record is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise AuditRecordIsFinal(_("An audit record is never deleted."))
