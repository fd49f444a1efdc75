"""三个一批 list imports, side by side in one run (issue 21: "imports at the compass's pace"):

- (a) the floor, just reading the file: our reader (python-calamine up to 10 MB, openpyxl's
  streaming reader beyond) and python-calamine alone; openpyxl's read-only mode with
  ``--with-openpyxl``;
- (b) our import end to end through the command ``import_projects FILE --batch 2025-1
  --event-date 2025-03-28`` (read, check, write, commit; the page's confirm runs the same
  ``imports.apply``): first (every project new) and again (nothing changes), by the code of
  this tree ("after") and by the code of commit 8693639 ("before": main when issue 21 was
  started, checked out with ``git worktree add --detach /tmp/pd-before-import 8693639`` and
  run from there on the same database; the old code reads the new schema);
- (c) django-import-export's default ``ModelResource`` on the same rows, with
  ``--with-import-export`` (10,000 rows only: minutes on 100,000);
- with ``--with-user``, (b) again by a statistician of the zones (``--user``), as the page
  imports: the history rows and the stage changes then name the person (a key checked on each);
- with ``--index-cost``, after the other rounds, (b)'s first import again on the same database
  with the project table's search and sort indexes dropped (the trigram indexes of the admin's
  search, the ``(column, id)`` indexes of its sortable columns, the partial indexes of the home
  page's counts): what those indexes, which the pages need, cost an import that creates every
  project. Not a way to run: the measure of a floor.

"commit s" is the wall time of the import's final COMMIT: on PostgreSQL the foreign keys'
checks, deferred to it, of every row the import inserted.

Each measurement runs in a child process of its own (its peak memory is its own), on the
benchmark database ``run.py`` sets up, emptied before each first import. Rounds interleave
the ways (before and after alternate which goes first), and each figure is the median of the
rounds. Rows per second count data rows end to end over wall time; "CPU s" is the child's
own CPU time (``time.process_time``) plus, on PostgreSQL, its server process's (utime +
stime from /proc): what the load of other work on the machine disturbs less than wall time.
The load average is printed with each round.

    .venv/bin/python benchmarks/import_bench.py [--sizes 10000] [--rounds 3] [--no-before]
        [--before COMMIT]   # "before" is another commit than 8693639 (checked out likewise)
        [--written-by excel]  # the file as Excel and WPS write it (see ``WRITERS``)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/import_bench.py
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

#: The code measured: this tree, or (in a child) the tree its parent names.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.environ.get("IMPORT_BENCH_TREE", str(ROOT)))

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
#: Who imports with ``--with-user``: a statistician of every zone of the lists.
STATISTICIAN = "bench-statistician"
EVENT = dt.date(2025, 3, 28)


def bench_zones() -> list[str]:
    return [f"基准经济技术开发区{n:02d}" for n in range(ZONES)]


def list_rows(rows: int) -> list[list]:
    """A realistic list: a title row, dates in several forms, units in the header."""
    rng = random.Random(rows)
    zones = bench_zones()
    stages = ["已签约", "在建", "储备", "已投产"]
    lines: list[list] = [["2025年第一季度“三个一批”项目清单（基准）"], HEADER]
    for n in range(rows):
        planned = [
            dt.date(2025, 1 + n % 12, 1 + n % 28),
            f"2025年{1 + n % 12}月",
            f"2025.{1 + n % 12}.{1 + n % 28}",
        ][n % 3]
        lines.append(
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
    return lines


#: How the list's file is written (``--written-by``). The same rows either way; the bytes
#: differ, and python-calamine and the extent check read bytes:
#: - "openpyxl" (the default, and every earlier table's): openpyxl's write-only workbook, each
#:   text an inline string, each Chinese character a character reference (``&#22522;``,
#:   8 bytes): a sheet of 9.8 MB for 10,000 rows;
#: - "excel": XlsxWriter, texts in the shared strings table as Excel and WPS write them (UTF-8,
#:   each repeated text once), dates as numbers with a date format, an empty cell left out:
#:   4.1 MB of sheet and 1.2 MB of shared strings for the same rows.
WRITERS = ("openpyxl", "excel")


def write_list(path: Path, rows: int, written_by: str = "openpyxl") -> None:
    if written_by not in WRITERS:
        raise ValueError(f"written by {written_by!r}: one of {WRITERS}")
    lines = list_rows(rows)
    if written_by == "excel":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("三个一批")
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        for r, line in enumerate(lines):
            for c, value in enumerate(line):
                if value == "":
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, day)
                elif isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, value)
        book.close()
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("三个一批")
    for line in lines:
        sheet.append(line)
    book.save(path)


# --- children: one measurement each -------------------------------------------------------------


def _server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL server process so far (0 elsewhere)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time_commits() -> list[float]:
    """The wall seconds this process spends committing, counted into the list returned."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    spent = [0.0]
    commit = BaseDatabaseWrapper.commit

    def timed(self):
        started = time.perf_counter()
        try:
            return commit(self)
        finally:
            spent[0] += time.perf_counter() - started

    BaseDatabaseWrapper.commit = timed
    return spent


def page_indexes() -> dict[str, str]:
    """The project table's indexes that the pages need and an import only maintains: every
    index but its primary key, its unique keys (the code; the zone and name) and the zone and
    name key the import matches rows by. Name → the statement that creates it."""
    from django.db import connection

    from approvals.models import Project

    table = Project._meta.db_table
    definition = (
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s"
        if connection.vendor == "postgresql"
        else "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s"
    )
    found = {}
    with connection.cursor() as cursor:
        described = connection.introspection.get_constraints(cursor, table)
        for name, index in described.items():
            if not index["index"] or index["primary_key"] or index["unique"]:
                continue
            if index["columns"] == ["zone_id", "name_key"] and index["type"] != "gin":
                continue
            cursor.execute(definition, [name])
            found[name] = cursor.fetchone()[0]
    return found


def drop_project_indexes(names=None) -> list[str]:
    """Drop ``names``, by default every one of ``page_indexes``; the statements that create
    them again (``restore_indexes``)."""
    from django.db import connection

    indexes = page_indexes()
    created = []
    with connection.cursor() as cursor:
        for name in indexes if names is None else names:
            created.append(indexes[name])
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return created


def restore_indexes(created: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in created:
            cursor.execute(statement)


def child(scenario: str, path: str) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from django.db import connection, reset_queries

    data = Path(path).read_bytes()
    committing = _time_commits()
    server_at_start = _server_cpu()
    cpu_at_start = time.process_time()
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
        import io

        from approvals.models import SpreadsheetImport

        said = io.StringIO()
        by = ["--user", STATISTICIAN] if scenario.endswith("-by") else []
        import_command(path, *by, stdout=said)
        report = SpreadsheetImport.objects.order_by("-pk").values_list("report", flat=True)[0]
        rows = report["rows"]
        scenario = scenario.removesuffix("-by")
        expect = {"ours-first": report["created"], "ours-again": report["unchanged"]}[scenario]
        assert expect == rows, (scenario, said.getvalue()[-500:])
    elif scenario == "import-export":
        rows = _import_export(data)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_at_start
    server = _server_cpu() - server_at_start
    del connection, reset_queries
    return {
        "seconds": seconds,
        "cpu": cpu + server,
        "server_cpu": server,
        "rows": rows,
        "commit": committing[0],
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def import_command(path, *options: str, stdout=None) -> None:
    """``import_projects`` of the list at ``path`` for round 2025-1, held on ``EVENT``, as a
    statistician runs it on the command line (``options`` added, its output kept in
    ``stdout`` or dropped)."""
    import io

    from django.core.management import call_command

    said = stdout if stdout is not None else io.StringIO()
    round_ = ("--batch", "2025-1", "--event-date", EVENT.isoformat())
    call_command("import_projects", str(path), *round_, *options, stdout=said, stderr=io.StringIO())


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


def run_child(scenario: str, path: Path, tree: Path = ROOT) -> dict:
    """One measurement in a process of its own, by the code of ``tree`` (this one, or the
    "before" checkout)."""
    output = subprocess.run(
        [sys.executable, __file__, "--child", scenario, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "IMPORT_BENCH_TREE": str(tree)},
    )
    if output.returncode:
        raise RuntimeError(f"{scenario} ({tree}): {output.stderr[-2000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


BEFORE_COMMIT = "8693639"


def before_tree(commit: str = BEFORE_COMMIT) -> Path:
    """The code of ``commit``, checked out beside this one (once)."""
    tree = Path("/tmp/pd-before-import" + ("" if commit == BEFORE_COMMIT else f"-{commit}"))
    if not (tree / "approvals").is_dir():
        subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "worktree",
                "add",
                "--detach",
                str(tree),
                commit,
            ],
            check=True,
            capture_output=True,
        )
    return tree


# --- the parent: setting up, running, the table ------------------------------------------------


def prepare() -> None:
    from django.contrib.auth import get_user_model

    from approvals.models import (
        Batch,
        BatchEntry,
        Milestone,
        Project,
        SpreadsheetImport,
        StageChange,
    )
    from benchmarks.common import analyze, delete_all
    from zones.models import Enterprise, Role, Zone, ZoneRole

    emptied = (BatchEntry, SpreadsheetImport, Batch, StageChange, Milestone)
    delete_all(*emptied)
    delete_all(Project.history.model, Milestone.history.model, Project, Enterprise)
    # each import starts on empty tables with statistics that say so, as autovacuum leaves them
    for model in (*emptied, Project.history.model, Milestone.history.model, Project, Enterprise):
        analyze(model._meta.db_table)
    for name in bench_zones():
        Zone.objects.get_or_create(name=name, defaults={"city": "基准市"})
    statistician, _created = get_user_model().objects.get_or_create(username=STATISTICIAN)
    for zone in Zone.objects.filter(name__in=bench_zones()):
        ZoneRole.objects.get_or_create(user=statistician, zone=zone, role=Role.STATISTICIAN)


def _noter(measured: dict[str, list[dict]]):
    return lambda name, m: measured.setdefault(name, []).append(m)


def load_average() -> str:
    """The load average, as each of the import benchmarks prints it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(
    sizes: tuple[int, ...] = (10_000,),
    rounds: int = 3,
    *,
    before: bool = True,
    before_commit: str = BEFORE_COMMIT,
    openpyxl: bool = False,
    import_export: bool = False,
    by_user: bool = False,
    index_cost: bool = False,
    written_by: str = "openpyxl",
) -> str:
    from statistics import median

    from benchmarks.common import table

    trees = {"after": ROOT, **({"before": before_tree(before_commit)} if before else {})}
    results = []
    loads = []
    with tempfile.TemporaryDirectory(prefix="projectdesk-import-bench-") as folder:
        for size in sizes:
            path = Path(folder) / f"list-{size}.xlsx"
            write_list(path, size, written_by)
            measured: dict[str, list[dict]] = {}
            note = _noter(measured)
            for number in range(rounds):
                loads.append(f"{size:,} rows, round {number + 1}: load {load_average()}")
                print(loads[-1], file=sys.stderr, flush=True)
                note("read-ours", run_child("read-ours", path))
                note("read-calamine", run_child("read-calamine", path))
                if openpyxl:
                    note("read-openpyxl", run_child("read-openpyxl", path))
                order = list(trees.items())
                if number % 2:
                    order.reverse()
                for label, tree in order:
                    prepare()
                    note(f"{label}-first", run_child("ours-first", path, tree))
                    note(f"{label}-again", run_child("ours-again", path, tree))
                if by_user:
                    prepare()
                    note("after-first-by", run_child("ours-first-by", path))
                    note("after-again-by", run_child("ours-again-by", path))
                if import_export and size <= 10_000:
                    prepare()
                    note("import-export", run_child("import-export", path))
            if index_cost:
                dropped = drop_project_indexes()
                print(f"{len(dropped)} indexes dropped", file=sys.stderr, flush=True)
                for number in range(rounds):
                    loads.append(
                        f"{size:,} rows, indexes dropped, round {number + 1}: load {load_average()}"
                    )
                    print(loads[-1], file=sys.stderr, flush=True)
                    prepare()
                    note("after-first-bare", run_child("ours-first", path))
                restore_indexes(dropped)  # the next size is measured with them again
            prepare()
            for name, runs in measured.items():
                seconds = median(m["seconds"] for m in runs)
                cpu = median(m["cpu"] for m in runs)
                commit = median(m.get("commit", 0.0) for m in runs)
                server = median(m["server_cpu"] for m in runs)
                rows = runs[0]["rows"]
                results.append(
                    (
                        f"{size:,}",
                        LABELS[name].replace(BEFORE_COMMIT, before_commit),
                        f"{seconds:.2f}",
                        f"{rows / seconds:,.0f}",
                        f"{cpu:.2f}" + (f" ({server:.2f})" if server else ""),
                        f"{rows / cpu:,.0f}" if cpu else "",
                        f"{commit:.2f}" if name.startswith(("after", "before")) else "",
                        f"{max(m['max_rss_mb'] for m in runs):.0f}",
                    )
                )
    from django.db import connection

    return "\n".join(
        [
            table(
                f"三个一批 list import on {connection.vendor}, through the command, median of "
                f"{rounds} interleaved rounds, the file written by {written_by}",
                [
                    "rows",
                    "way",
                    "s",
                    "rows/s",
                    "CPU s (server)",
                    "rows/CPU s",
                    "commit s",
                    "peak MB",
                ],
                results,
            ),
            "",
            *loads,
            f"load at the end: {load_average()}",
        ]
    )


LABELS = {
    "read-ours": "(a) read only, our reader (the floor)",
    "read-calamine": "(a) read only, python-calamine",
    "read-openpyxl": "(a) read only, openpyxl",
    "import-export": "(c) django-import-export ModelResource",
    "before-first": "(b) before (8693639), first import",
    "after-first": "(b) after, first import",
    "before-again": "(b) before (8693639), again (no change)",
    "after-again": "(b) after, again (no change)",
    "after-first-by": "(b) after, first import, by a statistician (--user)",
    "after-again-by": "(b) after, again, by a statistician (--user)",
    "after-first-bare": "(b) after, first import, the project's search and sort indexes dropped",
}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        import argparse

        parser = argparse.ArgumentParser(
            description=__doc__, formatter_class=argparse.RawTextHelpFormatter
        )
        parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
        parser.add_argument("--rounds", type=int, default=3)
        parser.add_argument("--no-before", action="store_true", help="this tree's code only")
        parser.add_argument(
            "--before",
            default=BEFORE_COMMIT,
            metavar="COMMIT",
            help=f'the commit measured as "before" (default {BEFORE_COMMIT})',
        )
        parser.add_argument("--with-openpyxl", action="store_true")
        parser.add_argument("--with-import-export", action="store_true")
        parser.add_argument(
            "--with-user",
            action="store_true",
            help="also as a statistician (--user), as the page imports: history and records "
            "name the person",
        )
        parser.add_argument(
            "--index-cost",
            action="store_true",
            help="also the first import with the project table's search and sort indexes "
            "dropped (what they cost an import; measured last, on the same database)",
        )
        parser.add_argument(
            "--written-by",
            choices=WRITERS,
            default="openpyxl",
            help="how the list's file is written: openpyxl's write-only workbook (inline "
            "strings, characters as references), or as Excel and WPS write (shared strings)",
        )
        args = parser.parse_args()
        from benchmarks.databases import django_on_throwaway_database

        # one database per database named in DATABASE_URL: helpers measuring at once on one
        # server do not drop each other's
        named = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
        suffix = f"_{named}" if named.isidentifier() else ""
        with django_on_throwaway_database(f"projectdesk_import_bench{suffix}"):
            print(
                run(
                    tuple(args.sizes),
                    args.rounds,
                    before=not args.no_before,
                    before_commit=args.before,
                    openpyxl=args.with_openpyxl,
                    import_export=args.with_import_export,
                    by_user=args.with_user,
                    index_cost=args.index_cost,
                    written_by=args.written_by,
                )
            )
