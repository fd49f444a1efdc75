"""The figures of casework (guide section 9): problems (堵点), over the same ``Selection`` and
scope as ``approvals/figures/reports.py`` (zones, batches, a period, within what the person
sees), and the rows counted for them and for the investment report (``rows_counted``; the
investment, 月调度, is ``approvals/figures/investment.py``). The dashboard, the reports page, its
.xlsx downloads and ``manage.py report problems`` all call these functions (the reports through
``approvals/figures/registry.py``). Two aggregate queries, whatever the number of rows.

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

**Kept per zone.** The counts per category and department add up over zones; the median does
not, but the number of problems per days to resolve does (``days_to_resolve``), and the median
of several zones read from their counts added is exact. The worker keeps each zone's, over the
problems reported in the last twelve months of the day it counted, with their colours of that
day (``ZoneFigures.figures["problems_of_period"]``, counted by ``kept.recount_zone`` through
``zone_problems``), and the reports page reads them when the selection is of whole zones
(``reports.zones_kept``) and its period is the last twelve months (the page's default),
counted today; else they are counted live. Counted live at 100,000 projects they took ~76 ms of the reports page counted afresh
(benchmarks/README.md section 14).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import Colour, MilestoneColours, problem_filter
from approvals.figures.reports import Selection, default_period, kept_parts
from approvals.figures.tables import Table
from approvals.models import (
    SOLVED,
    UNSOLVED,
    BatchEntry,
    Problem,
    ProblemCategory,
    ProblemStatus,
)


def _projects(selection: Selection, user=None):
    projects = selection.projects(user)
    if selection.batches:
        listed = BatchEntry.objects.filter(batch__in=selection.batch_queryset())
        projects = projects.filter(pk__in=listed.values("project_id"))
    return projects


def rows_counted(model, selection: Selection, user=None) -> QuerySet:
    """Rows of ``model`` (with a project) of the projects counted."""
    rows = selection.rows_of_projects(model.objects.all(), user)
    if selection.batches:
        rows = rows.filter(project__in=_projects(selection, user).values("pk"))
    return rows


# --- problems -----------------------------------------------------------------------------------


def problem_rows(selection: Selection, user=None) -> QuerySet[Problem]:
    """The problems counted: of the projects counted, reported in the period."""
    rows = rows_counted(Problem, selection, user)
    if selection.date_from:
        rows = rows.filter(reported_on__gte=selection.date_from)
    if selection.date_to:
        rows = rows.filter(reported_on__lte=selection.date_to)
    return rows


def _problem_filters(colours: MilestoneColours) -> dict[str, Q | None]:
    """What each count of problems counts (None: every one)."""
    return {
        "total": None,
        "unsolved": Q(status__in=UNSOLVED),
        "resolved": Q(status__in=SOLVED),
        "closed": Q(status=ProblemStatus.CLOSED),
        "red": problem_filter(Colour.RED, colours),
        "yellow": problem_filter(Colour.YELLOW, colours),
    }


def _problem_counts(colours: MilestoneColours) -> dict:
    return {name: Count("pk", filter=q) for name, q in _problem_filters(colours).items()}


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


#: The counts of a group of problems (one category, one department), in the order
#: ``problem_groups`` gives them after the category and the department.
GROUP_COUNTS = ("total", "unsolved", "resolved", "closed", "red", "yellow", "timed")
#: The problems with a time to resolve (the median's).
TIMED = Q(status__in=SOLVED, resolved_on__isnull=False)


def problem_groups(rows: QuerySet[Problem], today: dt.date) -> list[list]:
    """The counts of ``rows`` per category and department: [category, department, then the
    counts of ``GROUP_COUNTS``] (at most 7 × the departments)."""
    counts = _problem_counts(MilestoneColours.on(today))
    return [
        [row["category"], row["department"], *(row[name] for name in GROUP_COUNTS)]
        for row in rows.values("category", "department")
        .annotate(**counts, timed=Count("pk", filter=TIMED))
        .order_by()
    ]


def days_to_resolve(rows: QuerySet[Problem]) -> list[list[int]]:
    """How many of ``rows`` took each number of days to resolve: [[days, problems], …], by
    days. They add up over zones, and give the median of any of them exactly."""
    days = ExpressionWrapper(F("resolved_on") - F("reported_on"), output_field=DurationField())
    found = (
        rows.filter(TIMED)
        .annotate(days=days)
        .values("days")
        .annotate(problems=Count("*"))
        .order_by()
        .values_list("days", "problems")
    )
    return sorted([value.days, count] for value, count in found)


def median_of_counts(days: list[list[int]]) -> float | None:
    """The median of the values counted in ``days`` ([[value, how many], …], in any order, a
    value possibly more than once: several zones')."""
    counted: dict[int, int] = {}
    for value, count in days:
        counted[value] = counted.get(value, 0) + count
    total = sum(counted.values())
    wanted = range((total - 1) // 2, total // 2 + 1)  # the one or two middle positions
    middle, seen = [], 0
    for value in sorted(counted):
        following = seen + counted[value]
        middle += [value for position in wanted if seen <= position < following]
        seen = following
    return median(middle)


def zone_problems(
    selection: Selection, user=None, *, period: Selection, today: dt.date
) -> tuple[dict, dict]:
    """A zone's problems as the worker keeps them: the counts of all its problems (the
    dashboard's: ``GROUP_COUNTS`` but ``timed``, in all), and those reported in ``period``'s
    dates per category and department (``problem_groups``) and per days to resolve
    (``days_to_resolve``, the reports page's). Both counts from one grouped query over the
    zone's problems (each query scans the problems: two cost ~15 ms more of a zone's recount at
    100,000 projects), the days from a second."""
    filters = _problem_filters(MilestoneColours.on(today))
    in_period = Q(reported_on__gte=period.date_from, reported_on__lte=period.date_to)
    rows = problem_rows(selection, user)
    found = (
        rows.values("category", "department")
        .annotate(
            **{name: Count("pk", filter=q) for name, q in filters.items()},
            **{
                f"of_period_{name}": Count("pk", filter=(q or Q()) & in_period)
                for name, q in {**filters, "timed": TIMED}.items()
            },
        )
        .order_by()
    )
    totals = dict.fromkeys(filters, 0)
    groups = []
    for row in found:
        for name in filters:
            totals[name] += row[name]
        if row["of_period_total"]:
            groups.append(
                [
                    row["category"],
                    row["department"],
                    *(row[f"of_period_{name}"] for name in GROUP_COUNTS),
                ]
            )
    of_period = rows.filter(in_period)
    return totals, {"groups": groups, "days": days_to_resolve(of_period)}


def _kept_form(rows: QuerySet[Problem], today: dt.date) -> dict:
    return {"groups": problem_groups(rows, today), "days": days_to_resolve(rows)}


def problems(
    selection: Selection, user=None, *, today: dt.date | None = None, median: bool = True
) -> dict:
    """Unsolved, resolved and closed problems in all, by category and by department, the red
    and yellow among the unsolved, and the median days to resolve (rules: module docstring).
    From what the worker keeps per zone when it serves (module docstring); else two queries:
    the counts per category and department (``problem_groups``, added up here into the totals,
    the categories and the departments), and the median's — left out (None) with
    ``median=False``: the dashboard's kept figures do not show it, and it cost 73 ms of a
    zone's recount at 100,000 projects (benchmarks/figures_recount.py)."""
    today = today or timezone.localdate()
    kept = _kept_problems(selection, user, today)
    if kept is not None:
        groups, days = kept
        return _problems_shaped(groups, median_of_counts(days) if median else None)
    rows = problem_rows(selection, user)
    groups = problem_groups(rows, today)
    timed_count = sum(group[-1] for group in groups)
    return _problems_shaped(
        groups, _median_days(rows.filter(TIMED), timed_count) if median else None
    )


def _kept_problems(
    selection: Selection, user, today: dt.date
) -> tuple[list[list], list[list[int]]] | None:
    """The zones' kept groups and days added, with those of the projects of no zone counted
    live over every project; None when they do not serve (module docstring)."""
    if not default_period(selection, today):
        return None
    parts = kept_parts(
        selection,
        user,
        part="figures__problems_of_period",
        day=today,
        of_no_zone=lambda: _kept_form(
            problem_rows(selection, user).filter(project__zone__isnull=True), today
        ),
    )
    if parts is None:
        return None
    return (
        [group for part in parts for group in part["groups"]],
        [pair for part in parts for pair in part["days"]],
    )


def _problems_shaped(groups: list[list], median_days: float | None) -> dict:
    """``problems()`` from the counts per category and department (``problem_groups``, of one
    or several zones: a pair repeated is added up)."""
    counts = GROUP_COUNTS[:-1]
    totals = dict.fromkeys(GROUP_COUNTS, 0)
    by_category = {
        c.value: dict.fromkeys(counts, 0) | {"label": str(c.label)} for c in ProblemCategory
    }
    departments: dict[str, dict] = {}
    for category, department, *values in groups:
        of_category = by_category[category]
        of_department = departments.setdefault(
            department, {"department": department} | dict.fromkeys(counts, 0)
        )
        for name, value in zip(GROUP_COUNTS, values, strict=True):
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
        "median_days_to_resolve": median_days,
        "by_category": by_category,
        "by_department": by_department,
    }


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
