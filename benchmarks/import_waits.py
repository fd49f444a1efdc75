"""Where a first import of a 三个一批 list spends its time, statement by statement (issue 21:
"imports at the compass's pace"; what ``import_bench.py`` measures end to end, taken apart).

One process, on the throw-away database ``databases.py`` makes, the list of
``import_bench.write_list``: a first import to warm the process, then ``--rounds`` first
imports (each on emptied tables, ``import_bench.prepare``) through the command, each printed
with the load average; the medians of:

- each statement's wall time, grouped by its text (Django's ``execute_wrapper``; each COPY timed
  around ``bulk.copy_rows``, the rows made before the clock starts), beside the whole import:
  what is left is the client's own work (reading, understanding, comparing, building rows;
  on SQLite ``executemany`` draws the rows as it inserts, so their making is in its time);
- on PostgreSQL, the COMMIT taken apart: each deferred foreign key checked on its own
  (``SET CONSTRAINTS … IMMEDIATE`` just before the COMMIT, in the same transaction), then the
  COMMIT itself;
- with ``--indexes`` (PostgreSQL), the same imports with groups of the indexes the pages need
  (``import_bench.page_indexes``, what its ``--index-cost`` drops) dropped, side by side with
  all of them in the same run (each group restored after its rounds): the two trigram indexes
  of the admin's search, and the others (the ``(column, id)`` and partial indexes of the lists'
  sorts and the home page's counts, a foreign key's, the code's prefix search). The measure of a
  floor, not a way to run: the pages need those indexes (``benchmarks/README.md`` sections
  15–17).

    .venv/bin/python benchmarks/import_waits.py [--rows 10000] [--rounds 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \\
        benchmarks/import_waits.py [--indexes]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.databases import django_on_throwaway_database  # noqa: E402 - after the path

#: The tables a first import writes: their foreign keys are what its COMMIT checks.
WRITTEN = (
    "approvals_project",
    "approvals_historicalproject",
    "approvals_milestone",
    "approvals_historicalmilestone",
    "approvals_stagechange",
    "approvals_batchentry",
    "zones_enterprise",
)


def _statement(sql: str) -> str:
    """A statement's group: its first words and its table, not its values."""
    sql = re.sub(r"\s+", " ", sql).strip()
    verb = sql.split(" ", 1)[0].upper()
    table = re.search(r'(?:INTO|FROM|UPDATE|ANALYZE) "?([a-z_]+)"?', sql)
    if verb == "INSERT" and " SELECT " in sql:
        verb = "INSERT … SELECT"
    return f"{verb} {table.group(1) if table else sql[:60]}"


def _foreign_keys() -> list[tuple[str, str, str]]:
    """(table, column, constraint) of every foreign key of the tables an import writes
    (PostgreSQL)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.conname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [list(WRITTEN)],
        )
        return cursor.fetchall()


@contextmanager
def _timed(spent: dict[str, float]) -> Iterator[None]:
    """Every statement, COPY and COMMIT of the block timed into ``spent`` (group → seconds);
    on PostgreSQL each foreign key checked on its own before the COMMIT."""
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from approvals.core import bulk

    keys = _foreign_keys() if connection.vendor == "postgresql" else []

    def clocked(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[_statement(sql)] += time.perf_counter() - started

    copy_rows = bulk.copy_rows

    def copy_clocked(table: str, columns: str, values) -> int:
        values = list(values)  # the client's rows made first: the clock is the COPY's
        started = time.perf_counter()
        try:
            return copy_rows(table, columns, values)
        finally:
            spent[f"COPY {table.strip(chr(34))}"] += time.perf_counter() - started

    commit = BaseDatabaseWrapper.commit

    def commit_clocked(self) -> None:
        if keys:
            with self.connection.cursor() as cursor:
                for table, column, name in keys:
                    started = time.perf_counter()
                    cursor.execute(f'SET CONSTRAINTS "{name}" IMMEDIATE')
                    spent[f"COMMIT: foreign key {table}.{column}"] += time.perf_counter() - started
        started = time.perf_counter()
        try:
            return commit(self)
        finally:
            spent["COMMIT (the rest)" if keys else "COMMIT"] += time.perf_counter() - started

    bulk.copy_rows = copy_clocked
    BaseDatabaseWrapper.commit = commit_clocked
    try:
        with connection.execute_wrapper(clocked):
            yield
    finally:
        bulk.copy_rows = copy_rows
        BaseDatabaseWrapper.commit = commit


def first_imports(path: Path, rounds: int) -> tuple[list[float], dict[str, list[float]]]:
    """``rounds`` first imports of ``path`` after one to warm up: their wall times, and each
    group's time in each."""
    from benchmarks import import_bench

    import_bench.prepare()
    import_bench.import_command(path)
    walls: list[float] = []
    groups: dict[str, list[float]] = defaultdict(list)
    for number in range(rounds):
        spent: dict[str, float] = defaultdict(float)
        import_bench.prepare()  # emptied outside the clock
        with _timed(spent):
            started = time.perf_counter()
            import_bench.import_command(path)
            walls.append(time.perf_counter() - started)
        print(
            f"round {number + 1}: {walls[-1]:.2f} s, load {import_bench.load_average()}",
            file=sys.stderr,
        )
        for name, seconds in spent.items():
            groups[name].append(seconds)
    return walls, groups


def statements_table(rows: int, walls: list[float], groups: dict[str, list[float]]) -> str:
    from django.db import connection

    from benchmarks.common import table

    wall = median(walls)
    lines = [(name, median(times) * 1000) for name, times in groups.items()]
    lines.sort(key=lambda line: -line[1])
    shown = [(name, f"{ms:.1f}", f"{ms / wall / 10:.1f}") for name, ms in lines if ms >= 0.5]
    in_sql = sum(ms for _name, ms in lines)
    return table(
        f"A first import of {rows:,} rows on {connection.vendor}, statement by statement "
        f"(median of {len(walls)}; the whole import {wall:.2f} s, {rows / wall:,.0f} rows/s)",
        ["statement", "ms", "% of the import"],
        [
            *shown,
            ("all statements", f"{in_sql:.1f}", f"{in_sql / wall / 10:.1f}"),
            ("the client's own work", f"{wall * 1000 - in_sql:.1f}", ""),
        ],
    )


def index_rows(path: Path, rounds: int) -> list[tuple]:
    """The first import with all the indexes, then without each group of those the pages need
    (``import_bench.page_indexes``): the trigram indexes of the admin's search, and the others
    (the lists' sorts, the home page's counts, a foreign key's, the code's prefix search); each
    group restored after its rounds."""
    from benchmarks import import_bench

    needed = import_bench.page_indexes()
    trigram = [name for name, sql in needed.items() if "gin_trgm_ops" in sql]
    groups = {
        "the trigram indexes of the search": trigram,
        "the pages' other indexes": [name for name in needed if name not in trigram],
    }
    rows = [("all", *_figures(*first_imports(path, rounds)))]
    for label, names in groups.items():
        created = import_bench.drop_project_indexes(names)
        try:
            measured = first_imports(path, rounds)
        finally:
            import_bench.restore_indexes(created)
        rows.append((f"without {label} ({len(names)})", *_figures(*measured)))
    return rows


def _figures(walls: list[float], groups: dict[str, list[float]]) -> tuple[str, str]:
    copy = groups.get("COPY approvals_project", [0.0])
    return f"{median(walls):.2f}", f"{median(copy) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--indexes", action="store_true", help="the project table's index groups' cost"
    )
    options = parser.parse_args()
    with django_on_throwaway_database("projectdesk_bench_waits"):
        from django.db import connection

        from benchmarks import import_bench
        from benchmarks.common import machine, table

        print(table("Machine", ["", ""], machine()), flush=True)
        with tempfile.TemporaryDirectory(prefix="projectdesk-import-waits-") as folder:
            path = Path(folder) / "list.xlsx"
            import_bench.write_list(path, options.rows)
            print(f"load at the start: {import_bench.load_average()}", file=sys.stderr)
            walls, groups = first_imports(path, options.rounds)
            print(statements_table(options.rows, walls, groups), flush=True)
            if options.indexes and connection.vendor == "postgresql":
                print(
                    table(
                        f"The first import with groups of the project table's indexes dropped "
                        f"(median of {options.rounds} each, one run)",
                        ["indexes", "s", "COPY approvals_project ms"],
                        index_rows(path, options.rounds),
                    )
                )
        print(f"load at the end: {import_bench.load_average()}")


if __name__ == "__main__":
    main()
