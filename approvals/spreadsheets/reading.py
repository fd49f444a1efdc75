"""Reading the zones' spreadsheets as they really are: .xlsx, .xls and .csv (UTF-8 or GB18030),
several sheets, title rows above the header, the header found by its known column names, empty
and subtotal rows skipped. A file that is too big, is no workbook, or would expand to an absurd
size is refused before it is read (``extent``: what a file may span, checked from its bytes).

python-calamine (Rust) reads a 10,000-row sheet in about a quarter of a second, several times
faster than openpyxl; rows are handed on one at a time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine
from django.utils.translation import gettext as _

from approvals.spreadsheets.extent import (
    Extent,
    SpreadsheetRefused,
    check_csv,
    check_size,
    check_xls,
    check_xlsx,
    check_zip,
)

#: Rows whose first cells say this are totals, not projects ("合计", "全市合计", "小计：").
TOTAL_WORDS = ("合计", "小计", "总计")
TOTAL_LABEL = re.compile(r"^.{0,8}(合计|小计|总计)[:：]?$")
#: How far below the top the header row may be (title rows, notes, merged captions).
HEADER_SEARCH_ROWS = 30
#: Above this size an .xlsx is streamed with openpyxl instead of read whole by calamine: ten
#: times slower, but memory stays flat (calamine holds every cell of a sheet at once).
STREAM_ABOVE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    """A header cell understood: the field it fills, as written, and a unit it names."""

    field: str
    header: str
    index: int
    unit: str = ""  # "亿元" / "万元" when the header names one


@dataclass
class Row:
    sheet: str
    number: int  # as Excel shows it
    cells: list[Any]

    def value(self, column: Column) -> Any:
        return self.cells[column.index] if column.index < len(self.cells) else ""


@dataclass(slots=True)
class SheetLine:
    """A data row an import has understood, as a report points at it: its sheet, its number as
    Excel shows it, and the columns of its sheet (an import's ``Line`` adds what it read)."""

    sheet: str
    number: int
    columns: dict[str, Column]

    def header(self, name: str) -> str:
        """The header, as written, of the column that fills ``name``; "" when there is none."""
        column = self.columns.get(name)
        return column.header if column else ""

    @property
    def where(self) -> tuple[str, int]:
        return self.sheet, self.number


@dataclass
class Sheet:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    extra: dict[str, Column] = field(default_factory=dict)  # e.g. catalogue items by code
    rows: Iterator[Row] | list[Row] = field(default_factory=list)
    header_row: int = 0


def clean_header(text: Any) -> tuple[str, str]:
    """A header as people write it → (its name, a unit it names). Full-width folded, spaces,
    line breaks, asterisks and bracketed units removed: "总投资（亿元）" → ("总投资", "亿元")."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    unit = ""
    match = re.search(r"[(\[]\s*(亿元|万元|元)\s*[)\]]", folded)
    if match:
        unit = match.group(1)
        folded = folded[: match.start()] + folded[match.end() :]
    name = re.sub(r"[\s*※:：]", "", folded)
    return name, unit


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- .csv ---------------------------------------------------------------------------------------


def _decode_csv(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRefused(_("“%(name)s” is neither UTF-8 nor GB18030 text.") % {"name": name})


def read_sheets(source: bytes | BinaryIO | Path, name: str) -> Iterator[tuple[str, Iterator]]:
    """Each sheet of the file as (its name, stripped of stray spaces; its rows of cells), text
    without NUL characters (which PostgreSQL cannot store, and no one types). A file that would
    span more rows or cells than allowed, all its sheets together, is refused before they are
    built; its rows are counted again as they come."""
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    check_size(data, name)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    as_read = Extent(name)
    if suffix == "csv":
        text = _decode_csv(data, name)
        check_csv(text, name)
        sheet = _clean_name(Path(name).stem)
        yield sheet, _guarded(csv.reader(io.StringIO(text)), sheet, as_read)
        return
    if suffix == "xlsx":
        check_zip(data, name)
        check_xlsx(data, name)
        if len(data) > STREAM_ABOVE_BYTES:
            yield from _streamed(data, name, as_read)
            return
    elif suffix == "xls":
        check_xls(data, name)
    else:
        raise SpreadsheetRefused(
            _("“%(name)s”: only .xlsx, .xls and .csv files are read.") % {"name": name}
        )
    built = Extent(name)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            label = _clean_name(sheet_name)
            # Two sheets may be one part of the file, built twice: count each as built.
            built.add(label, sheet.height, sheet.width)
            rows = sheet.iter_rows()
            del sheet
            yield label, _guarded(rows, label, as_read)
    except python_calamine.CalamineError as error:
        raise SpreadsheetRefused(
            _("“%(name)s” cannot be read as a workbook: %(error)s") % {"name": name, "error": error}
        ) from error


def _clean_name(sheet: str) -> str:
    return sheet.replace("\x00", "").strip()


def _guarded(rows: Iterator, sheet: str, extent: Extent) -> Iterator[list[Any]]:
    """The rows of a sheet, counted against the caps as they come; text cells without NUL."""
    count = width = 0
    for cells in rows:
        count += 1
        width = max(width, len(cells))
        extent.rows += 1
        extent.cells += len(cells)
        if extent.rows > extent.max_rows:
            extent.too_many_rows(sheet, count, extent.rows)
        if extent.cells > extent.max_cells:
            extent.too_many_cells(sheet, count, width, extent.cells)
        if any(type(c) is str and "\x00" in c for c in cells):
            cells = [c.replace("\x00", "") if type(c) is str else c for c in cells]
        yield cells


def _streamed(data: bytes, name: str, extent: Extent) -> Iterator[tuple[str, Iterator]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise SpreadsheetRefused(
            _("“%(name)s” cannot be read as a workbook: %(error)s") % {"name": name, "error": error}
        ) from error
    for sheet in book.worksheets:
        # Its rows as they are, not padded to the extent the sheet declares (which can lie).
        sheet.reset_dimensions()
        rows = (["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True))
        label = _clean_name(sheet.title)
        yield label, _guarded(rows, label, extent)


# --- finding the header and the rows ----------------------------------------------------------


def find_columns(
    cells: list[Any], synonyms: dict[str, str]
) -> tuple[dict[str, Column], list[tuple[int, str, str]]]:
    """The columns of a header row: (known ones by field, the others as (index, name, unit))."""
    known: dict[str, Column] = {}
    others = []
    for index, cell in enumerate(cells):
        name, unit = clean_header(cell)
        if not name:
            continue
        target = synonyms.get(name)
        if target and target not in known:
            known[target] = Column(target, str(cell).strip(), index, unit)
        else:
            others.append((index, name, unit))
    return known, others


def sheets_with_header(
    source: bytes | BinaryIO | Path,
    name: str,
    synonyms: dict[str, str],
    is_header: Callable[[dict[str, Column], list[tuple[int, str, str]]], bool],
) -> Iterator[tuple[Sheet, list[tuple[int, str, str]]]]:
    """Each sheet whose header row (the first of its top rows that ``is_header`` accepts) is
    found, with its other header cells; a sheet without one is skipped (a cover, notes)."""
    for sheet_name, rows in read_sheets(source, name):
        for number, cells in enumerate(rows, start=1):
            columns, others = find_columns(cells, synonyms)
            if is_header(columns, others):
                sheet = Sheet(sheet_name, columns, header_row=number)
                sheet.rows = _data_rows(sheet_name, rows, number)
                yield sheet, others
                break
            if number >= HEADER_SEARCH_ROWS:
                break


def naming(*required: str) -> Callable[[dict[str, Column], list], bool]:
    """A header row is the one that names every required column."""
    return lambda columns, others: all(r in columns for r in required)


def _data_rows(sheet: str, rows: Iterator, header_row: int) -> Iterator[Row]:
    for number, cells in enumerate(rows, start=header_row + 1):
        if all(is_blank(c) for c in cells):
            continue
        if any(_is_total(c) for c in cells[:3]):
            continue
        yield Row(sheet, number, list(cells))


def _is_total(cell: Any) -> bool:
    """A total label ("合计", "小 计", "全市合计"), not a name that happens to contain one
    ("晋中市算力联合计算中心项目")."""
    # every total word ends in 计: a cell without one is no total, without a regular expression
    return (
        isinstance(cell, str)
        and "计" in cell
        and TOTAL_LABEL.match(re.sub(r"\s", "", cell)) is not None
    )


def count_rows(source: bytes | Path, name: str) -> int:
    """Rows of every sheet (title and header rows included): whether the worker takes the file,
    and the total of its progress bar. A workbook says it without building its sheets (and is
    refused here if it spans too much)."""
    data = source.read_bytes() if isinstance(source, Path) else source
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("xlsx", "xls"):
        check_size(data, name)
        if suffix == "xls":
            return check_xls(data, name)
        check_zip(data, name)
        return check_xlsx(data, name)
    return sum(sum(1 for _ in rows) for _, rows in read_sheets(data, name))
