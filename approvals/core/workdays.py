"""Working days on the Chinese official calendar (weekends and public holidays off, make-up
working days on). ``chinesecalendar`` covers the years published so far; for later years the
administrators' days (``CalendarDay.objects.calendar()`` loads them) are used, and a year with
neither counts Monday–Friday and is reported back so that the user sees a warning.

Plain date arithmetic: this module imports no model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import chinese_calendar
from chinese_calendar.constants import holidays as _package_holidays

ONE_DAY = dt.timedelta(days=1)


@cache
def package_years() -> frozenset[int]:
    return frozenset(day.year for day in _package_holidays)


@cache
def _package_workday(day: dt.date) -> bool:
    """The package's answer, kept: it checks each date against the range of its whole table
    (a min and a max over every holiday), which made a scan of 100,000 projects take seconds."""
    return chinese_calendar.is_workday(day)


@dataclass
class WorkingCalendar:
    """``overrides`` maps a day to whether it is a working day (the administrators' days)."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)
    uncovered: set[int] = field(default_factory=set)  # years met that fell back to Mon–Fri
    #: (start, count) → ``add_working_days``: the reminder scan's foresight counts the same
    #: few time limits from the same day for every item (69,641 at 100,000 projects).
    added: dict[tuple[dt.date, int], dt.date] = field(
        default_factory=dict, repr=False, compare=False
    )

    def covers(self, year: int) -> bool:
        return year in package_years() or any(day.year == year for day in self.overrides)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in package_years():
            return _package_workday(day)
        if not self.covers(day.year):
            self.uncovered.add(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start``; ``start`` itself is not counted."""
        if (start, count) in self.added:
            return self.added[start, count]
        step = ONE_DAY if count >= 0 else -ONE_DAY
        day, left = start, abs(count)
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
        self.added[start, count] = day
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``; negative when end is earlier."""
        if end == start:
            return 0
        sign, (low, high) = (1, (start, end)) if end > start else (-1, (end, start))
        count, day = 0, low
        while day < high:
            day += ONE_DAY
            count += self.is_working_day(day)
        return sign * count


def deadline_after(
    start: dt.date, limit: int, *, working_days: bool, calendar: WorkingCalendar
) -> tuple[dt.date, set[int]]:
    """The day a time limit ends, counted from the day after ``start`` (as the law counts), and
    the years it crossed that the calendar does not cover."""
    if not working_days:
        return start + dt.timedelta(days=limit), set()
    calendar.uncovered = set()
    return calendar.add_working_days(start, limit), set(calendar.uncovered)
