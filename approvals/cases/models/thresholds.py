"""The thresholds of the warning colours and of the reminder ladder (guide sections 6 and 11):
one row an administrator changes in the admin; the defaults are the guide's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from solo.models import SingletonModel


def default_milestone_yellow_within_days() -> int:
    """A new row's threshold, from the deployment's environment. A function, not the number, so
    that the migration names it and stays the same whatever a deployment sets."""
    return settings.MILESTONE_YELLOW_WITHIN_DAYS


def default_milestone_red_after_days() -> int:
    """As above, for MILESTONE_RED_AFTER_DAYS."""
    return settings.MILESTONE_RED_AFTER_DAYS


def _days(label, default: int | Callable[[], int], help_text=""):
    return models.PositiveSmallIntegerField(
        label,
        default=default,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=help_text,
    )


class WarningSettings(SingletonModel):
    milestone_yellow_within_days = _days(
        _("milestone yellow from (days before its date)"),
        default_milestone_yellow_within_days,
    )
    milestone_red_after_days = _days(
        _("milestone red after (days late)"), default_milestone_red_after_days
    )
    item_yellow_within_working_days = _days(
        _("approval item yellow from (working days before its deadline)"), 3
    )
    item_red_after_working_days = _days(_("approval item red after (working days late)"), 10)
    officer_every_days = _days(
        _("officer reminded every (days)"), 7, _("From the first working day late.")
    )
    supervisor_after_days = _days(_("supervisors reminded from (days late)"), 8)
    supervisor_every_days = _days(_("supervisors reminded every (days)"), 7)
    leader_every_days = _days(
        _("leader reminded every (days) while red"), 30, _("From the day it turns red.")
    )
    at_risk_every_days = _days(_("officer warned of a foreseen delay every (days)"), 7)
    email = models.BooleanField(
        _("send reminders by email too"),
        default=True,
        help_text=_("To people with an email address; everyone gets them in the desk's inbox."),
    )

    class Meta:
        verbose_name = _("warning and reminder settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
