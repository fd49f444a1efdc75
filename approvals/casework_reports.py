"""The figures of casework (guide sections 9 and 10): problems (堵点) and monthly investment
(月调度), over the same ``Selection`` and scope as ``approvals/reports.py`` (zones, batches, a
period, within what the person sees). The dashboard, the reports page, its .xlsx downloads and
``manage.py report problems|investment`` all call these functions. A handful of aggregate
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
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zones.models import Zone

from .colours import Colour, MilestoneColours, problem_filter
from .models import (
    SOLVED,
    UNSOLVED,
    BatchEntry,
    MonthlyProgress,
    Problem,
    ProblemCategory,
    ProblemStatus,
)
from .models.monthly_progress import first_of_month
from .reports import Selection, Table, percent, rate

#: The casework reports, by key (the reports page and the command read these).
REPORTS = ("problems", "investment")
ZERO = Decimal(0)


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
    and yellow among the unsolved, and the median days to resolve (rules: module docstring)."""
    colours = MilestoneColours.on(today or timezone.localdate())
    rows = problem_rows(selection, user)
    counts = _problem_counts(colours)
    timed = Q(status__in=SOLVED, resolved_on__isnull=False)
    totals = rows.aggregate(**counts, timed=Count("pk", filter=timed))
    by_category = {
        c.value: dict.fromkeys(counts, 0) | {"label": str(c.label)} for c in ProblemCategory
    }
    for row in rows.values("category").annotate(**counts).order_by():
        by_category[row.pop("category")].update(row)
    by_department = sorted(
        rows.values("department").annotate(**counts).order_by(),
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


class _Carried:
    """One project's figures of one year, month by month, carried as the docstring says."""

    def __init__(self) -> None:
        self.plan: Decimal | None = None
        self.cumulative: Decimal | None = None
        self.monthly_sum = ZERO

    def take(self, plan, completed_month, completed_year) -> None:
        if plan is not None:
            self.plan = plan
        if completed_year is not None:
            self.cumulative = completed_year
        self.monthly_sum += completed_month or ZERO

    @property
    def year_to_date(self) -> Decimal:
        return self.cumulative if self.cumulative is not None else self.monthly_sum


def _figure(projects: int, plan: Decimal, month: Decimal, cumulative: Decimal) -> dict:
    return {
        "projects": projects,
        "annual_plan_wan": _amount(plan),
        "completed_month_wan": _amount(month),
        "completed_year_wan": _amount(cumulative),
        "rate": rate(cumulative, plan),
    }


def investment(selection: Selection, user=None) -> dict:
    """Per zone and month: annual plan, completed in the month, cumulative for the year and the
    completion rate (rules: module docstring); and the same over all zones per month. One
    query for the period, one for the rows of its years, one for the zones' names."""
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
            "annual_plan",
            "completed_month",
            "completed_year",
        )
    )
    by_project: dict[int, list[tuple]] = defaultdict(list)
    zone_of: dict[int, int] = {}
    for project, zone, *figures in read.iterator(chunk_size=5000):
        by_project[project].append(tuple(figures))
        zone_of[project] = zone
    shown = sorted(
        {month for rows_ in by_project.values() for month, *_r in rows_ if month >= start}
    )
    if not shown:
        return empty
    months = _month_range(shown[0], shown[-1])
    # (zone, month) → [projects, plan, month, cumulative]
    sums: dict[tuple[int, dt.date], list] = defaultdict(lambda: [0, ZERO, ZERO, ZERO])
    for project, figures in by_project.items():
        position, carried, year, started = 0, _Carried(), None, False
        for month in months:
            if month.year != year:  # a new year: nothing carried over
                carried, year, started = _Carried(), month.year, False
            in_month = ZERO
            while position < len(figures) and figures[position][0] <= month:
                stated, plan, completed_month, completed_year = figures[position]
                position += 1
                if stated.year != year:
                    continue  # a year before the months shown
                carried.take(plan, completed_month, completed_year)
                if stated == month:
                    in_month = completed_month or ZERO
                started = True
            if not started:
                continue  # no row of this year yet: the project does not count
            total = sums[(zone_of[project], month)]
            total[0] += 1
            total[1] += carried.plan or ZERO
            total[2] += in_month
            total[3] += carried.year_to_date
    names = dict(Zone.objects.filter(pk__in=set(zone_of.values())).values_list("pk", "name"))
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
        summed = [sum(part[i] for part in parts) for i in range(4)]
        totals.append({"month": f"{month:%Y-%m}", **_figure(summed[0], *map(Decimal, summed[1:]))})
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


def tables(report: str, figures: dict) -> list[Table]:
    if report == "problems":
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
    if report == "investment":
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
    raise ValueError(report)
