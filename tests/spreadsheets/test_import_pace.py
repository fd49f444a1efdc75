"""The list import made fast (issue 21, "imports at the compass's pace") keeps its meaning: a
re-import that changes nothing writes nothing, one that changes one cell changes exactly that
project, new projects carry the next-milestone and colour dates the query forms give, a cell
parsed once per value is still reported on every row that holds it, a file scanned once
per import is still refused under a lower cap, and the objects alive before an import sit out
the garbage collector's passes only while it runs."""

from __future__ import annotations

import datetime as dt
import gc
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.cases.lateness import refresh_colour_dates
from approvals.cases.models.milestones import refresh_next_milestones
from approvals.models import (
    BatchEntry,
    Milestone,
    Project,
    Stage,
    StageChange,
    StageRequest,
)
from approvals.spreadsheets import imports, project_list
from approvals.spreadsheets.extent.limits import SpreadsheetRefused
from approvals.spreadsheets.extent.xlsx import check_xlsx
from tests.project_lists import received, row, state, workbook
from zones.models import Enterprise

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
AFTER = dt.datetime(2025, 4, 7, 10, 0, tzinfo=TZ)  # the import's day, after the round's event

#: The tables a list import writes to for its rows (its own record and audit aside).
WRITTEN = {
    m._meta.db_table
    for m in (
        Project,
        Project.history.model,
        Milestone,
        Milestone.history.model,
        BatchEntry,
        StageChange,
        StageRequest,
        Enterprise,
    )
}


def run(data: bytes, *, by):
    with time_machine.travel(AFTER, tick=False):
        record = received(data, by=by)
        return imports.apply(record, data)


def rows(yi_of_second=2.5) -> bytes:
    return workbook(
        row(1, "晋中碳纤维项目", category="签约", yi=1.2, start="2025年6月"),
        row(2, "晋中光伏组件项目", category="开工", stage="在建", yi=yi_of_second),
        row(3, "晋中新材料项目", category="投产", yi=30, start=dt.date(2024, 5, 1)),
        row(4, "晋中装备制造项目", category="签约", enterprise="晋中装备", start="2025.9.30"),
    )


def written_tables(queries) -> set[str]:
    found = set()
    for query in queries:
        match = re.match(
            r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', query["sql"], re.I
        )
        if match:
            found.add(match.group(1))
    return found


class TestAReimport:
    def test_with_nothing_changed_it_writes_no_row(self, stan):
        first = run(rows(), by=stan)
        assert (first.created, first.errors) == (4, [])
        before = state()
        with CaptureQueriesContext(connection) as captured:
            again = run(rows(), by=stan)
        assert (again.created, again.changed, again.unchanged) == (0, 0, 4)
        assert written_tables(captured.captured_queries) & WRITTEN == set()
        assert state() == before

    def test_with_one_cell_changed_it_changes_exactly_that_project(self, stan):
        run(rows(), by=stan)
        before = {p["name"]: p for p in Project.objects.values()}
        histories = Project.history.count()

        again = run(rows(yi_of_second=3.75), by=stan)

        assert (again.changed, again.unchanged, again.errors) == (1, 3, [])
        after = {p["name"]: p for p in Project.objects.values()}
        changed = {
            name: {k for k, v in after[name].items() if before[name][k] != v} for name in after
        }
        assert changed["晋中光伏组件项目"] >= {"total_investment"}
        assert after["晋中光伏组件项目"]["total_investment"] == Decimal("37500.00")
        assert {name: c for name, c in changed.items() if c} == {
            "晋中光伏组件项目": changed["晋中光伏组件项目"]
        }
        assert Project.history.count() == histories + 1
        entry = BatchEntry.objects.get(project__name="晋中光伏组件项目")
        assert entry.total_investment == Decimal("37500.00")


def test_new_projects_carry_the_dates_the_query_forms_give(stan):
    data = workbook(
        row(1, "晋中碳纤维项目", category="签约", start="2025年6月"),
        row(2, "晋中氢能项目", category="开工", stage="具备开工条件", start="2025.8.15"),
        row(3, "晋中新材料项目", category="投产", stage="已签约", start=dt.date(2025, 5, 10)),
        row(4, "晋中储能项目", category="开工", stage="储备"),
        row(5, "晋中算力项目", category="投产"),
    )
    report = run(data, by=stan)
    assert (report.created, report.errors) == (5, [])
    fields = ("name", "stage", "next_milestone_on", "colour_date", "colour_stage", "colour_node")
    stored = list(Project.objects.order_by("pk").values_list(*fields))
    assert any(p[2] for p in stored) and any(p[3] for p in stored)  # not all empty

    refresh_next_milestones()
    assert refresh_colour_dates() == 0
    assert list(Project.objects.order_by("pk").values_list(*fields)) == stored
    ready = Project.objects.get(name="晋中氢能项目")
    assert (ready.stage, ready.next_milestone_on) == (Stage.READY, dt.date(2025, 8, 15))


def test_a_cell_that_cannot_be_read_is_reported_on_every_row_that_holds_it(stan):
    data = workbook(
        row(1, "晋中碳纤维项目", start="明年春天"),
        row(2, "晋中光伏组件项目", start="明年春天"),
        row(3, "晋中新材料项目", category="每批"),
        row(4, "晋中装备制造项目", category="每批"),
    )
    report = run(data, by=stan)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "计划开工时间"),
        (4, "计划开工时间"),
        (5, "类别"),
        (6, "类别"),
    ]
    assert not Project.objects.exists()


def test_a_file_scanned_once_is_still_refused_under_a_lower_cap(settings):
    data = rows()
    settings.IMPORT_MAX_ROWS = 1000
    assert check_xlsx(data, "清单.xlsx") == 6
    settings.IMPORT_MAX_ROWS = 3
    with pytest.raises(SpreadsheetRefused):
        check_xlsx(data, "清单.xlsx")


class TestTheCollector:
    """``project_list._heap_frozen``: what was alive before the import is frozen while it
    runs, and handed back however it ends."""

    def frozen_while_comparing(self, monkeypatch, fail: bool = False) -> list[int]:
        seen = []
        compare = project_list.compare

        def watched(*args, **kwargs):
            seen.append(gc.get_freeze_count())
            if fail:
                raise RuntimeError("the database went away")
            return compare(*args, **kwargs)

        monkeypatch.setattr(project_list, "compare", watched)
        return seen

    def test_it_leaves_the_old_objects_out_while_an_import_runs(self, stan, monkeypatch):
        before = gc.get_freeze_count()
        seen = self.frozen_while_comparing(monkeypatch)
        report = run(rows(), by=stan)
        assert (report.created, report.errors) == (4, [])
        assert seen and all(frozen > before + 10_000 for frozen in seen)
        assert gc.get_freeze_count() == before

    def test_it_hands_them_back_when_the_file_is_refused(self, stan):
        before = gc.get_freeze_count()
        report = run(workbook(row(1, "晋中碳纤维项目", zone="火星开发区")), by=stan)
        assert report.errors and not Project.objects.exists()
        assert gc.get_freeze_count() == before

    def test_it_hands_them_back_when_the_import_fails(self, stan, monkeypatch):
        before = gc.get_freeze_count()
        seen = self.frozen_while_comparing(monkeypatch, fail=True)
        with pytest.raises(RuntimeError):
            run(rows(), by=stan)
        assert seen and seen[0] > before
        assert gc.get_freeze_count() == before
