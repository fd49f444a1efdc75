"""Foreseen lateness (预计延误, guide sections 6 and 11): a project at ``signed`` with a checklist
is *at risk* when its planned start of works falls before the earliest date its open
before-works items can all be settled. For each open item: accepted → its deadline; not yet
accepted → today plus its statutory limit, in working or calendar days as the catalogue says;
an item with no limit counts as settled on time. The earliest start is the latest of these
dates, and the item giving it is the one that decides.

Worked out set-based (a few queries whatever the number of projects) when a checklist or a
plan changes and every morning (an item not yet accepted moves the date a day each day), and
stored on the project so that lists filter on it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from approvals.core.workdays import WorkingCalendar
from approvals.models import (
    ApprovalItem,
    CalendarDay,
    ItemStatus,
    LimitUnit,
    Milestone,
    Project,
    Stage,
)

ITEM_FIELDS = (
    "id",
    "project_id",
    "status",
    "deadline",
    "approval_type__time_limit",
    "approval_type__limit_unit",
)


def settled_by(item: dict, today: dt.date, calendar: WorkingCalendar) -> dt.date | None:
    """The day an open item can be settled at the earliest (None: it holds nothing up)."""
    if item["status"] == ItemStatus.ACCEPTED:
        return item["deadline"]  # None when its agency has no time limit: on time
    limit = item["approval_type__time_limit"]
    if not limit:
        return None
    if item["approval_type__limit_unit"] == LimitUnit.DAYS:
        return today + dt.timedelta(days=limit)
    return calendar.add_working_days(today, limit)


def earliest_start(
    items: Iterable[dict], today: dt.date, calendar: WorkingCalendar
) -> tuple[dt.date | None, int | None]:
    """(the earliest day works can start, the item deciding it) for one project's open items."""
    best: tuple[dt.date | None, int | None] = (None, None)
    for item in items:
        day = settled_by(item, today, calendar)
        if day is not None and (best[0] is None or day > best[0]):
            best = (day, item["id"])
    return best


def _open_items(projects) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    blocking = ApprovalItem.objects.blocking_start().filter(project__in=projects)
    for item in blocking.values(*ITEM_FIELDS):
        found[item["project_id"]].append(item)
    return found


def foresee(projects, today: dt.date | None = None) -> dict[int, tuple[dt.date | None, int | None]]:
    """project id → (earliest start, deciding item id) for ``projects`` (a queryset or ids),
    in two queries."""
    today = today or timezone.localdate()
    calendar = CalendarDay.objects.calendar()
    ids = projects.values("pk") if hasattr(projects, "values") else list(projects)
    items = _open_items(ids)
    return {pk: earliest_start(items.get(pk, ()), today, calendar) for pk in items}


def at_risk(
    today: dt.date, project_ids: Iterable[int] | None = None
) -> dict[int, tuple[dt.date, int | None]]:
    """project id → (earliest start, deciding item) of the projects at risk on ``today`` (all
    of them when ``project_ids`` is None), worked out afresh. Reads only: the reminder scan
    asks it for any day, a dry run included."""
    scope = Project.objects.all()
    if project_ids is not None:
        scope = scope.filter(pk__in=list(project_ids))
    starts = Milestone.objects.filter(stage=Stage.UNDER_CONSTRUCTION, planned_date__isnull=False)
    candidates = scope.filter(
        stage=Stage.SIGNED,
        approval_items__isnull=False,
        pk__in=starts.values("project_id"),
    ).distinct()
    planned = dict(
        starts.filter(project__in=candidates.values("pk")).values_list("project_id", "planned_date")
    )
    return {
        pk: (start, item)
        for pk, (start, item) in foresee(candidates, today).items()
        if start and planned[pk] < start
    }


def store(late: Iterable[int], today: dt.date, project_ids: Iterable[int] | None = None) -> int:
    """Mark ``late`` at risk since ``today`` (a project already marked keeps the day it first
    was) and unmark the others of the scope (every project when ``project_ids`` is None).
    Returns how many changed."""
    scope = Project.objects.all()
    if project_ids is not None:
        scope = scope.filter(pk__in=list(project_ids))
    late = set(late)
    now_at_risk = set(scope.filter(at_risk_since__isnull=False).values_list("pk", flat=True))
    became, ended = late - now_at_risk, now_at_risk - late
    for ids, since in ((became, today), (ended, None)):
        for chunk in _chunks(sorted(ids)):
            Project.objects.filter(pk__in=chunk).update(at_risk_since=since)
    return len(became) + len(ended)


def refresh(project_ids: Iterable[int] | None = None, today: dt.date | None = None) -> int:
    """Work out again which projects are at risk (all of them when ``project_ids`` is None)
    and store it; a project found at risk keeps the day it first was. A few queries, however
    many projects."""
    today = today or timezone.localdate()
    if project_ids is not None:
        project_ids = list(project_ids)
    return store(at_risk(today, project_ids), today, project_ids)


def _chunks(ids: list[int], size: int = 5000):
    """Few updates, and never more parameters than SQLite takes in one statement."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
