"""三个一批 list imports, 10,000 and 100,000 rows, side by side in one run:

- (a) just reading the file: our reader (python-calamine up to 2 MB, openpyxl's streaming
  reader beyond), python-calamine whole, and openpyxl's read-only mode;
- (b) our import, first time (every project new) and again (nothing changes);
- (c) django-import-export's default ``ModelResource`` on the same rows (its own row-by-row
  path, reading through tablib and openpyxl), 10,000 rows only: it would take minutes on 100,000.

Each measurement runs in a child process of its own, so that its peak memory (max RSS) is its
own, on the benchmark database ``run.py`` set up. Rows per second count data rows end to end:
reading, comparing, writing, committing.

    .venv/bin/python benchmarks/import_bench.py [--sizes 10000 100000]   (alone)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = [
    "序号",
    "项目代码",
    "项目名称",
    "项目单位",
    "所在开发区",
    "行业",
    "类别",
    "当前阶段",
    "总投资（亿元）",
    "预计年产值（亿元）",
    "计划开工时间",
    "项目管家",
    "形象进度",
]
ZONES = 20
EVENT = dt.date(2025, 3, 28)


def bench_zones() -> list[str]:
    return [f"基准经济技术开发区{n:02d}" for n in range(ZONES)]


def write_list(path: Path, rows: int) -> None:
    """A realistic list: a title row, dates in several forms, units in the header."""
    from openpyxl import Workbook

    rng = random.Random(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("三个一批")
    sheet.append(["2025年第一季度“三个一批”项目清单（基准）"])
    sheet.append(HEADER)
    zones = bench_zones()
    stages = ["已签约", "在建", "储备", "已投产"]
    for n in range(rows):
        planned = [
            dt.date(2025, 1 + n % 12, 1 + n % 28),
            f"2025年{1 + n % 12}月",
            f"2025.{1 + n % 12}.{1 + n % 28}",
        ][n % 3]
        sheet.append(
            [
                n + 1,
                f"{25 if n % 2 else 19}{n % 12 + 1:02d}-14{n % 10000:04d}-{n % 90 + 10}-0{n % 9 + 1}-{n:06d}",
                f"基准项目{n:06d}号年产{rng.randint(1, 99)}万吨新材料项目",
                f"山西基准实业有限公司{n % 2000:04d}",
                zones[n % ZONES],
                ["新材料", "光伏", "装备制造", "食品"][n % 4],
                ["签约", "开工", "投产"][n % 3],
                stages[n % 4],
                round(rng.uniform(0.1, 50), 2),
                round(rng.uniform(0.1, 80), 2),
                planned,
                "",
                "土建施工中",
            ]
        )
    book.save(path)


# --- children: one measurement each -------------------------------------------------------------


def child(scenario: str, path: str) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from django.db import connection, reset_queries

    data = Path(path).read_bytes()
    started = time.perf_counter()
    rows = 0
    if scenario == "read-ours":
        from approvals.spreadsheets.reading import read_sheets

        rows = sum(sum(1 for _ in sheet_rows) for _, sheet_rows in read_sheets(data, "l.xlsx")) - 2
    elif scenario == "read-calamine":
        import python_calamine

        book = python_calamine.CalamineWorkbook.from_filelike(__import__("io").BytesIO(data))
        rows = sum(1 for _ in book.get_sheet_by_index(0).iter_rows()) - 2
    elif scenario == "read-openpyxl":
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = sum(1 for _ in book.active.iter_rows(values_only=True)) - 2
    elif scenario.startswith("ours"):
        from approvals.spreadsheets import imports

        record = imports.receive(
            "project_list",
            data,
            "l.xlsx",
            by=None,
            source="benchmark",
            year=2025,
            round=1,
            event_date=EVENT,
            keep_file=False,
        )
        report = imports.apply(record, data)
        assert report.ok, report.errors[:3]
        rows = report.rows
        expect = {"ours-first": report.created, "ours-again": report.unchanged}[scenario]
        assert expect == rows, (scenario, report.summary())
    elif scenario == "import-export":
        rows = _import_export(data)
    seconds = time.perf_counter() - started
    del connection, reset_queries
    return {
        "seconds": seconds,
        "rows": rows,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _import_export(data: bytes) -> int:
    """django-import-export's default way: a ModelResource, its XLSX format, import_data."""
    import tablib
    from import_export import fields, resources, widgets

    from approvals.models import Project
    from zones.models import Zone

    class ProjectResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="项目代码")
        name = fields.Field(attribute="name", column_name="项目名称")
        zone = fields.Field(
            attribute="zone",
            column_name="所在开发区",
            widget=widgets.ForeignKeyWidget(Zone, "name"),
        )
        industry = fields.Field(attribute="industry", column_name="行业")
        total_investment = fields.Field(
            attribute="total_investment",
            column_name="总投资（万元）",
            widget=widgets.DecimalWidget(),
        )

        class Meta:
            model = Project
            fields = ("code", "name", "zone", "industry", "total_investment")
            import_id_fields = ("code",)

    import io

    from openpyxl import load_workbook

    # Its XLSX format reads the first row as the header: give it the rows under our header row.
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    values = list(book.active.iter_rows(values_only=True))[2:]
    dataset = tablib.Dataset(
        headers=["项目代码", "项目名称", "所在开发区", "行业", "总投资（万元）"]
    )
    for row in values:
        dataset.append([row[1], row[2], row[4], row[5], float(row[8]) * 10000])
    result = ProjectResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    return len(dataset)


def run_child(scenario: str, path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", scenario, str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if output.returncode:
        raise RuntimeError(f"{scenario}: {output.stderr[-2000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- the parent: setting up, running, the table ------------------------------------------------


def prepare() -> None:
    from approvals.models import (
        Batch,
        BatchEntry,
        Milestone,
        Project,
        SpreadsheetImport,
        StageChange,
    )
    from benchmarks.common import analyze, delete_all
    from zones.models import Enterprise, Zone

    emptied = (BatchEntry, SpreadsheetImport, Batch, StageChange, Milestone)
    delete_all(*emptied)
    delete_all(Project.history.model, Milestone.history.model, Project, Enterprise)
    # each import starts on empty tables with statistics that say so, as autovacuum leaves them
    for model in (*emptied, Project.history.model, Milestone.history.model, Project, Enterprise):
        analyze(model._meta.db_table)
    for name in bench_zones():
        Zone.objects.get_or_create(name=name, defaults={"city": "基准市"})


def run(sizes: tuple[int, ...] = (10_000, 100_000)) -> str:
    from benchmarks.common import table

    results = []
    with tempfile.TemporaryDirectory(prefix="projectdesk-import-bench-") as folder:
        for size in sizes:
            path = Path(folder) / f"list-{size}.xlsx"
            write_list(path, size)
            measured = {}
            measured["read-ours"] = run_child("read-ours", path)
            measured["read-calamine"] = run_child("read-calamine", path)
            measured["read-openpyxl"] = run_child("read-openpyxl", path)
            if size <= 10_000:
                prepare()
                measured["import-export"] = run_child("import-export", path)
            prepare()
            measured["ours-first"] = run_child("ours-first", path)
            measured["ours-again"] = run_child("ours-again", path)
            prepare()
            for name, m in measured.items():
                rate = m["rows"] / m["seconds"] if m["seconds"] else 0
                results.append(
                    (
                        f"{size:,}",
                        LABELS[name],
                        f"{m['seconds']:.2f}",
                        f"{rate:,.0f}",
                        f"{m['max_rss_mb']:.0f}",
                    )
                )
            ours, default = measured["ours-first"], measured.get("import-export")
            if default:
                results.append(
                    (
                        f"{size:,}",
                        "(b) first ÷ (c): times faster",
                        f"{default['seconds'] / ours['seconds']:.1f}×",
                        "",
                        "",
                    )
                )
    return table(
        "三个一批 list import (end to end, each in its own process)",
        ["rows", "way", "s", "rows/s", "peak MB"],
        results,
    )


LABELS = {
    "read-ours": "(a) read only, our reader",
    "read-calamine": "(a) read only, python-calamine",
    "read-openpyxl": "(a) read only, openpyxl",
    "import-export": "(c) django-import-export ModelResource",
    "ours-first": "(b) ours, first import",
    "ours-again": "(b) ours, again (no change)",
}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        import argparse

        parser = argparse.ArgumentParser(
            description=__doc__, formatter_class=argparse.RawTextHelpFormatter
        )
        parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
        sizes = tuple(parser.parse_args().sizes)
        from benchmarks.run import django_on_throwaway_database

        with django_on_throwaway_database():
            print(run(sizes))
