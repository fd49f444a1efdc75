"""Reading a monthly progress table (月调度表 / 重点项目月报): the sheets with a header row, the
month of each sheet and of each row, and each row understood as a ``Line`` (who, which month,
the figures of the columns the sheet has, the 存在问题 text). ``monthly_table`` matches the lines
with the projects and months stored and writes them.

The month is the row's 月份 cell, or else the month its sheet's title rows or its name give
("2025年3月", "2025.03", a sheet "3月" under a title naming 2025)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.cases.project_code import is_project_code, normalise_project_code
from approvals.spreadsheets import cells
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.project_rows import problem_text
from approvals.spreadsheets.reading import (
    HEADER_SEARCH_ROWS,
    TOTAL_LABEL,
    Column,
    SheetLine,
    SpreadsheetRefused,
    find_columns,
    is_blank,
    read_sheets,
)

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


@dataclass(slots=True)
class Line(SheetLine):
    """One row, understood: who, which month, the figures of the columns the sheet has."""

    code: str = ""
    name: str = ""
    zone: str = ""
    month: dt.date | None = None
    values: dict[str, Any] = field(default_factory=dict)
    problem: str = ""
    project_id: int | None = None


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


def read_lines(source, file_name: str, report: Report, progress) -> list[Line]:
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
