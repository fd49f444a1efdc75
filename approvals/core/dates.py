"""Dates as people write them in the zones' spreadsheets and reports.

A date given only as a month is due at the end of that month (domain guide, section 6);
one given only as a year, at the end of that year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.core.display import day_in_words

Precision = Literal["day", "month", "year"]

#: Dates people enter lie in this range (domain guide, section 11).
EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)


def validate_entered_date(value: dt.date | None) -> None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValidationError(
            _("%(value)s is outside the dates accepted here (%(earliest)s to %(latest)s)."),
            code="date_out_of_range",
            params={
                "value": day_in_words(value),
                "earliest": day_in_words(EARLIEST),
                "latest": day_in_words(LATEST),
            },
        )


def validate_not_future(value: dt.date | None) -> None:
    """For dates of things that already happened: acceptance, approval, actual dates, evidence."""
    validate_entered_date(value)
    if value is not None and value > timezone.localdate():
        raise ValidationError(
            _("%(value)s is in the future: this date records something that has happened."),
            code="date_in_future",
            params={"value": day_in_words(value)},
        )


def end_of_month(day: dt.date) -> dt.date:
    """When a plan that names only a month is due."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def plan_due(planned: dt.date | None, month_only: bool) -> dt.date | None:
    """The date a plan is due: a plan by month (``month_only``) at the end of that month,
    whatever day of it was entered (domain guide, section 6); milestones and task nodes store
    it so, and colours, reminders and foreseen delay read the stored date."""
    return end_of_month(planned) if month_only and planned else planned


_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_partial_date(text: str) -> tuple[dt.date, Precision] | None:
    """``2025-03-15``, ``2025/3/15``, ``2025.3.15``, ``2025年3月15日``, ``2025年3月``, ``2025.03``, ``2024``.

    Returns None when the text is not such a date (the caller says what is wrong and where).
    """
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None
    if match := _YEAR.match(value):
        year = int(match.group(1))
        return dt.date(year, 12, 31), "year"
    match = _SEPARATED.match(value)
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return None
    if match.group(3) is None:
        return end_of_month(dt.date(year, month, 1)), "month"
    try:
        return dt.date(year, month, int(match.group(3))), "day"
    except ValueError:
        return None
