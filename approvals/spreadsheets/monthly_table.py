"""Importing a monthly progress table (月调度表 / 重点项目月报, guide sections 8.3 and 11): one row
per project (by code, or by name and zone) and month, with the year's planned investment, the
investment completed in the month and since the start of the year, the image progress and the
problems (存在问题) of the month.

The month is the row's 月份 cell, or else the month its sheet's title rows or its name give
("2025年3月", "2025.03", a sheet "3月" under a title naming 2025). Re-importing a month replaces
that month's figures of the listed projects — a column the table has replaces the figure, an
empty cell of it included; a column it lacks changes nothing — and leaves every other month
and project alone. The year-to-date figure (累计) never decreases within a year, checked against
the file's other rows and the months stored. A 存在问题 text opens a problem through
``problems.problems_from_import``. Projects must exist; a row that cannot be understood is
reported (sheet, row, column, reason) and then nothing is written. The rows are read by
``monthly_rows``; here they are matched, compared and written."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from approvals.access import permissions
from approvals.casework.models.problem import description_key
from approvals.casework.problems import ImportedProblems, Listed
from approvals.core import bulk
from approvals.core.dates import end_of_month
from approvals.figures import changes as figures_changes
from approvals.models import MonthlyProgress, ProblemSource, Project, cumulative_problem
from approvals.spreadsheets import cells
from approvals.spreadsheets.monthly_rows import FIELDS, Line, read_lines
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.project_rows import problem_change, problems_opened
from zones.models import Zone

SHOWN_TEXT = 80  # characters of a long text shown in the preview


@dataclass
class Plan:
    report: Report
    lines: list[Line] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)  # stored id → new values


# --- matching --------------------------------------------------------------------------------


def _match(lines: list[Line], report: Report, allowed, lock: bool) -> dict[int, dict]:
    """Set each line's project: by its code, else by its name within its zone. Unknown
    projects, zones the importer may not import for and a project named twice for one month
    are errors. Returns the projects found by id."""
    zones, names = _zones()
    stored = _projects(lines, zones, lock)
    by_code = {p["code"]: p for p in stored.values() if p["code"]}
    by_name = Project.by_zone_and_key(stored.values())
    seen: dict[tuple[int, dt.date], int] = {}
    for line in lines:
        # The zone first: a row of a zone one may not import for says only that, not whether
        # a project of that zone exists.
        zone_id = zones.get(cells.name_key(line.zone))
        if allowed is not None and zone_id is not None and zone_id not in allowed:
            report.error(
                *line.where,
                line.header("zone"),
                _("You may not import for “%(zone)s”.") % {"zone": names[zone_id]},
            )
            continue
        project = by_code.get(line.code) if line.code else None
        if project is None:
            project = by_name.get((zone_id, cells.name_key(line.name)))
        if project is not None and allowed is not None and project["zone_id"] not in allowed:
            project = None  # another zone's, by its code: as unknown as to that person
        if project is None:
            what = line.code or f"“{line.name}”（{line.zone or '—'}）"
            report.error(
                *line.where,
                line.header("code") if line.code else line.header("name"),
                _(
                    "No project %(what)s is recorded: a monthly table reports on existing "
                    "projects only."
                )
                % {"what": what},
            )
            continue
        if _named_before(line, project["id"], seen, report):
            continue
        line.project_id = project["id"]
    return stored


def _zones() -> tuple[dict[str, int], dict[int, str]]:
    """(each zone's id by every normalised name it goes by, each zone's name by its id)."""
    zones, names = {}, {}
    for zone in Zone.objects.all():
        names[zone.pk] = zone.name
        for key in zone.normalised_names():
            zones.setdefault(key, zone.pk)
    return zones, names


def _projects(lines: list[Line], zones: dict[str, int], lock: bool) -> dict[int, dict]:
    """The stored projects the lines may name, by id: by code, and by name within each zone."""
    codes = {line.code for line in lines if line.code}
    keys: dict[int, set[str]] = defaultdict(set)
    for line in lines:
        zone_id = zones.get(cells.name_key(line.zone))
        if zone_id is not None and line.name:
            keys[zone_id].add(cells.name_key(line.name))
    queries = [Project.objects.filter(bulk.among("code", codes, Project))] if codes else []
    queries += [
        Project.objects.filter(bulk.among("name_key", k, Project), zone_id=z)
        for z, k in keys.items()
    ]
    stored: dict[int, dict] = {}
    for query in queries:
        if lock:  # a second import of the same projects waits, then reads what this one wrote
            query = query.select_for_update(of=("self",))
        fields = ("id", "zone_id", "name", "name_key", "code")
        stored.update((p["id"], p) for p in query.order_by().values(*fields))
    return stored


def _named_before(line: Line, project_id: int, seen: dict, report: Report) -> bool:
    """Whether an earlier row named the same project and month (an error on this one)."""
    if line.month is None:
        return False
    key = (project_id, line.month)
    if key in seen:
        report.error(
            *line.where,
            line.header("month"),
            _("The same project and month as row %(row)d: a table names each project once a month.")
            % {"row": seen[key]},
        )
        return True
    seen[key] = line.number
    return False


# --- comparing -----------------------------------------------------------------------------


def _stored(lines: list[Line], lock: bool) -> dict[tuple[int, dt.date], dict]:
    """The stored months of the listed projects in the years the file reports on."""
    ids = {line.project_id for line in lines if line.project_id}
    years = {line.month.year for line in lines if line.month}
    if not ids or not years:
        return {}
    query = MonthlyProgress.objects.filter(
        bulk.among("project", ids, MonthlyProgress),
        month__gte=dt.date(min(years), 1, 1),
        month__lte=dt.date(max(years), 12, 1),
    ).order_by()
    if lock:
        query = query.select_for_update(of=("self",))
    return {
        (m["project_id"], m["month"]): m for m in query.values("id", "project_id", "month", *FIELDS)
    }


def _check_cumulative(lines: list[Line], stored: dict, report: Report) -> None:
    """累计 never decreases within a year: each row against the file's other months and the
    stored ones (a month the file lists is the file's)."""
    year_to_date: dict[tuple[int, int], dict[dt.date, Decimal | None]] = defaultdict(dict)
    for (project_id, month), row in stored.items():
        year_to_date[project_id, month.year][month] = row["completed_year"]
    listed = [line for line in lines if line.project_id and line.month]
    for line in listed:
        if "completed_year" in line.values:
            year_to_date[line.project_id, line.month.year][line.month] = line.values[
                "completed_year"
            ]
    for line in listed:
        value = line.values.get("completed_year")
        if value is None:
            continue
        row = MonthlyProgress(project_id=line.project_id, month=line.month, completed_year=value)
        problem = cumulative_problem(row, year_to_date[line.project_id, line.month.year])
        if problem:
            report.error(*line.where, line.header("completed_year"), problem)


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    text = str(value)
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    return Decimal(old) == Decimal(new) if isinstance(new, Decimal) else old == new


def _label(name: str) -> str:
    return str(MonthlyProgress._meta.get_field(name).verbose_name)


def _problems(lines: list[Line], *, by, dry_run: bool) -> dict[int, tuple]:
    """Open the problems the rows list: each reported on the last day of the first month that
    lists it (not after today). Returns id(line) → (what ``problems_from_import`` found, the
    line's problem as listed to it), for the row that first lists each problem."""
    today = timezone.localdate()
    first: dict[tuple[int, str], Line] = {}
    for line in sorted((x for x in lines if x.problem), key=lambda x: (x.month, x.number)):
        first.setdefault((line.project_id, description_key(line.problem)), line)
    by_month: dict[dt.date, list[Line]] = defaultdict(list)
    for line in first.values():
        by_month[line.month].append(line)
    found: dict[int, tuple[ImportedProblems, Listed]] = {}
    for month, listing in sorted(by_month.items()):
        listed = [Listed(line.project_id, line.problem) for line in listing]
        imported = problems_opened(
            listed,
            by=by,
            reported_on=min(end_of_month(month), today),
            source=ProblemSource.MONTHLY_IMPORT,
            dry_run=dry_run,
        )
        found.update(
            (id(x), (imported[item], item)) for x, item in zip(listing, listed, strict=True)
        )
    return found


def plan(source, file_name: str, *, by=None, record=None, dry_run=True, progress=None) -> Plan:
    """Read, check and compare every row; with no error, open the problems listed (unless
    ``dry_run``). Writes no figure: ``write`` does."""
    report = Report(file_name=file_name)
    result = Plan(report)
    result.lines = lines = read_lines(source, file_name, report, progress)
    projects = _match(lines, report, permissions.import_zones(by), lock=not dry_run)
    stored = _stored(lines, lock=not dry_run)
    _check_cumulative(lines, stored, report)
    if not report.ok:  # found in three passes: shown in the file's order
        sheets = {line.sheet: n for n, line in reversed(list(enumerate(lines)))}
        report.errors.sort(key=lambda e: (sheets.get(e.sheet, -1), e.row))
        return result
    problems = _problems(lines, by=by, dry_run=dry_run)
    now = timezone.now()
    common = {
        "updated_by_id": getattr(by, "pk", None),
        "updated_at": now,
        "source_import_id": getattr(record, "pk", None),
    }
    for line in lines:
        project = projects[line.project_id]
        before = stored.get((line.project_id, line.month))
        changes = [
            [_label(name), _shown(before[name] if before else None), _shown(value)]
            for name, value in line.values.items()
            if not (_same(before[name], value) if before else value in (None, ""))
        ]
        if before is None and line.values:  # (a sheet of problems alone makes no month)
            values = {"project_id": line.project_id, "month": line.month, **line.values}
            result.new_rows.append({**values, **common})
        elif changes:
            result.changed[before["id"]] = {**line.values, **common}
        in_month, to_date = line.values.get("completed_month"), line.values.get("completed_year")
        if in_month is not None and to_date is not None and in_month > to_date:
            report.warn(
                *line.where,
                line.header("completed_month"),
                _("The month's investment %(month)s is more than the year to date %(year)s.")
                % {"month": _shown(in_month), "year": _shown(to_date)},
            )
        if id(line) in problems:
            imported, listed = problems[id(line)]
            changes += problem_change(report, line.where, line.header("problems"), listed, imported)
        kind = "changed" if changes else "unchanged"
        if before is None and line.values:
            kind = "created"
        title = f"{project['name']} · {line.month:%Y-%m}"
        report.count(kind, *line.where, title, changes)
    return result


def write(result: Plan, *, by, record) -> None:
    """New months in bulk with their history; changed months with theirs (who, the file);
    the zones of the rows' projects told that their figures changed."""
    figures_changes.changed(projects={line.project_id for line in result.lines})
    label = str(record.label) if record is not None else result.report.file_name
    user_id = getattr(by, "pk", None)
    ids = bulk.allocate_ids(MonthlyProgress, len(result.new_rows))
    rows = bulk.with_defaults(
        MonthlyProgress, ({**row, "id": i} for i, row in zip(ids, result.new_rows, strict=True))
    )
    bulk.insert(MonthlyProgress, rows)
    bulk.insert_history(MonthlyProgress, rows, user_id=user_id, reason=label)
    changed = list(
        MonthlyProgress.objects.filter(bulk.among("id", result.changed, MonthlyProgress))
    )
    names: set[str] = set()
    for row in changed:
        for name, value in result.changed[row.pk].items():
            setattr(row, name, value)
            names.add(name)
    if changed:
        bulk_update_with_history(
            changed,
            MonthlyProgress,
            sorted(names),
            batch_size=1000,
            default_user=by,
            default_change_reason=label,
        )


def run(source, file_name: str, *, by, record, dry_run=False, progress=None) -> Report:
    """All or nothing, in one transaction: the problems a file opens go with its figures."""
    with transaction.atomic():
        if not dry_run:
            bulk.take_turn(bulk.IMPORTS)
        result = plan(source, file_name, by=by, record=record, dry_run=dry_run, progress=progress)
        if result.report.ok and not dry_run:
            write(result, by=by, record=record)
            result.report.applied = True
    return result.report
