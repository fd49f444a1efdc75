"""The quarterly 三个一批 list as the import tests write it: its header and rows, the workbook, the
round it is imported for, the list received as an upload or the command receives it, and
every row an import of it may write.

``tests/spreadsheets/test_import_projects.py`` tests the import with these; the tests of the
edges, the worker and the jobs' leases import lists made the same way.
"""

from __future__ import annotations

import datetime as dt

from approvals.models import (
    Batch,
    BatchEntry,
    ImportKind,
    Milestone,
    Project,
    SpreadsheetImport,
    StageChange,
    StageRequest,
)
from approvals.spreadsheets import imports
from approvals.spreadsheets.project_list import BatchSpec
from tests.spreadsheet_files import Title, xlsx
from zones.models import Enterprise

HEADER = [
    "序号",
    "项目代码",
    "项目名称",
    "项目单位",
    "所在开发区",
    "类别",
    "当前阶段",
    "总投资（亿元）",
    "计划开工时间",
    "项目管家",
    "备注",
]
ROUND_1 = BatchSpec(2025, 1, dt.date(2025, 3, 28))


def workbook(
    *rows, header=HEADER, title="晋中市2025年第一季度“三个一批”项目清单", sheet="清单"
) -> bytes:
    return xlsx({sheet: [*([Title(title)] if title else []), header, *rows]})


def row(
    n,
    name,
    *,
    code="",
    enterprise="大恒能源",
    zone="晋中开发区",
    category="开工",
    stage="",
    yi=None,
    start=None,
    officer="",
    notes="",
):
    return [n, code, name, enterprise, zone, category, stage, yi, start, officer, notes]


def received(
    data: bytes, by=None, *, spec: BatchSpec = ROUND_1, name: str = "清单.xlsx"
) -> SpreadsheetImport:
    """The list received for the round ``spec`` (its import record), not yet previewed."""
    return imports.receive(
        ImportKind.PROJECT_LIST,
        data,
        name,
        by=by,
        source="test",
        year=spec.year,
        round=spec.round,
        event_date=spec.event_date,
    )


def state() -> dict:
    """Every row of every table a list import writes, to compare before and after."""
    return {
        model.__name__: list(model.objects.values().order_by("pk"))
        for model in (Project, BatchEntry, Milestone, StageChange, StageRequest, Enterprise, Batch)
    }
