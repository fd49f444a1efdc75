"""The weekly 督办通报 (issue 23, ``approvals/bulletins/``) of a zone of 5,000 open projects and
of a city of 20 such zones (100,000 projects, the province-scale case): whether "make one now"
(立即生成, ``approvals/admin/bulletins.py``) may stay in the request.

The data: 20 zones of one city, 5,000 open projects each; a fifth of them red (their colour
date 60 days before the week's last day), 1 in 50 foreseen late (预计延误: marked at risk, its
start of works planned and a 不动产权证 not applied for, so that the foresight finds the item
that decides), a problem past its deadline on every tenth. The zone's bulletin then lists
1,000 red projects, 100 foreseen late and 500 problems; the city's 20 times as many.

Measured for the zone and for the city, the median of N interleaved rounds:

- (a) ``content.build``: the queries and the rows made of them (the floor of the data);
- (b) ``document.write`` of the content built once: the .docx alone, its table rows copied from
  one template row;
- (c) ``services.render``: (a) and (b) end to end, the bytes a download or a robot gets;
- (d) the floor of the comparison that justified the row copy: the same four tables, the same
  rows and texts, written the plain way python-docx documents (``doc.add_table``, then
  ``table.add_row().cells`` and ``cell.text = …`` per cell), and (d') cell by cell with the
  document's faces (its ``_cell`` per cell: how the rows were written before the copy);
- (e) the admin's 立即生成: ``POST /admin/approvals/bulletin/make/`` through
  ``django.test.Client`` as a statistician of the zone, and as one of every zone of the city
  (the page the person waits on: it makes the bulletin, keeps its file and row, redirects).

Beside the wall time: the queries (one run captured apart), the file's size, and the peak of
Python's allocations (``tracemalloc``, one run apart: it slows what it watches).

    .venv/bin/python benchmarks/bulletin.py [--quick] [--rounds 5] [--zones 20] [--projects 5000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test DATABASE_STATEMENT_TIMEOUT=0 \\
        .venv/bin/python benchmarks/bulletin.py
    ./desk bench --bulletin [the same options]
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

CITY = "晋中市"
ZONES, PROJECTS = 20, 5_000  # per zone
TINY = (2, 50)  # --quick and the smoke test
#: Days before the week's last day the red projects' colour date falls (red after 30).
RED_DAYS = 60
#: A request the person waits on: longer, and the bulletin should go to the worker.
REQUEST_BUDGET_MS = 2_000
#: Above this many table rows the plain ways run once, untraced, and (d') not at all: at
#: 32,000 rows python-docx's ``add_row`` alone took minutes (about 7 ms a row under load 4).
PLAIN_ROUNDS_UP_TO = 5_000


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Data:
    zone: Any  # the first zone: its bulletin is the zone's case
    city: str
    week: dt.date  # the Monday of the week reported (the last full week)
    as_of: dt.date
    projects: int
    zones: int
    statisticians: dict[str, Any] = field(default_factory=dict)  # "zone" / "city" → user
    load_s: float = 0.0


def build(zones: int = ZONES, per_zone: int = PROJECTS) -> Data:
    """``zones`` zones of ``CITY`` with ``per_zone`` open projects each (see the module's
    docstring), a statistician of the first zone and one of every zone."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from approvals.bulletins import services
    from approvals.casework.models.problem import description_key as problem_key
    from approvals.models import (
        ApprovalItem,
        ApprovalType,
        Milestone,
        Problem,
        Project,
        Stage,
    )
    from benchmarks.common import analyze, insert_rows, make_people, project_rows, reset_sequences
    from zones.models import Role, Zone, ZoneRole

    started = time.perf_counter()
    today = timezone.localdate()
    week = services.week_reported(today)
    as_of = week + dt.timedelta(days=6)  # a week over: its state is its Sunday's
    people = make_people(zones=zones, enterprises=200, officers=40)
    user = get_user_model()
    names = "张王李赵刘陈杨黄周吴"
    for n, pk in enumerate(people.officers):  # named as documents name people
        user.objects.filter(pk=pk).update(first_name=f"{names[n % 10]}代办{n}", last_name="")
    leaders = people.officers[::4]
    count = zones * per_zone
    ids = range(1, count + 1)
    fields, rows = project_rows(ids, [Stage.SIGNED] * count, people)
    at = {name: i for i, name in enumerate(fields)}
    red_day = as_of - dt.timedelta(days=RED_DAYS)
    green_day = as_of + dt.timedelta(days=120)

    def projects() -> Iterator[tuple]:
        for n, row in enumerate(rows):
            row = list(row)
            # Zone by blocks, so that the first zone holds ids 1 … per_zone.
            row[at["zone_id"]] = people.zones[n // per_zone]
            row[at["leader_id"]] = leaders[n % len(leaders)]
            row[at["colour_date"]] = red_day if n % 5 == 0 else green_day
            row[at["colour_stage"]] = Stage.UNDER_CONSTRUCTION
            row[at["at_risk_since"]] = as_of - dt.timedelta(days=14) if n % 50 == 1 else None
            yield tuple(row)

    insert_rows(Project, fields, projects())
    risky = [pk for pk in ids if (pk - 1) % 50 == 1]
    Milestone.objects.bulk_create(
        Milestone(
            project_id=pk, stage=Stage.UNDER_CONSTRUCTION, planned_date=as_of + dt.timedelta(30)
        )
        for pk in risky
    )
    land = ApprovalType.objects.get(code="LX07")  # 不动产权证, 30 working days, not applied for
    ApprovalItem.objects.bulk_create(
        ApprovalItem(project_id=pk, approval_type=land, mode=land.default_mode) for pk in risky
    )
    overdue = as_of - dt.timedelta(days=20)
    Problem.objects.bulk_create(
        Problem(
            project_id=pk,
            description=f"用地指标未落实（{pk}）",
            description_key=problem_key(f"用地指标未落实（{pk}）"),
            department="自然资源局",
            reported_on=overdue - dt.timedelta(days=30),
            deadline=overdue,
        )
        for pk in ids
        if pk % 10 == 0
    )
    reset_sequences(Project)
    for model in (Project, Milestone, ApprovalItem, Problem):
        analyze(model._meta.db_table)

    first = Zone.objects.get(pk=people.zones[0])
    statisticians = {}
    for scope, zone_ids in (("zone", people.zones[:1]), ("city", people.zones)):
        person = user.objects.create(
            username=f"bench-statistician-{scope}", first_name=f"统计员{scope}", is_staff=True
        )
        ZoneRole.objects.bulk_create(
            ZoneRole(user=person, zone_id=z, role=Role.STATISTICIAN) for z in zone_ids
        )
        statisticians[scope] = person
    return Data(
        zone=first,
        city=CITY,
        week=week,
        as_of=as_of,
        projects=count,
        zones=zones,
        statisticians=statisticians,
        load_s=time.perf_counter() - started,
    )


# --- the plain way (d) ------------------------------------------------------------------------


def tables_of(content) -> list[tuple[list[str], list[list[str]]]]:
    """The four tables of ``content`` as ``document.write`` lays them out: headers and rows."""
    from approvals.bulletins import document
    from approvals.core.display import day

    heads = document.headers()
    problems = [
        [str(n), p.description, p.project, p.zone, p.responsible, day(p.deadline), str(p.days)]
        for n, p in enumerate(content.problems, 1)
    ]
    return [
        (heads["red"], document._project_rows(content.red)),
        (heads["at_risk"], document._project_rows(content.at_risk)),
        (heads["problems"], problems),
        (heads["figures"], document.figure_rows(content)),
    ]


def write_plain(content, target: io.BytesIO, *, faces: bool = False) -> None:
    """The same tables written cell by cell: ``doc.add_table``, a row added and each cell's
    text set (with ``faces``, through the document's ``_cell``, a run in its faces)."""
    import docx

    from approvals.bulletins import document as ours

    doc = docx.Document()
    doc.add_paragraph(content.title)
    doc.add_paragraph(content.summary)
    for headers, rows in tables_of(content):
        table = doc.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            ours._cell(cell, text, bold=True) if faces else setattr(cell, "text", text)
        for values in rows:
            for cell, text in zip(table.add_row().cells, values, strict=True):
                if faces:
                    ours._cell(cell, text)
                else:
                    cell.text = text
    doc.save(target)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    scope: str
    times: list[float] = field(default_factory=list)
    queries: int = 0
    kb: float | None = None
    peak_mb: float | None = 0.0
    rows: int = 0

    @property
    def ms(self) -> float:
        return statistics.median(self.times)


def once(fn: Callable[[], Any]) -> tuple[Any, int, float]:
    """Run ``fn`` once, apart from the timed rounds: its result, its queries, and the peak of
    Python's allocations during it (MB)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tracemalloc.start()
    try:
        with CaptureQueriesContext(connection) as captured:
            result = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, len(captured), peak / 1024 / 1024


def variants(data: Data, scope: str) -> dict[str, Callable[[], Any]]:
    """What is measured for ``scope`` ("zone" or "city"): label → a function returning the
    bytes written (None when nothing is)."""
    from django.test import Client
    from django.urls import reverse

    from approvals.bulletins import content as contents
    from approvals.bulletins import document, services

    place = {"zone": data.zone} if scope == "zone" else {"city": data.city}
    built = contents.build(**place, week=data.week)

    def written(write: Callable[[io.BytesIO], None]) -> Callable[[], bytes]:
        def run() -> bytes:
            buffer = io.BytesIO()
            write(buffer)
            return buffer.getvalue()

        return run

    client = Client()
    client.force_login(data.statisticians[scope])
    where = f"zone:{data.zone.pk}" if scope == "zone" else f"city:{data.city}"

    def post() -> None:
        """The POST, and for a city the job it queues, run here as the worker runs it (a city's
        is a job since these figures showed 5.3 s: what the person waits for is both)."""
        from approvals.models import Job, JobKind
        from approvals.tasks import run_job

        answer = client.post(
            reverse("admin:approvals_bulletin_make"), {"where": where, "week": data.week}
        )
        assert answer.status_code == 302, answer.status_code
        if scope == "city":
            job = Job.objects.filter(kind=JobKind.BULLETIN).latest("pk")
            run_job.apply(args=[job.pk])
            return
        assert answer.wsgi_request._messages._queued_messages[0].level_tag == "success"

    return {
        "(a) content.build": lambda: contents.build(**place, week=data.week) and None,
        "(b) document.write (rows copied)": written(lambda b: document.write(built, b)),
        "(c) services.render": lambda: services.render(**place, week=data.week),
        "(d) plain python-docx: add_row, cell.text": written(lambda b: write_plain(built, b)),
        "(d') cell by cell in the document's faces": written(
            lambda b: write_plain(built, b, faces=True)
        ),
        f"(e) POST 立即生成 as a statistician of the {scope}": post,
    }


def measure(data: Data, rounds: int, log: Callable[..., None] = print) -> list[Figures]:
    """Every variant for the zone and the city: one run apart (queries, size, memory), then
    ``rounds`` interleaved rounds of all of them."""
    from approvals.bulletins import content as contents
    from approvals.models import Bulletin

    found: list[Figures] = []
    runs: list[tuple[Figures, Callable[[], Any]]] = []
    for scope in ("zone", "city"):
        place = {"zone": data.zone} if scope == "zone" else {"city": data.city}
        built = contents.build(**place, week=data.week)
        rows = len(built.red) + len(built.at_risk) + len(built.problems)
        for label, fn in variants(data, scope).items():
            if rows > PLAIN_ROUNDS_UP_TO and label.startswith("(d"):
                if label.startswith("(d')"):
                    continue
                start = time.perf_counter()
                result = fn()
                took = (time.perf_counter() - start) * 1000
                kb = len(result) / 1024
                found.append(Figures(label + " (1 run)", scope, [took], 0, kb, None, rows))
                log(f"  {scope}: {label}: one run, {took / 1000:.1f} s", flush=True)
                continue
            result, queries, peak = once(fn)
            kb = len(result) / 1024 if isinstance(result, bytes) else None
            if label.startswith("(e)"):
                kb = Bulletin.objects.latest("pk").file.size / 1024
            figures = Figures(label, scope, queries=queries, kb=kb, peak_mb=peak, rows=rows)
            found.append(figures)
            runs.append((figures, fn))
            log(f"  {scope}: {label}: one run apart done", flush=True)
    for n in range(rounds):
        for figures, fn in runs if n % 2 == 0 else reversed(runs):
            start = time.perf_counter()
            fn()
            figures.times.append((time.perf_counter() - start) * 1000)
        log(f"  round {n + 1} of {rounds} done", flush=True)
    return found


def report(data: Data, found: list[Figures], rounds: int) -> str:
    import os

    from django.db import connection

    from benchmarks.common import table

    by = {(f.scope, f.label[:3]): f for f in found}
    rows = []
    for f in found:
        plain = by[f.scope, "(d)"].ms
        versus = f"{f.ms / plain:.2f}x" if f.label[:3] in ("(b)", "(d)", "(d'") else ""
        rows.append(
            [
                f"{f.scope} ({f.rows:,} rows)",
                f.label,
                f.ms,
                versus,
                f.queries,
                "—" if f.kb is None else f.kb,
                "—" if f.peak_mb is None else f.peak_mb,
            ]
        )
    fits = []
    for scope in ("zone", "city"):
        waited = by[scope, "(e)"].ms
        verdict = "fits" if waited < REQUEST_BUDGET_MS else "does not fit"
        fits.append(
            [
                scope,
                f"{data.projects // data.zones if scope == 'zone' else data.projects:,}",
                waited,
                f"{verdict} (< {REQUEST_BUDGET_MS:,} ms)",
            ]
        )
    return "\n".join(
        [
            table(
                f"26a. Bulletin data ({connection.vendor})",
                ["zones", "projects", "week reported", "as of", "load s"],
                [
                    [
                        data.zones,
                        data.projects,
                        data.week.isoformat(),
                        data.as_of.isoformat(),
                        f"{data.load_s:.1f}",
                    ]
                ],
            ),
            table(
                f"26b. Making a 督办通报 (median of {rounds}; vs = against (d), the plain way)",
                ["bulletin", "variant", "ms", "vs (d)", "queries", "file kB", "peak MB"],
                rows,
            ),
            table(
                "26c. 立即生成 in the request",
                ["bulletin", "projects", "POST ms", "a request's budget"],
                fits,
            ),
            f"\nLoad average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        ]
    )


def run(
    rounds: int = 5,
    zones: int = ZONES,
    per_zone: int = PROJECTS,
    log: Callable[..., None] = print,
) -> str:
    """Build, measure and report, files kept in a temporary MEDIA_ROOT removed afterwards."""
    from django.test.utils import override_settings

    data = build(zones, per_zone)
    log(f"  built {data.projects:,} projects in {data.load_s:.1f} s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-bulletins-") as media:
        with override_settings(MEDIA_ROOT=media):
            found = measure(data, rounds, log)
    return report(data, found, rounds)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--zones", type=int, default=ZONES)
    parser.add_argument("--projects", type=int, default=PROJECTS, help="per zone")
    parser.add_argument(
        "--quick", action="store_true", help=f"{TINY[0]} zones of {TINY[1]}, 1 round"
    )
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    zones, per_zone = TINY if args.quick else (args.zones, args.projects)
    with measured_run("projectdesk_bulletin", load_at_end=True):  # not run.py's: both may run
        print(run(1 if args.quick else args.rounds, zones, per_zone))
