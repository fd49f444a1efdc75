"""A week of two zones of 晋中市 with what a 督办通报 lists: in 晋中开发区 a red project (its start
of works planned 2026-09-01, officer 艾丽, leader 莉莉), one foreseen late (its 不动产权证 not
applied for, its start planned 2026-12-20) and an overdue problem; in 祁县 a red project of
its own. The clock stands on Monday 2026-12-07 at 09:00, Beijing time: the week reported is
2026-11-30 to 2026-12-06."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals.checklist import foresight
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Milestone,
    Problem,
    Stage,
)
from tests.factories import ProjectFactory

D = dt.date
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MONDAY = D(2026, 11, 30)
SUNDAY = D(2026, 12, 6)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def week(frozen, catalogue, zone, other_zone, alice, bob, lily, charlie):
    red = ProjectFactory(
        zone=zone, name="晋中红色滞后项目", stage=Stage.SIGNED, officer=alice, leader=lily
    )
    Milestone.objects.create(
        project=red, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2026, 9, 1)
    )
    risky = ProjectFactory(
        zone=zone, name="晋中预计延误项目", stage=Stage.SIGNED, officer=alice, leader=lily
    )
    Milestone.objects.create(
        project=risky, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2026, 12, 20)
    )
    ApprovalItem.objects.create(project=risky, approval_type=ApprovalType.objects.get(code="LX07"))
    foresight.refresh([risky.pk], today=D(2026, 12, 6))
    green = ProjectFactory(zone=zone, name="晋中绿色项目", stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(
        project=green, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2027, 6, 1)
    )
    problem = Problem.objects.create(
        project=red,
        description="用地指标未落实",
        department="自然资源局",
        responsible=bob,
        reported_on=D(2026, 12, 1),
        deadline=D(2026, 11, 20),
    )
    other = ProjectFactory(
        zone=other_zone, name="祁县红色滞后项目", stage=Stage.SIGNED, officer=charlie
    )
    Milestone.objects.create(
        project=other, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2026, 8, 1)
    )
    return {"red": red, "risky": risky, "green": green, "problem": problem, "other": other}
