"""The daily reminder scan (``approvals/reminders/services.py``) on realistic data, 10,000 and 100,000
projects, for one fixed working day D:

- (a) ``reminders.scan(D)`` alone: the late milestones, the late approval items and the
  projects at risk, turned into reminders by the ladder (not saved);
- (b) ``reminders.record(found)`` the first time: every reminder is new and inserted;
- (c) ``reminders.record(found)`` again: nothing new;
- (d) ``foresight.refresh(today=D)``, first (no project marked at risk yet) and again.

Why: the scan promises "a few queries whatever the number of projects", reading the late rows
through the partial indexes ``milestone_open_due`` and ``approval_item_running_due``. The
query counts at both sizes are printed side by side, and so are the plans of the scan's
main queries, taken from the very statements (SQL and parameters) ``scan`` sends.

The data: projects over 20 zones at mixed stages, five milestones each (planned within a year
either side of D; the reached ones with actual dates; most open ones not late), a 21-item
checklist (one item per active approval type) for every project that has signed, with mixed
statuses and the accepted ones' deadlines around D, officers and leaders from ``make_people``,
two supervisors per zone. Rows go in with ``insert_rows``, not the ORM.

    .venv/bin/python benchmarks/reminder_scan.py [--sizes 10000 100000] [--repeats 3]

``--city`` builds the case of issue 21 instead — 100,000 projects with about 570,000 reminders
due on D (the data above plus two task nodes and a problem per project, just under half of
them late: ``CASEWORK_EARLIEST``) — and runs the daily job's scan-and-record
(``record(scan(D))``), each run in a subprocess of its own so that its peak memory (its own
``ru_maxrss``) is its own: "before" with the code of commit 8693639 (checked out with ``git worktree add
--detach`` into ``/tmp/pd-before-scan``), "after" with this code (``record(chunks(…))``, as
``services.run`` does), interleaved rounds (which goes first alternates), the reminders emptied
and vacuumed before each run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/reminder_scan.py --city [--rounds 3]
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

#: The fixed day D the scan runs on: a Wednesday, a working day on the official calendar.
DAY = dt.date(2025, 6, 11)
#: Stages of the projects, as a list of a few hundred projects might be spread.
STAGE_MIX = {
    "reserve": 28,
    "signed": 30,
    "ready": 8,
    "under_construction": 18,
    "in_production": 9,
    "at_capacity": 4,
    "suspended": 2,
    "withdrawn": 1,
}
SUPERVISORS_PER_ZONE = 2
#: A step whose first run takes longer than this (ms) is timed once, not ``repeats`` times.
SLOW_MS = 5_000
ONE_DAY = dt.timedelta(days=1)


# --- the data ---------------------------------------------------------------------------------


def clear_projects() -> None:
    """Empty the projects and every table whose rows point at them (children first), with
    plain SQL: an earlier benchmark in the same run leaves its own projects behind."""
    from approvals.models import Project
    from benchmarks.common import delete_all

    order: list[Any] = []
    seen: set[Any] = set()

    def visit(model) -> None:
        seen.add(model)
        for rel in model._meta.related_objects:
            child = rel.related_model
            if (rel.one_to_many or rel.one_to_one) and child not in seen:
                visit(child)
        order.append(model)

    visit(Project)
    delete_all(*order)


def ensure_people(people):
    """The supervisors of each zone (ZoneRole rows), and investors that still exist: the import
    benchmark, run before this one, deletes every enterprise."""
    from django.contrib.auth import get_user_model

    from zones.models import Enterprise, Role, ZoneRole

    if Enterprise.objects.filter(pk__in=people.enterprises).count() != len(people.enterprises):
        Enterprise.objects.bulk_create(
            Enterprise(name=f"提醒基准实业有限公司{i}", name_key=f"提醒基准实业有限公司{i}")
            for i in range(len(people.enterprises))
        )
        people = replace(
            people,
            enterprises=list(
                Enterprise.objects.filter(name__startswith="提醒基准").values_list("pk", flat=True)
            ),
        )
    user = get_user_model()
    for zone_id in people.zones:
        for k in range(SUPERVISORS_PER_ZONE):
            supervisor, _ = user.objects.get_or_create(
                username=f"reminder-supervisor-{zone_id}-{k}", defaults={"is_staff": True}
            )
            ZoneRole.objects.get_or_create(user=supervisor, zone_id=zone_id, role=Role.SUPERVISOR)
    return people


def reached_index(stage: str, rng: random.Random) -> tuple[int, str]:
    """How far along the forward path the project is (0 reserve … 5 at capacity), and the
    stage it was suspended from (empty unless suspended)."""
    from approvals.models import FORWARD_STAGES

    if stage in ("suspended", "withdrawn"):
        before = rng.choice(FORWARD_STAGES[:4])
        return FORWARD_STAGES.index(before), before if stage == "suspended" else ""
    return FORWARD_STAGES.index(stage), ""


def insert_milestones(ids, reached: dict[int, int], rng) -> None:
    """Five milestones per project (ids ``pk * 5 + k``), dated by how far each got."""
    from approvals.models import MILESTONE_STAGES, Milestone
    from benchmarks.common import insert_rows

    stage_values = [s.value for s in MILESTONE_STAGES]

    def milestones() -> Iterator[tuple]:
        for pk in ids:
            for k, (planned, month_only, actual) in enumerate(milestone_dates(reached[pk], rng)):
                yield pk * 5 + k, pk, stage_values[k], planned, month_only, actual

    insert_rows(
        Milestone,
        ["id", "project_id", "stage", "planned_date", "planned_month_only", "actual_date"],
        milestones(),
    )


def staged(row: list, at: dict[str, int], rng, reached: dict[int, int]) -> int:
    """A generated project row put where its stage says (how far it got, the stage it was
    suspended from, the reason it was suspended or withdrawn); returns its id."""
    pk, stage = row[at["id"]], row[at["stage"]]
    reached[pk], before = reached_index(stage, rng)
    row[at["stage_before_suspension"]] = before
    if stage == "suspended":
        row[at["suspension_reason"]] = "企业资金未到位"
    if stage == "withdrawn":
        row[at["withdrawal_reason"]] = "企业放弃投资"
    return pk


def clip(day: dt.date) -> dt.date:
    """Planned dates stay within a year either side of D."""
    return min(max(day, DAY - 365 * ONE_DAY), DAY + 365 * ONE_DAY)


def milestone_dates(reached: int, rng: random.Random) -> list[tuple[dt.date | None, bool, Any]]:
    """(planned, month only, actual) of the five milestones (stages 1–5 of the forward path).

    The next milestone is planned 75 days before D to 300 days after it, so about a fifth of
    the projects are late for it; later ones follow 2 to 7 months apart, earlier (reached) ones
    lie 2 to 7 months apart before it and were reached a month early to six weeks late, with
    3 % of them missing their actual date (an import without it; the scan must skip them).
    """
    planned: dict[int, dt.date | None] = {}
    anchor = reached + 1
    if anchor <= 5:
        planned[anchor] = DAY + rng.randint(-75, 300) * ONE_DAY
    else:
        anchor = 5
        planned[5] = DAY - rng.randint(0, 200) * ONE_DAY
    for k in range(anchor + 1, 6):
        previous = planned[k - 1] or DAY
        planned[k] = None if rng.random() < 0.05 else previous + rng.randint(60, 200) * ONE_DAY
    for k in range(anchor - 1, 0, -1):
        planned[k] = planned[k + 1] - rng.randint(60, 200) * ONE_DAY
    rows = []
    for k in range(1, 6):
        day = planned[k]
        month_only = day is not None and rng.random() < 0.1
        if day is not None:
            day = clip(day)
            if month_only:
                day = day.replace(day=month_calendar.monthrange(day.year, day.month)[1])
        actual = None
        if k <= reached and day is not None and rng.random() >= 0.03:
            actual = min(DAY, day + rng.randint(-30, 45) * ONE_DAY)
        rows.append((day, month_only, actual))
    return rows


ITEM_STATUSES_SIGNED = {  # before-works items of a project at "signed"
    "approved": 40,
    "accepted": 18,
    "preparing": 20,
    "not_started": 20,
    "refused": 1,
    "withdrawn": 1,
}
ITEM_STATUSES_BUILDING = {"not_started": 50, "preparing": 25, "accepted": 15, "approved": 10}
ITEM_STATUSES_PRODUCING = {"approved": 85, "accepted": 10, "preparing": 5}


def pick(weights: dict[str, int], rng: random.Random) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def item_status(kind: dict, reached: int, rng: random.Random) -> str:
    """Before-works items are all approved once a project is ready (the stage machine demands
    it); completion and production items run once works are under way."""
    if kind["before_works"]:
        return "approved" if reached >= 2 else pick(ITEM_STATUSES_SIGNED, rng)
    if reached <= 2:
        return "not_started"
    return pick(ITEM_STATUSES_BUILDING if reached == 3 else ITEM_STATUSES_PRODUCING, rng)


def load(first: int, count: int, people, kinds: list[dict], rng: random.Random) -> None:
    """Projects ``first`` … ``first + count - 1``, their milestones and their checklists."""
    from approvals.core.workdays import deadline_after
    from approvals.models import ApprovalItem, CalendarDay, Project
    from benchmarks.common import insert_rows, project_rows

    ids = range(first, first + count)
    stages = rng.choices(list(STAGE_MIX), weights=list(STAGE_MIX.values()), k=count)
    reached: dict[int, int] = {}
    authorisation: dict[int, str] = {}
    commitment: dict[int, bool] = {}
    fields, rows = project_rows(ids, stages, people)
    at = {name: i for i, name in enumerate(fields)}

    def projects() -> Iterator[tuple]:
        for row in rows:
            row = list(row)
            pk = staged(row, at, rng, reached)
            officers = people.officers
            row[at["leader_id"]] = officers[(pk * 7 + 3) % len(officers)] if pk % 5 else None
            authorisation[pk] = rng.choices(["filing", "approval", "government"], [85, 10, 5])[0]
            commitment[pk] = rng.random() < 0.3
            row[at["authorisation"]] = authorisation[pk]
            row[at["is_commitment"]] = commitment[pk]
            yield tuple(row)

    insert_rows(Project, fields, projects())

    insert_milestones(ids, reached, rng)

    working = CalendarDay.objects.calendar()

    @cache
    def deadline(kind_index: int, accepted_on: dt.date) -> dt.date:
        kind = kinds[kind_index]
        return deadline_after(
            accepted_on,
            kind["time_limit"],
            working_days=kind["limit_unit"] == "working_days",
            calendar=working,
        )[0]

    item_fields = [f.attname for f in ApprovalItem._meta.concrete_fields]
    base = {f.attname: f.get_default() for f in ApprovalItem._meta.concrete_fields}

    def items() -> Iterator[tuple]:
        officers = people.officers
        for pk in ids:
            if reached[pk] < 1:
                continue  # no checklist before the agreement is signed
            for n, kind in enumerate(kinds):
                mode = kind["default_mode"]
                if authorisation[pk] == "approval" and kind["mode_for_approval_projects"]:
                    mode = kind["mode_for_approval_projects"]
                if commitment[pk] and kind["committable"]:
                    mode = "commitment"
                row = base | {
                    "id": pk * len(kinds) + n,
                    "project_id": pk,
                    "approval_type_id": kind["id"],
                    "mode": mode,
                    "officer_id": officers[(pk + n) % len(officers)]
                    if rng.random() < 0.2
                    else None,
                }
                status = item_status(kind, reached[pk], rng) if mode == "approval" else None
                limit = kind["time_limit"] or 30
                if status == "accepted":
                    # Accepted up to one and a half time limits before D (a working day is 1.4
                    # calendar days): about a third of the running items are past their deadline.
                    span = limit * (21 if kind["limit_unit"] == "working_days" else 15) // 10
                    accepted_on = DAY - rng.randint(1, max(2, span)) * ONE_DAY
                    row |= {"accepted_on": accepted_on, "deadline": deadline(n, accepted_on)}
                elif status == "approved":
                    accepted_on = DAY - rng.randint(30, 500) * ONE_DAY
                    row |= {
                        "accepted_on": accepted_on,
                        "approved_on": min(DAY, accepted_on + rng.randint(1, limit) * ONE_DAY),
                        "document_number": f"晋审〔{accepted_on.year}〕{pk % 1000}号",
                    }
                elif status in ("refused", "withdrawn"):
                    row["outcome_reason"] = "申报材料不全"
                if status:
                    row["status"] = status
                yield tuple(row[name] for name in item_fields)

    insert_rows(ApprovalItem, item_fields, items())


def catalogue() -> list[dict]:
    from approvals.models import ApprovalType

    return list(
        ApprovalType.objects.filter(is_active=True)
        .order_by("sort_order", "code")
        .values(
            "id",
            "code",
            "time_limit",
            "limit_unit",
            "before_works",
            "default_mode",
            "mode_for_approval_projects",
            "committable",
        )
    )


def data_summary(size: int, load_s: float) -> tuple:
    from django.db.models import Count, Q

    from approvals.models import ApprovalItem, Milestone, Project
    from zones.models import Role, ZoneRole

    m = Milestone.objects.aggregate(
        all=Count("pk"),
        open=Count("pk", filter=Q(actual_date__isnull=True)),
        past=Count("pk", filter=Q(actual_date__isnull=True, planned_date__lt=DAY)),
    )
    i = ApprovalItem.objects.aggregate(
        all=Count("pk"),
        accepted=Count("pk", filter=Q(status="accepted")),
        late=Count("pk", filter=Q(status="accepted", deadline__lt=DAY)),
    )
    return (
        size,
        Project.objects.filter(stage="signed").count(),
        f"{m['all']:,} / {m['open']:,} / {m['past']:,}",
        f"{i['all']:,} / {i['accepted']:,} / {i['late']:,}",
        ZoneRole.objects.filter(role=Role.SUPERVISOR).count(),
        f"{load_s:.1f}",
    )


# --- measuring --------------------------------------------------------------------------------


def cold_caches() -> None:
    """What the daily job meets in a fresh worker: the warning settings and the content types
    not yet cached, so that their queries are counted alike at every size."""
    from django.contrib.contenttypes.models import ContentType

    from approvals.models import WarningSettings

    WarningSettings.clear_cache()
    ContentType.objects.clear_cache()


def statements(fn: Callable[[], Any]) -> tuple[Any, list[tuple[str, Any]]]:
    """Run ``fn`` once and keep every statement it sent, as sent: SQL and parameters."""
    from django.db import connection

    sent: list[tuple[str, Any]] = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    cold_caches()
    with connection.execute_wrapper(keep):
        result = fn()
    return result, sent


@dataclass
class Step:
    name: str
    ms: float  # median of ``runs`` timed runs
    sql_ms: float | None  # the captured SQL replayed on a bare cursor (None: not replayable)
    runs: int
    sent: list[tuple[str, Any]]  # the statements of one run, as sent
    result: str


def runs_for(first_ms: float, repeats: int) -> int:
    """A step slower than SLOW_MS is timed once: 9 repeats of a minute say no more than one."""
    return repeats if first_ms < SLOW_MS else 1


def steady(name: str, fn: Callable[[], Any], repeats: int) -> tuple[Step, Any]:
    """A step that leaves the data as it found it: ``measure`` from common (warm-up, median,
    SQL replayed)."""
    from benchmarks.common import measure

    start = time.perf_counter()
    result, sent = statements(fn)
    runs = runs_for((time.perf_counter() - start) * 1000, repeats)
    timed = measure({name: fn}, runs)[name]
    return Step(name, timed.ms, timed.sql_ms, runs, sent, ""), result


def fresh(
    name: str, fn: Callable[[], Any], reset: Callable[[], Any], repeats: int
) -> tuple[Step, Any]:
    """A step that changes the data (a first record, a first refresh): ``reset`` before each
    run, untimed; no SQL replay, which would not find the data as the step did."""
    from benchmarks.common import elapsed_ms

    reset()
    start = time.perf_counter()
    result, sent = statements(fn)
    runs = runs_for((time.perf_counter() - start) * 1000, repeats)
    times = []
    for _ in range(runs):
        reset()
        times.append(elapsed_ms(fn))
    return Step(name, statistics.median(times), None, runs, sent, ""), result


TABLE_OF = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)


def kinds_of(sent: list[tuple[str, Any]]) -> str:
    """What the statements were, counted: ``3 × SELECT approvals_reminder``."""
    counts: Counter = Counter()
    for sql, _ in sent:
        verb = sql.lstrip().split(None, 1)[0].upper()
        table = TABLE_OF.search(sql)
        counts[f"{verb} {table.group(1) if table else ''}".strip()] += 1
    return ", ".join(f"{n} × {what}" for what, n in counts.items())


def plan(sql: str, params: Any) -> str:
    """The plan of one statement exactly as ``scan`` executed it, with its bound parameters
    (not the logged SQL with the values written in, which is only a look-alike on SQLite).
    PostgreSQL runs it too (EXPLAIN ANALYZE), as ``explain`` in common does."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "; ".join(row[3] for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
        lines = [row[0].strip().removeprefix("->").strip() for row in cursor.fetchall()]
        noise = ("Planning Time", "Workers Planned", "Worker ", "Sort Method")
        return "; ".join(line for line in lines if not line.startswith(noise))


def main_queries(sent: list[tuple[str, Any]]) -> dict[str, tuple[str, Any]]:
    """Of the statements ``scan`` sent: the late milestones, their projects, the late
    approval items."""
    found = {}
    for sql, params in sent:
        table = TABLE_OF.search(sql)
        name = table.group(1) if table else ""
        if name == "approvals_milestone" and '"actual_date" IS NULL' in sql and "<" in sql:
            found.setdefault("late milestones", (sql, params))
        if name == "approvals_project" and '"actual_date" IS NULL' in sql:
            found.setdefault("their projects", (sql, params))
        if name == "approvals_approvalitem" and '"deadline" <' in sql:
            found.setdefault("late approval items", (sql, params))
    missing = {"late milestones", "their projects", "late approval items"} - set(found)
    if missing:
        raise RuntimeError(f"scan() sent no query recognised as {', '.join(sorted(missing))}")
    return found


def by_step(counter: Counter) -> str:
    return ", ".join(f"{step} {n:,}" for step, n in sorted(counter.items())) or "none"


def measure_scan(repeats: int) -> tuple[list[Step], list[str]]:
    """(a) to (d) on the data loaded now, and the plans of the scan's main queries."""
    from django.contrib.contenttypes.models import ContentType

    from approvals.checklist import foresight
    from approvals.models import ApprovalItem, Milestone, Project, Reminder
    from approvals.reminders import services as reminders
    from benchmarks.common import delete_all

    def no_one_at_risk() -> None:
        Project.objects.filter(at_risk_since__isnull=False).update(at_risk_since=None)

    def refresh() -> int:
        return foresight.refresh(today=DAY)

    first, changed = fresh("(d) foresight.refresh(D), first", refresh, no_one_at_risk, repeats)
    first.result = f"{changed:,} now at risk"
    again, changed = steady("(d) foresight.refresh(D), again", refresh, repeats)
    again.result = f"{changed:,} changed"

    scan, found = steady("(a) reminders.scan(D)", lambda: reminders.scan(DAY), repeats)
    types = ContentType.objects.get_for_models(Milestone, ApprovalItem)
    subjects = Counter(t for t, _ in {(r.subject_type_id, r.subject_id) for r in found.reminders})
    scan.result = (
        f"{len(found.reminders):,} reminders ({by_step(Counter(r.step for r in found.reminders))})"
        f" about {subjects[types[Milestone].pk]:,} milestones, "
        f"{subjects[types[ApprovalItem].pk]:,} items; "
        f"{Project.objects.filter(at_risk_since__isnull=False).count():,} projects at risk"
    )
    plans = [
        f"{name}: `{plan(sql, params)}`" for name, (sql, params) in main_queries(scan.sent).items()
    ]

    def record() -> Counter:
        return reminders.record(found)

    recorded, new = fresh(
        "(b) reminders.record(), first", record, lambda: delete_all(Reminder), repeats
    )
    inserted = Reminder.objects.count()
    assert inserted == sum(new.values()) == len(found.reminders), (inserted, new)
    recorded.result = f"{inserted:,} rows inserted"
    repeated, new = steady("(c) reminders.record(), again", record, repeats)
    assert not new and Reminder.objects.count() == inserted, new
    repeated.result = "0 new"
    delete_all(Reminder)
    return [scan, recorded, repeated, first, again], plans


def run(sizes: tuple[int, ...], repeats: int, people) -> str:
    from django.db import connection

    from approvals.core.workdays import WorkingCalendar
    from approvals.models import ApprovalItem, Milestone, Project, WarningSettings
    from benchmarks.common import analyze, reset_sequences, table

    assert WorkingCalendar().is_working_day(DAY), DAY
    clear_projects()
    people = ensure_people(people)
    WarningSettings.get_solo()  # its row exists, as it does after the first day in production
    kinds = catalogue()
    rng = random.Random(11)
    figures, data, breakdown, plans = [], [], [], []
    counts: dict[str, dict[int, int]] = {}
    loaded = 0
    for size in sizes:
        started = time.perf_counter()
        load(loaded + 1, size - loaded, people, kinds, rng)
        reset_sequences(Project, Milestone, ApprovalItem)
        for model in (Project, Milestone, ApprovalItem):
            analyze(model._meta.db_table)
        data.append(data_summary(size, time.perf_counter() - started))
        loaded = size
        steps, size_plans = measure_scan(repeats)
        for step in steps:
            sql_ms = "—" if step.sql_ms is None else step.sql_ms
            figures.append(
                (size, step.name, step.ms, step.runs, sql_ms, len(step.sent), step.result)
            )
            counts.setdefault(step.name, {})[size] = len(step.sent)
            breakdown.append(f"- {size:,}, {step.name}: {kinds_of(step.sent)}")
        plans += [f"- {size:,}, {line}" for line in size_plans]

    same = [
        (
            step,
            *(per_size.get(size, "—") for size in sizes),
            "yes" if len(set(per_size.values())) == 1 else "no",
        )
        for step, per_size in counts.items()
    ]
    return "\n".join(
        [
            table(
                f"3a. Reminder data on D = {DAY} ({connection.vendor})",
                [
                    "projects",
                    "at signed",
                    "milestones: all / open / open, planned before D",
                    "approval items: all / accepted / accepted, deadline before D",
                    "supervisors",
                    "load s",
                ],
                data,
            ),
            table(
                f"3b. Reminder scan on D = {DAY} (median of {repeats} runs; of 1 above {SLOW_MS:,} ms)",
                ["projects", "step", "ms", "runs", "SQL ms", "queries", "result"],
                figures,
            ),
            table(
                "3c. Queries by size (warning settings and content types read cold every time)",
                ["step", *(f"{size:,}" for size in sizes), "same"],
                same,
            ),
            "\nStatements sent:\n",
            *breakdown,
            "\nPlans of the scan's main queries (as sent, with their parameters):\n",
            *plans,
        ]
    )


# --- the city's case (issue 21): scan and record at 100,000 projects, before and after -------

BEFORE_COMMIT = "8693639"
HERE = Path(__file__).resolve()


def before_tree(commit: str) -> Path:
    """The code of ``commit``, checked out (once) with ``git worktree add --detach``."""
    tree = Path(f"/tmp/pd-before-scan-{commit[:12]}")
    if not tree.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), commit],
            cwd=HERE.parent,
            check=True,
            capture_output=True,
        )
    return tree


def full_rows(model, rows: Iterator[dict]) -> tuple[list[str], Iterator[tuple]]:
    """Rows of ``model`` for ``insert_rows``: every column its default, the given values over
    them, the automatic times now."""
    from django.utils import timezone

    fields = [f.attname for f in model._meta.concrete_fields]
    now = timezone.now()
    base = {
        f.attname: now
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in model._meta.concrete_fields
    }
    return fields, (tuple((base | row)[name] for name in fields) for row in rows)


#: Task nodes are planned and problems due from this many days before D … (120 of the 246
#: days lie before D: just under half of them late. Issue 21 measured 570,793 reminders due;
#: with 90 days before D, two fifths late, this data gave 484,289, benchmarks/README.md
#: section 18.)
CASEWORK_EARLIEST = 120
#: … to this many days after it.
CASEWORK_LATEST = 125


def load_casework(ids: range, people, rng: random.Random) -> None:
    """Two task nodes (倒排工期) and an unsolved problem for every project, planned or due
    ``CASEWORK_EARLIEST`` (120) days before D to ``CASEWORK_LATEST`` (125) days after it (just
    under half before D, up to four months late): with the milestones and items, about 570,000
    reminders due on D at 100,000 projects (566,855; benchmarks/README.md section 22), the case
    issue 21 measured."""
    from approvals.models import Problem, TaskNode
    from benchmarks.common import insert_rows

    def nodes() -> Iterator[dict]:
        for pk in ids:
            for k, name in enumerate(("完成土地摘牌", "主体封顶")):
                yield {
                    "id": pk * 2 + k,
                    "project_id": pk,
                    "name": name,
                    "planned_date": DAY
                    + rng.randint(-CASEWORK_EARLIEST, CASEWORK_LATEST) * ONE_DAY,
                }

    def problems() -> Iterator[dict]:
        for pk in ids:
            yield {
                "id": pk,
                "project_id": pk,
                "description": f"用地指标未落实{pk % 97}",
                "description_key": f"用地指标未落实{pk % 97}",
                "department": "自然资源局",
                "reported_on": DAY - 120 * ONE_DAY,
                "deadline": DAY + rng.randint(-CASEWORK_EARLIEST, CASEWORK_LATEST) * ONE_DAY,
                "responsible_id": people.officers[pk % len(people.officers)]
                if pk % 3 == 0
                else None,
            }

    insert_rows(TaskNode, *full_rows(TaskNode, nodes()))
    insert_rows(Problem, *full_rows(Problem, problems()))


def city_child(which: str) -> dict:
    """One scan-and-record of D, timed in this process (the code of ``which``: "after", or
    the checkout ``before_tree`` made, named by ``PD_BEFORE_TREE``)."""
    if which == "before":  # the old code alone on the path (as dashboard.py's serve_as)
        tree = Path(os.environ["PD_BEFORE_TREE"])
        ours = {HERE.parent, HERE.parent.parent}
        sys.path = [str(tree), *[p for p in sys.path if Path(p or ".").resolve() not in ours]]
        os.chdir(tree)
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from django.db import connection

    from approvals.reminders import services as reminders

    server = backends_cpu()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    cpu_started = time.process_time()
    from approvals.reminders import scan as scan_module

    with connection.execute_wrapper(count):
        if not hasattr(scan_module, "chunks"):  # before the scan came in chunks (8693639)
            found = reminders.scan(DAY)
            due = len(found.reminders)
            made = reminders.record(found)
        else:
            from approvals.reminders.scan import Scan, chunks

            due = 0

            def counted(parts):
                nonlocal due
                for part in parts:
                    due += len(part)
                    yield part

            made = reminders.record(counted(chunks(Scan(DAY))))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    connection.close()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server(),
        "queries": queries,
        "due": due,
        "made": sum(made.values()),
        "code": str(Path(reminders.__file__).resolve().parents[2]),
    }


def backends_cpu() -> Callable[[], float | None]:
    """CPU seconds of this process's PostgreSQL backends from now (every connection it opens,
    the outbox's second one included), read in /proc as each closes: a function giving the
    total once they are closed, None when the server is not on this machine."""
    from django.db.backends.postgresql.base import DatabaseWrapper
    from django.db.backends.signals import connection_created

    spent: dict[int, list[float]] = {}
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(pid: int) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    def opened(sender, connection, **kwargs) -> None:
        if connection.vendor != "postgresql":
            return
        pid = connection.connection.info.backend_pid
        try:
            spent[pid] = [cpu(pid), cpu(pid)]
        except OSError:
            spent[pid] = []  # the server is elsewhere

    close = DatabaseWrapper.close

    def closing(self) -> None:
        if self.connection is not None and self.connection.info.backend_pid in spent:  # PostgreSQL
            times = spent[self.connection.info.backend_pid]
            if times:
                times[1] = cpu(self.connection.info.backend_pid)
        close(self)

    connection_created.connect(opened, weak=False)
    DatabaseWrapper.close = closing
    return lambda: (
        sum(end - start for start, end in spent.values()) if spent and all(spent.values()) else None
    )


def city_run(which: str, tree: Path) -> dict:
    process = subprocess.Popen(
        [sys.executable, str(HERE), "--child", which],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "DEBUG": "0", "PD_BEFORE_TREE": str(tree)},
    )
    stdout, stderr = process.communicate()
    if process.returncode:
        raise SystemExit(f"{which} failed:\n{stderr.decode()[-3000:]}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_mb"] = result.pop("peak_kb") / 1024
    return result


def city_load(size: int, people) -> None:
    """The city's data at ``size`` projects (100,000: issue 21's case)."""
    from approvals.core.workdays import WorkingCalendar
    from approvals.models import (
        ApprovalItem,
        Milestone,
        Problem,
        Project,
        TaskNode,
        WarningSettings,
    )
    from benchmarks.common import analyze, reset_sequences

    assert WorkingCalendar().is_working_day(DAY), DAY
    clear_projects()
    people = ensure_people(people)
    WarningSettings.get_solo()
    rng = random.Random(11)
    started = time.perf_counter()
    load(1, size, people, catalogue(), rng)
    load_casework(range(1, size + 1), people, rng)
    reset_sequences(Project, Milestone, ApprovalItem, TaskNode, Problem)
    for model in (Project, Milestone, ApprovalItem, TaskNode, Problem):
        analyze(model._meta.db_table)
    print(f"loaded {size:,} projects in {time.perf_counter() - started:.0f} s", flush=True)
    late = {
        "milestones": Milestone.objects.filter(actual_date__isnull=True, planned_date__lt=DAY),
        "approval items": ApprovalItem.objects.filter(
            status="accepted", mode="approval", deadline__lt=DAY
        ),
        "task nodes": TaskNode.objects.filter(actual_date__isnull=True, planned_date__lt=DAY),
        "problems": Problem.objects.filter(deadline__lt=DAY),
    }
    print(
        "late on D (any stage): "
        + ", ".join(f"{query.count():,} {name}" for name, query in late.items()),
        flush=True,
    )


def city(rounds: int, people, size: int = 100_000, before: str = BEFORE_COMMIT) -> str:
    from approvals.models import Reminder
    from benchmarks.common import analyze, delete_all, table

    tree = before_tree(before)
    city_load(size, people)
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    loads = []
    for number in range(rounds):
        # before and after take turns at going first; each starts on an emptied reminders
        # table, vacuumed as autovacuum leaves one (rounds on the dead rows of the rounds before
        # ran slower each time: 15.6, 16.8, 19.4 s)
        for which in list(runs)[:: -1 if number % 2 else 1]:
            delete_all(Reminder)
            analyze(Reminder._meta.db_table)
            runs[which].append(city_run(which, tree))
            runs[which][-1]["rows"] = Reminder.objects.count()  # what the run left recorded
            loads.append(os.getloadavg()[0])
            print(f"  {which}: {runs[which][-1]}", flush=True)
    delete_all(Reminder)

    def median(results: list[dict], key: str) -> float | str:
        values = [r[key] for r in results]
        return "—" if None in values else statistics.median(values)

    rows = [
        (
            which,
            results[0]["due"],
            results[0]["made"],
            " / ".join(dict.fromkeys(f"{r['rows']:,}" for r in results)),  # one if all alike
            statistics.median(r["seconds"] for r in results),
            ", ".join(f"{r['seconds']:.1f}" for r in results),
            median(results, "cpu"),
            median(results, "server_cpu"),
            max(r["peak_mb"] for r in results),
            results[0]["queries"],
        )
        for which, results in runs.items()
    ]
    return table(
        f"Reminder scan and record on D = {DAY}, {size:,} projects, before = {before}, "
        f"median of {rounds} "
        f"interleaved rounds (load average during the runs {min(loads):.2f}–{max(loads):.2f})",
        [
            "code",
            "reminders due",
            "recorded",
            "rows in the table",
            "median s",
            "rounds s",
            "CPU s (client)",
            "CPU s (server)",
            "peak RSS MB",
            "queries",
        ],
        rows,
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--city", action="store_true", help="issue 21's case, before and after")
    parser.add_argument("--rounds", type=int, default=3, help="with --city")
    parser.add_argument(
        "--projects", type=int, default=100_000, help="with --city: the city's size"
    )
    parser.add_argument(
        "--before", default=BEFORE_COMMIT, help="with --city: the commit measured as before"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--database", default="projectdesk_bench", help="the throw-away one's name")
    args = parser.parse_args()
    if args.child:
        import resource

        result = city_child(args.child)
        result["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(result))
        sys.exit(0)
    from benchmarks.databases import django_on_throwaway_database

    with django_on_throwaway_database(args.database):
        from benchmarks.common import machine, make_people, table

        print(table("Machine", ["", ""], machine()), flush=True)
        started = time.perf_counter()
        if args.city:
            print(city(args.rounds, make_people(), args.projects, args.before))
        else:
            print(run(tuple(args.sizes), args.repeats, make_people()))
        print(f"\nRuntime: {time.perf_counter() - started:.0f} s")
