"""What every benchmark needs: fast row inserts, timing with query counts, plans and tables."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import islice
from typing import Any

import django
from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.core.bulk import copy_rows
from approvals.models import Project
from zones.models import Enterprise, Zone


@dataclass(frozen=True)
class Measured:
    """Median wall time of the repeats, the part of it the database takes, and the query count."""

    ms: float
    sql_ms: float
    queries: int


def measure(fns: Mapping[str, Callable[[], Any]], repeats: int) -> dict[str, Measured]:
    """Capture each function's queries on a warm-up run, then time ``repeats`` rounds of all.

    The rounds interleave the functions, so that a burst of load from elsewhere on the machine
    slows all of them alike instead of one. The capture records every SQL string, which would
    add its own cost, so the timed runs go without it; its list is read at once, since a request
    made later empties the log it reads from. Replaying the captured SQL on a bare cursor tells
    the database's share of the time from Python's (model instances, templates).
    """
    sqls: dict[str, list[str]] = {}
    for name, fn in fns.items():
        with CaptureQueriesContext(connection) as captured:
            fn()
        sqls[name] = [query["sql"] for query in captured]

    def replay(name: str) -> None:
        with connection.cursor() as cursor:
            for sql in sqls[name]:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    times: dict[str, list[float]] = {name: [] for name in fns}
    sql_times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(elapsed_ms(fn))
            sql_times[name].append(elapsed_ms(partial(replay, name)))
    return {
        name: Measured(
            statistics.median(times[name]), statistics.median(sql_times[name]), len(sqls[name])
        )
        for name in fns
    }


def elapsed_ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def explain(fn: Callable[[], Any]) -> str:
    """The plan of the one query ``fn`` sends, on one line.

    The SQL is taken from what ``fn`` really ran (count() and slices included), so the plan
    is the plan of the timed query, not of a hand-written look-alike. PostgreSQL runs it too
    (EXPLAIN ANALYZE): rows per node and the server's own execution time, without the transfer.
    """
    with CaptureQueriesContext(connection) as captured:
        fn()
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            return "; ".join(row[3] for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + query["sql"])
        lines = [row[0].strip().removeprefix("->").strip() for row in cursor.fetchall()]
        noise = ("Planning Time", "Workers Planned", "Worker ", "Sort Method")
        return "; ".join(line for line in lines if not line.startswith(noise))


def analyze(table: str) -> None:
    """Fresh statistics, as a maintained database has; the planner's index choice depends on them.

    On PostgreSQL VACUUM also sets the visibility map, without which an index-only scan
    still visits the table for every row of a freshly loaded one.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'VACUUM ANALYZE "{table}"')
        else:
            cursor.execute(f'ANALYZE "{table}"')


def batched(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Multi-row INSERTs of values that are already in database form (ids, not objects).

    A million rows through ``bulk_create`` spend most of their time building model instances;
    plain tuples in statements of up to the backend's parameter limit load several times faster,
    and PostgreSQL's COPY faster still.
    """
    columns = {f.attname: f.column for f in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(columns[name]) for name in fields)
    if connection.vendor == "postgresql":  # COPY: a huge INSERT costs psycopg more to parse
        with transaction.atomic():
            copy_rows(connection.ops.quote_name(model._meta.db_table), names, rows)
        return
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 60_000
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in batched(rows, max(1, min(5_000, limit // len(fields)))):
            values = ", ".join([one_row] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values}",
                [value for row in chunk for value in row],
            )


def reset_sequences(*models_: type[models.Model]) -> None:
    """Explicit ids leave PostgreSQL's id sequences behind; later ORM inserts would collide."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(sql)


def delete_all(*models_: type[models.Model]) -> None:
    """Empty tables with plain SQL, children first; the ORM would load every row to cascade."""
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


@dataclass(frozen=True)
class People:
    """The zones, investors and officers projects point at, so joins have real rows to find."""

    zones: list[int]
    enterprises: list[int]
    officers: list[int]


def make_people(zones: int = 20, enterprises: int = 200, officers: int = 30) -> People:
    Zone.objects.bulk_create(Zone(name=f"基准开发区{i}", city="晋中市") for i in range(zones))
    Enterprise.objects.bulk_create(
        Enterprise(
            name=f"基准实业有限公司{i}", name_key=f"基准实业有限公司{i}"
        )  # as save() keys it
        for i in range(enterprises)
    )
    user = get_user_model()
    user.objects.bulk_create(
        user(username=f"bench-officer{i}", is_staff=True) for i in range(officers)
    )
    return People(
        zones=list(Zone.objects.values_list("pk", flat=True)),
        enterprises=list(Enterprise.objects.values_list("pk", flat=True)),
        officers=list(
            user.objects.filter(username__startswith="bench-").values_list("pk", flat=True)
        ),
    )


def project_rows(
    ids: range, stages: Sequence[str], people: People
) -> tuple[list[str], Iterator[tuple]]:
    """Full project rows (every NOT NULL column filled as the model would) for ``insert_rows``."""
    fields = [f.attname for f in Project._meta.concrete_fields]
    base = {f.attname: f.get_default() for f in Project._meta.concrete_fields}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    base.update(created_at=now, updated_at=now, industry="新材料", total_investment=Decimal(50000))

    def rows() -> Iterator[tuple]:
        for n, (pk, stage) in enumerate(zip(ids, stages, strict=True)):
            row = base | {
                "id": pk,
                "name": f"年产{pk}万吨新材料项目",
                "stage": stage,
                "zone_id": people.zones[n % len(people.zones)],
                "enterprise_id": people.enterprises[n % len(people.enterprises)],
                "officer_id": people.officers[n % len(people.officers)],
            }
            yield tuple(row[name] for name in fields)

    return fields, rows()


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def cpu_times() -> tuple[int, int]:
    """(steal, all) jiffies of every CPU so far, from /proc/stat; (0, 0) elsewhere."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (values[7] if len(values) > 7 else 0), sum(values[:8])


def steal_since(start: tuple[int, int]) -> str:
    """The share of CPU time the hypervisor gave to others since ``start`` (a virtual
    machine's "steal"): a run with much of it is slower through no fault of the code."""
    steal, total = cpu_times()
    if total <= start[1]:
        return "unknown"
    return f"{100 * (steal - start[0]) / (total - start[1]):.1f} % of CPU time"


def machine() -> list[tuple[str, str]]:
    """What the figures depend on, printed with them so that runs on other machines compare."""
    cpu, processors, memory = "unknown", 0, ""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    processors += 1
        with open("/proc/meminfo") as info:
            kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
            memory = f"{kb / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return [
        ("CPU", cpu),
        ("cores", f"{os.cpu_count()} ({processors} in /proc/cpuinfo)"),
        ("memory", memory or "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("database", database_version()),
    ]


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A pipe table: readable in a terminal and pasted as is into the README."""
    cells = [[str(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([f"\n{title}\n", line(cells[0]), rule, *map(line, cells[1:])])


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
