"""The investment report grouped by zone and month in SQL (approvals/figures/investment.py,
``changes_sql``) gives the answers of the rule one project at a time in Python, as it was
counted before (``_read_changes_in_python``), on a small data set with the edge cases: a month
missing, a plan stated once then carried, a cumulative stated late (the months summed before),
a project with no cumulative at all, a month's figure empty, a zone behind, two years, amounts
with cents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from approvals.figures import investment
from approvals.figures.casework import rows_counted
from approvals.figures.reports import Selection
from approvals.models import MonthlyProgress
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db
D = dt.date


def month(project, on, plan=None, in_month=None, year=None) -> None:
    MonthlyProgress.objects.create(
        project=project,
        month=on,
        annual_plan=None if plan is None else Decimal(plan),
        completed_month=None if in_month is None else Decimal(in_month),
        completed_year=None if year is None else Decimal(year),
    )


@pytest.fixture
def rows(zone, other_zone):
    a, b, c = (ProjectFactory(zone=zone, name=f"月报{n}") for n in "甲乙丙")
    d, e = (ProjectFactory(zone=other_zone, name=f"月报{n}") for n in "丁戊")
    # a: the plan stated in January only, February missing, the cumulative stated in March
    month(a, D(2025, 1, 1), "1200.50", "100.25")
    month(a, D(2025, 3, 1), None, "80.10", "400.00")
    month(a, D(2025, 4, 1), "1300", None, None)
    # b: never a cumulative (its months summed), a month's figure empty
    month(b, D(2025, 2, 1), "600", "50.05")
    month(b, D(2025, 3, 1), None, None)
    month(b, D(2025, 4, 1), "650", "70")
    # c: last year and this: nothing carried over the new year
    month(c, D(2024, 11, 1), "900", "90", "700")
    month(c, D(2024, 12, 1), None, "10", None)
    month(c, D(2025, 1, 1), "1000", "30", "30")
    # the other zone is behind: its rows end in February
    month(d, D(2025, 1, 1), "500", "40", "40")
    month(d, D(2025, 2, 1), "500", "60", "90")
    month(e, D(2025, 2, 1), None, "5.55", None)
    return a, b, c, d, e


SELECTIONS = [
    Selection(),
    Selection(date_from=D(2025, 1, 1), date_to=D(2025, 12, 31)),
    Selection(date_from=D(2025, 2, 1), date_to=D(2025, 3, 31)),
    Selection(date_from=D(2024, 11, 1), date_to=D(2025, 2, 28)),
    Selection(date_from=D(2024, 12, 1), date_to=D(2024, 12, 31)),
]


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_query_sums_the_changes_as_the_rows_read_one_by_one(rows, zone, selection):
    for chosen in (selection, Selection(zones=(zone.pk,), date_from=selection.date_from)):
        counted = rows_counted(MonthlyProgress, chosen)
        start, end = investment._period(counted, chosen)
        by_query = investment._read_changes(counted, start, end)
        by_rows = investment._read_changes_in_python(counted, start, end)
        assert by_query[1] == by_rows[1]
        assert by_query[0] == {key: value for key, value in by_rows[0].items()}


@pytest.mark.parametrize("selection", SELECTIONS)
def test_the_report_is_the_one_counted_in_python(rows, zone, other_zone, selection, monkeypatch):
    by_query = investment.investment(selection)
    monkeypatch.setattr(investment, "_read_changes", investment._read_changes_in_python)
    assert by_query == investment.investment(selection)


def test_the_edge_cases_as_the_rules_say(rows, zone, other_zone):
    found = investment.investment(Selection(date_from=D(2025, 1, 1), date_to=D(2025, 4, 30)))
    own = {z["zone"]: {m["month"]: m for m in z["months"]} for z in found["zones"]}[zone.name]
    # March: a carries its January plan and states 400; b sums its months (50.05 + 0); c its
    # January cumulative
    assert own["2025-03"]["annual_plan_wan"] == 1200.50 + 600 + 1000
    assert own["2025-03"]["completed_year_wan"] == pytest.approx(400 + 50.05 + 30)
    # April: a's plan restated, its cumulative carried; b's months summed
    assert own["2025-04"]["annual_plan_wan"] == 1300 + 650 + 1000
    assert own["2025-04"]["completed_year_wan"] == pytest.approx(400 + 120.05 + 30)
    behind = {z["zone"]: z["months"] for z in found["zones"]}[other_zone.name]
    # the zone behind is carried into the months after its last row, with nothing in them
    assert behind[-1]["month"] == "2025-04" and behind[-1]["completed_month_wan"] == 0
    assert behind[-1]["completed_year_wan"] == pytest.approx(90 + 5.55)


def test_the_latest_month_per_zone_is_that_of_the_report(rows, zone, other_zone):
    today = D(2025, 6, 10)
    assert investment.latest_this_year(Selection(), today=today) == investment.latest_per_zone(
        investment.investment(investment.this_year(Selection(), today))
    )


def test_the_latest_month_of_some_zones_is_that_of_the_report(rows, zone, other_zone):
    """A zone's recount (on PostgreSQL one LATERAL query per zone's projects) gives the
    report's latest month, alone and beside a zone behind."""
    today = D(2025, 6, 10)
    for zones in ((zone.pk,), (other_zone.pk,), (zone.pk, other_zone.pk)):
        chosen = Selection(zones=zones)
        assert investment.latest_this_year(chosen, today=today) == investment.latest_per_zone(
            investment.investment(investment.this_year(chosen, today))
        )
