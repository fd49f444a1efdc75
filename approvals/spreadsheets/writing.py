"""Writing spreadsheets people forward: .xlsx with a bold header, fitted columns and colours
filled in, or .csv for other tools. Text that starts with =, +, -, @, a tab or a carriage
return is written so that Excel never runs it as a formula: in .xlsx as a text cell with a quote
prefix, in .csv behind a leading apostrophe (django-import-export's escaping only strips "=")."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
#: (row index, column index, value) → a fill colour (hex) or None
Fill = Callable[[int, int, Any], str | None]


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: Iterable[list[Any]]
    fill: Fill | None = None
    widths: dict[int, int] | None = None


def risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(RISKY_START)


OOXML_ESCAPE = re.compile(r"_x(?=[0-9A-Fa-f]{4}_)")


def _cell_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        # A carriage return written raw comes back as a line feed (XML normalises it): Excel
        # reads it back from _x000D_, and a literal "_xHHHH_" is kept by escaping its "_x".
        value = OOXML_ESCAPE.sub("_x005F_x", value).replace("\r", "_x000D_")
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def xlsx(tables: list[Table], out: io.BufferedIOBase | None = None) -> bytes | None:
    """Write the tables, one sheet each, in bounded memory (openpyxl's write-only mode)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fills: dict[str, PatternFill] = {}
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.freeze_panes = "A2"
        for index, width in (table.widths or {}).items():
            sheet.column_dimensions[_letter(index)].width = width
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row_index, row in enumerate(table.rows):
            cells = []
            for column, value in enumerate(row):
                colour = table.fill(row_index, column, value) if table.fill else None
                quoted = risky(value)
                value = _cell_value(value)
                # A cell object only where it needs more than its value (issue 21: a cell
                # object and its style for each of 100,000 × 19 values was most of the
                # export's time); openpyxl writes the plain values as they are.
                plain = not colour and not isinstance(value, dt.date)
                if isinstance(value, str):  # else openpyxl reads "=…" and "#N/A" as more
                    plain = plain and not (quoted or value[:1] == "=" or value in ERROR_CODES)
                if plain:
                    cells.append(value)
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text stays text, whatever it starts with
                    if quoted:
                        cell.quotePrefix = True
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                if colour:
                    fills.setdefault(
                        colour, PatternFill("solid", start_color=colour, end_color=colour)
                    )
                    cell.fill = fills[colour]
                cells.append(cell)
            sheet.append(cells)
    target = out or io.BytesIO()
    book.save(target)
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


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
