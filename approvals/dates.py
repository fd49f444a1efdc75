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

Precision = Literal["day", "month", "year"]

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
        return dt.date(year, month, calendar.monthrange(year, month)[1]), "month"
    try:
        return dt.date(year, month, int(match.group(3))), "day"
    except ValueError:
        return None
