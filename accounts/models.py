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
