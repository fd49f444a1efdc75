"""Reading the zones' spreadsheets as they really are: .xlsx, .xls and .csv (UTF-8 or GB18030),
several sheets, title rows above the header, the header found by its known column names, empty
and subtotal rows skipped. A file that is too big, is no workbook, or would expand to an absurd
size is refused before it is read.

python-calamine (Rust) reads a 10,000-row sheet in about a quarter of a second, several times
faster than openpyxl; rows are handed on one at a time.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Rows whose first cells say this are totals, not projects ("合计", "全市合计", "小计：").
TOTAL_WORDS = ("合计", "小计", "总计")
TOTAL_LABEL = re.compile(r"^.{0,8}(合计|小计|总计)[:：]?$")
#: The most cells a sheet may span (rows × columns of its used area): python-calamine builds
#: the whole area at once, so one cell in XFD1048576 would ask for hundreds of gigabytes.
MAX_SHEET_CELLS = 50_000_000
CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})')
CELL_ROW = re.compile(rb'<c r="[A-Z]{1,3}(\d{1,7})"')
#: How far below the top the header row may be (title rows, notes, merged captions).
HEADER_SEARCH_ROWS = 30
#: Above this size an .xlsx is streamed with openpyxl instead of read whole by calamine: ten
#: times slower, but memory stays flat (calamine holds every cell of a sheet at once).
STREAM_ABOVE_BYTES = 10 * 1024 * 1024


class SpreadsheetRefused(Exception):
    """The file as a whole cannot be read: nothing in it is looked at."""


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


# --- opening --------------------------------------------------------------------------------


def _check_size(data: bytes, name: str) -> None:
    limit = settings.IMPORT_FILE_MAX_MB
    if len(data) > limit * 1024 * 1024:
        raise SpreadsheetRefused(
            _("“%(name)s” is larger than %(limit)d MB.") % {"name": name, "limit": limit}
        )
    if not data:
        raise SpreadsheetRefused(_("“%(name)s” is empty.") % {"name": name})


def _check_zip(data: bytes, name: str) -> None:
    """An .xlsx is a zip: refuse one that is not, or that would expand beyond the limit."""
    limit = settings.IMPORT_EXPANDED_MAX_MB * 1024 * 1024
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except zipfile.BadZipFile as error:
        raise SpreadsheetRefused(
            _("“%(name)s” is not a real .xlsx workbook.") % {"name": name}
        ) from error
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise SpreadsheetRefused(_("“%(name)s” is not a real .xlsx workbook.") % {"name": name})
    if expanded > limit:
        raise SpreadsheetRefused(
            _("“%(name)s” would expand to %(size)d MB when read (more than %(limit)d MB): refused.")
            % {"name": name, "size": expanded // (1024 * 1024), "limit": limit // (1024 * 1024)}
        )


def _check_extent(data: bytes, name: str) -> int:
    """Refuse a sheet whose used area is absurd before python-calamine allocates it: the
    furthest cell of each worksheet, read from its XML as it is decompressed. Returns the
    rows of all sheets (their last row numbers), which the progress bar counts on."""
    try:
        return _scan_extent(data, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise SpreadsheetRefused(
            _("“%(name)s” is not a real .xlsx workbook.") % {"name": name}
        ) from error


def _scan_extent(data: bytes, name: str) -> int:
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                continue
            rows = columns = 0
            tail = b""
            with archive.open(member) as stream:
                while chunk := stream.read(1 << 20):
                    text = tail + chunk
                    # Distinct references first (in C), numbers of the few distinct ones after.
                    letters = set(CELL_COLUMN.findall(text))
                    columns = max([columns, *map(_column_number, letters)])
                    rows = max([rows, *map(int, set(CELL_ROW.findall(text)))])
                    tail = text[-32:]
                    if rows * columns > MAX_SHEET_CELLS:
                        raise SpreadsheetRefused(
                            _(
                                "“%(name)s” has a sheet spanning %(rows)d rows by %(columns)d "
                                "columns: refused."
                            )
                            % {"name": name, "rows": rows, "columns": columns}
                        )
            total += rows
    return total


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _decode_csv(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRefused(_("“%(name)s” is neither UTF-8 nor GB18030 text.") % {"name": name})


def read_sheets(source: bytes | BinaryIO | Path, name: str) -> Iterator[tuple[str, Iterator]]:
    """Each sheet of the file as (its name, stripped of stray spaces; its rows of cells)."""
    if isinstance(source, Path):
        data = source.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read()
    _check_size(data, name)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix == "csv":
        text = _decode_csv(data, name)
        yield Path(name).stem.strip(), iter(csv.reader(io.StringIO(text)))
        return
    if suffix == "xlsx":
        _check_zip(data, name)
        _check_extent(data, name)
        if len(data) > STREAM_ABOVE_BYTES:
            yield from _streamed(data, name)
            return
    elif suffix == "xls":
        if not data.startswith(OLE2):
            raise SpreadsheetRefused(_("“%(name)s” is not a real .xls workbook.") % {"name": name})
    else:
        raise SpreadsheetRefused(
            _("“%(name)s”: only .xlsx, .xls and .csv files are read.") % {"name": name}
        )
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            yield sheet_name.strip(), sheet.iter_rows()
    except python_calamine.CalamineError as error:
        raise SpreadsheetRefused(
            _("“%(name)s” cannot be read as a workbook: %(error)s") % {"name": name, "error": error}
        ) from error


def _streamed(data: bytes, name: str) -> Iterator[tuple[str, Iterator]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise SpreadsheetRefused(
            _("“%(name)s” cannot be read as a workbook: %(error)s") % {"name": name, "error": error}
        ) from error
    for sheet in book.worksheets:
        rows = (["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True))
        yield sheet.title.strip(), rows


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
    return isinstance(cell, str) and TOTAL_LABEL.match(re.sub(r"\s", "", cell)) is not None


def count_rows(source: bytes | Path, name: str) -> int:
    """Rows of every sheet (title and header rows included): whether the worker takes the file,
    and the total of its progress bar. An .xlsx says it in its cell references, read without
    building the sheet."""
    data = source.read_bytes() if isinstance(source, Path) else source
    if name.lower().endswith(".xlsx"):
        _check_size(data, name)
        _check_zip(data, name)
        return _check_extent(data, name)
    return sum(sum(1 for _ in rows) for _, rows in read_sheets(data, name))
