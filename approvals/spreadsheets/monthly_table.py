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
reported (sheet, row, column, reason) and then nothing is written."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from approvals.access import permissions
from approvals.cases.project_code import is_project_code, normalise_project_code
from approvals.casework.models.problem import description_key
from approvals.casework.problems import ImportedProblems, Listed
from approvals.core import bulk
from approvals.core.dates import end_of_month
from approvals.models import MonthlyProgress, ProblemSource, Project, cumulative_problem
from approvals.spreadsheets import cells
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.project_rows import problem_change, problem_text, problems_opened
from approvals.spreadsheets.reading import (
    HEADER_SEARCH_ROWS,
    TOTAL_LABEL,
    Column,
    SpreadsheetRefused,
    find_columns,
    is_blank,
    read_sheets,
)
from zones.models import Zone

HEADERS = {
    "序号": "sequence",
    **dict.fromkeys(["项目代码", "项目统一代码", "项目审批代码"], "code"),
    "项目名称": "name",
    **dict.fromkeys(["所在开发区", "开发区", "所属开发区", "园区"], "zone"),
    **dict.fromkeys(["月份", "填报月份", "统计月份", "所属月份", "月度"], "month"),
    **dict.fromkeys(
        ["年度计划投资", "年度计划投资额", "本年计划投资", "本年度计划投资", "年度计划"],
        "annual_plan",
    ),
    **dict.fromkeys(
        ["本月完成投资", "本月完成投资额", "当月完成投资", "当月完成投资额", "本月完成"],
        "completed_month",
    ),
    **dict.fromkeys(
        [
            "累计完成投资",
            "累计完成投资额",
            "本年累计完成投资",
            "年度累计完成投资",
            "今年累计完成投资",
            "累计完成",
        ],
        "completed_year",
    ),
    **dict.fromkeys(["形象进度", "工程形象进度", "项目进展情况", "本月进展"], "image_progress"),
    **dict.fromkeys(["存在问题", "问题和建议", "问题和困难"], "problems"),
}
#: "1-3月累计完成投资", "1至3月完成投资": the year to date named by its months.
CUMULATIVE_HEADER = re.compile(r"^\d{1,2}[-~—–至到]\d{1,2}月(累计)?完成投资额?$")
FIGURES = ("annual_plan", "completed_month", "completed_year")
FIELDS = (*FIGURES, "image_progress")
#: A month in a title or a sheet name: "2025年3月", "2025年1-3月" (the last), "2025.03" — not
#: a day ("截至2025年4月10日" dates the filing, not the table).
TEXT_MONTH = re.compile(
    r"(\d{4})\s*年\s*(?:\d{1,2}\s*[-~—–至到]\s*)?(\d{1,2})\s*月(?!\s*\d{1,2}\s*[日号])"
    r"|(\d{4})[.\-/](\d{1,2})(?![.\-/\d])"
)
ONLY_MONTH = re.compile(r"^(?:\d{1,2}\s*[-~—–至到]\s*)?(\d{1,2})\s*月(?:份)?$")
YEAR = re.compile(r"(\d{4})\s*年")
SHOWN_TEXT = 80  # characters of a long text shown in the preview


@dataclass(slots=True)
class Line:
    """One row, understood: who, which month, the figures of the columns the sheet has."""

    sheet: str
    number: int
    columns: dict[str, Column]
    code: str = ""
    name: str = ""
    zone: str = ""
    month: dt.date | None = None
    values: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    project_id: int | None = None

    def header(self, name: str) -> str:
        column = self.columns.get(name)
        return column.header if column else ""

    @property
    def where(self) -> tuple[str, int]:
        return self.sheet, self.number


@dataclass
class Plan:
    report: Report
    lines: list[Line] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    changed: dict[int, dict[str, Any]] = field(default_factory=dict)  # stored id → new values


# --- the month of a sheet and of a row -------------------------------------------------------


def month_in_text(text: str) -> dt.date | None:
    """The first month a title or a sheet name gives, as the first day of that month."""
    folded = unicodedata.normalize("NFKC", text or "")
    for match in TEXT_MONTH.finditer(folded):
        year, month = (int(g) for g in (match.group(1, 2) if match.group(1) else match.group(3, 4)))
        if 1 <= month <= 12 and 1990 <= year <= 2100:
            return dt.date(year, month, 1)
    return None


def sheet_month(sheet_name: str, titles: list[str]) -> tuple[dt.date | None, int | None]:
    """(the month the title rows or the sheet name give, the year they give without a month):
    a title's month first, then the sheet's name ("2025年3月", or "3月" under a title naming
    the year)."""
    for text in (*titles, sheet_name):
        month = month_in_text(text)
        if month:
            return month, month.year
    year = next((int(m.group(1)) for t in titles if (m := YEAR.search(t))), None)
    only = ONLY_MONTH.match(unicodedata.normalize("NFKC", sheet_name).strip())
    if year and only and 1 <= int(only.group(1)) <= 12:
        return dt.date(year, int(only.group(1)), 1), year
    return None, year


def month_cell(value: Any, year: int | None) -> dt.date | None:
    """A 月份 cell: a date, "2025年3月", "2025.03", or a month alone ("3月", 3) in the year of
    the sheet's title. Raises ``CellError``."""
    if is_blank(value):
        return None
    if re.fullmatch(r"\s*\d{4}(\.0)?\s*年?\s*", unicodedata.normalize("NFKC", str(value))):
        raise cells.CellError(_("“%(value)s” is not a month.") % {"value": cells.text(value)})
    alone = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        alone = int(value) if 1 <= value <= 12 else None
    elif isinstance(value, str):
        match = ONLY_MONTH.match(unicodedata.normalize("NFKC", value).strip()) or re.fullmatch(
            r"\s*(\d{1,2})\s*", unicodedata.normalize("NFKC", value)
        )
        alone = int(match.group(1)) if match else None
    if alone is not None:
        if not 1 <= alone <= 12:
            raise cells.CellError(_("“%(value)s” is not a month.") % {"value": value})
        if year is None:
            raise cells.CellError(
                _("“%(value)s” names no year, and neither do the title rows nor the sheet name.")
                % {"value": value}
            )
        return dt.date(year, alone, 1)
    try:
        day = cells.date(value)
    except cells.CellError as error:
        raise cells.CellError(
            _("“%(value)s” is not a month: write 2025年3月 or 2025.03.") % {"value": value}
        ) from error
    return day[0].replace(day=1) if day else None


# --- reading -------------------------------------------------------------------------------


def _header(cells_: list[Any]) -> dict[str, Column] | None:
    columns, others = find_columns(cells_, HEADERS)
    for index, name, unit in others:
        if "completed_year" not in columns and CUMULATIVE_HEADER.match(name):
            header = str(cells_[index]).strip()
            columns["completed_year"] = Column("completed_year", header, index, unit)
    identity = "code" in columns or "name" in columns
    filled = any(f in columns for f in (*FIELDS, "problems"))
    return columns if identity and filled else None


def _sheets(source, file_name: str) -> Iterator[tuple[str, dict[str, Column], list[str], Any]]:
    """Each sheet with a header: its name, columns, the text of its title rows, and the
    iterator of the rows below the header (rows of a sheet without one are never read on)."""
    for sheet_name, rows in read_sheets(source, file_name):
        titles: list[str] = []
        for number, cells_ in enumerate(rows, start=1):
            columns = _header(cells_)
            if columns is not None:
                yield sheet_name, columns, titles, _data_rows(rows, number)
                break
            titles.extend(cells.text(c) for c in cells_ if not is_blank(c))
            if number >= HEADER_SEARCH_ROWS:
                break


def _data_rows(rows, header_row: int) -> Iterator[tuple[int, list[Any]]]:
    for number, cells_ in enumerate(rows, start=header_row + 1):
        if all(is_blank(c) for c in cells_):
            continue
        if any(isinstance(c, str) and TOTAL_LABEL.match(re.sub(r"\s", "", c)) for c in cells_[:3]):
            continue  # 合计 / 小计
        yield number, list(cells_)


def _read(sheet: str, number: int, cells_: list[Any], columns, month, year, report) -> Line | None:
    line = Line(sheet, number, columns)
    width = len(cells_)
    value = lambda name: cells_[columns[name].index] if columns[name].index < width else ""  # noqa: E731
    present = {name: value(name) for name in columns}
    line.code = normalise_project_code(cells.text(present.get("code")))
    line.name = cells.display_name(present.get("name"))
    line.zone = cells.text(present.get("zone"))
    filled = any(not is_blank(present.get(f)) for f in (*FIELDS, "problems", "month"))
    if not (line.code or line.name):
        if filled:
            report.error(
                sheet,
                number,
                line.header("name") or line.header("code"),
                _("The row names no project: give its 项目代码 or 项目名称."),
            )
        return None  # else a footnote under the table
    if line.code and not is_project_code(line.code):
        line.code = ""  # "待赋码", "/": the name and zone find the project
    try:
        line.month = month_cell(present.get("month"), year) or month
    except cells.CellError as error:
        report.error(sheet, number, line.header("month"), str(error))
    else:
        if line.month is None:
            report.error(
                sheet,
                number,
                line.header("month") or "月份",
                _(
                    "No month: write it in a 月份 column, in the title or in the sheet's name "
                    "(e.g. 2025年3月)."
                ),
            )
        elif line.month > timezone.localdate().replace(day=1):
            report.error(
                sheet,
                number,
                line.header("month") or "月份",
                _("%(month)s has not begun yet.") % {"month": f"{line.month:%Y-%m}"},
            )
    for name in FIGURES:
        if name in columns:
            try:
                line.values[name] = cells.amount(present[name], columns[name].unit)
            except cells.CellError as error:
                report.error(sheet, number, line.header(name), str(error))
    if "image_progress" in columns:
        line.values["image_progress"] = cells.text(present["image_progress"])
    line.problem = problem_text(present.get("problems"))
    return line


def _lines(source, file_name: str, report: Report, progress) -> list[Line]:
    lines: list[Line] = []
    found = False
    try:
        for sheet, columns, titles, rows in _sheets(source, file_name):
            found = True
            month, year = sheet_month(sheet, titles)
            for number, cells_ in rows:
                line = _read(sheet.strip(), number, cells_, columns, month, year, report)
                if line is None:
                    continue
                lines.append(line)
                if progress and len(lines) % 2000 == 0:
                    progress(len(lines), None)
    except SpreadsheetRefused as refused:
        report.error(file_name, 0, "", str(refused))
        return []
    if not found:
        report.error(
            file_name,
            0,
            "",
            _(
                "No sheet has a header row naming 项目代码 or 项目名称 and 年度计划投资, "
                "本月完成投资, 累计完成投资, 形象进度 or 存在问题."
            ),
        )
    report.rows = len(lines)
    return lines


# --- matching --------------------------------------------------------------------------------


def _match(lines: list[Line], report: Report, allowed, lock: bool) -> dict[int, dict]:
    """Set each line's project: by its code, else by its name within its zone. Unknown
    projects, zones the importer may not import for and a project named twice for one month
    are errors. Returns the projects found by id."""
    zones, names = {}, {}
    for zone in Zone.objects.all():
        names[zone.pk] = zone.name
        for key in zone.normalised_names():
            zones.setdefault(key, zone.pk)
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
    by_code = {p["code"]: p for p in stored.values() if p["code"]}
    by_name = {(p["zone_id"], p["name_key"]): p for p in stored.values()}
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
        if line.month is not None:
            key = (project["id"], line.month)
            if key in seen:
                report.error(
                    *line.where,
                    line.header("month"),
                    _(
                        "The same project and month as row %(row)d: a table names each project "
                        "once a month."
                    )
                    % {"row": seen[key]},
                )
                continue
            seen[key] = line.number
        line.project_id = project["id"]
    return stored


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
    result.lines = lines = _lines(source, file_name, report, progress)
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
    """New months in bulk with their history; changed months with theirs (who, the file)."""
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
        result = plan(source, file_name, by=by, record=record, dry_run=dry_run, progress=progress)
        if result.report.ok and not dry_run:
            write(result, by=by, record=record)
            result.report.applied = True
    return result.report
