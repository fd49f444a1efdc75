"""An .xls: the extent of every sheet, read from the BIFF records as python-calamine reads them.

python-calamine reads an .xls whole when it opens it: every sheet built at once, each from its
first to its last used row and column, after reserving room for the extent the sheet's
DIMENSIONS record declares. The container is read first as calamine reads it (``compound``),
then the records of every sheet the workbook lists (as often as it lists them) are walked for
the places of the cells calamine keeps.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _

from approvals.spreadsheets.extent.compound import OLE2, Broken, u16, u32, workbook_stream
from approvals.spreadsheets.extent.limits import Extent, SpreadsheetRefused

#: Records calamine turns into a cell, with (row, column) in their first four bytes.
_CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}
_MULRK, _STRING, _DIMENSIONS, _BOF, _EOF, _CONTINUE = 0x00BD, 0x0207, 0x0200, 0x0809, 0x000A, 0x003C
_U32 = 0xFFFF_FFFF


def check_xls(data: bytes, name: str) -> int:
    """An .xls is a compound file, and not a zip as well (python-calamine would read it as an
    .xlsx after all if it failed as an .xls); its sheets' extent is checked."""
    if not data.startswith(OLE2) or zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_xls(name)
    return _scan_xls(data, name)


def _not_xls(name: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("“%(name)s” is not a real .xls workbook.") % {"name": name})


def _records(stream: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    """BIFF records from ``at`` on: (type, data), Continue records folded into the one before."""
    end = len(stream)
    while at < end:
        if end - at < 4:
            raise Broken
        kind, length = u16(stream, at), u16(stream, at + 2)
        if end - at - 4 < length:
            raise Broken
        data = stream[at + 4 : at + 4 + length]
        at += 4 + length
        while end - at > 4 and u16(stream, at) == _CONTINUE:
            more = u16(stream, at + 2)
            if end - at - 4 < more:
                raise Broken
            at += 4 + more
        yield kind, data


def _scan_xls(data: bytes, name: str) -> int:
    """Refuse an .xls whose sheets together span more rows or cells than allowed, or declare
    more, before python-calamine opens it; the rows of all sheets."""
    try:
        stream = workbook_stream(data)
        sheets = []
        for kind, record in _records(stream, 0):
            if kind == 0x002F and u16(record, 0) != 0:
                return 0  # encrypted: calamine says so without reading on
            if kind == 0x0085:  # BoundSheet8: where a sheet's records begin, and its name
                sheets.append((u32(record, 0), _xls_sheet_name(record)))
            elif kind == _EOF:
                break
        extent = Extent(name)
        cell_records = 0
        for position, sheet in sheets:
            if position > len(stream):
                raise Broken
            rows, columns, count = _xls_sheet(stream, position, sheet, extent)
            cell_records += count
            if cell_records > extent.max_cells:
                extent.too_many_cells(sheet, rows, columns, cell_records)
            extent.add(sheet, rows, columns)
        return extent.rows
    except Broken as error:
        raise _not_xls(name) from error


def _xls_sheet_name(record: bytes) -> str:
    """A BoundSheet8's name (BIFF8: a short unicode string; earlier: bytes), for messages."""
    if len(record) < 8:
        return "?"
    count, flags = record[6], record[7]
    text = record[8 : 8 + count * 2] if flags & 1 else record[8 : 8 + count]
    encoding = "utf-16-le" if flags & 1 else "latin-1"
    return text.decode(encoding, errors="replace").replace("\x00", "").strip() or "?"


def _xls_sheet(stream: bytes, position: int, sheet: str, extent: Extent) -> tuple[int, int, int]:
    """(rows, columns, cell records) of one sheet as calamine builds it."""
    first_row = first_column = 1 << 32
    last_row = last_column = -1
    formula = (0, 0)
    count = 0
    seen_bof, depth = False, 0
    for kind, record in _records(stream, position):
        if depth:
            depth += {_BOF: 1, _EOF: -1}.get(kind, 0)
            continue
        places: tuple = ()
        if kind == _BOF:
            if seen_bof:
                depth = 1  # an embedded chart's records: calamine skips them
            seen_bof = True
        elif kind == _DIMENSIONS:
            rows, columns = _declared(record)
            extent.check(sheet, rows, columns)  # calamine reserves room for them
        elif kind in _CELL_RECORDS:
            places = ((u16(record, 0), u16(record, 2)),)
            count += 1
            if kind == 0x0006:
                formula = places[0]
        elif kind == _STRING:
            places = (formula,)
            count += 1
        elif kind == _MULRK:
            row, first, cells = u16(record, 0), u16(record, 2), max((len(record) - 6) // 6, 1)
            places = ((row, first), (row, first + cells - 1))
            count += cells
        elif kind == _EOF:
            break
        for row, column in places:
            first_row, last_row = min(first_row, row), max(last_row, row)
            first_column, last_column = min(first_column, column), max(last_column, column)
    if last_row < 0:
        return 0, 0, count
    return last_row - first_row + 1, last_column - first_column + 1, count


def _declared(record: bytes) -> tuple[int, int]:
    """The rows and columns a DIMENSIONS record declares, as calamine computes them."""
    if len(record) == 10:
        first_row, last_row = u16(record, 0), u16(record, 2)
        first_column, last_column = u16(record, 4), u16(record, 6)
    elif len(record) == 14:
        first_row, last_row = u32(record, 0), u32(record, 4)
        first_column, last_column = u16(record, 8), u16(record, 10)
    else:
        raise Broken
    if first_column > 0xFF or last_column < first_column:
        first_column = 0
    if last_row >= 1 and last_column >= 1:
        end_row, end_column = last_row - 1, last_column - 1
    else:
        end_row, end_column = first_row, first_column
    return (end_row - first_row + 1) & _U32, (end_column - first_column + 1) & _U32
