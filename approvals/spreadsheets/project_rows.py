"""The rows of a quarterly 三个一批 list as the zones write them (guide section 8.1): the header
synonyms, and each row understood into a ``Line`` (or its errors reported, cell by cell)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.utils.translation import gettext as _

from approvals.access import permissions
from approvals.cases.plausible import investment_doubt
from approvals.casework.models.problem import description_key
from approvals.casework.problems import ImportedProblems, Listed, problems_from_import
from approvals.models import SOLVED, Project, Stage
from approvals.spreadsheets import cells
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.reading import (
    Column,
    Row,
    SheetLine,
    SpreadsheetRefused,
    naming,
    sheets_with_header,
)
from zones.models import Enterprise, Zone

Progress = Callable[[int, int | None], None]

#: Header names of section 8.1 → the field each fills.
HEADERS = {
    "序号": "sequence",
    **dict.fromkeys(["项目代码", "项目统一代码", "项目审批代码"], "code"),
    "项目名称": "name",
    **dict.fromkeys(
        ["项目单位", "建设单位", "项目业主单位", "申报单位", "投资主体", "企业名称"], "enterprise"
    ),
    **dict.fromkeys(["所在开发区", "开发区", "所属开发区", "园区"], "zone"),
    **dict.fromkeys(["行业", "所属行业", "产业类别", "行业领域"], "industry"),
    **dict.fromkeys(["类别", "批次类别", "三个一批类别"], "category"),
    **dict.fromkeys(["当前阶段", "项目状态", "建设阶段"], "stage"),
    **dict.fromkeys(["总投资", "计划总投资", "签约投资额", "项目投资额"], "total_investment"),
    "预计年产值": "expected_annual_output",
    **dict.fromkeys(["建设内容及规模", "建设规模及内容", "建设内容"], "content"),
    "计划签约时间": "planned_sign",
    **dict.fromkeys(["计划开工时间", "开工时间"], "planned_start"),
    **dict.fromkeys(["计划投产时间", "投产时间"], "planned_production"),
    "计划竣工时间": "planned_completion",
    **dict.fromkeys(["包联领导", "包保责任领导"], "leader"),
    "责任单位": "responsible_unit",
    **dict.fromkeys(["项目管家", "代办员", "责任人"], "officer"),
    **dict.fromkeys(["形象进度", "项目进展情况", "本月进展"], "progress"),
    **dict.fromkeys(["存在问题", "问题和建议", "问题和困难"], "problems"),
    "备注": "notes",
}
REQUIRED = ("name", "zone")
#: Planned-date columns → their milestone (竣工 plans production when 投产 is not given).
PLANNED = {
    "planned_sign": Stage.SIGNED,
    "planned_start": Stage.UNDER_CONSTRUCTION,
    "planned_production": Stage.IN_PRODUCTION,
    "planned_completion": Stage.IN_PRODUCTION,
}
#: Facts a row fills when the project has none and reports when it has another (section 11).
FACTS = (
    "code",
    "enterprise_id",
    "industry",
    "content",
    "total_investment",
    "expected_annual_output",
    "officer_id",
    "leader_id",
    "responsible_unit",
    "progress",
)
FACT_COLUMN = {"enterprise_id": "enterprise", "officer_id": "officer", "leader_id": "leader"}
ENTRY_FIELDS = (
    "category",
    "name",
    "enterprise",
    "total_investment",
    "expected_annual_output",
    "content",
    "progress",
    "problems",
    "notes",
)
PROJECT_FIELDS = ("id", "zone_id", "name", "name_key", "code", "stage", *FACTS[1:])


@dataclass(frozen=True)
class BatchSpec:
    year: int
    round: int
    event_date: dt.date | None = None


@dataclass(slots=True)
class Line(SheetLine):
    """One row, understood (its cells are not kept: a 100,000-row list stays small)."""

    name: str = ""
    key: str = ""
    zone: Zone | None = None
    category: str = ""
    stage: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    enterprise: str = ""
    enterprise_key: str = ""  # how a stored enterprise is found by it (``Enterprise.name_key``)
    officer: str = ""
    leader: str = ""
    planned: dict[str, tuple[dt.date, bool]] = field(default_factory=dict)
    entry: dict[str, Any] = field(default_factory=dict)
    problem: str = ""  # the 存在问题 text that opens a problem, "" for none ("无")
    investment_unit: str = "万元"  # the unit its total investment was read in


# --- reading the rows ----------------------------------------------------------------------


class _Found(dict):
    """A row's cells by the field each fills; "" for a field no column fills."""

    def __missing__(self, name: str) -> str:
        return ""


class Parsed(dict):
    """The pure cell parsers' answers (``cells.date``, ``amount_read``, ``category``, ``stage``,
    the zone by its name) by the cell's type and value, for one import: a list repeats its
    zones, categories, stages and dates on every row. A cell that cannot be read is parsed (and
    reported) each time; the memory is emptied when it holds ``KEPT`` answers. (Parsing every
    cell was 0.6 s of a 10,000-row list's CPU, ``benchmarks/import_bench.py``.)"""

    KEPT = 20_000

    def layout(self, columns: dict[str, Column]) -> tuple[tuple[str, ...], Callable, int]:
        """A sheet's fields, a getter of their cells at once, and its widest column's index."""
        key = ("layout", id(columns))
        kept = self.get(key)
        if kept is None or kept[0] is not columns:
            names = tuple(columns)
            indexes = [columns[name].index for name in names]
            getter = itemgetter(*indexes) if len(indexes) > 1 else lambda c: (c[indexes[0]],)
            kept = self[key] = (columns, (names, getter, max(indexes, default=-1)))
        return kept[1]

    def __call__(self, parse: Callable, value: Any, *args: Any) -> Any:
        try:
            key = (parse, type(value), value, args)
            return self[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: not kept
            return parse(value, *args)
        answer = parse(value, *args)
        if len(self) >= self.KEPT:
            self.clear()
        self[key] = answer
        return answer


def _read(
    row: Row,
    columns: dict[str, Column],
    sheet_category: str,
    zones,
    report,
    year: int | None,
    round_: bool = True,
    parsed: Parsed | None = None,
) -> Line:
    """One data row understood; each cell that cannot be is reported (its column, why), and a
    figure that is possible but unlikely is pointed out (its column, why)."""
    parsed = Parsed() if parsed is None else parsed
    line = Line(row.sheet, row.number, columns)
    cells_ = row.cells
    names, getter, widest = parsed.layout(columns)
    if len(cells_) > widest:
        found = _Found(zip(names, getter(cells_), strict=True))
    else:  # a short row: the cells past its end are empty
        width = len(cells_)
        found = _Found(
            (name, cells_[c.index] if c.index < width else "") for name, c in columns.items()
        )
    value = found.__getitem__  # read 20 times a row: a column the sheet lacks reads ""

    def fail(name: str, reason: str) -> None:
        report.error(row.sheet, row.number, line.header(name), reason)

    def warn(name: str, reason) -> None:
        report.warn(row.sheet, row.number, line.header(name), reason)

    code = _read_identity(line, value, zones, fail, parsed)
    _read_kind(line, value, sheet_category, fail, round_, parsed)
    _read_figures(line, value, fail, year, parsed)
    if line.facts.get("total_investment") is not None:
        doubt = investment_doubt(line.facts["total_investment"], line.investment_unit)
        if doubt is not None:
            issue = report.error if doubt.refused else report.warn
            issue(row.sheet, row.number, line.header("total_investment"), doubt.message)
    line.facts["code"] = code or None
    _read_texts(line, value, parsed, fail, warn)
    return line


def _read_identity(line: Line, value, zones, fail, parsed: Parsed) -> str:
    """The project's name and zone; its code, checked (set among the facts by the caller)."""
    line.name = cells.display_name(value("name"))
    line.key = cells.name_key(line.name)
    if not line.key:
        fail("name", _("The project name is empty."))
    elif len(line.name) > 200:
        fail("name", _("The project name is longer than 200 characters."))
    zone_text = cells.text(value("zone"))
    line.zone = zones.get(parsed(cells.name_key, zone_text))
    if line.zone is None:
        fail("zone", _("“%(zone)s” is not a known zone or alias.") % {"zone": zone_text})
    try:
        return cells.project_code(value("code"))
    except cells.CellError as error:
        fail("code", str(error))
        return ""


def _read_kind(line: Line, value, sheet_category: str, fail, round_: bool, parsed: Parsed) -> None:
    """The list's category (the row's, else the sheet's; needed for a round, not for a
    portfolio) and the stage the row states."""
    written = value("category")
    try:
        line.category = (
            parsed(cells.category, written) if not cells.is_blank(written) else sheet_category
        )
    except cells.CellError as error:
        fail("category", str(error))
    if round_ and not line.category and cells.is_blank(written):
        fail("category", _("No category: write 签约, 开工 or 投产, or name the sheet after it."))
    if not cells.is_blank(value("stage")):
        try:
            line.stage = parsed(cells.stage, value("stage"))
        except cells.CellError as error:
            fail("stage", str(error))


def _read_figures(line: Line, value, fail, year: int | None, parsed: Parsed) -> None:
    """The amounts (in the unit of their column, or the cell's own) and the planned dates of the
    stages (a month or a part of the year without its year in ``year``, the round's)."""
    for name in ("total_investment", "expected_annual_output"):
        if name not in line.columns:
            line.facts[name] = None  # as an empty cell reads
            continue
        try:
            unit = line.columns[name].unit
            line.facts[name], read_in = parsed(cells.amount_read, value(name), unit)
        except cells.CellError as error:
            fail(name, str(error))
            continue
        if name == "total_investment":
            line.investment_unit = read_in
    for name, stage in PLANNED.items():
        if name not in line.columns:
            continue  # as an empty cell reads: no date
        try:
            planned = parsed(cells.date, value(name), year)
        except cells.CellError as error:
            fail(name, str(error))
            continue
        if planned and not (name == "planned_completion" and stage in line.planned):
            line.planned[stage] = planned


#: The free texts of a project kept in a column of limited size → that size (the model's): a
#: longer cell is cut to it, with a warning.
CUT_TO_COLUMN = {
    name: Project._meta.get_field(name).max_length for name in ("industry", "responsible_unit")
}
#: The most an enterprise's name holds: a longer one is refused, as a project's is.
ENTERPRISE_NAME_SIZE = Enterprise._meta.get_field("name").max_length


def _read_texts(line: Line, value, parsed: Parsed, fail, warn) -> None:
    """The free texts, the people and the enterprise as written, and the batch entry. A
    text longer than its column is cut to it and said so; an enterprise's name, which
    identifies it, is refused (as a project's is)."""
    for name, most in CUT_TO_COLUMN.items():
        text = cells.text(value(name))
        if len(text) > most:
            warn(name, lambda most=most: _cut_to(most))
            text = text[:most]
        line.facts[name] = text
    line.facts["content"] = cells.text(value("content"))
    line.facts["progress"] = cells.text(value("progress"))
    line.enterprise = cells.display_name(value("enterprise"))
    line.enterprise_key = parsed(cells.name_key, line.enterprise)
    if len(line.enterprise) > ENTERPRISE_NAME_SIZE:
        fail(
            "enterprise",
            _("The enterprise name is longer than %(most)d characters.")
            % {"most": ENTERPRISE_NAME_SIZE},
        )
    line.officer = cells.text(value("officer"))
    line.leader = cells.text(value("leader"))
    line.entry = {
        "category": line.category,
        "name": line.name[:200],
        "enterprise": line.enterprise,
        "total_investment": line.facts.get("total_investment"),
        "expected_annual_output": line.facts.get("expected_annual_output"),
        "content": line.facts["content"],
        "progress": line.facts["progress"],
        "problems": cells.text(value("problems")),
        "notes": cells.text(value("notes")),
    }
    line.problem = parsed(problem_text, line.entry["problems"])


def iter_lines(
    source,
    file_name: str,
    report: Report,
    *,
    by=None,
    progress=None,
    year: int | None = None,
    round_: bool = True,
) -> Iterator[Line]:
    """Every data row of every sheet with a header, one at a time; what cannot be understood
    goes to the report, with the rows of zones ``by`` may not import for. ``year``: the round's,
    for dates written without one ("6月底"); None for a list without a round. Without
    ``round_`` (a portfolio) a row needs no category."""
    zones = {}
    for zone in Zone.objects.all():
        for key in zone.normalised_names():
            zones.setdefault(key, zone)
    allowed = permissions.import_zones(by)
    parsed = Parsed()
    found = False
    try:
        for sheet, _unknown in sheets_with_header(source, file_name, HEADERS, naming(*REQUIRED)):
            found = True
            try:
                sheet_category = cells.category(sheet.name)
            except cells.CellError:
                sheet_category = ""
            for row in sheet.rows:
                line = _read(
                    row, sheet.columns, sheet_category, zones, report, year, round_, parsed
                )
                if line.zone and allowed is not None and line.zone.pk not in allowed:
                    report.error(
                        *line.where,
                        line.header("zone"),
                        _("You may not import for “%(zone)s”.") % {"zone": line.zone},
                    )
                report.rows += 1
                if progress and report.rows % 2000 == 0:
                    progress(report.rows, None)
                yield line
    except SpreadsheetRefused as refused:
        report.error(file_name, 0, "", str(refused))
        return
    if not found:
        report.error(
            file_name,
            0,
            "",
            _(
                "No sheet has a header row naming the columns 项目名称 and 所在开发区 (or their synonyms)."
            ),
        )


def _cut_to(most: int) -> str:
    return _("Longer than %(most)d characters: only its first %(most)d are kept.") % {"most": most}


# --- 存在问题: the problems a row opens (guide section 11) -------------------------------------

#: What tables write in 存在问题 for "no problem": opening a problem "无" would be absurd.
NO_PROBLEM = frozenset(
    {"", "无", "暂无", "没有", "无问题", "暂无问题", "无困难", "否", "/", "-", "—", "——", "－"}
)


def problem_text(value: Any) -> str:
    """A 存在问题 cell as the problem it reports, or "" when it says there is none."""
    text = cells.text(value)
    word = re.sub(r"[\s。.，,；;！!]", "", unicodedata.normalize("NFKC", text))
    return "" if word in NO_PROBLEM else text


#: ``problems_from_import`` looks the texts up by two IN lists (projects, texts), whose every
#: pair SQLite probes in the unique index: 4,000 texts at once took 2 s, 500 at a time 0.1 s.
PROBLEMS_AT_ONCE = 500


def problems_opened(listed: list[Listed], **options) -> dict[Listed, ImportedProblems]:
    """``problems_from_import`` over ``listed``, a few hundred at a time: each listed problem →
    what its call found."""
    found: dict[Listed, ImportedProblems] = {}
    for start in range(0, len(listed), PROBLEMS_AT_ONCE):
        chunk = listed[start : start + PROBLEMS_AT_ONCE]
        found.update(dict.fromkeys(chunk, problems_from_import(chunk, **options)))
    return found


def problem_change(report: Report, where: tuple[str, int], column: str, listed, imported) -> list:
    """What a row's problem does, for the preview: a change when ``problems_from_import``
    opens it; nothing when it is recorded and being solved; a warning when it was solved
    (resolved or closed) already, which the import leaves as it is. The problem is looked up
    once in an index of ``imported`` and its note asked of it alone (``note`` reads through
    every problem: over a whole list that was quadratic)."""
    opened, known = _indexed(imported)
    if listed in known:
        problem = known[listed]
        if problem.status in SOLVED:
            report.warn(*where, column, ImportedProblems([], [(listed, problem)]).note(listed))
        return []
    alone = opened.get((listed.project_id, description_key(listed.text)))
    note = ImportedProblems([alone] if alone else [], []).note(listed)
    return [[column, "—", note]]  # the 存在问题 column as the file names it


def _indexed(imported: ImportedProblems) -> tuple[dict, dict]:
    index = getattr(imported, "_index", None)
    if index is None:
        opened = {(p.project_id, p.description_key): p for p in imported.opened}
        index = imported._index = (opened, dict(imported.known))
    return index
