"""A zone of 5,000 open projects (a fifth of them red, some foreseen late, a problem overdue on
every tenth) makes its 督办通报 in well under a second: why "make one now" runs in the request
(approvals/admin/bulletins.py)."""

from __future__ import annotations

import time

from approvals.bulletins import services
from approvals.models import Problem, Project, Stage
from tests.bulletins.conftest import MONDAY, D

PROJECTS = 5000


def test_a_zone_of_5000_projects_takes_less_than_a_second(frozen, zone, alice, lily):
    Project.objects.bulk_create(
        Project(
            name=f"项目{n}",
            zone=zone,
            stage=Stage.SIGNED,
            officer=alice,
            leader=lily,
            total_investment=10000,
            colour_date=D(2026, 8, 1) if n % 5 == 0 else D(2027, 3, 1),
            colour_stage=Stage.UNDER_CONSTRUCTION,
            at_risk_since=D(2026, 11, 1) if n % 50 == 1 else None,
        )
        for n in range(PROJECTS)
    )
    ids = list(Project.objects.values_list("pk", flat=True)[:PROJECTS:10])
    Problem.objects.bulk_create(
        Problem(project_id=pk, description=f"堵点{pk}", deadline=D(2026, 11, 1)) for pk in ids
    )
    started = time.perf_counter()
    made = services.make(zone=zone, week=MONDAY, weekly=True)
    took = time.perf_counter() - started
    assert made.file.size > 0
    assert took < 1.0, f"{took:.2f} s"
