"""The recount of one zone's kept figures (issue 21: under 300 ms at 100,000 projects) and the
investment report, before and after, side by side in one run, on an existing data set:

- each part of ``kept.zone_figures`` (conversion, readiness, per_month, problems, investment,
  by_stage, sanpi_rounds) for the zone with the most projects, and the whole recount;
  readiness "before" groups every item of the zone's candidates (the code as it was, kept
  below), "after" sums the projects' checklist counters (``checklist.counters``); the
  dashboard's investment "before" sums one row per project in Python, "after" sums per zone in
  the query;
- ``investment.investment()`` over every zone, this year and last year: "before" reads every
  monthly row in Python (``_read_changes_in_python``), "after" one GROUP BY zone, month
  (``changes_sql``). Each before/after pair is checked to give the same figures;
- with ``--kept``, the reports page from the figures kept per zone (conversion, readiness and
  problems, beside the investment sums of ``ZoneFigures.investment``) against them counted live:
  the page counted afresh, each report, and one zone's recount, before and after (``kept_run``;
  benchmarks/README.md section 14).

Median of interleaved rounds (``common.measure``: the SQL share replayed on a bare cursor), the
machine and the load average printed. The data: the 100,000-project set of ``pages.py`` (see
/work/wt/RULES.md: a copy of ``pages100k`` migrated with this branch) or any database with
projects, items and monthly rows:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h3_big .venv/bin/python \\
        benchmarks/figures_recount.py [--rounds 7]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \\
        benchmarks/figures_recount.py --build quick   # or full: casework.py's data, built
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")


def readiness_before(selection, user=None) -> dict:
    """``reports.readiness`` as it was before the counters: every item of the candidates grouped
    by project, then added up in Python."""
    from django.db.models import Count

    from approvals.checklist.models import BLOCKING_START, ChecklistProgress, ItemKind, kind_counts
    from approvals.figures import reports
    from approvals.models import ApprovalItem

    projects = reports._readiness_candidates(selection, user)
    rows = list(
        ApprovalItem.objects.filter(project__in=projects.values("pk"))
        .values("project_id")
        .annotate(blocking=Count("pk", filter=BLOCKING_START), **kind_counts())
        .order_by()
    )
    checklists = [(row, ChecklistProgress.of(row)) for row in rows]
    progress = ChecklistProgress.of(
        {kind: sum(each.counts[kind] for _row, each in checklists) for kind in ItemKind.values}
    )
    counted = {
        "projects": projects.count(),
        "ready": sum(1 for row, _each in checklists if not row["blocking"]),
        "projects_with_items": sum(
            1 for _row, each in checklists if each.total > each.counts[ItemKind.NOT_APPLICABLE]
        ),
        "progress": progress.counts,
    }
    return {**counted, **reports.readiness_rate(counted)}


def latest_sums_before(sql: str, params) -> dict[int, list[int]]:
    """``investment._latest_sums`` as it was: one row per project read, summed in Python."""
    from django.db import connection

    def cents(value):
        return None if value is None else round(value * 100)

    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for zone, plan, cumulative, monthly_sum, in_month in cursor.fetchall():
            total = sums[zone]
            total[0] += 1
            total[1] += cents(plan) or 0
            total[2] += int(in_month or 0)
            total[3] += cents(cumulative) if cumulative is not None else int(monthly_sum or 0)
    return sums


def reached_before(stage: str, *, few: bool = False):
    """``reports._reached`` as it was: the set of every zone's projects, hashed."""
    from django.db.models import Q

    from approvals.models import Milestone

    reached = Milestone.objects.filter(stage=stage, actual_date__isnull=False)
    return Q(pk__in=reached.values("project_id"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--build",
        choices=["quick", "full"],
        help="build casework.py's data (10,000 or 100,000 projects) in a throwaway database "
        "on DATABASE_URL's server instead of reading DATABASE_URL's data",
    )
    parser.add_argument(
        "--kept",
        action="store_true",
        help="the reports page from the figures kept per zone against them counted live: "
        "the page afresh, each report and one zone's recount, before and after (every zone "
        "counted first)",
    )
    args = parser.parse_args()
    if args.kept:
        import django

        django.setup()
        from benchmarks import casework, common
        from benchmarks.common import machine, table

        print(table("Machine", ["what", "value"], machine()))
        # a report reads with .iterator(), a server-side cursor: replay its SELECT alone
        with mock.patch.object(common, "CaptureQueriesContext", casework.plain_selects()):
            kept_run(args.rounds)
        return
    if args.build:
        from benchmarks import casework
        from benchmarks.databases import measured_run

        with measured_run("figures_recount_bench", load_at_end=True):
            casework.build(args.build == "quick")
            run(args.rounds)
        return
    import django

    django.setup()
    from benchmarks.common import machine, table

    print(table("Machine", ["what", "value"], machine()))
    run(args.rounds)


def run(rounds: int) -> None:
    from benchmarks import casework, common

    # the Python way reads with .iterator(), a server-side cursor: replay its SELECT alone
    with mock.patch.object(common, "CaptureQueriesContext", casework.plain_selects()):
        _run(rounds)


def _run(rounds: int) -> None:
    import datetime as dt

    from django.db.models import Count
    from django.utils import timezone

    from approvals.figures import casework, investment, kept, registry, reports
    from approvals.figures.reports import Selection
    from approvals.models import ApprovalItem, MonthlyProgress, Project
    from benchmarks.common import measure, table

    today = timezone.localdate()
    zone = (
        Project.objects.order_by()
        .values("zone_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["zone_id"]
    )
    print(
        f"\n{Project.objects.count():,} projects, {ApprovalItem.objects.count():,} items, "
        f"{MonthlyProgress.objects.count():,} monthly rows; zone {zone} with "
        f"{Project.objects.filter(zone_id=zone).count():,} projects"
    )
    selection = Selection(zones=(zone,))
    period = kept.rates_period(today)
    signed = dataclasses.replace(period, zones=(zone,))
    readiness_report = registry.get("readiness")

    def readiness_counts_before(selection, user=None, **_options):
        """``reports.readiness_counts`` (what a zone's recount reads) as it was: the items
        grouped (``readiness_before``), its counts without the rate."""
        counted = readiness_before(selection, user)
        return {
            key: counted[key] for key in ("projects", "ready", "projects_with_items", "progress")
        }

    def problems_before(*args, **kwargs):
        return casework_problems(*args, **{**kwargs, "median": True})

    casework_problems = casework.problems

    def before():
        """The code as it was: readiness grouping items, the investment grouped as a whole
        and summed in Python, the problems' median counted, the reached sets hashed."""
        return (
            mock.patch.object(reports, "readiness_counts", readiness_counts_before),
            mock.patch.object(investment, "_latest_of_zones", investment._latest_grouped),
            mock.patch.object(investment, "_latest_sums", latest_sums_before),
            mock.patch.object(casework, "problems", problems_before),
            mock.patch.object(reports, "_reached", reached_before),
        )

    def recount_before():
        with ExitStack() as stack:
            for patch in before():
                stack.enter_context(patch)
            return kept.zone_figures(zone, today=today)

    def latest_before():
        with (
            mock.patch.object(investment, "_latest_of_zones", investment._latest_grouped),
            mock.patch.object(investment, "_latest_sums", latest_sums_before),
        ):
            return investment.latest_this_year(selection, None, today)

    def conversion_before():
        with mock.patch.object(reports, "_reached", reached_before):
            return registry.get("conversion").figures(signed, None)

    def problems_with_median():
        return casework_problems(selection, None, today=today)

    def report_before(chosen):
        with mock.patch.object(investment, "_read_changes", investment._read_changes_in_python):
            return investment.investment(chosen)

    assert readiness_before(selection) == readiness_report.figures(selection)
    assert conversion_before() == registry.get("conversion").figures(signed, None)
    assert latest_before() == investment.latest_this_year(selection, None, today)
    assert recount_before() == kept.zone_figures(zone, today=today)
    parts = {
        "conversion, before (reached sets hashed)": conversion_before,
        "conversion, after (EXISTS per project)": lambda: registry.get("conversion").figures(
            signed, None
        ),
        "readiness, before (items grouped)": lambda: readiness_before(selection),
        "readiness, after (counters summed)": lambda: readiness_report.figures(selection),
        "per_month": lambda: reports.per_month(selection, None, today=today),
        "problems, before (with the median)": problems_with_median,
        "problems, after (counts only)": lambda: casework.problems(
            selection, None, today=today, median=False
        ),
        "investment, before (summed in Python)": latest_before,
        "investment, after (summed in SQL)": lambda: investment.latest_this_year(
            selection, None, today
        ),
        "by_stage": lambda: reports.by_stage(selection, None),
        "sanpi_rounds": lambda: reports.sanpi_rounds(selection, None),
        "one zone's recount, before": recount_before,
        "one zone's recount, after": lambda: kept.zone_figures(zone, today=today),
    }
    found = measure(parts, rounds)
    print(
        table(
            f"One zone's figures (kept.zone_figures), median of {rounds} interleaved rounds",
            ["part", "ms", "SQL ms", "queries"],
            [(name, m.ms, m.sql_ms, m.queries) for name, m in found.items()],
        )
    )
    this_year = Selection(date_from=dt.date(today.year, 1, 1), date_to=today)
    last_year = Selection(
        date_from=dt.date(today.year - 1, 1, 1), date_to=dt.date(today.year - 1, 12, 31)
    )
    for chosen in (this_year, last_year):
        assert report_before(chosen) == investment.investment(chosen)
    reports_found = measure(
        {
            "this year, before (rows read in Python)": lambda: report_before(this_year),
            "this year, after (GROUP BY zone, month)": lambda: investment.investment(this_year),
            "last year, before (rows read in Python)": lambda: report_before(last_year),
            "last year, after (GROUP BY zone, month)": lambda: investment.investment(last_year),
        },
        rounds,
    )
    print(
        table(
            f"investment() over every zone, median of {rounds} interleaved rounds",
            ["report", "ms", "SQL ms", "queries"],
            [(name, m.ms, m.sql_ms, m.queries) for name, m in reports_found.items()],
        )
    )
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def kept_run(rounds: int) -> None:
    """The reports page from the figures kept per zone (after) against what it read before,
    side by side: every zone's figures counted once, then the reports page as the system
    administrator with the cache emptied before each visit, each report of the last twelve
    months alone, and one zone's recount (its version raised first, so that it counts).

    "before" is the code with the conversion, readiness and problems never read from the kept
    figures (``reports.zones_kept`` answering None, which casework reads too: live, as on main
    before them), the investment report read from its kept sums (section 14's "after"); the
    recount "before" counts the problems as it did (the dashboard's counts alone, no problems
    of the period: ``casework.zone_problems`` replaced by ``problems(median=False)``)."""
    import time

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db.models import Count, F
    from django.test import Client
    from django.utils import timezone

    from approvals.figures import casework, kept, reports
    from approvals.figures.reports import Selection
    from approvals.models import MonthlyProgress, Problem, Project, ZoneFigures
    from benchmarks.common import measure, table
    from zones.models import Zone

    print(f"\nload average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    today = timezone.localdate()
    zone = (
        Project.objects.order_by()
        .values("zone_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()["zone_id"]
    )
    zones = list(Zone.objects.order_by("pk").values_list("pk", flat=True))
    print(
        f"{Project.objects.count():,} projects, {MonthlyProgress.objects.count():,} monthly "
        f"rows, {Problem.objects.count():,} problems, {len(zones)} zones; zone {zone} with "
        f"{Project.objects.filter(zone_id=zone).count():,} projects"
    )
    started = time.perf_counter()
    for pk in zones:
        ZoneFigures.objects.get_or_create(zone_id=pk)
    ZoneFigures.objects.update(version=F("version") + 1)
    kept.recount(zones)
    print(f"every zone's figures and sums counted: {time.perf_counter() - started:.1f} s")

    def live():
        # casework reads the kept figures through reports (kept_parts); investment keeps its own
        return mock.patch.object(reports, "zones_kept", lambda *args, **kwargs: None)

    admin = get_user_model().objects.get(username="pages-system-admin")
    start, end = reports.last_twelve_months(today)
    period = Selection(date_from=start, date_to=end)
    counts = {
        "conversion": reports.conversion,
        "readiness": reports.readiness,
        "problems": casework.problems,
    }
    assert reports._kept_conversion(period, admin) is not None
    for name, count in counts.items():
        with live():
            before = count(period, admin)
        assert before == count(period, admin), f"{name}: kept and live differ"

    client = Client()
    client.force_login(admin)

    def page() -> None:
        cache.clear()
        response = client.get("/admin/reports/")
        assert response.status_code == 200, response.status_code

    def page_before() -> None:
        with live():
            page()

    def before(count):
        def counted() -> None:
            with live():
                count(period, admin)

        return counted

    def raised() -> None:
        ZoneFigures.objects.filter(pk=zone).update(version=F("version") + 1)

    problems = casework.problems

    def recount_before() -> None:
        """``kept.recount_zone`` as it was: without the problems of the period."""
        raised()

        def as_it_was(selection, user=None, *, period, today):
            return problems(selection, user, today=today, median=False), None

        with mock.patch.object(casework, "zone_problems", as_it_was):
            assert kept.recount_zone(zone) is not None

    def recount_after() -> None:
        raised()
        assert kept.recount_zone(zone) is not None

    # The reads first, apart: replaying a recount's captured SQL raises the zone's version
    # without counting it, and the reads would then count live.
    reads = {
        "reports page afresh (system admin), before: three reports live": page_before,
        "reports page afresh (system admin), after: kept figures": page,
    }
    for name, count in counts.items():
        reads[f"{name}() of the last twelve months, before: live"] = before(count)
        reads[f"{name}() of the last twelve months, after: kept"] = lambda count=count: count(
            period, admin
        )
    found = measure(reads, rounds)
    assert casework._kept_problems(period, admin, today) is not None, "the reads counted live"
    found |= measure(
        {
            "one zone's recount, before (no problems of the period)": recount_before,
            "one zone's recount, after (with them)": recount_after,
            "the zone's problems (casework.zone_problems) alone": lambda: casework.zone_problems(
                Selection(zones=(zone,)), period=period, today=today
            ),
        },
        rounds,
    )
    recount_after()  # the zone counted at its version again
    print(
        table(
            f"The reports page from kept figures, median of {rounds} interleaved rounds",
            ["what", "ms", "SQL ms", "queries"],
            [(name, m.ms, m.sql_ms, m.queries) for name, m in found.items()],
        )
    )
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
