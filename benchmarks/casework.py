"""The casework figures of issue 11 at 100,000 projects, each beside its floor, in one run:

- ``casework_reports.investment()`` (月调度) for an administrator and for one zone, over last
  year's twelve months, against just reading the same rows (``values_list``) and against one
  plain ``GROUP BY`` zone, month sum; the dashboard's investment (this year, each zone's latest
  month) the same way;
- ``casework_reports.problems()`` against one grouped count;
- the dashboard (admin index) as an administrator with its figures counted afresh (the cache
  emptied before each visit), against the same page with the investment left out;
- ``reminders.scan(D)`` with and without the task nodes and problems;
- the problem list (page 1) and the three-lists page of one zone and month, through
  ``django.test.Client``.

"Before" is the code of ``approvals/casework_reports.py`` at commit ``BEFORE_COMMIT`` (read
with ``git show``, its imports pointed at today's modules, and loaded beside today's
``approvals/figures/casework.py`` and ``investment.py``), so both run on the same data in the
same rounds. Every "before"/"now" pair is checked to give the same figures.

The data: ``dashboard.build`` (100,000 projects in 20 zones, 500,000 milestones, 840,000
checklist items, 20,000 enterprises, stage requests, 三个一批 rounds), then with
``insert_rows`` (COPY on PostgreSQL): monthly progress for 20,000 projects over last year's
twelve months and this year's up to this month (one month in ten missing, some projects
starting late, plans and cumulatives that never decrease, now and then a plan raised or a
figure not stated), 50,000 problems over the seven categories and 30 departments with mixed
statuses and deadlines around D, and 100,000 task nodes planned around D. D is the latest
working day up to today: the dashboard counts this year and colours as of today.

    .venv/bin/python benchmarks/casework.py [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/casework.py

With a PostgreSQL URL the database ``projectdesk_bench`` is created, used and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import subprocess
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere

#: The casework reports as they were before this benchmark (issue 11's code).
BEFORE_COMMIT = "1dafacf"
#: (projects, enterprises, projects with monthly figures, problems, task nodes)
FULL = (100_000, 20_000, 20_000, 50_000, 100_000)
QUICK = (10_000, 2_000, 2_000, 5_000, 10_000)
DEPARTMENTS = [f"部门{i:02d}" for i in range(30)]
PROBLEM_STATUSES = {"open": 30, "in_progress": 25, "escalated": 5, "resolved": 10, "closed": 30}
NODE_NAMES = ["完成土地摘牌", "取得施工许可", "主体封顶", "设备安装", "试生产"]


def working_day_up_to(day: dt.date) -> dt.date:
    from approvals.models import CalendarDay

    calendar = CalendarDay.objects.calendar()
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


#: Where the casework reports lived at ``BEFORE_COMMIT``, and where what they import from beside
#: them lives since the capability packages (issue 18).
BEFORE_PATH = "approvals/casework_reports.py"
MOVED = {
    "from .colours import": "from approvals.cases.colours import",
    "from .models import": "from approvals.models import",
    "from .models.monthly_progress import": "from approvals.casework.models.monthly_progress import",
    "from .reports import": "from approvals.figures.reports import",
}


def before_module() -> types.ModuleType:
    """The casework reports of ``BEFORE_COMMIT`` (``BEFORE_PATH``), loaded as a module of their
    own, their imports pointed at today's homes of the same names."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE_COMMIT}:{BEFORE_PATH}"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for old, new in MOVED.items():
        source = source.replace(f"\n{old}", f"\n{new}")
    module = types.ModuleType("approvals._casework_reports_before")
    module.__package__ = "approvals"
    module.__file__ = f"{BEFORE_COMMIT}:{BEFORE_PATH}"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


# --- the data ---------------------------------------------------------------------------------


def cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def base_row(model) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = {}
    for f in model._meta.concrete_fields:
        value = f.get_default()
        if isinstance(value, dt.datetime):
            value = now
        row[f.attname] = value
    return row


def monthly_rows(projects: list[int], day: dt.date, rng: random.Random) -> Iterator[tuple]:
    """Last year's twelve months and this year's up to ``day``'s month for each project."""
    from approvals.models import MonthlyProgress

    fields = [f.attname for f in MonthlyProgress._meta.concrete_fields]
    base = base_row(MonthlyProgress)
    pk = 0
    for project in projects:
        for year, last in ((day.year - 1, 12), (day.year, day.month)):
            plan = rng.randint(50_000, 5_000_000)  # cents: 500 to 50,000 万元
            cumulative = 0
            first = 1 if rng.random() < 0.8 else rng.randint(2, 4)
            for month in range(first, last + 1):
                if month > first and rng.random() < 0.1:
                    continue  # a month not reported
                if rng.random() < 0.05:
                    plan += rng.randint(0, 1_000_000)  # the plan raised
                in_month = rng.randint(0, plan // 8)
                cumulative += in_month
                pk += 1
                row = base | {
                    "id": pk,
                    "project_id": project,
                    "month": dt.date(year, month, 1),
                    "annual_plan": cents(plan) if rng.random() < 0.9 else None,
                    "completed_month": cents(in_month) if rng.random() < 0.97 else None,
                    "completed_year": cents(cumulative) if rng.random() < 0.9 else None,
                }
                yield tuple(row[name] for name in fields)


def problem_rows(projects: list[int], count: int, day: dt.date, rng: random.Random):
    from approvals.casework.models.problem import description_key
    from approvals.models import Problem, ProblemCategory

    fields = [f.attname for f in Problem._meta.concrete_fields]
    base = base_row(Problem)
    categories = [c.value for c in ProblemCategory]
    statuses = list(PROBLEM_STATUSES)
    weights = list(PROBLEM_STATUSES.values())
    for pk in range(1, count + 1):
        project = rng.choice(projects)
        status = rng.choices(statuses, weights)[0]
        reported = day - dt.timedelta(days=rng.randint(0, 365))
        text = f"问题{pk}：{rng.choice(['用地指标', '外线电源', '配套资金', '环评批复'])}未落实"
        row = base | {
            "id": pk,
            "project_id": project,
            "description": text,
            "description_key": description_key(text),
            "category": rng.choice(categories),
            "department": rng.choice(DEPARTMENTS) if rng.random() < 0.95 else "",
            "reported_on": reported,
            "deadline": day + dt.timedelta(days=rng.randint(-120, 60))
            if rng.random() < 0.9
            else None,
            "status": status,
        }
        if status in ("resolved", "closed"):
            row["resolved_on"] = min(day, reported + dt.timedelta(days=rng.randint(0, 90)))
            row["resolution"] = "已解决"
        yield tuple(row[name] for name in fields)


def node_rows(projects: list[int], count: int, day: dt.date, rng: random.Random):
    from approvals.models import TaskNode

    fields = [f.attname for f in TaskNode._meta.concrete_fields]
    base = base_row(TaskNode)
    per_project = len(NODE_NAMES)
    for pk in range(1, count + 1):
        project = projects[(pk - 1) // per_project % len(projects)]
        planned = day + dt.timedelta(days=rng.randint(-180, 180))
        done = planned <= day and rng.random() < 0.6
        row = base | {
            "id": pk,
            "project_id": project,
            "name": NODE_NAMES[(pk - 1) % per_project],
            "planned_date": planned,
            "actual_date": min(day, planned + dt.timedelta(days=rng.randint(-10, 20)))
            if done
            else None,
        }
        yield tuple(row[name] for name in fields)


def build(quick: bool) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from approvals.models import MonthlyProgress, Problem, ProblemChange, Project, TaskNode
    from benchmarks import dashboard
    from benchmarks.common import analyze, delete_all, insert_rows, reset_sequences

    projects, enterprises, monthly, problems, nodes = QUICK if quick else FULL
    if get_user_model().objects.filter(username="dash-admin").exists():
        # run.py: dashboard.py built the same data just before; only the casework is new.
        delete_all(ProblemChange, Problem, TaskNode, MonthlyProgress)
    else:
        dashboard.build(projects, enterprises)  # empties the projects and what points at them
    day = working_day_up_to(timezone.localdate())
    rng = random.Random(20261127)
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    key = sorted(rng.sample(ids, monthly))
    for model, rows in (
        (MonthlyProgress, monthly_rows(key, day, rng)),
        (Problem, problem_rows(ids, problems, day, rng)),
        (TaskNode, node_rows(rng.sample(ids, nodes // len(NODE_NAMES)), nodes, day, rng)),
    ):
        insert_rows(model, [f.attname for f in model._meta.concrete_fields], rows)
        reset_sequences(model)
        analyze(model._meta.db_table)
    admin = get_user_model().objects.get(username="dash-admin")
    zone = Project.objects.order_by("pk").values_list("zone_id", flat=True).first()
    return {
        "day": day,
        "admin": admin,
        "zone": zone,
        "rows": {
            "projects": Project.objects.count(),
            "projects with monthly figures": len(key),
            "monthly rows": MonthlyProgress.objects.count(),
            f"monthly rows of {day.year - 1}": MonthlyProgress.objects.filter(
                month__year=day.year - 1
            ).count(),
            "problems": Problem.objects.count(),
            "problems unsolved": Problem.objects.unsolved().count(),
            "task nodes": TaskNode.objects.count(),
            "task nodes open, planned before D": TaskNode.objects.filter(
                actual_date__isnull=True, planned_date__lt=day
            ).count(),
        },
    }


# --- measuring --------------------------------------------------------------------------------


def floors(day: dt.date, zone: int) -> dict[str, Callable[[], Any]]:
    """What the investment figures cannot beat: reading their rows, and one grouped sum."""
    from django.db.models import Sum

    from approvals.figures.reports import Selection
    from approvals.models import MonthlyProgress

    year = MonthlyProgress.objects.filter(
        month__gte=dt.date(day.year - 1, 1, 1), month__lte=dt.date(day.year - 1, 12, 1)
    )
    this_year = MonthlyProgress.objects.filter(
        month__gte=dt.date(day.year, 1, 1), month__lte=day.replace(day=1)
    )
    columns = ("project_id", "project__zone_id", "month", "annual_plan", "completed_month")

    def read(rows) -> Callable[[], Any]:
        return lambda: list(rows.values_list(*columns, "completed_year"))

    def grouped(rows) -> Callable[[], Any]:
        return lambda: list(
            rows.values("project__zone_id", "month")
            .annotate(
                plan=Sum("annual_plan"), month_sum=Sum("completed_month"), y=Sum("completed_year")
            )
            .order_by()
        )

    # One zone's rows through the filter the figures use (the zone's projects as a subquery).
    in_zone = Selection(zones=(zone,)).rows_of_projects(year)
    return {
        "read": read(year),
        "read one zone": read(in_zone),
        "group by": grouped(year),
        "group by one zone": grouped(in_zone),
        "read this year": read(this_year),
        "group by this year": grouped(this_year),
    }


def investment_rows(day: dt.date, zone: int, admin, before, now) -> tuple[list, list]:
    """The investment figures, before and now, beside their floors; the figures compared."""
    from approvals.figures.reports import Selection
    from benchmarks.common import measure

    last_year = Selection(
        date_from=dt.date(day.year - 1, 1, 1), date_to=dt.date(day.year - 1, 12, 31)
    )
    in_zone = Selection(zones=(zone,), date_from=last_year.date_from, date_to=last_year.date_to)

    def dashboard(module) -> Callable[[], Any]:
        if hasattr(module, "latest_this_year"):
            return lambda: module.latest_this_year(Selection(), admin)
        return lambda: module.latest_per_zone(
            module.investment(module.this_year(Selection()), admin)
        )

    floor = floors(day, zone)
    fns = {
        "administrator, before": lambda: before.investment(last_year, admin),
        "administrator, now": lambda: now.investment(last_year, admin),
        "administrator, floor: read the rows": floor["read"],
        "administrator, floor: GROUP BY zone, month": floor["group by"],
        "one zone, before": lambda: before.investment(in_zone, admin),
        "one zone, now": lambda: now.investment(in_zone, admin),
        "one zone, floor: read the rows": floor["read one zone"],
        "one zone, floor: GROUP BY month": floor["group by one zone"],
        "dashboard (this year, latest month per zone), before": dashboard(before),
        "dashboard (this year, latest month per zone), now": dashboard(now),
        "dashboard, floor: read this year's rows": floor["read this year"],
        "dashboard, floor: GROUP BY zone, month": floor["group by this year"],
    }
    same = [
        ("administrator", fns["administrator, before"]() == fns["administrator, now"]()),
        ("one zone", fns["one zone, before"]() == fns["one zone, now"]()),
        ("dashboard", dashboard(before)() == dashboard(now)()),
    ]
    return list(measure(fns, REPEATS).items()), same


def problem_rows_measured(zone: int, admin, before, now) -> tuple[list, list]:
    from django.db.models import Count

    from approvals.figures.reports import Selection
    from approvals.models import Problem
    from benchmarks.common import measure

    def floor(rows) -> Callable[[], Any]:
        return lambda: list(
            rows.values("category", "department", "status").annotate(n=Count("pk")).order_by()
        )

    zoned = Selection(zones=(zone,))
    fns = {
        "administrator, before": lambda: before.problems(Selection(), admin),
        "administrator, now": lambda: now.problems(Selection(), admin),
        "administrator, floor: GROUP BY category, department, status": floor(Problem.objects),
        "one zone, now": lambda: now.problems(zoned, admin),
        "one zone, floor: GROUP BY category, department, status": floor(
            zoned.rows_of_projects(Problem.objects.all())
        ),
    }
    same = [("problems", before.problems(Selection(), admin) == now.problems(Selection(), admin))]
    return list(measure(fns, REPEATS).items()), same


def page_rows(admin, zone: int, day: dt.date, before) -> list:
    """The pages through the test client; the dashboard with its figures counted afresh."""
    from django.core.cache import cache
    from django.test import Client

    from approvals.figures import dashboard
    from approvals.figures import investment as investment_reports
    from benchmarks.common import measure

    client = Client()
    client.force_login(admin)

    def page(url: str, *patches: Callable[[], Any], afresh: bool = False) -> Callable[[], Any]:
        def get() -> None:
            if afresh:
                cache.clear()
            with ExitStack() as stack:
                for patch in patches:
                    stack.enter_context(patch())
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    nothing = {"months": [], "zones": [], "totals": []}
    without = types.SimpleNamespace(**vars(investment_reports))
    without.investment = lambda *args, **kwargs: nothing
    without.latest_per_zone = lambda figures: []
    without.latest_this_year = lambda *args, **kwargs: []

    # The dashboard as it was: the whole of investment() for this year, then each zone's last.
    old = types.SimpleNamespace(**vars(before))
    old.latest_this_year = lambda selection, user=None, today=None: before.latest_per_zone(
        before.investment(before.this_year(selection, today), user)
    )

    def with_module(module) -> Callable[[], Any]:
        return lambda: mock.patch.object(dashboard, "investment", module)

    fns = {
        "dashboard, administrator, afresh, before": page("/admin/", with_module(old), afresh=True),
        "dashboard, administrator, afresh, now": page("/admin/", afresh=True),
        "dashboard, administrator, afresh, without the investment": page(
            "/admin/", with_module(without), afresh=True
        ),
        "dashboard, administrator, figures kept": page("/admin/"),
        "problem list, page 1": page("/admin/approvals/problem/"),
        f"three lists, one zone, {day:%Y-%m}": page(
            f"/admin/three-lists/?zone={zone}&month={day:%Y-%m}"
        ),
    }
    for fn in fns.values():
        fn()  # warm: sessions, settings, content types
    return list(measure(fns, REPEATS).items())


def scan_rows(day: dt.date) -> tuple[list, list]:
    from approvals.reminders import scan as reminder_scan
    from approvals.reminders import services as reminders
    from benchmarks.common import measure

    def without() -> Any:
        with (
            mock.patch.object(reminder_scan, "_late_task_nodes", lambda *args: None),
            mock.patch.object(reminder_scan, "_late_problems", lambda *args: None),
        ):
            return reminders.scan(day)

    found = reminders.scan(day)
    less = without()
    counts = [
        ("reminders, with", len(found.reminders)),
        ("reminders, without the task nodes and problems", len(less.reminders)),
    ]
    fns = {
        "reminders.scan(D)": lambda: reminders.scan(day),
        "reminders.scan(D) without task nodes and problems": without,
    }
    return list(measure(fns, max(3, REPEATS // 3)).items()), counts


REPEATS = 9
#: What PostgreSQL's log holds for a query read through a server-side cursor (``.iterator()``).
DECLARED = re.compile(
    r"^DECLARE\s+\S+\s+(?:NO\s+)?(?:SCROLL\s+)?CURSOR(?:\s+WITH(?:OUT)?\s+HOLD)?\s+FOR\s+",
    re.IGNORECASE,
)


def plain_selects() -> type:
    """``CaptureQueriesContext`` with a server-side cursor's ``DECLARE … FOR`` taken off the
    captured SQL: ``measure`` replays it on a bare cursor, where the DECLARE fails (its
    cursor's name is taken); the SELECT alone is what the database runs. ``investment()``
    reads its rows with ``.iterator()``, a server-side cursor on PostgreSQL."""
    from django.test.utils import CaptureQueriesContext

    class PlainSelects(CaptureQueriesContext):
        @property
        def captured_queries(self) -> list[dict]:
            return [
                {**query, "sql": DECLARED.sub("", query["sql"])}
                for query in super().captured_queries
            ]

    return PlainSelects


def report_rows(title: str, measured: list, floor_of: Callable[[str], str | None]) -> str:
    from benchmarks.common import table

    by_name = dict(measured)
    lines = []
    for name, m in measured:
        floor = floor_of(name)
        ratio = f"{m.ms / by_name[floor].ms:.1f}x" if floor and floor in by_name else ""
        lines.append((name, m.ms, m.sql_ms, m.queries, ratio))
    return table(title, ["variant", "ms", "SQL ms", "queries", "× floor"], lines)


def investment_floor(name: str) -> str | None:
    if "floor" in name:
        return None
    if name.startswith("administrator"):
        return "administrator, floor: read the rows"
    if name.startswith("one zone"):
        return "one zone, floor: read the rows"
    return "dashboard, floor: read this year's rows"


def run(quick: bool, repeats: int) -> str:
    from benchmarks import common

    global REPEATS
    REPEATS = repeats
    with mock.patch.object(common, "CaptureQueriesContext", plain_selects()):
        return _run(quick, repeats)


def _run(quick: bool, repeats: int) -> str:
    from django.db import connection

    from approvals.figures import casework as casework_reports
    from approvals.figures import investment as investment_reports
    from benchmarks.common import table

    started = time.perf_counter()
    built = build(quick)
    built_s = time.perf_counter() - started
    day, admin, zone = built["day"], built["admin"], built["zone"]
    before = before_module()
    out = [
        table(
            f"6a. Casework data ({connection.vendor}), D = {day}",
            ["rows", ""],
            built["rows"].items(),
        )
    ]
    out.append(f"\nBuilt in {built_s:.0f} s.")
    measured, same = investment_rows(day, zone, admin, before, investment_reports)
    out.append(
        report_rows(
            f"6b. investment() (median of {repeats}); × floor: against reading the same rows",
            measured,
            investment_floor,
        )
    )
    measured, same_problems = problem_rows_measured(zone, admin, before, casework_reports)
    out.append(
        report_rows(
            f"6c. problems() (median of {repeats})",
            measured,
            lambda name: (
                None
                if "floor" in name
                else ("administrator" if name.startswith("admin") else "one zone")
                + ", floor: GROUP BY category, department, status"
            ),
        )
    )
    measured = page_rows(admin, zone, day, before)
    out.append(
        report_rows(
            f"6d. Pages as an administrator (median of {repeats})",
            measured,
            lambda name: (
                "dashboard, administrator, afresh, without the investment"
                if name.startswith("dashboard, administrator, afresh") and "without" not in name
                else None
            ),
        )
    )
    measured, counts = scan_rows(day)
    out.append(
        report_rows(
            f"6e. Reminder scan on D (median of {max(3, repeats // 3)})",
            measured,
            lambda name: (
                "reminders.scan(D) without task nodes and problems"
                if name == "reminders.scan(D)"
                else None
            ),
        )
    )
    out.append(table("Reminders found", ["", ""], counts))
    checked = [(name, "yes" if equal else "NO") for name, equal in same + same_problems]
    out.append(table("Same figures before and now", ["figure", "same"], checked))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 projects, 3 repeats")
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    with measured_run(load_at_end=True):
        print(run(args.quick, 3 if args.quick else 9), flush=True)


if __name__ == "__main__":
    main()
