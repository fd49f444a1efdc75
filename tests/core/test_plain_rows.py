"""``bulk.plain_rows`` gives what ``values()`` gives (the imports compare with it): the same
dicts, the same Python types after each column's converters (a decimal stored by SQLite as a
float, a date), nothing for a query that can match nothing; locked rows as asked."""

import datetime as dt
from decimal import Decimal

import pytest

from approvals.core import bulk
from approvals.models import Milestone, Project, Stage
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

FIELDS = ("id", "name", "code", "total_investment", "expected_annual_output", "officer_id")


def test_the_same_rows_as_values():
    ProjectFactory(name="甲", total_investment=Decimal("12.34"), expected_annual_output=None)
    ProjectFactory(name="乙", total_investment=Decimal("0.10"), code=None)
    query = Project.objects.order_by("pk")
    rows = bulk.plain_rows(query, FIELDS)
    assert rows == list(query.values(*FIELDS))
    assert [type(r["total_investment"]) for r in rows] == [Decimal, Decimal]
    assert rows[0]["total_investment"] == Decimal("12.34")


def test_dates_and_locks():
    project = ProjectFactory()
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=dt.date(2025, 6, 2))
    fields = ("id", "project_id", "stage", "planned_date", "planned_month_only")
    query = Milestone.objects.filter(project=project).select_for_update()
    assert bulk.plain_rows(query, fields) == list(
        Milestone.objects.filter(project=project).values(*fields)
    )
    assert bulk.plain_rows(query, fields)[0]["planned_date"] == dt.date(2025, 6, 2)


def test_a_query_that_matches_nothing():
    assert bulk.plain_rows(Project.objects.filter(pk__in=[]), FIELDS) == []
