"""Working days on the Chinese official calendar (domain guide section 5), and the
administrators' table for the years the published calendar does not cover yet."""

import datetime as dt

import pytest

from approvals.core.workdays import WorkingCalendar, package_years
from approvals.models import CalendarDay

D = dt.date


@pytest.fixture
def calendar(db) -> WorkingCalendar:
    return CalendarDay.objects.calendar()


def test_the_published_calendar_covers_2025_and_2026_but_not_2027():
    # The boundary the tests below rely on; a newer chinesecalendar moves it.
    assert {2025, 2026} <= package_years() and 2027 not in package_years()


def test_fifteen_working_days_across_national_day_2025(calendar):
    """Accepted Friday 26 September: make-up Sunday 28 September and Saturday 11 October
    count, 1–8 October do not, and the acceptance day itself is not counted."""
    assert calendar.add_working_days(D(2025, 9, 26), 15) == D(2025, 10, 23)


def test_make_up_days_are_working_days_and_holidays_are_not(calendar):
    assert calendar.is_working_day(D(2025, 9, 28))  # Sunday, 调休上班
    assert calendar.is_working_day(D(2025, 10, 11))  # Saturday, 调休上班
    assert not calendar.is_working_day(D(2025, 10, 3))  # Friday, National Day
    assert not calendar.is_working_day(D(2025, 10, 12))  # an ordinary Sunday


def test_working_days_between_counts_after_the_start_up_to_the_end(calendar):
    assert calendar.working_days_between(D(2025, 9, 26), D(2025, 10, 23)) == 15
    assert calendar.working_days_between(D(2025, 10, 23), D(2025, 9, 26)) == -15
    assert calendar.working_days_between(D(2025, 10, 23), D(2025, 10, 23)) == 0


def test_counting_backwards_mirrors_counting_forwards(calendar):
    assert calendar.add_working_days(D(2025, 10, 23), -15) == D(2025, 9, 26)


class TestAYearThePackageDoesNotCover:
    """Accepted Monday 28 December 2026, ten working days: the count runs into 2027."""

    def test_without_entries_it_counts_monday_to_friday_and_says_so(self, calendar):
        assert calendar.add_working_days(D(2026, 12, 28), 10) == D(2027, 1, 11)
        assert calendar.uncovered == {2027}
        assert not calendar.covers(2027)

    def test_entered_holidays_and_make_up_days_are_used(self, db):
        CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
        CalendarDay.objects.create(day=D(2027, 1, 9), kind=CalendarDay.Kind.WORKDAY, name="调休")
        calendar = CalendarDay.objects.calendar()
        # 29, 30, 31 Dec; 4–8 Jan; Saturday 9 Jan (make-up); 11 Jan
        assert calendar.add_working_days(D(2026, 12, 28), 10) == D(2027, 1, 11)
        assert calendar.add_working_days(D(2026, 12, 28), 9) == D(2027, 1, 9)
        assert calendar.uncovered == set()
        assert calendar.covers(2027)

    def test_an_entered_holiday_moves_the_deadline(self, db):
        CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
        assert CalendarDay.objects.calendar().add_working_days(D(2026, 12, 28), 10) == D(
            2027, 1, 12
        )


def test_an_entry_for_a_covered_year_corrects_the_package(db):
    CalendarDay.objects.create(day=D(2025, 10, 9), kind=CalendarDay.Kind.HOLIDAY, name="更正")
    assert not CalendarDay.objects.calendar().is_working_day(D(2025, 10, 9))
