"""Figures refreshed for exactly the zones a change touched (issue 21, guide section 12): for
each kind of change in 晋中 — a supervisor's stage decision, an item's mode changed, a problem
raised, an approval table imported, the catalogue's before-works flag changed — once it
commits, the worker has counted 晋中's figures again (the change shows in them, the readiness
read from the projects' checklist counters), and 祁县's kept figures are as they were: neither
marked nor counted."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    ImportKind,
    ItemStatus,
    Mode,
    Problem,
    ProblemCategory,
    Stage,
    ZoneFigures,
)
from approvals.stages import workflow
from tests import figures
from tests.factories import ProjectFactory
from tests.figures import NOW, TODAY
from tests.figures.test_kept import committed  # noqa: F401 (a fixture)
from tests.spreadsheet_files import xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

clock = figures.clock
readiness_cases = figures.readiness_cases


def stage_decision(cases, alice, bob, **_):
    p1 = cases[0]
    request = workflow.request_transition(p1, "mark_ready", by=alice)
    workflow.decide(request, bob, True)


def item_mode(cases, alice, **_):
    item = ApprovalItem.objects.get(project=cases[1], status=ItemStatus.PREPARING)
    workflow.item_set_mode(item, Mode.COMMITMENT, by=alice)


def problem(cases, **_):
    Problem.objects.create(
        project=cases[0], description="用地未落实", category=ProblemCategory.LAND, reported_on=TODAY
    )


def approval_table(cases, alice, zone, **_):
    from approvals.spreadsheets import approval_table as table
    from approvals.spreadsheets import imports

    p2 = cases[1]
    p2.code = "2503-140702-04-01-123456"
    p2.save()
    item = ApprovalItem.objects.get(project=p2, status=ItemStatus.PREPARING)
    header = ["序号", "项目代码", "项目名称", "所在开发区", item.approval_type.code]
    data = xlsx({"前期手续": [header, [1, p2.code, p2.name, zone.aliases, dt.date(2025, 3, 1)]]})
    record = imports.receive(ImportKind.APPROVAL_TABLE, data, "进度表.xlsx", by=alice, source="t")
    assert table.run(data, "进度表.xlsx", by=alice, record=record).applied


def catalogue_flag(cases, **_):
    item = ApprovalItem.objects.get(project=cases[1], status=ItemStatus.PREPARING)
    kind = ApprovalType.objects.get(pk=item.approval_type_id)
    kind.before_works = False
    kind.save()


#: Each change, and what it changes in 晋中's figures (readiness: 3 ready of 5 before).
CHANGES = {
    "a stage decision": (stage_decision, ("stages", Stage.READY, "count"), 2),
    "an item's mode": (item_mode, ("readiness", "ready"), 4),
    "a problem": (problem, ("problems", "total"), 1),
    "an approval table": (approval_table, ("readiness", "ready"), 4),
    "the catalogue's flag": (catalogue_flag, ("readiness", "ready"), 4),
}


def figure(row: ZoneFigures, path: tuple) -> object:
    found = row.figures
    for key in path:
        found = found[key]
    return found


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_in_one_zone_recounts_that_zone_only(
    change,
    readiness_cases,
    zone,
    other_zone,
    alice,
    bob,
    charlie,
    clock,
    committed,  # noqa: F811
    celery_inline,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    make, path, expected = CHANGES[change]
    ProjectFactory(zone=other_zone, stage=Stage.SIGNED, officer=charlie)
    committed()  # the worker counts both zones
    before_a = ZoneFigures.objects.get(pk=zone.pk)
    before_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert before_a.counted_at == before_b.counted_at == NOW
    assert figure(before_a, path) != expected
    clock.shift(dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        make(readiness_cases, alice=alice, bob=bob, zone=zone)
    after_a = ZoneFigures.objects.get(pk=zone.pk)
    after_b = ZoneFigures.objects.get(pk=other_zone.pk)
    assert after_a.version > before_a.version and after_a.counted_version == after_a.version
    assert after_a.counted_at == NOW + dt.timedelta(minutes=5)
    assert figure(after_a, path) == expected
    assert (after_b.version, after_b.counted_at, after_b.figures) == (
        before_b.version,
        before_b.counted_at,
        before_b.figures,
    )
