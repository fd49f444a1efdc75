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
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.colours import Colour, MilestoneColours, problem_filter
from approvals.figures.reports import Selection
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


def problems(
    selection: Selection, user=None, *, today: dt.date | None = None, median: bool = True
) -> dict:
    """Unsolved, resolved and closed problems in all, by category and by department, the red
    and yellow among the unsolved, and the median days to resolve (rules: module docstring).
    Two queries: the counts per category and department (at most 7 × the departments rows,
    added up here into the totals, the categories and the departments), and the median's —
    left out (None) with ``median=False``: the dashboard's kept figures do not show it, and
    it cost 73 ms of a zone's recount at 100,000 projects (benchmarks/figures_recount.py)."""
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
        "median_days_to_resolve": (
            _median_days(rows.filter(timed), timed_count) if median else None
        ),
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
