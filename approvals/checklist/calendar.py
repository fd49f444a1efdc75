"""Holidays and make-up working days entered by administrators."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.core.dates import validate_entered_date
from approvals.core.workdays import WorkingCalendar


class CalendarDayManager(models.Manager["CalendarDay"]):
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar with the days entered here (one query)."""
        rows = self.values_list("day", "kind")
        return WorkingCalendar({day: kind == CalendarDay.Kind.WORKDAY for day, kind in rows})


class CalendarDay(models.Model):
    """A day that differs from Monday–Friday: for years the published calendar does not cover
    yet (when the State Council publishes them), or to correct it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (day off)")
        WORKDAY = "workday", _("Make-up working day")

    day = models.DateField(_("day"), unique=True, validators=[validate_entered_date])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. 春节"))

    objects = CalendarDayManager()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.name}".strip()
