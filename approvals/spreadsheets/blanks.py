"""Blank templates that teach (issue 20): the three spreadsheets the desk imports, empty, with
what each column accepts written into the file.

- **The data sheet comes first**, its header the one the import reads. Columns with a closed
  vocabulary carry an Excel drop-down list (data validation of type "list"): 类别, 当前阶段, the
  approval items' cells and 所在开发区 — the zones the downloading person may import for, as the
  import page scopes them (``permissions.import_zones``). Which column gets which list is found
  through each reader's own header synonyms (its ``HEADERS``), and the words are the reader's
  (``cells.CATEGORY_OFFERED``, ``STAGE_OFFERED``, ``ITEM_OFFERED``): one home, so the lists and
  the import cannot drift (tests/spreadsheets/test_blank_templates.py holds them equal).
- **The lists warn and do not stop** (``errorStyle="warning"``): the import reads more than a
  list offers — synonyms (签约, 在谈, 承诺), a zone's aliases, and in an approval table a date or
  a word with its date ("已受理（2026.3.1）"). A "stop" list would refuse what the import
  accepts; a warning says the word is not in the list and lets the person keep it.
- **The lists live on a hidden sheet 取值**, referenced by a range: an inline list is capped at
  255 characters, which a city's zones pass.
- **A sheet 填写说明** says, column by column, what is required and what may be written, with an
  example row written down the sheet (a row written across would be a header and data to the
  readers, which read every sheet that has a header); then the date forms the import accepts,
  each with what ``cells.date`` reads it as and whether it needs the round's year (worked out
  by the parser, not typed), the units, the project code.

Neither added sheet holds a row a reader takes for a header, so an import reads the data sheet
alone (tested). The words written here are the spreadsheets' own vocabulary — Chinese headers
and cell words, as the templates' headers always were — not the desk's interface, so they are
not in the translation catalogue.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from approvals.access import permissions
from approvals.cases import plausible
from approvals.core import units
from approvals.core.dates import EARLIEST, LATEST
from approvals.models import ApprovalType, ItemStatus, Mode
from approvals.spreadsheets import approval_table, cells, monthly_rows, project_rows
from approvals.spreadsheets.exports import LIST_TEMPLATE, MONTHLY_TEMPLATE
from approvals.spreadsheets.reading import clean_header
from zones.models import Zone

NOTES_SHEET = "填写说明"
VALUES_SHEET = "取值"
#: Excel's last row: a list covers every row a person may paste, not a guessed number of them.
LAST_ROW = 1_048_576
#: The field an approval table's catalogue item columns fill (they are not in its ``HEADERS``).
ITEM = "item"
#: A code of the national platform's shape (``project_code.CODE_PATTERN``), for the examples.
EXAMPLE_CODE = "2509-140602-89-05-864976"
EXAMPLE_NAME = "年产5万吨锂电池负极材料项目"
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class Vocabulary:
    """A closed list of words for a column: its heading on the 取值 sheet, the words, and what
    the cell's input message says (what else the import reads)."""

    title: str
    words: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class Note:
    """One column on the notes sheet: whether it is required, what to write, its example."""

    header: str
    required: str
    rule: str = ""
    example: Any = ""


@dataclass
class Blank:
    """A template: its data sheet (title, header, the field each column fills as the reader
    reads it), the lists of its fields, and its notes."""

    sheet: str
    headers: list[str]
    fields: list[str | None]
    vocabularies: dict[str, Vocabulary]
    notes: list[Note]
    sections: list[tuple[str, list[list[Any]]]] = field(default_factory=list)


# --- the vocabularies, from the readers' homes ------------------------------------------------


def categories() -> Vocabulary:
    others = "、".join(words[1] for words in cells.CATEGORY_NAMES.values())
    return Vocabulary("类别", cells.CATEGORY_OFFERED, f"从列表选择；也可写 {others}。")


def stages() -> Vocabulary:
    return Vocabulary("当前阶段", tuple(cells.STAGE_OFFERED), "从列表选择；新建项目按此阶段建档。")


def item_words() -> Vocabulary:
    return Vocabulary(
        "办理状态",
        tuple(cells.ITEM_OFFERED),
        "从列表选择，或写办结日期（如 2026-03-15），或写状态加日期（如 已受理（2026.3.1））；"
        "空着不改动。",
    )


def zones_for(user) -> Vocabulary:
    """The zones ``user`` may import for, by their official names (their aliases are read
    too), as the import page scopes them."""
    allowed = permissions.import_zones(user)
    zones = Zone.objects.all() if allowed is None else Zone.objects.filter(pk__in=allowed)
    names = tuple(zones.values_list("name", flat=True))
    return Vocabulary("所在开发区", names, "从列表选择您可导入的开发区；也可写它的简称。")


def fields_of(headers: list[str], synonyms: dict[str, str]) -> list[str | None]:
    """The field each header fills, as the reader with these ``synonyms`` reads it."""
    return [synonyms.get(clean_header(h)[0]) for h in headers]


def _this_year() -> int:
    return timezone.localdate().year


# --- the three templates --------------------------------------------------------------------


def list_template(user=None) -> bytes:
    """The 三个一批 list (guide sections 8.1 and 12), also the zone's portfolio without a round."""
    return _book(list_blank(user))


def list_blank(user=None) -> Blank:
    headers = list(LIST_TEMPLATE)
    fields = fields_of(headers, project_rows.HEADERS)
    zones, category, stage = zones_for(user), categories(), stages()
    year = _this_year()
    notes = [
        Note("序号", "选填", "不读，可留空。", 1),
        _code_note(),
        Note(
            "项目名称",
            "",
            "一行一个项目；没有代码时按开发区内的项目名称对上已有项目。",
            EXAMPLE_NAME,
        ),
        Note(
            "项目单位", "选填", "企业全称；系统里已有的企业按名称对上。", "山西示例新材料有限公司"
        ),
        Note("所在开发区", "", "从下拉列表选（您可导入的开发区），也可写它的简称。", _first(zones)),
        Note("行业", "选填", "", "新材料"),
        Note(
            "类别",
            "导入批次时必填",
            f"{'、'.join(category.words)}；{category.hint.removeprefix('从列表选择；')}"
            "不选批次导入的重点项目清单可不填。",
            category.words[1],
        ),
        Note(
            "当前阶段",
            "选填",
            f"{'、'.join(stage.words)}。新建项目按此阶段建档；已有项目的阶段不由清单改动，"
            "写得不同只提醒。",
            "在建",
        ),
        Note("总投资（亿元）", "选填", "数字，单位见下文“金额单位”。", 12.5),
        Note("预计年产值（亿元）", "选填", "数字，单位同上。", 30),
        Note("建设内容及规模", "选填", "", "新建负极材料生产线4条及配套设施"),
        Note("计划签约时间", "选填", "日期，写法见下文“日期的写法”。", f"{year}年3月"),
        Note("计划开工时间", "选填", "同上；不填时按类别取本批次的活动日期。", "6月底"),
        Note("计划投产时间", "选填", "同上。", f"{year + 1}年二季度"),
        Note("包联领导", "选填", "姓名，对上本开发区的领导；对不上只提醒。"),
        Note("责任单位", "选填", "", "开发区经济发展局"),
        Note("项目管家", "选填", "姓名，对上本开发区的项目管家；对不上只提醒。"),
        Note("形象进度", "选填", "", "主体厂房完成60%"),
        Note("存在问题", "选填", "写了问题就建一条问题跟踪；写“无”表示没有问题。", "无"),
        Note("备注", "选填"),
    ]
    # The columns a row cannot do without are the reader's to say.
    required = {h for h, f in zip(headers, fields, strict=True) if f in project_rows.REQUIRED}
    notes = [
        Note(n.header, "必填", n.rule, n.example) if n.header in required else n for n in notes
    ]
    return Blank(
        "三个一批项目清单",
        headers,
        fields,
        {"zone": zones, "category": category, "stage": stage},
        notes,
        [_dates_section(year), _units_section("总投资", plausibility=True)],
    )


def approval_template(user=None) -> bytes:
    """The approval progress table (guide sections 8.2 and 11): one column per catalogue item."""
    return _book(approval_blank(user))


def approval_blank(user=None) -> Blank:
    kinds = list(ApprovalType.objects.filter(is_active=True).order_by("sort_order", "code"))
    headers = ["序号", "项目代码", "项目名称", "所在开发区", *[k.name for k in kinds]]
    fields = fields_of(headers, approval_table.HEADERS)
    fields[4:] = [ITEM] * len(kinds)
    zones, words = zones_for(user), item_words()
    items = f"各审批事项（{kinds[0].name} … {kinds[-1].name}）" if kinds else "各审批事项"
    notes = [
        Note("序号", "选填", "不读，可留空。", 1),
        _code_note(extra="项目须已在系统中；有代码按代码对上。"),
        Note("项目名称", "无代码时必填", "没有代码时按开发区内的项目名称对上。", EXAMPLE_NAME),
        Note("所在开发区", "无代码时必填", "从下拉列表选，也可写它的简称。", _first(zones)),
        Note(
            items,
            "选填",
            "一列一个审批事项（表头写事项名称、编码或简称均可）；写法见下文“审批事项的写法”。",
            words.words[0],
        ),
    ]
    return Blank(
        "前期手续办理进度表",
        headers,
        fields,
        {"zone": zones, ITEM: words},
        notes,
        [_items_section(_this_year())],
    )


def monthly_template(user=None) -> bytes:
    """The monthly progress table (月调度表, guide section 8.3); 累计 is the year to date."""
    return _book(monthly_blank(user))


def monthly_blank(user=None) -> Blank:
    headers = list(MONTHLY_TEMPLATE)
    zones = zones_for(user)
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    month = f"{last_month.year}年{last_month.month}月"
    notes = [
        Note("序号", "选填", "不读，可留空。", 1),
        _code_note(extra="项目须已在系统中；有代码按代码对上。"),
        Note("项目名称", "无代码时必填", "没有代码时按开发区内的项目名称对上。", EXAMPLE_NAME),
        Note("所在开发区", "无代码时必填", "从下拉列表选，也可写它的简称。", _first(zones)),
        Note(
            "月份",
            "必填（或写在标题、工作表名里）",
            f"写 {month}、{last_month:%Y.%m} 或该月的任一日期；不填时取标题行或工作表名里的月份"
            f"（如 {month}）；只写“{last_month.month}月”时年份取标题。尚未开始的月份不收。"
            "同一月份再导入，替换所列项目该月的数字。",
            month,
        ),
        Note("年度计划投资（万元）", "选填", "数字，单位见下文“金额单位”。", 12000),
        Note("本月完成投资（万元）", "选填", "数字。", 500),
        Note("累计完成投资（万元）", "选填", "当年1月起累计，年内不减少。", 1500),
        Note("形象进度", "选填", "", "主体厂房完成60%"),
        Note("存在问题", "选填", "写了问题就建一条问题跟踪；写“无”表示没有问题。", "无"),
    ]
    return Blank(
        "重点项目月调度表",
        headers,
        fields_of(headers, monthly_rows.HEADERS),
        {"zone": zones},
        notes,
        [_units_section("年度计划投资", plausibility=False)],
    )


def _first(vocabulary: Vocabulary) -> str:
    return vocabulary.words[0] if vocabulary.words else ""


def _code_note(extra: str = "已有项目先按代码对上。") -> Note:
    no_code = "、".join(sorted(cells.NO_CODE))
    return Note(
        "项目代码",
        "选填",
        f"投资项目在线审批监管平台赋的代码：24位，四位-六位-两位-两位-六位，如 {EXAMPLE_CODE}；"
        f"尚未赋码写 {no_code} 或 /。{extra}",
        EXAMPLE_CODE,
    )


# --- the sections of the notes ------------------------------------------------------------------


def date_forms(year: int) -> list[str]:
    """The forms a date may be written in (guide sections 8.1 and 12), as examples."""
    return [
        f"{year}-06-30",
        f"{year}/6/30",
        f"{year}.6.30",
        f"{year}年6月30日",
        f"{year}年6月",
        f"{year}.06",
        f"{year}年6月底",
        "6月底",
        "6月末",
        "6月上旬",
        "6月中旬",
        "6月下旬",
        "6月15日",
        "上半年",
        "下半年",
        "年底",
        f"{year}年底",
        "一季度",
        "第三季度",
        f"{year}年四季度",
        str(year),
    ]


def read_as(written: str, year: int | None) -> str:
    """What the import reads a date cell as, said for the notes."""
    try:
        parsed = cells.date(written, year)
    except cells.CellError:
        return "不接受"
    day, approximate = parsed
    return f"{day:%Y-%m-%d}（约）" if approximate else f"{day:%Y-%m-%d}"


def _dates_section(year: int) -> tuple[str, list[list[Any]]]:
    rows: list[list[Any]] = [["写法", "读作", "要不要写年份"]]
    for written in date_forms(year):
        with_round = read_as(written, year)
        alone = read_as(written, None)
        if with_round == "不接受":
            needs = f"只写年份不行：写到月份（如 {year}年6月）或写 {year}年底"
        elif alone == "不接受":
            needs = "可不写：取本批次活动日期的年份（不选批次的重点项目清单须写年份）"
        else:
            needs = "已写年份"
        rows.append([written, with_round, needs])
    rows += [
        ["Excel 日期单元格", "按日期读", "已有年份"],
        [
            f"日期须在 {EARLIEST:%Y-%m-%d} 至 {LATEST:%Y-%m-%d} 之间；“（约）”表示按月或按时段填报的计划日期。"
        ],
    ]
    return f"日期的写法（以 {year} 年的批次为例）", rows


def _units_section(header: str, *, plausibility: bool) -> tuple[str, list[list[Any]]]:
    """How an amount column's unit is read (``reading.clean_header`` takes it from the header's
    brackets; ``cells.amount`` from the cell when it names one)."""
    rows: list[list[Any]] = [
        [
            f"金额按表头括号里的单位读：“{header}（亿元）”按亿元，“{header}（万元）”按万元；"
            f"表头不写单位时按{cells.DEFAULT_UNIT}读。改单位就改表头括号里的字。"
        ],
        ["单元格也可自带单位（如 2000万元、1.5亿元），以单元格为准。"],
    ]
    if plausibility:
        refused, large = (
            units.in_unit(x, "亿元") for x in (plausible.REFUSED_FROM, plausible.LARGE_FROM)
        )
        small = units.in_unit(plausible.SMALL_BELOW, "万元")
        rows.append(
            [
                f"总投资 {refused}亿元 及以上不收（多半是把万元填进了亿元列）；"
                f"{large}亿元以上或 {small}万元以下在预览中提醒。"
            ]
        )
    return "金额单位", rows


def _items_section(year: int) -> tuple[str, list[list[Any]]]:
    rows: list[list[Any]] = [["写法", "读作"]]
    examples = [*cells.ITEM_OFFERED, "/", f"{year}-03-15", f"已受理（{year}.3.1）"]
    for written in examples:
        rows.append([written, item_read_as(written)])
    rows += [
        ["（空）", "不改动该事项"],
        ["日期须写年份；状态后可带日期，写在括号里。"],
    ]
    return "审批事项的写法", rows


def item_read_as(written: str) -> str:
    """What the import reads an approval table's cell as, said for the notes."""
    try:
        mode, status, day, provisional = cells.approval_cell(written)
    except cells.CellError:
        return "不接受"
    if mode != Mode.APPROVAL:
        said = str(Mode(mode).label)
    else:
        said = str(ItemStatus(status).label) + ("（容缺）" if provisional else "")
    return f"{said}，{day:%Y-%m-%d}" if day else said


# --- writing the workbook ---------------------------------------------------------------------


def _book(blank: Blank) -> bytes:
    book = Workbook()
    data = book.active
    data.title = blank.sheet[:31]
    data.append(blank.headers)
    for index, header in enumerate(blank.headers, start=1):
        data.cell(1, index).font = BOLD
        data.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
    data.freeze_panes = "A2"
    values = book.create_sheet(VALUES_SHEET)
    values.sheet_state = "hidden"
    for number, (name, vocabulary) in enumerate(blank.vocabularies.items(), start=1):
        letter = get_column_letter(number)
        values.cell(1, number, f"{vocabulary.title}（可选值）").font = BOLD
        for row, word in enumerate(vocabulary.words, start=2):
            values.cell(row, number, word).data_type = "s"
        columns = [i for i, f in enumerate(blank.fields, start=1) if f == name]
        if vocabulary.words and columns:
            validation = _validation(
                vocabulary, f"${letter}$2:${letter}${len(vocabulary.words) + 1}"
            )
            for column in columns:
                target = get_column_letter(column)
                validation.add(f"{target}2:{target}{LAST_ROW}")
            data.add_data_validation(validation)
    _notes(book.create_sheet(NOTES_SHEET, index=1), blank)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _letters(blank: Blank, header: str) -> str:
    """The column of ``header``, or the span of the catalogue items' columns ("E–Y")."""
    if header in blank.headers:
        return get_column_letter(blank.headers.index(header) + 1)
    items = [i for i, f in enumerate(blank.fields, start=1) if f == ITEM]
    return f"{get_column_letter(items[0])}–{get_column_letter(items[-1])}" if items else ""


def _validation(vocabulary: Vocabulary, cells_range: str) -> DataValidation:
    """A drop-down list that warns (see the module's docstring for why it does not stop)."""
    return DataValidation(
        type="list",
        formula1=f"'{VALUES_SHEET}'!{cells_range}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="不在列表中",
        error=(
            f"“{vocabulary.title}”的列表里没有这个写法。{vocabulary.hint}"
            "导入预览会指出读不懂的写法。要保留吗？"
        )[:255],
        showInputMessage=True,
        promptTitle=vocabulary.title[:32],
        prompt=vocabulary.hint[:255],
    )


def _notes(sheet, blank: Blank) -> None:
    sheet.append([NOTES_SHEET])
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.append(
        [
            f"数据填在第一张工作表“{blank.sheet}”，一行一个项目，表头不要改动（可删去不用的选填列）。"
            "本说明和隐藏的“取值”表导入时不读。"
        ]
    )
    sheet.append([])
    sheet.append(["各列", None, None, None, None])
    sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append(["列", "表头", "是否必填", "填写要求", "示例"])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    for note in blank.notes:
        letter = _letters(blank, note.header)
        sheet.append([letter, note.header, note.required, note.rule, note.example])
    for title, rows in blank.sections:
        sheet.append([])
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = BOLD
        for row in rows:
            sheet.append(row)
    for letter, width in zip("ABCDE", (18, 22, 18, 70, 34), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = WRAP
