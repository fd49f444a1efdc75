"""Monthly progress (月调度, guide section 8.3): per project and month, the year's planned
investment, the investment completed in the month and since the start of the year (万元), and
the image progress (形象进度). Entered in the admin or imported from the monthly progress table;
re-importing a month replaces that month's figures of the listed projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from approvals.access import permissions

NOT_NEGATIVE = MinValueValidator(Decimal("0"))


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


class MonthlyProgressQuerySet(models.QuerySet["MonthlyProgress"]):
    def visible_to(self, user) -> MonthlyProgressQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")


class MonthlyProgress(models.Model):
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="monthly_progress",
    )
    month = models.DateField(_("month"), help_text=_("Stored as the first day of the month."))
    annual_plan = models.DecimalField(
        _("planned investment this year (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    completed_month = models.DecimalField(
        _("investment completed this month (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    completed_year = models.DecimalField(
        _("investment completed this year to date (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NOT_NEGATIVE],
    )
    image_progress = models.TextField(_("image progress (形象进度)"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    source_import = models.ForeignKey(
        "approvals.SpreadsheetImport",
        verbose_name=_("imported from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = MonthlyProgressQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("monthly progress")
        verbose_name_plural = _("monthly progress (月调度)")
        ordering = ["project_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="monthly_progress_once"),
        ]
        indexes = [models.Index(fields=["month", "project"], name="monthly_progress_month")]

    def __str__(self) -> str:
        return f"{self.project} · {self.month:%Y-%m}"

    def clean(self) -> None:
        super().clean()
        if self.month:
            self.month = first_of_month(self.month)
        problem = cumulative_problem(self)
        if problem:
            raise ValidationError({"completed_year": problem})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.month:
            self.month = first_of_month(self.month)
        super().save(*args, **kwargs)


def cumulative_problem(row: MonthlyProgress, others: dict[dt.date, Decimal] | None = None) -> str:
    """Why ``row``'s year-to-date figure cannot be (it never decreases within a year), or "".
    ``others`` maps the project's other months of the year to their cumulative figures (read
    from the database when not given, e.g. by an import that knows them already)."""
    if row.completed_year is None or not row.month or not row.project_id:
        return ""
    month = first_of_month(row.month)
    if others is None:
        others = dict(
            MonthlyProgress.objects.filter(
                project_id=row.project_id, month__year=month.year, completed_year__isnull=False
            )
            .exclude(month=month)
            .values_list("month", "completed_year")
        )
    for other, value in sorted(others.items()):
        if other.year != month.year or other == month or value is None:
            continue
        if other < month and value > row.completed_year:
            return str(
                _("The year-to-date investment %(value)s is less than %(other)s in %(month)s.")
                % {"value": row.completed_year, "other": value, "month": f"{other:%Y-%m}"}
            )
        if other > month and value < row.completed_year:
            return str(
                _("The year-to-date investment %(value)s is more than %(other)s in %(month)s.")
                % {"value": row.completed_year, "other": value, "month": f"{other:%Y-%m}"}
            )
    return ""
