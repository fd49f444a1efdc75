"""The figures of casework (guide sections 9 and 10): problems (堵点) and monthly investment
(月调度), over the same ``Selection`` and scope as ``approvals/figures/reports.py`` (zones, batches, a
period, within what the person sees). The dashboard, the reports page, its .xlsx downloads and
``manage.py report problems|investment`` all call these functions (the reports through
``approvals/figures/registry.py``). A handful of aggregate
queries per figure, whatever the number of rows.

Problems — the rules taken here:

* A problem counts when its project counts (``permissions.scope``, the zones chosen) and, with
  batches named, when its project is listed in one of them (as readiness narrows).
* The period selects problems by the day they were **reported** (``reported_on`` between from
  and to, both included); their status is read as it is now. So "from 2025-01-01 to 2025-03-31"
  means the problems reported in the first quarter, how many of them are still unsolved, how
  many were resolved and how fast.
* Unsolved = open, being solved or escalated (``UNSOLVED``); resolved = resolved or closed (销号)
  (``SOLVED``); closed, a part of resolved, is given on its own. Red and yellow are of unsolved
  problems by their deadline, the milestones' rule (``colours.problem_filter``), as of today.
* Days to resolve = ``resolved_on − reported_on`` in calendar days, over the resolved problems
  that have a resolution date. The median of an odd count is the middle value; of an even count,
  the mean of the two middle values (so it may end in .5); with none, there is no median (None).

Investment — the rules taken here (amounts in 万元, as the monthly table reports them):

* The rows counted are those of the projects counted, as for problems (scope, zones, and the
  projects listed in the batches named, if any).

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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, Round
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import Colour, MilestoneColours, problem_filter
from approvals.casework.models.monthly_progress import first_of_month
from approvals.figures.reports import Selection, percent, rate
from approvals.figures.tables import Table
from approvals.models import (
    SOLVED,
    UNSOLVED,
    BatchEntry,
    MonthlyProgress,
    Problem,
    ProblemCategory,
    ProblemStatus,
    Project,
)
from zones.models import Zone


def _projects(selection: Selection, user=None):
    projects = selection.projects(user)
    if selection.batches:
        listed = BatchEntry.objects.filter(batch__in=selection.batch_queryset())
        projects = projects.filter(pk__in=listed.values("project_id"))
    return projects


def _rows(model, selection: Selection, user=None) -> QuerySet:
    """Rows of ``model`` (with a project) of the projects counted."""
    rows = selection.rows_of_projects(model.objects.all(), user)
    if selection.batches:
        rows = rows.filter(project__in=_projects(selection, user).values("pk"))
    return rows


# --- problems -----------------------------------------------------------------------------------


def problem_rows(selection: Selection, user=None) -> QuerySet[Problem]:
    """The problems counted: of the projects counted, reported in the period."""
    rows = _rows(Problem, selection, user)
    if selection.date_from:
        rows = rows.filter(reported_on__gte=selection.date_from)
    if selection.date_to:
        rows = rows.filter(reported_on__lte=selection.date_to)
    return rows


def _problem_counts(colours: MilestoneColours) -> dict:
    return {
        "total": Count("pk"),
        "unsolved": Count("pk", filter=Q(status__in=UNSOLVED)),
        "resolved": Count("pk", filter=Q(status__in=SOLVED)),
        "closed": Count("pk", filter=Q(status=ProblemStatus.CLOSED)),
        "red": Count("pk", filter=problem_filter(Colour.RED, colours)),
        "yellow": Count("pk", filter=problem_filter(Colour.YELLOW, colours)),
    }


def median(values: list[int]) -> float | None:
    """The middle value of sorted ``values``; of an even count, the mean of the two middle."""
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return float(values[middle])
    return (values[middle - 1] + values[middle]) / 2


def _median_days(timed: QuerySet[Problem], count: int) -> float | None:
    """The median days to resolve of ``timed`` (``count`` rows), reading the middle rows only:
    the database sorts by the difference and gives the one or two in the middle."""
    if not count:
        return None
    days = ExpressionWrapper(F("resolved_on") - F("reported_on"), output_field=DurationField())
    ordered = timed.annotate(days=days).order_by("days", "pk").values_list("days", flat=True)
    middle = list(ordered[(count - 1) // 2 : count // 2 + 1])
    # The slice holds the middle value (odd count) or the two around the middle (even count).
    return median([value.days for value in middle])


def problems(selection: Selection, user=None, *, today: dt.date | None = None) -> dict:
    """Unsolved, resolved and closed problems in all, by category and by department, the red
    and yellow among the unsolved, and the median days to resolve (rules: module docstring).
    Two queries: the counts per category and department (at most 7 × the departments rows,
    added up here into the totals, the categories and the departments), and the median's."""
    colours = MilestoneColours.on(today or timezone.localdate())
    rows = problem_rows(selection, user)
    counts = _problem_counts(colours)
    timed = Q(status__in=SOLVED, resolved_on__isnull=False)
    totals = dict.fromkeys([*counts, "timed"], 0)
    by_category = {
        c.value: dict.fromkeys(counts, 0) | {"label": str(c.label)} for c in ProblemCategory
    }
    departments: dict[str, dict] = {}
    for row in (
        rows.values("category", "department")
        .annotate(**counts, timed=Count("pk", filter=timed))
        .order_by()
    ):
        category, department = row.pop("category"), row.pop("department")
        of_category = by_category[category]
        of_department = departments.setdefault(
            department, {"department": department} | dict.fromkeys(counts, 0)
        )
        for name, value in row.items():
            totals[name] += value
            if name in counts:
                of_category[name] += value
                of_department[name] += value
    by_department = sorted(
        departments.values(),
        key=lambda row: (-row["unsolved"], -row["total"], row["department"]),
    )
    timed_count = totals.pop("timed")
    return {
        **totals,
        "resolved_with_dates": timed_count,
        "median_days_to_resolve": _median_days(rows.filter(timed), timed_count),
        "by_category": by_category,
        "by_department": by_department,
    }


# --- investment ---------------------------------------------------------------------------------


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def _amount(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def _period(rows: QuerySet, selection: Selection) -> tuple[dt.date, dt.date] | None:
    """The first and last month asked for (rule: module docstring), or None without figures."""
    if selection.date_from or selection.date_to:
        start = first_of_month(selection.date_from) if selection.date_from else dt.date(1990, 1, 1)
        end = first_of_month(selection.date_to) if selection.date_to else dt.date(2100, 12, 1)
        return start, end
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
    completion rate (rules: module docstring); and the same over all zones per month. One
    query for the period, one for the rows of its years, one for the zones' names.

    Each project's rows are turned into the changes they make (``_changes``), summed per zone
    and month, and run up month by month within each year: the work follows the rows read,
    not the projects times the months shown. The amounts come as whole cents (integers)."""
    rows = _rows(MonthlyProgress, selection, user)
    period = _period(rows, selection)
    empty = {"months": [], "zones": [], "totals": []}
    if period is None:
        return empty
    start, end = period
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
    # (zone, month) → [projects, plan, in the month, cumulative]: changes, then run up.
    changes: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    shown: set[dt.date] = set()

    def add(zone: int, figures: list[tuple]) -> None:
        for month, *change in _changes(figures):
            total = changes[(zone, month)]
            for i, value in enumerate(change):
                total[i] += value
            if month >= start:
                shown.add(month)

    current, zone, year, figures = None, None, None, []
    for project, zone_id, month, *amounts in read.iterator(chunk_size=5000):
        if project != current or month.year != year:
            if figures:
                add(zone, figures)
            current, zone, year, figures = project, zone_id, month.year, []
        figures.append((month, *amounts))
    if figures:
        add(zone, figures)
    if not shown:
        return empty
    months = _month_range(min(shown), max(shown))
    # Run the changes up through each year, from its January (rows before the first month
    # shown are carried into it), and keep the months shown.
    sums: dict[tuple[int, dt.date], list[int]] = {}
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
    names = dict(Zone.objects.filter(pk__in={z for z, _m in changes}).values_list("pk", "name"))
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


def _cents_of(value) -> int | None:
    """An amount read by raw SQL (float or int on SQLite, Decimal on PostgreSQL) in cents."""
    return None if value is None else round(value * 100)


def latest_this_year(selection: Selection, user=None, today: dt.date | None = None) -> list[dict]:
    """The dashboard's investment: ``latest_per_zone(investment(this_year(selection, today),
    user))``, the same figures, from one grouped row per project instead of every row of the
    year. Within one year every zone with figures ends at the year's latest month M, where a
    project counts its row of M in the month, and the plan and the cumulative of its latest
    rows up to M that state them (else the sum of its months): the database gives those per
    project (a GROUP BY, then two lookups by the unique (project, month) index); they are summed
    here per zone, in cents. Three queries: the latest month, the projects' figures, the
    zones' names."""
    chosen = this_year(selection, today)
    rows = _rows(MonthlyProgress, chosen, user).filter(
        month__gte=first_of_month(chosen.date_from), month__lte=first_of_month(chosen.date_to)
    )
    last = rows.aggregate(last=Max("month"))["last"]
    if last is None:
        return []
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

    sql = (
        f"SELECT p.{quote('zone_id')}, {stated('annual_plan', 'plan_month')},"
        f" {stated('completed_year', 'cumulative_month')}, g.monthly_sum, g.in_month"
        f" FROM ({inner}) g"
        f" JOIN {quote(Project._meta.db_table)} p ON p.{quote('id')} = g.{project}"
    )
    # zone → [projects, plan, in the month, cumulative], in cents
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for zone, plan, cumulative, monthly_sum, in_month in cursor.fetchall():
            total = sums[zone]
            total[0] += 1
            total[1] += _cents_of(plan) or 0
            total[2] += int(in_month or 0)  # a SUM of integers (numeric on PostgreSQL)
            total[3] += _cents_of(cumulative) if cumulative is not None else int(monthly_sum or 0)
    names = dict(Zone.objects.filter(pk__in=sums).values_list("pk", "name"))
    return [
        {"zone_id": zone, "zone": names[zone], "month": f"{last:%Y-%m}", **_figure(*sums[zone])}
        for zone in sorted(names, key=lambda pk: names[pk])
    ]


# --- as tables: the reports page, its .xlsx downloads and the command line ----------------------


def _counts_row(label: str, row: dict) -> list:
    return [
        label,
        row["unsolved"],
        row["red"],
        row["yellow"],
        row["resolved"],
        row["closed"],
        row["total"],
    ]


def problems_tables(figures: dict) -> list[Table]:
    """``problems()`` as three tables: the summary, by category and by department."""
    headers = [
        _("unsolved"),
        _("red"),
        _("yellow"),
        _("resolved (incl. closed)"),
        _("closed (销号)"),
        _("total"),
    ]
    categories = [_counts_row(row["label"], row) for row in figures["by_category"].values()]
    categories.append(_counts_row(_("Total"), figures))
    departments = [
        _counts_row(row["department"] or _("(no department named)"), row)
        for row in figures["by_department"]
    ]
    median_days = figures["median_days_to_resolve"]
    summary = [
        [_("problems"), figures["total"]],
        [_("unsolved"), figures["unsolved"]],
        [_("of which red"), figures["red"]],
        [_("of which yellow"), figures["yellow"]],
        [_("resolved (incl. closed)"), figures["resolved"]],
        [_("closed (销号)"), figures["closed"]],
        [_("resolved with a resolution date"), figures["resolved_with_dates"]],
        [_("median days to resolve"), "—" if median_days is None else median_days],
    ]
    return [
        Table("problems", _("Problems"), [_("figure"), _("value")], summary, _("Problems")),
        Table(
            "problems_categories",
            _("Problems by category"),
            [_("category"), *headers],
            categories,
            _("by category"),
        ),
        Table(
            "problems_departments",
            _("Problems by department"),
            [_("department"), *headers],
            departments,
            _("by department"),
        ),
    ]


def investment_tables(figures: dict) -> list[Table]:
    """``investment()`` as one table: each zone's months, then all zones'."""
    headers = [
        _("zone"),
        _("month"),
        _("projects"),
        _("annual plan (10k yuan)"),
        _("completed in the month (10k yuan)"),
        _("completed this year (10k yuan)"),
        _("completion rate"),
    ]

    def line(zone: str, row: dict) -> list:
        return [
            zone,
            row["month"],
            row["projects"],
            row["annual_plan_wan"],
            row["completed_month_wan"],
            row["completed_year_wan"],
            percent(row["rate"]),
        ]

    rows = [line(z["zone"], row) for z in figures["zones"] for row in z["months"]]
    rows += [line(_("All zones"), row) for row in figures["totals"]]
    title = _("Investment completed against plan (月调度)")
    return [Table("investment", title, headers, rows, _("Investment"))]
