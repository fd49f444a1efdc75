"""Real spreadsheet files, built in memory the way the zones' people make them: title rows above
the header (often one merged caption), several sheets, real date cells, numbers, and CSV saved
as UTF-8 (with or without the BOM Excel writes) or GB18030 (Excel's "CSV" on a Chinese Windows).

A sheet is a list of rows; a row is a list of cells (``None`` or "" for an empty cell). A row
given as ``Title("…")`` is a caption merged across the width of the sheet, as people make them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

import openpyxl
import xlwt


@dataclass(frozen=True)
class Title:
    """A caption row merged across ``width`` columns (the sheet's widest row when 0)."""

    text: str
    width: int = 0


def _width(rows: list) -> int:
    return max((len(r) for r in rows if not isinstance(r, Title)), default=1)


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx workbook as Excel writes it: dates are real date cells (a number with a date
    format), numbers are numbers, a ``Title`` row is merged across the sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(title=name)
        width = _width(rows)
        for number, row in enumerate(rows, start=1):
            if isinstance(row, Title):
                sheet.cell(row=number, column=1, value=row.text)
                span = row.width or width
                if span > 1:
                    sheet.merge_cells(
                        start_row=number, start_column=1, end_row=number, end_column=span
                    )
                continue
            for column, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                elif isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls(sheets: dict[str, list[list]]) -> bytes:
    """An old .xls workbook (BIFF8, OLE2), as many zones still send: dates with a date format,
    a ``Title`` row merged across the sheet."""
    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        width = _width(rows)
        for number, row in enumerate(rows):
            if isinstance(row, Title):
                sheet.write_merge(number, number, 0, max((row.width or width) - 1, 0), row.text)
                continue
            for column, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.date):
                    sheet.write(number, column, value, date_style)
                else:
                    sheet.write(number, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", *, bom: bool = False) -> bytes:
    """A CSV file; ``bom`` adds the byte-order mark Excel writes in "CSV UTF-8"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        if isinstance(row, Title):
            writer.writerow([row.text])
        else:
            writer.writerow(["" if v is None else v for v in row])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def with_member(workbook: bytes, name: str, content: bytes, *, compress: bool = True) -> bytes:
    """The same .xlsx with one more member (a picture, or something worse)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(
            name, content, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        )
    return out.getvalue()


def zip_bomb(expanded_mb: int) -> bytes:
    """A small file that looks like an .xlsx and expands to ``expanded_mb`` MB: one member of
    zeros, compressed a thousand times over."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (expanded_mb * 1024 * 1024))
    return out.getvalue()
