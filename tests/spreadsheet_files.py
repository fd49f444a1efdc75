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
import struct
import zipfile
from dataclasses import dataclass

import openpyxl
import xlwt
from openpyxl.utils import get_column_letter


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


# --- hostile workbooks, a few kilobytes each, built by hand ----------------------------------


def handmade_xlsx(sheets: dict[str, bytes], *, dimension: str = "A1") -> bytes:
    """An .xlsx whose worksheets' ``<sheetData>`` content is given as raw XML, each sheet
    declaring ``dimension`` (which a writer may set to anything: readers must not trust it)."""
    out = io.BytesIO()
    names = list(sheets)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for n in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
                for n, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
                for n in range(1, len(names) + 1)
            )
            + "</Relationships>",
        )
        for n, name in enumerate(names, start=1):
            archive.writestr(
                f"xl/worksheets/sheet{n}.xml",
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<dimension ref="'
                + dimension.encode()
                + b'"/><sheetData>'
                + sheets[name]
                + b"</sheetData></worksheet>",
            )
    return out.getvalue()


#: The header row of a 三个一批 list, so that a reader goes on to read every row below it.
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>项目名称</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>所在开发区</t></is></c></row>'
).encode()


def wide_sheets_bomb(sheets: int = 3, rows: int = 3_300, columns: int = 15_000) -> bytes:
    """The attack's 2 KB workbook: ``sheets`` sheets, each with a header row and one cell at
    (``rows``, ``columns``) — a used area of rows × columns cells per sheet to anyone who builds
    the sheet whole, each under a per-sheet cap of 50 million."""
    far = f"{get_column_letter(columns)}{rows}".encode()
    data = (
        HEADER_ROW + b'<row r="' + str(rows).encode() + b'"><c r="' + far + b'"><v>1</v></c></row>'
    )
    return handmade_xlsx({f"Sheet{n}": data for n in range(1, sheets + 1)})


def long_rows_bomb(rows: int = 56_000, columns: int = 890) -> bytes:
    """The attack's 4 KB file of 56,000 rows: rows and cells without their ``r`` attribute
    (readers then count them), identical so that they compress to nothing; the first cell of
    each row jumps to column ``columns`` by naming a reference in row 1, which a reader that
    looks only at the references takes for a one-row sheet."""
    jump = get_column_letter(columns - 1).encode() + b"1"
    first = HEADER_ROW
    row = b'<row><c r="' + jump + b'"/><c><v>1</v></c></row>'
    return handmade_xlsx({"Sheet1": first + row * (rows - 1)}, dimension="A1:B2")


def xls_bomb(sheets: int = 2, rows: int = 65_536, columns: int = 256) -> bytes:
    """A few kilobytes of .xls whose sheets each span ``rows`` × ``columns`` cells: a number in
    the first cell and one in the last."""
    book = xlwt.Workbook()
    for n in range(1, sheets + 1):
        sheet = book.add_sheet(f"Sheet{n}")
        sheet.write(0, 0, "项目名称")
        sheet.write(0, 1, "所在开发区")
        sheet.write(rows - 1, columns - 1, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_with_looping_directory() -> bytes:
    """A 5 KB .xls whose directory's sector chain leads back to itself: a reader that follows
    chains without looking for loops reads the directory for ever (one word changed)."""
    data = bytearray(xls({"S": [["项目名称", "所在开发区"]]}))
    directory = struct.unpack_from("<I", data, 48)[0]
    fat = struct.unpack_from("<I", data, 76)[0]  # the first sector of the allocation table
    struct.pack_into("<I", data, (fat + 1) * 512 + directory * 4, directory)
    return bytes(data)


def xls_declaring(rows: int) -> bytes:
    """A small .xls whose sheet declares ``rows`` rows in its DIMENSIONS record (a reader may
    reserve room for all of them before it reads a cell)."""
    data = bytearray(xls({"S": [["项目名称", "所在开发区"]]}))
    at = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS, 14 bytes: rows as 32-bit numbers
    struct.pack_into("<I", data, at + 8, rows)
    return bytes(data)
