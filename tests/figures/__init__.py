"""Projects, batches and checklists whose figures are worked out by hand, shared by the tests
of the reports, the dashboard and the reports page (a test module takes a fixture by importing
its name).

Zone 晋中 (``zone``) holds the guide's own conversion example: ten projects listed as 签约 in
round 2025-1; seven of them have started works, four of the seven are in production, two are at
design capacity expecting 10亿 and 5亿 a year and producing 9亿 and 6亿 → 70.0 %, 57.1 %, 100.0 %.
Zone 祁县 (``other_zone``) has three listed as 签约 in 2025-2, one started: 33.3 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Batch,
    BatchEntry,
    Category,
    ItemStatus,
    Milestone,
    Mode,
    Stage,
)
from tests.factories import ProjectFactory

D = dt.date
#: The day the dashboard's tests are of: the guide's example (signed on 2025-03-20) is within
#: its last twelve months, 2024-11-15 to 2025-11-14.
TODAY = D(2025, 11, 14)
#: 10:00 that day in Asia/Shanghai ("截至 10:00").
NOW = dt.datetime(2025, 11, 14, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock():
    """The clock stopped at ``NOW``; ``clock.shift(…)`` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def listed(batch, project, category, investment_wan, name=None):
    return BatchEntry.objects.create(
        batch=batch,
        project=project,
        category=category,
        name=name or project.name,
        total_investment=Decimal(investment_wan),
    )


def reached(project, stage, on):
    Milestone.objects.update_or_create(
        project=project, stage=stage, defaults={"actual_date": on, "planned_date": on}
    )


@pytest.fixture
def rounds(db):
    return (
        Batch.objects.create(year=2025, round=1, event_date=D(2025, 3, 20)),
        Batch.objects.create(year=2025, round=2, event_date=D(2025, 6, 18)),
    )


@pytest.fixture
def guide_example(zone, other_zone, rounds):
    """The guide's example in 晋中, and three more signings in 祁县."""
    first, second = rounds
    projects = []
    for n in range(10):
        stage = Stage.SIGNED
        if n < 7:
            stage = Stage.UNDER_CONSTRUCTION
        if n < 4:
            stage = Stage.IN_PRODUCTION
        if n < 2:
            stage = Stage.AT_CAPACITY
        project = ProjectFactory(
            zone=zone,
            name=f"晋中签约项目{n}",
            stage=stage,
            total_investment=Decimal(10000 * (n + 1)),  # 1亿, 2亿 … 10亿
            expected_annual_output=[Decimal(100000), Decimal(50000)][n] if n < 2 else None,
        )
        if n < 2:  # written by the reach_capacity transition only
            project.actual_annual_output = [Decimal(90000), Decimal(60000)][n]
            project.save()
        reached(project, Stage.SIGNED, D(2025, 3, 20))
        if n < 7:
            reached(project, Stage.UNDER_CONSTRUCTION, D(2025, 5, 6))
        if n < 4:
            reached(project, Stage.IN_PRODUCTION, D(2025, 9, 1))
        listed(first, project, Category.SIGN, 10000 * (n + 1))
        projects.append(project)
    for n in range(3):
        project = ProjectFactory(
            zone=other_zone,
            name=f"祁县签约项目{n}",
            stage=Stage.UNDER_CONSTRUCTION if n == 0 else Stage.SIGNED,
        )
        if n == 0:
            reached(project, Stage.UNDER_CONSTRUCTION, D(2025, 8, 8))
        if n == 1:  # a production date without a start of works: not "of those started"
            reached(project, Stage.IN_PRODUCTION, D(2025, 8, 9))
        listed(second, project, Category.SIGN, 5000)
    return projects


@pytest.fixture
def two_round_lists(zone, other_zone, rounds):
    """Round 1: 晋中 signs A (2亿) and B (3亿), starts C (5亿); 祁县 produces Q (4亿).
    Round 2: 晋中 starts C again (re-listed, now reported 6亿) and starts A (2.5亿)."""
    first, second = rounds
    a = ProjectFactory(zone=zone, name="A")
    b = ProjectFactory(zone=zone, name="B")
    c = ProjectFactory(zone=zone, name="C")
    q = ProjectFactory(zone=other_zone, name="Q")
    listed(first, a, Category.SIGN, 20000)
    listed(first, b, Category.SIGN, 30000)
    listed(first, c, Category.START, 50000)
    listed(first, q, Category.PRODUCE, 40000)
    listed(second, c, Category.START, 60000)
    listed(second, a, Category.START, 25000)
    return a, b, c, q


@pytest.fixture
def readiness_cases(zone, catalogue):
    """Five projects at signed or ready in 晋中, worked out by hand:
    P1 two before-works items approved, one not applicable → ready; 2 applicable, 2 settled.
    P2 one approved, one being prepared before works → not ready; 2 applicable, 1 settled.
    P3 no checklist → never ready.
    P4 at ready, its two items not applicable → ready; none applicable.
    P5 a commitment, a unified service, one being prepared that is for after works → ready;
       3 applicable, 2 settled.
    P6 under construction with open items: not counted.
    → 5 projects, 3 ready (60.0 %); 7 applicable items on 3 projects, 5 settled."""
    before = list(ApprovalType.objects.filter(before_works=True).order_by("code")[:3])
    after = ApprovalType.objects.filter(before_works=False).order_by("code").first()
    assert len(before) == 3 and after is not None

    def items(project, *rows):
        for approval_type, mode, status in rows:
            ApprovalItem.objects.create(
                project=project, approval_type=approval_type, mode=mode, status=status
            )

    approved = (Mode.APPROVAL, ItemStatus.APPROVED)
    preparing = (Mode.APPROVAL, ItemStatus.PREPARING)
    not_applicable = (Mode.NOT_APPLICABLE, ItemStatus.NOT_STARTED)
    p1, p2, p3, p5 = (ProjectFactory(zone=zone, stage=Stage.SIGNED) for _ in range(4))
    p4 = ProjectFactory(zone=zone, stage=Stage.READY)
    p6 = ProjectFactory(zone=zone, stage=Stage.UNDER_CONSTRUCTION)
    items(p1, (before[0], *approved), (before[1], *approved), (before[2], *not_applicable))
    items(p2, (before[0], *approved), (before[1], *preparing))
    items(p4, (before[0], *not_applicable), (before[1], *not_applicable))
    items(
        p5,
        (before[0], Mode.COMMITMENT, ItemStatus.NOT_STARTED),
        (before[1], Mode.UNIFIED, ItemStatus.NOT_STARTED),
        (after, *preparing),
    )
    items(p6, (before[0], *preparing))
    return p1, p2, p3, p4, p5, p6
