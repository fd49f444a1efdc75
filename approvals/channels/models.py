"""The channels a zone (or a city's office) configures, and each reminder's (or bulletin's) one
delivery through each of them (issue 23).

A ``Channel`` is one group robot (企业微信 or 钉钉), one 企业微信 application, or one SMS account,
of one zone or of one city (all its zones). Its secrets are ``SecretField``s: encrypted at rest,
read back as values that never show themselves. A ``Dispatch`` is the outbox's row of one reminder
(or one 督办通报) and one channel, under a unique key: made once however often the fan-out runs,
claimed in the database before it is sent, retried with backoff, given up after a number of
attempts (and shown so on the reminder's page), as the e-mail of a reminder is.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.core.secrets import SecretField
from approvals.reminders.models import Delivery

#: What a channel or a bulletin is of: one zone, or one city (its office, all its zones), never
#: both nor neither (the check of ``Channel`` and of ``Bulletin``).
ZONE_OR_CITY = (Q(zone__isnull=False) & Q(city="")) | (Q(zone__isnull=True) & ~Q(city=""))


class ChannelKind(models.TextChoices):
    WECOM_ROBOT = "wecom_robot", _("WeCom group robot")
    DINGTALK_ROBOT = "dingtalk_robot", _("DingTalk group robot")
    WECOM_APP = "wecom_app", _("WeCom application messages")
    SMS = "sms", _("SMS")


#: The kinds that post into a group (one digest a day), and those that reach one person.
GROUP_KINDS = (ChannelKind.WECOM_ROBOT, ChannelKind.DINGTALK_ROBOT)
PERSONAL_KINDS = (ChannelKind.WECOM_APP, ChannelKind.SMS)


class SmsProvider(models.TextChoices):
    ALIYUN = "aliyun", _("Alibaba Cloud SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")
    TEST = "test", _("Test provider (sends nothing)")


class Channel(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    zone = models.ForeignKey(
        "zones.Zone",
        verbose_name=_("zone"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="channels",
    )
    city = models.CharField(
        _("city"),
        max_length=50,
        blank=True,
        help_text=_("Instead of a zone: the city's office, hearing of every zone of the city."),
    )
    enabled = models.BooleanField(_("on"), default=True)
    webhook = SecretField(
        _("webhook address"),
        blank=True,
        help_text=_("The group robot's address, as the group's robot settings show it."),
    )
    secret = SecretField(
        _("secret"),
        blank=True,
        help_text=_(
            "DingTalk: the robot's signing secret (SEC…). WeCom application: its Secret. "
            "SMS: the AccessKey secret (Alibaba) or SecretKey (Tencent)."
        ),
    )
    corp_id = models.CharField(_("corp ID"), max_length=64, blank=True)
    agent_id = models.CharField(_("agent ID"), max_length=32, blank=True)
    sms_provider = models.CharField(
        _("SMS provider"), max_length=10, choices=SmsProvider.choices, blank=True
    )
    access_key_id = models.CharField(
        _("access key ID"),
        max_length=128,
        blank=True,
        help_text=_("Alibaba: AccessKey ID. Tencent: SecretId."),
    )
    sms_app_id = models.CharField(
        _("SMS application ID"), max_length=32, blank=True, help_text=_("Tencent: SdkAppId.")
    )
    sign_name = models.CharField(_("SMS signature"), max_length=50, blank=True)
    template_code = models.CharField(
        _("SMS template"),
        max_length=64,
        blank=True,
        help_text=_(
            "The approved template's code or ID; its parameters: project, what (what is late), "
            "days (how many days late)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["zone__name", "city", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=ZONE_OR_CITY,
                name="channel_zone_or_city",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_group(self) -> bool:
        return self.kind in GROUP_KINDS


class Dispatch(models.Model):
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="dispatches"
    )
    reminder = models.ForeignKey(
        "approvals.Reminder",
        verbose_name=_("reminder"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dispatches",
    )
    bulletin = models.ForeignKey(
        "approvals.Bulletin",
        verbose_name=_("bulletin"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="dispatches",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel delivery")
        verbose_name_plural = _("channel deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel"],
                name="dispatch_reminder_once",
                condition=Q(reminder__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["bulletin", "channel"],
                name="dispatch_bulletin_once",
                condition=Q(bulletin__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(reminder__isnull=True) ^ Q(bulletin__isnull=True),
                name="dispatch_of_one_thing",
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "next_attempt_at"],
                name="dispatch_pending",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.reminder or self.bulletin}"
