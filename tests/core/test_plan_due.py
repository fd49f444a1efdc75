"""A plan by month is due at the end of that month (guide section 6), whatever day of it was
entered: one rule (``approvals.core.dates.plan_due``) for milestones and task nodes alike."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.core.dates import plan_due
from approvals.models import Milestone, Stage, TaskNode
from tests.factories import ProjectFactory

D = dt.date


@pytest.mark.parametrize(
    ("entered", "month_only", "due"),
    [
        (D(2025, 2, 10), True, D(2025, 2, 28)),
        (D(2024, 2, 1), True, D(2024, 2, 29)),  # a leap year
        (D(2025, 12, 31), True, D(2025, 12, 31)),
        (D(2025, 2, 10), False, D(2025, 2, 10)),
        (None, True, None),
    ],
)
def test_the_rule(entered, month_only, due):
    assert plan_due(entered, month_only) == due


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        lambda project, **plan: Milestone.objects.create(
            project=project, stage=Stage.READY, **plan
        ),
        lambda project, **plan: TaskNode.objects.create(project=project, name="主体封顶", **plan),
    ],
    ids=["milestone", "task node"],
)
def test_milestones_and_task_nodes_store_the_date_due(make):
    by_month = make(ProjectFactory(), planned_date=D(2025, 4, 3), planned_month_only=True)
    by_day = make(ProjectFactory(), planned_date=D(2025, 4, 3), planned_month_only=False)

    stored = tuple(type(p).objects.get(pk=p.pk).planned_date for p in (by_month, by_day))
    assert stored == (D(2025, 4, 30), D(2025, 4, 3))
