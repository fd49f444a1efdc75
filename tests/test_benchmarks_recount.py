"""benchmarks/figures_recount.py runs (its "before" patches what the code reads, so a moved
function breaks it without an import failing: its default run once patched a registry that
kept.py no longer read). One round over a small zone, both ways, under the test settings: the
script itself asserts that before and after give the same figures."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.checklist.services import checklist_generate
from approvals.models import MonthlyProgress, Stage
from benchmarks import figures_recount
from tests.factories import ProjectFactory, administrator
from zones.models import AdminRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone_with_figures(zone, alice, catalogue):
    for n in range(3):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, name=f"测算项目{n}")
        checklist_generate(project=project, by=alice)
        MonthlyProgress.objects.create(
            project=project, month=dt.date(2025, n + 1, 1), completed_year=n + 1
        )
    return zone


def test_the_recount_benchmark_runs_both_ways(zone_with_figures, capsys):
    figures_recount.run(1)
    assert "one zone's recount, after" in capsys.readouterr().out


def test_the_kept_figures_benchmark_runs_both_ways(zone_with_figures, capsys):
    administrator("pages-system-admin", AdminRole.SYSTEM)  # as pages.py builds it
    figures_recount.kept_run(1)
    assert "one zone's recount, after" in capsys.readouterr().out
