"""What the desk keeps of a person besides the account: its work phone, which the investor's
page shows beside the officer's name (issue 22). One row per person, made when first saved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    work_phone = models.CharField(
        _("work phone"),
        max_length=30,
        blank=True,
        help_text=_("Shown to the investors whose projects the person handles."),
    )
    # Where reminders reach the person besides the desk's inbox (issue 23). The person chooses
    # (我的提醒方式), or the administrator sets them on the person's page.
    mobile = models.CharField(
        _("mobile number"),
        max_length=20,
        blank=True,
        help_text=_(
            "For SMS (leaders, red items only) and @mentions in DingTalk and WeCom groups."
        ),
    )
    wecom_userid = models.CharField(
        _("WeCom user ID"),
        max_length=64,
        blank=True,
        help_text=_("The account in the zone's WeCom (企业微信 账号), for messages and @mentions."),
    )
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_wecom = models.BooleanField(_("by WeCom application message"), default=True)
    by_sms = models.BooleanField(_("by SMS"), default=True)
    in_groups = models.BooleanField(_("@mentioned in group digests"), default=True)

    class Meta:
        verbose_name = _("work contact")
        verbose_name_plural = _("work contacts")

    def __str__(self) -> str:
        return str(self.user)


def work_phone_of(user) -> str:
    """The person's work phone, or "" (no profile yet); reads ``user.profile`` as loaded."""
    try:
        return user.profile.work_phone
    except Profile.DoesNotExist:
        return ""
