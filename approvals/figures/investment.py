"""The investment report (月调度, guide section 10): monthly investment completed against the
annual plan per zone, over the same ``Selection`` and scope as ``approvals/figures/reports.py``
(zones, batches, a period, within what the person sees). The dashboard (``latest_this_year``),
the reports page, its .xlsx downloads and ``manage.py report investment`` call these functions
(the reports through ``approvals/figures/registry.py``). A handful of aggregate queries,
whatever the number of rows.

Investment — the rules taken here (amounts in 万元, as the monthly table reports them):

* The rows counted are those of the projects counted, as for problems (``casework.rows_counted``:
  scope, zones, and the projects listed in the batches named, if any).

* The months: those of the period (from the month of ``date_from`` to that of ``date_to``);
  with no period, the year of the latest month that has figures. Rows run from the first to the
  last month with figures in there (in the zones chosen), every month between included: a
  zone chosen alone ends at its own latest month; beside a zone that reported later, a zone
  behind shows its figures carried into the later months (the rule below).
* A project counts in a zone's month M (of year Y) once it has a row in Y on or before M. Such
  a project **missing month M** counts as follows: in the month, nothing (0); its annual plan
  and its cumulative are carried from its latest row of Y before M — the latest row of Y up to M
  that states a plan gives the plan, the latest that states a cumulative (累计) gives the
  cumulative (the cumulative never decreases within a year, guide 8.3). A project that stated no
  cumulative in Y up to M counts the sum of its monthly figures instead; one that stated no plan
  counts 0 in the plan.
* Annual plan = Σ of the counted projects' plans as known at M ("the latest month's plan").
* Completion rate = Σ cumulative ÷ Σ annual plan over the same projects (the ratio of the two
  columns shown, not a mean of rates); None when the plan is 0.

**Kept per zone.** The report is counted from the changes each month makes to its zone's sums
(projects starting their year, plan, in the month, cumulative: ``Sums``), which add up over
zones. The worker keeps each zone's, every month of every year, with the dashboard's figures
(``ZoneFigures.investment``, counted by ``kept.recount_zone`` after every committed change to the
zone, a monthly row imported, edited or deleted included), and the report reads them when the
selection is of whole zones (``kept_changes``); counted live, the same changes took 2.9–3.5 s at
100,000 projects (four window passes over 420,000 monthly rows; benchmarks/README.md section
14). Kept sums behind a change are never shown: the report counts live until the worker has
counted them, so it needs no "截至 HH:MM" of its own (the figures are always of now).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Cast, ExtractYear, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.casework.models.monthly_progress import first_of_month
from approvals.core import units
from approvals.figures.casework import rows_counted
from approvals.figures.reports import Selection, percent, rate, zones_kept
from approvals.figures.tables import Table
from approvals.models import MonthlyProgress, Project
from zones.models import Zone

#: (zone, month) → [projects, plan, in the month, cumulative], in cents.
Sums = dict[tuple[int, dt.date], list[int]]


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _amount(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _asked(selection: Selection) -> tuple[dt.date, dt.date] | None:
    """The first and last month of the period asked for, if one is."""
    if selection.date_from or selection.date_to:
        start = first_of_month(selection.date_from) if selection.date_from else dt.date(1990, 1, 1)
        end = first_of_month(selection.date_to) if selection.date_to else dt.date(2100, 12, 1)
        return start, end
    return None


def _period(rows: QuerySet, selection: Selection) -> tuple[dt.date, dt.date] | None:
    """The first and last month asked for (rule: module docstring), or None without figures."""
    if asked := _asked(selection):
        return asked
    last = rows.aggregate(last=Max("month"))["last"]
    return (dt.date(last.year, 1, 1), last) if last else None


def _in_cents(field: str) -> Cast:
    """An amount in whole cents of 万元 (an integer), worked out by the database: the columns
    have two decimals, so the sums below are exact without a Decimal per value."""
    return Cast(Round(F(field) * 100), BigIntegerField())


def _wan(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _figure(projects: int, plan: int, month: int, cumulative: int) -> dict:
    """A zone's (or all zones') month, from sums in cents."""
    return {
        "projects": projects,
        "annual_plan_wan": _amount(_wan(plan)),
        "completed_month_wan": _amount(_wan(month)),
        "completed_year_wan": _amount(_wan(cumulative)),
        "rate": rate(_wan(cumulative), _wan(plan)),
    }


def _changes(figures) -> Iterator[tuple[dt.date, int, int, int, int]]:
    """One project's rows of a year, in month order, as the changes they make to its counted
    figures (rules: module docstring): (month, projects, plan, in the month, cumulative), the
    amounts in cents. Summed per zone and month and run up through the year, they give the
    figures of every month, the months a project missed included (carried)."""
    plan = cumulative = monthly_sum = 0
    stated = False  # a cumulative stated this year so far
    first = True
    for month, new_plan, in_month, new_cumulative in figures:
        plan_change = 0 if new_plan is None else new_plan - plan
        plan += plan_change
        in_month = in_month or 0
        monthly_sum += in_month
        before = cumulative
        if new_cumulative is not None:
            cumulative, stated = new_cumulative, True
        elif not stated:
            cumulative = monthly_sum
        yield month, int(first), plan_change, in_month, cumulative - before
        first = False


def investment(selection: Selection, user=None) -> dict:
    """Per zone and month: annual plan, completed in the month, cumulative for the year and the
    completion rate (rules: module docstring); and the same over all zones per month.

    Each project's rows are turned into the changes they make (``_changes``), summed per zone
    and month (``_read_changes``), and run up month by month within each year (``_run_up``):
    the work follows the rows read, not the projects times the months shown. The amounts come
    as whole cents (integers). The changes summed per zone and month add up over zones: the
    worker keeps them per zone (``kept_changes``), and they are read from there when the
    selection is of whole zones (two small queries and the zones' names); else counted live
    (one query for the period, one for the rows of its years, one for the zones' names)."""
    kept = kept_changes(selection, user)
    if kept is not None:
        return from_changes(kept, selection)
    rows = rows_counted(MonthlyProgress, selection, user)
    period = _period(rows, selection)
    if period is None:
        return _report({}, set())
    start, end = period
    return _report(*_read_changes(rows, start, end))


def _report(changes: Sums, shown: set[dt.date]) -> dict:
    """The report from the changes of its zones and months (``_read_changes``)."""
    if not shown:
        return {"months": [], "zones": [], "totals": []}
    months = _month_range(min(shown), max(shown))
    sums = _run_up(changes, months)
    return _shaped(sums, {zone for zone, _month in changes}, months)


def from_changes(changes: Sums, selection: Selection) -> dict:
    """``investment()`` from the changes of every month of its zones (kept, or counted for one
    zone): those of the period's years up to its end, as ``_read_changes`` reads them."""
    if asked := _asked(selection):
        start, end = asked
    elif changes:
        end = max(month for _zone, month in changes)
        start = dt.date(end.year, 1, 1)
    else:
        return _report({}, set())
    first = dt.date(start.year, 1, 1)
    chosen = {key: sums for key, sums in changes.items() if first <= key[1] <= end}
    return _report(chosen, {month for _zone, month in chosen if month >= start})


# --- the sums kept per zone ---------------------------------------------------------------------


def zone_changes(zone_id: int) -> Sums:
    """One zone's changes of every month with rows (``changes_sql``, all years): what the
    worker keeps (``kept.recount_zone``)."""
    rows = rows_counted(MonthlyProgress, Selection(zones=(zone_id,)))
    return _read_changes(rows, dt.date(1, 1, 1), dt.date(9999, 12, 1))[0]


def kept_form(changes: Sums) -> dict[str, list[int]]:
    """One zone's changes as ``ZoneFigures.investment`` keeps them: month (YYYY-MM) → sums."""
    return {f"{month:%Y-%m}": sums for (_zone, month), sums in sorted(changes.items())}


def kept_changes(selection: Selection, user=None) -> Sums | None:
    """The changes of the selection's zones as the worker kept them (``ZoneFigures``), or None
    when the selection is not theirs: batches named (a batch lists some projects of a zone), a
    person who does not see whole zones (a leader following projects, ``sees_whole_zones``), or
    a zone whose sums are missing or behind its changes (a recount queued or running; a zone
    never counted). Over every project (an administrator, the command line, no zone chosen), the
    rows of the projects of no zone are counted live beside them (few, by the zone's index)."""
    found = zones_kept(selection, user, part="investment")
    if found is None:
        return None
    changes: Sums = {
        (zone, dt.date(int(month[:4]), int(month[5:7]), 1)): list(values)
        for zone, months in found.parts.items()
        for month, values in months.items()
    }
    if found.everything:
        unzoned = MonthlyProgress.objects.filter(project__zone__isnull=True)
        changes.update(_read_changes(unzoned, dt.date(1, 1, 1), dt.date(9999, 12, 1))[0])
    return changes


def _read_changes(rows: QuerySet, start: dt.date, end: dt.date) -> tuple[Sums, set[dt.date]]:
    """The rows from January of ``start``'s year to ``end``, as the changes they make summed
    per zone and month ((zone, month) → [projects, plan, in the month, cumulative]); and the
    months from ``start`` on that have figures.

    The rule of ``_changes`` as one query (``changes_sql``): window functions carry each
    project's plan and cumulative forward within its year and take each row's change from the
    row before, then one GROUP BY zone, month sums them; a few hundred rows come back instead
    of every monthly row (210,866 rows read in Python took ~800 ms at 100,000 projects;
    benchmarks/figures_recount.py). ``_read_changes_in_python`` is the same rule one project at
    a time (tests/figures/test_investment_sql.py compares them)."""
    sql, params = changes_sql(rows, start, end)
    changes: Sums = {}
    shown: set[dt.date] = set()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for zone, month, *sums in cursor.fetchall():
            month = _as_date(month)
            changes[(zone, month)] = [int(value or 0) for value in sums]
            if month >= start:
                shown.add(month)
    return changes, shown


def _as_date(value) -> dt.date:
    """A month read by raw SQL (a date on PostgreSQL, text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def changes_sql(rows: QuerySet, start: dt.date, end: dt.date) -> tuple[str, tuple]:
    """``_read_changes``'s query: per zone and month, the projects starting their year, and the
    changes of plan, of the month's figure and of cumulative (cents), rules of ``_changes``."""
    base = (
        rows.filter(month__gte=dt.date(start.year, 1, 1), month__lte=end)
        .order_by()
        .values(
            "project_id",
            "month",
            zone=F("project__zone_id"),
            year=ExtractYear("month"),
            plan=_in_cents("annual_plan"),
            in_month=_in_cents("completed_month"),
            cumulative=_in_cents("completed_year"),
        )
    )
    inner, params = base.query.sql_with_params()
    year = "PARTITION BY project_id, year"
    sql = f"""
        SELECT zone, month,
            SUM(CASE WHEN row_in_year = 1 THEN 1 ELSE 0 END),
            SUM(plan_now - COALESCE(plan_before, 0)),
            SUM(COALESCE(in_month, 0)),
            SUM(cumulative_now - COALESCE(cumulative_before, 0))
        FROM (
            SELECT zone, month, row_in_year, in_month, plan_now, cumulative_now,
                LAG(plan_now) OVER ({year} ORDER BY month) AS plan_before,
                LAG(cumulative_now) OVER ({year} ORDER BY month) AS cumulative_before
            FROM (
                SELECT project_id, zone, month, year, row_in_year, in_month,
                    COALESCE(MAX(plan) OVER ({year}, plan_run), 0) AS plan_now,
                    CASE WHEN cumulative_run > 0
                        THEN MAX(cumulative) OVER ({year}, cumulative_run)
                        ELSE monthly_sum END AS cumulative_now
                FROM (
                    SELECT project_id, zone, month, year, plan, in_month, cumulative,
                        ROW_NUMBER() OVER ({year} ORDER BY month) AS row_in_year,
                        COUNT(plan) OVER ({year} ORDER BY month) AS plan_run,
                        COUNT(cumulative) OVER ({year} ORDER BY month) AS cumulative_run,
                        SUM(COALESCE(in_month, 0)) OVER ({year} ORDER BY month) AS monthly_sum
                    FROM ({inner}) AS r
                ) AS runs
            ) AS carried
        ) AS changed
        GROUP BY zone, month
    """
    return sql, params


def _read_changes_in_python(
    rows: QuerySet, start: dt.date, end: dt.date
) -> tuple[Sums, set[dt.date]]:
    """``_read_changes`` as it was: every row read, one project's year at a time (``_changes``)
    — the object form of the rule, kept to compare with the query (tests, benchmark)."""
    read = (
        rows.filter(month__gte=dt.date(start.year, 1, 1), month__lte=end)
        .order_by("project_id", "month")
        .values_list(
            "project_id",
            "project__zone_id",
            "month",
            _in_cents("annual_plan"),
            _in_cents("completed_month"),
            _in_cents("completed_year"),
        )
    )
    changes: Sums = defaultdict(lambda: [0, 0, 0, 0])
    shown: set[dt.date] = set()
    for zone, figures in _project_years(read):
        for month, *change in _changes(figures):
            total = changes[(zone, month)]
            for i, value in enumerate(change):
                total[i] += value
            if month >= start:
                shown.add(month)
    return changes, shown


def _project_years(read: QuerySet) -> Iterator[tuple[int, list[tuple]]]:
    """(zone, the project's rows of one year) for each project and year, from rows ordered by
    project and month: (project, zone, month, plan, in the month, cumulative)."""
    current, zone, year, figures = None, None, None, []
    for project, zone_id, month, *amounts in read.iterator(chunk_size=5000):
        if project != current or month.year != year:
            if figures:
                yield zone, figures
            current, zone, year, figures = project, zone_id, month.year, []
        figures.append((month, *amounts))
    if figures:
        yield zone, figures


def _run_up(changes: Sums, months: list[dt.date]) -> Sums:
    """Run the changes up through each year, from its January (rows before the first month
    shown are carried into it), and keep the months shown where the zone counts a project."""
    sums: Sums = {}
    for zone in {zone for zone, _month in changes}:
        running, year = [0, 0, 0, 0], None
        for month in _month_range(dt.date(months[0].year, 1, 1), months[-1]):
            if month.year != year:
                running, year = [0, 0, 0, 0], month.year
            projects, plan, _in_month, cumulative = running
            change = changes.get((zone, month), (0, 0, 0, 0))
            # The month's own figure is not carried; the others are.
            running = [projects + change[0], plan + change[1], change[2], cumulative + change[3]]
            if running[0] and month >= months[0]:
                sums[(zone, month)] = running
    return sums


def _shaped(sums: Sums, zone_ids: Iterable[int], months: list[dt.date]) -> dict:
    """The report's figures: each zone's months (by the zone's name), and all zones' per month."""
    names = dict(Zone.objects.filter(pk__in=zone_ids).values_list("pk", "name"))
    zones = []
    for zone in sorted(names, key=lambda pk: names[pk]):
        found = [
            {"month": f"{month:%Y-%m}", **_figure(*sums[(zone, month)])}
            for month in months
            if (zone, month) in sums
        ]
        if found:
            zones.append({"zone_id": zone, "zone": names[zone], "months": found})
    totals = []
    for month in months:
        parts = [sums[key] for key in sums if key[1] == month]
        totals.append(
            {"month": f"{month:%Y-%m}", **_figure(*(sum(p[i] for p in parts) for i in range(4)))}
        )
    return {"months": [f"{m:%Y-%m}" for m in months], "zones": zones, "totals": totals}


def this_year(selection: Selection, today: dt.date | None = None) -> Selection:
    """``selection`` over this year up to today (the dashboard's investment)."""
    today = today or timezone.localdate()
    return Selection(zones=selection.zones, date_from=dt.date(today.year, 1, 1), date_to=today)


def latest_per_zone(figures: dict) -> list[dict]:
    """Each zone's latest month of ``investment()``: cumulative against plan."""
    return [
        {"zone_id": z["zone_id"], "zone": z["zone"], **z["months"][-1]}
        for z in figures["zones"]
        if z["months"]
    ]


def latest_this_year(selection: Selection, user=None, today: dt.date | None = None) -> list[dict]:
    """The dashboard's investment: ``latest_per_zone(investment(this_year(selection, today),
    user))``, the same figures, from one grouped row per project instead of every row of the
    year. Within one year every zone with figures ends at the year's latest month M, where a
    project counts its row of M in the month, and the plan and the cumulative of its latest
    rows up to M that state them (else the sum of its months): the database gives those per
    project (a GROUP BY, then two lookups by the unique (project, month) index); they are summed
    here per zone, in cents. Three queries: the latest month, the projects' figures, the
    zones' names. From the sums kept per zone (``kept_changes``) whenever they serve."""
    chosen = this_year(selection, today)
    kept = kept_changes(chosen, user)
    if kept is not None:
        return latest_per_zone(from_changes(kept, chosen))
    if chosen.zones and not chosen.batches and connection.vendor == "postgresql":
        return _latest_of_zones(chosen, user)
    return _latest_grouped(chosen, user)


def _latest_grouped(chosen: Selection, user) -> list[dict]:
    """``latest_this_year`` grouped per project over the rows of the selection (any selection,
    any database)."""
    rows = rows_counted(MonthlyProgress, chosen, user).filter(
        month__gte=first_of_month(chosen.date_from), month__lte=first_of_month(chosen.date_to)
    )
    last = rows.aggregate(last=Max("month"))["last"]
    if last is None:
        return []
    sums = _latest_sums(*_per_project_sql(rows, last))
    names = dict(Zone.objects.filter(pk__in=sums).values_list("pk", "name"))
    return [
        {"zone_id": zone, "zone": names[zone], "month": f"{last:%Y-%m}", **_figure(*sums[zone])}
        for zone in sorted(names, key=lambda pk: names[pk])
    ]


def _latest_of_zones(chosen: Selection, user) -> list[dict]:
    """``latest_this_year`` of a few zones on PostgreSQL (a zone's recount), in one query: for
    each project counted, its rows of the year through the (project, month) index (a LATERAL
    subquery: grouped as a whole, PostgreSQL scanned the year's rows of every zone, 210,000 at
    100,000 projects, 390 ms for one zone's 1,000 projects with figures; this way ~100 ms;
    benchmarks/figures_recount.py), the latest plan and cumulative stated and the figure of
    its latest month taken in the same pass; then summed per zone, the month's figure counted
    where a project's latest month is the latest of all. Tested equal to the general way
    (tests/figures/test_investment_sql.py)."""
    projects = chosen.projects(user).order_by().values("id", "zone_id")
    outer, params = projects.query.sql_with_params()
    first, last_bound = first_of_month(chosen.date_from), first_of_month(chosen.date_to)
    monthly = connection.ops.quote_name(MonthlyProgress._meta.db_table)
    cents = "CAST(ROUND({} * 100) AS BIGINT)"
    latest = "(ARRAY_AGG(m.{0} ORDER BY m.month DESC) FILTER (WHERE m.{0} IS NOT NULL))[1]"
    sql = f"""
        SELECT zone_id, last, COUNT(*),
            SUM(COALESCE({cents.format("plan")}, 0)),
            SUM(CASE WHEN last_month = last THEN COALESCE({cents.format("last_in_month")}, 0)
                ELSE 0 END),
            SUM(CASE WHEN cumulative IS NOT NULL THEN {cents.format("cumulative")}
                ELSE COALESCE(monthly_sum, 0) END)
        FROM (
            SELECT p.zone_id, g.*, MAX(g.last_month) OVER () AS last
            FROM ({outer}) AS p
            CROSS JOIN LATERAL (
                SELECT COUNT(*) AS n, MAX(m.month) AS last_month,
                    {latest.format("annual_plan")} AS plan,
                    {latest.format("completed_year")} AS cumulative,
                    SUM({cents.format("m.completed_month")}) AS monthly_sum,
                    (ARRAY_AGG(m.completed_month ORDER BY m.month DESC))[1] AS last_in_month
                FROM {monthly} m
                WHERE m.project_id = p.id AND m.month >= %s AND m.month <= %s
            ) AS g
            WHERE g.n > 0
        ) AS per_project
        GROUP BY zone_id, last
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, first, last_bound))
        found = cursor.fetchall()
    if not found:
        return []
    last = found[0][1]
    sums = {zone: [int(value or 0) for value in figures] for zone, _last, *figures in found}
    names = dict(Zone.objects.filter(pk__in=sums).values_list("pk", "name"))
    return [
        {"zone_id": zone, "zone": names[zone], "month": f"{last:%Y-%m}", **_figure(*sums[zone])}
        for zone in sorted(names, key=lambda pk: names[pk])
    ]


def _per_project_sql(rows: QuerySet, last: dt.date) -> tuple[str, tuple]:
    """One row per project of ``rows``: its zone, the plan and the cumulative of its latest rows
    that state them, the sum of its months and its figure of ``last``, the amounts in cents
    (the plan and the cumulative as stored)."""
    grouped = (
        rows.values("project_id")
        .annotate(
            plan_month=Max("month", filter=Q(annual_plan__isnull=False)),
            cumulative_month=Max("month", filter=Q(completed_year__isnull=False)),
            monthly_sum=Sum(_in_cents("completed_month")),
            in_month=Sum(_in_cents("completed_month"), filter=Q(month=last)),
        )
        .order_by()
    )
    inner, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    monthly = quote(MonthlyProgress._meta.db_table)
    project, month = quote("project_id"), quote("month")

    def stated(column: str, at: str) -> str:
        # A lookup by the unique (project, month) index for each project; as a join, PostgreSQL
        # hashed the whole table twice instead.
        return (
            f"(SELECT s.{quote(column)} FROM {monthly} s"
            f" WHERE s.{project} = g.{project} AND s.{month} = g.{at})"
        )

    # The zone too by a lookup per project: joined, PostgreSQL read all 100,000 projects' wide
    # rows for the 1,000 of one zone (264 ms).
    zone = (
        f"(SELECT p.{quote('zone_id')} FROM {quote(Project._meta.db_table)} p"
        f" WHERE p.{quote('id')} = g.{project})"
    )
    sql = (
        f"SELECT {zone} AS zone_id, {stated('annual_plan', 'plan_month')} AS plan,"
        f" {stated('completed_year', 'cumulative_month')} AS cumulative,"
        " g.monthly_sum AS monthly_sum, g.in_month AS in_month"
        f" FROM ({inner}) g"
    )
    return sql, params


def _latest_sums(sql: str, params) -> dict[int, list[int]]:
    """The projects' rows of ``_per_project_sql`` summed per zone by the database: zone →
    [projects, plan, in the month, cumulative], in cents (a project that stated no cumulative
    counts the sum of its months). Summing the 100,000 projects' rows here in Python was most
    of the 290–344 ms of the dashboard's investment (issue 21)."""
    cents = "CAST(ROUND({} * 100) AS BIGINT)"
    grouped = (
        "SELECT zone_id, COUNT(*),"
        f" SUM(COALESCE({cents.format('plan')}, 0)),"
        " SUM(COALESCE(in_month, 0)),"
        f" SUM(CASE WHEN cumulative IS NOT NULL THEN {cents.format('cumulative')}"
        " ELSE COALESCE(monthly_sum, 0) END)"
        f" FROM ({sql}) AS per_project GROUP BY zone_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(grouped, params)
        return {zone: [int(value or 0) for value in sums] for zone, *sums in cursor.fetchall()}


def shown_number(wan_amount: float) -> Decimal | None:
    """A monthly amount (kept in 万元) as the tables show investment: 亿元 to two decimals,
    a number still for the .xlsx downloads (``units``)."""
    return units.yi_shown_number(units.yi(wan_amount))


def investment_tables(figures: dict) -> list[Table]:
    """``investment()`` as one table: each zone's months, then all zones'."""
    headers = [
        _("zone"),
        _("month"),
        _("projects"),
        _("annual plan (100m yuan)"),
        _("completed in the month (100m yuan)"),
        _("completed this year (100m yuan)"),
        _("completion rate"),
    ]

    def line(zone: str, row: dict) -> list:
        return [
            zone,
            row["month"],
            row["projects"],
            shown_number(row["annual_plan_wan"]),
            shown_number(row["completed_month_wan"]),
            shown_number(row["completed_year_wan"]),
            percent(row["rate"]),
        ]

    rows = [line(z["zone"], row) for z in figures["zones"] for row in z["months"]]
    rows += [line(_("All zones"), row) for row in figures["totals"]]
    title = _("Investment completed against plan (月调度)")
    return [Table("investment", title, headers, rows, _("Investment"))]
