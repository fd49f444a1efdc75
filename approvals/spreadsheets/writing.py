"""Writing spreadsheets people forward: .xlsx with a bold header, fitted columns and colours
filled in, or .csv for other tools. Text that starts with =, +, -, @, a tab or a carriage
return is written so that Excel never runs it as a formula: in .xlsx as a text cell with a quote
prefix, in .csv behind a leading apostrophe (django-import-export's escaping only strips "=").

.xlsx is written by XlsxWriter in its constant-memory mode, each value by the call of its type
(never the guessing ``write``) with formats made once per kind of cell: openpyxl's write-only
workbook spent most of issue 21's 5,000-row export in its per-cell Python (3.0 s against a 2 s
target; benchmarks/README.md section 13 measures both writers side by side)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
#: (row index, column index, value) → a fill colour (hex) or None
Fill = Callable[[int, int, Any], str | None]

#: Control characters XML 1.0 cannot carry are dropped (tab, line feed and carriage return are
#: kept; XlsxWriter writes the carriage return as Excel's _x000D_ and escapes a literal
#: "_xHHHH_" as _x005F_xHHHH_, so that both read back as written).
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm:ss"


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list[Any]]
    fill: Fill | None = None
    widths: dict[int, int] | None = None


def risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(RISKY_START)


class _Formats:
    """One XlsxWriter format per kind of cell (bold, number format, quote prefix, fill colour),
    made the first time a cell needs it: a workbook holds a few, not one per cell."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.made: dict[tuple, Format | None] = {(False, None, False, None): None}

    def get(
        self, bold: bool = False, number: str | None = None, quoted: bool = False, colour=None
    ) -> Format | None:
        key = (bold, number, quoted, colour)
        made = self.made.get(key, False)
        if made is False:
            properties: dict[str, Any] = {}
            if bold:
                properties["bold"] = True
            if number:
                properties["num_format"] = number
            if quoted:
                properties["quote_prefix"] = True
            if colour:
                properties.update(pattern=1, bg_color=f"#{colour}")
            made = self.made[key] = self.book.add_format(properties)
        return made


def _write(
    sheet: Worksheet, formats: _Formats, row: int, column: int, value: Any, colour, bold=False
) -> None:
    """One value by the call of its type: text never becomes a formula, a number or a link."""
    if value is None:
        if colour or bold:
            sheet.write_blank(row, column, None, formats.get(bold, colour=colour))
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS.sub("", value)
        if not value:  # an empty cell, as openpyxl left it
            if colour or bold:
                sheet.write_blank(row, column, None, formats.get(bold, colour=colour))
            return
        cell_format = formats.get(bold, None, value.startswith(RISKY_START), colour)
        if value.startswith("<r>") and value.endswith("</r>"):
            # XlsxWriter takes such a string for its own rich-text XML and writes it
            # unescaped: written as plain runs (it wants three at least), it stays the text.
            runs = [value[:1], value[1:2], value[2:]]
            sheet.write_rich_string(row, column, *runs, *([cell_format] if cell_format else []))
        else:
            sheet.write_string(row, column, value, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, formats.get(bold, colour=colour))
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value), formats.get(bold, colour=colour))
    elif isinstance(value, dt.date | dt.time):  # a datetime too, shown as its date
        number = DATE_FORMAT if isinstance(value, dt.date) else TIME_FORMAT
        sheet.write_datetime(row, column, value, formats.get(bold, number, colour=colour))
    else:
        raise TypeError(f"No .xlsx cell for {type(value).__name__}: {value!r}")


def _title(title: str, taken: set[str]) -> str:
    """The sheet's name as Excel takes it: at most 31 characters, not quoted, unique."""
    name = title.strip("'")[:31] or "Sheet"
    number = 1
    while name.lower() in taken:
        suffix = str(number)
        name, number = name[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.lower())
    return name


def xlsx(tables: list[Table], out: io.BufferedIOBase | None = None) -> bytes | None:
    """Write the tables, one sheet each, into ``out`` or as bytes, in bounded memory
    (XlsxWriter's constant_memory mode: a row goes to a temporary file once the next starts)."""
    target = out if out is not None else io.BytesIO()
    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = _Formats(book)
    taken: set[str] = set()
    for table in tables:
        sheet = book.add_worksheet(_title(table.title, taken))
        sheet.freeze_panes(1, 0)
        for index, width in (table.widths or {}).items():
            sheet.set_column(index, index, width)
        for column, text in enumerate(table.headers):
            _write(sheet, formats, 0, column, text, None, bold=True)
        fill = table.fill
        for row_index, row in enumerate(table.rows):
            for column, value in enumerate(row):
                colour = fill(row_index, column, value) if fill else None
                _write(sheet, formats, row_index + 1, column, value, colour)
    book.close()
    return None if out is not None else target.getvalue()


def csv_text(table: Table) -> str:
    """One table as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese)."""
    buffer = io.StringIO()
    csv_write(table, buffer)
    return buffer.getvalue()


def csv_write(table: Table, out: io.TextIOBase) -> None:
    """One table as CSV into a text stream, row by row: the byte-order mark first (encode the
    stream as UTF-8, newline="")."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["'" + v if risky(v) else _csv_value(v) for v in row])


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
