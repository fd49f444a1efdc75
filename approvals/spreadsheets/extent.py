"""Whether an uploaded spreadsheet may be read at all: its size, its container, and the rows and
cells it would span, all its sheets together (``IMPORT_MAX_ROWS``, ``IMPORT_MAX_CELLS``), found
out from the file's bytes *before* a reader is given it.

Hand-written, because a measurement says so (issue 17, finding 14; ``benchmarks/
spreadsheet_bombs.py``): python-calamine builds a sheet whole, from its first to its last used
row and column, and an .xls whole on opening, so a 2 kB workbook of three sheets each spanning
3,300 x 15,000 cells took 3.1 GB and 53 s, a 4 kB sheet of 56,000 rows without references 1.6 GB,
a 5.5 kB .xls 2.1 GB -- before any row reached Python, where no cap can act. No library bounds
that; the checks below read the file as calamine will read it (its cell places, its sector
chains) and refuse it first, in bounded memory (refused in under half a second, at about 84 MB
of the process's peak, Django included). ``reading`` counts the rows again as they come.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class SpreadsheetRefused(Exception):
    """The file as a whole cannot be read: nothing in it is looked at."""


# --- opening --------------------------------------------------------------------------------


def check_size(data: bytes, name: str) -> None:
    limit = settings.IMPORT_FILE_MAX_MB
    if len(data) > limit * 1024 * 1024:
        raise SpreadsheetRefused(
            _("“%(name)s” is larger than %(limit)d MB.") % {"name": name, "limit": limit}
        )
    if not data:
        raise SpreadsheetRefused(_("“%(name)s” is empty.") % {"name": name})


def check_zip(data: bytes, name: str) -> None:
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
        raise _not_xlsx(name)
    # python-calamine takes a file for what it can open first: an .xls, then an .xlsx, an
    # .xlsb, an .ods. Only an .xlsx is checked here, so nothing else may pass for one.
    lowered = {n.lower() for n in names}
    if data.startswith(OLE2) or lowered & {"xl/workbook.bin", "content.xml", "mimetype"}:
        raise _not_xlsx(name)
    if expanded > limit:
        raise SpreadsheetRefused(
            _("“%(name)s” would expand to %(size)d MB when read (more than %(limit)d MB): refused.")
            % {"name": name, "size": expanded // (1024 * 1024), "limit": limit // (1024 * 1024)}
        )


class Extent:
    """What a file spans, added up over all its sheets (and over every time a sheet is read:
    two sheets of a workbook may be one part read twice): refused as soon as the file as a whole
    passes ``IMPORT_MAX_ROWS`` rows or ``IMPORT_MAX_CELLS`` cells, before a reader is given
    the file (from what the file says, checked as a reader will read it) and again as its
    rows come (a second line, should the first have been misled)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows = 0
        self.cells = 0
        self.max_rows = settings.IMPORT_MAX_ROWS
        self.max_cells = settings.IMPORT_MAX_CELLS

    def check(self, sheet: str, rows: int, columns: int) -> None:
        """Refuse if the sheets counted so far and ``rows`` × ``columns`` more pass a cap."""
        if self.rows + rows > self.max_rows:
            self.too_many_rows(sheet, rows, self.rows + rows)
        if self.cells + rows * columns > self.max_cells:
            self.too_many_cells(sheet, rows, columns, self.cells + rows * columns)

    def too_many_rows(self, sheet: str, rows: int, total: int) -> NoReturn:
        raise SpreadsheetRefused(
            _(
                "“%(name)s”: at sheet “%(sheet)s” (%(rows)s rows) the file has %(total)s "
                "rows, more than the %(limit)s allowed: refused."
            )
            % {
                "name": self.name,
                "sheet": sheet,
                "rows": f"{rows:,}",
                "total": f"{total:,}",
                "limit": f"{self.max_rows:,}",
            }
        )

    def too_many_cells(self, sheet: str, rows: int, columns: int, total: int) -> NoReturn:
        raise SpreadsheetRefused(
            _(
                "“%(name)s”: at sheet “%(sheet)s” (%(rows)s rows × %(columns)s columns) "
                "the file spans %(cells)s cells, more than the %(limit)s allowed: refused."
            )
            % {
                "name": self.name,
                "sheet": sheet,
                "rows": f"{rows:,}",
                "columns": f"{columns:,}",
                "cells": f"{total:,}",
                "limit": f"{self.max_cells:,}",
            }
        )

    def add(self, sheet: str, rows: int, columns: int) -> None:
        self.check(sheet, rows, columns)
        self.rows += rows
        self.cells += rows * columns


def _not_xlsx(name: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("“%(name)s” is not a real .xlsx workbook.") % {"name": name})


def _not_xls(name: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("“%(name)s” is not a real .xls workbook.") % {"name": name})


# --- .xlsx: the extent of every worksheet, read from its XML as python-calamine will read it ---
#
# python-calamine builds a sheet whole: a vector of every cell from the first to the last used
# row and column (about 60 bytes a cell at its peak), whatever the file declares in
# <dimension>. A cell's place is its ``r`` attribute, or — without one — the next column of
# the current row, rows counting on from the last ``r`` of a <row> (calamine's
# ``XlsxCellReader``). So a few kilobytes of identical rows without references, each jumping
# to a far column, span tens of millions of cells. Each part of the archive is scanned as it is
# decompressed, in chunks: where every cell names its place (what Excel, WPS and openpyxl
# write) its references are read in bulk by regular expressions; otherwise the places are
# counted tag by tag as calamine counts them. Cells of every part count, whether or not a sheet
# names it (the workbook's own list of sheets can point anywhere).

_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
#: A start or end tag of a row or a cell, attributes read as XML reads them (">" may stand in
#: a quoted value, "<" may not).
_TAG = re.compile(
    rb"<(/?)" + _PREFIX + rb"(row|c)((?:\s+[^\s=<>/\"']+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>"
)
_ANY_CELL = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_ANY_ROW = re.compile(rb"<" + _PREFIX + rb"row[\s/>]")
#: A cell whose first attribute is its reference (as Excel, WPS and openpyxl write them).
_CELL_REF = re.compile(rb"<" + _PREFIX + rb"c\s+r\s*=\s*[\"']")
_CELL_COLUMN = re.compile(rb"<" + _PREFIX + rb"c\s+r\s*=\s*[\"']([A-Za-z]+)")
_CELL_ROW = re.compile(rb"<" + _PREFIX + rb"c\s+r\s*=\s*[\"'][A-Za-z]*([0-9]+)")
_REF = re.compile(rb"(?<![\w:.\-])r\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
#: A reference as calamine reads it: letters, then digits (anything else fails the read).
_REF_VALUE = re.compile(rb"([A-Za-z]*)([0-9]*)")
_SCAN_CHUNK = 1 << 20
#: A tag longer than this is no worksheet's.
_LONGEST_TAG = 4 << 20
_U32 = 0xFFFF_FFFF


def _letters_number(letters: bytes) -> int:
    """A column's letters as calamine counts them (1 for A; u32 arithmetic, wrapping)."""
    number = 0
    for letter in letters.upper():
        number = (number * 26 + letter - 64) & _U32
    return number


def _digits_number(digits: bytes) -> int:
    number = 0
    for digit in digits:
        number = (number * 10 + digit - 48) & _U32
    return number


class _SheetPart:
    """The furthest row and column (0-based) of one part of an .xlsx, and its row and cell tags."""

    def __init__(self) -> None:
        self.last_row = self.last_column = -1
        self.row_tags = self.cell_tags = 0
        self.row_index = self.column_index = 0  # calamine's counters, for cells without "r"

    @property
    def rows(self) -> int:
        return self.last_row + 1

    @property
    def columns(self) -> int:
        return self.last_column + 1

    def bulk(self, text: bytes) -> bool:
        """Read a chunk in which every cell names its place first; False if one does not."""
        cells = len(_ANY_CELL.findall(text))
        if len(_CELL_REF.findall(text)) != cells:
            return False
        self.cell_tags += cells
        self.row_tags += len(_ANY_ROW.findall(text))
        letters = set(_CELL_COLUMN.findall(text))
        digits = set(_CELL_ROW.findall(text))
        if letters:
            self.last_column = max(self.last_column, *(_letters_number(x) - 1 for x in letters))
        if digits:
            self.last_row = max(self.last_row, *(_digits_number(x) - 1 for x in digits))
        return True

    def tag_by_tag(self, text: bytes) -> bool:
        """Count places as calamine does; False if a row or cell tag cannot be read."""
        cells = rows = 0
        for match in _TAG.finditer(text):
            closing, kind, attributes, empty = match.groups()
            if closing:
                if kind == b"row":
                    self.row_index += 1
                    self.column_index = 0
                continue
            place = _place(attributes)
            if kind == b"row":
                rows += 1
                if place is not None:
                    self.row_index = place[0]
                if empty:  # <row/> is a start and an end
                    self.row_index += 1
                    self.column_index = 0
                continue
            cells += 1
            if place is not None:
                row, column = place
                self.column_index = column
            else:
                row, column = self.row_index, self.column_index
            self.column_index += 1
            if not empty:  # <c .../> holds nothing: calamine leaves it out
                self.last_row = max(self.last_row, row)
                self.last_column = max(self.last_column, column)
        if cells != len(_ANY_CELL.findall(text)) or rows != len(_ANY_ROW.findall(text)):
            return False
        self.cell_tags += cells
        self.row_tags += rows
        return True


def _place(attributes: bytes) -> tuple[int, int] | None:
    """(row, column), 0-based, of an ``r`` attribute; None without one. A reference calamine
    cannot read fails its read, so any number will do for it."""
    ref = _REF.search(attributes)
    if ref is None:
        return None
    value = ref.group(1) if ref.group(1) is not None else ref.group(2)
    letters, digits = _REF_VALUE.match(value).groups()
    return _digits_number(digits) - 1, _letters_number(letters) - 1


def check_xlsx(data: bytes, name: str) -> int:
    """Refuse an .xlsx whose sheets together span more rows or cells than allowed, before
    python-calamine builds any of them; the rows of all sheets, which the progress bar counts."""
    try:
        return _scan_extent(data, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise _not_xlsx(name) from error


def _scan_extent(data: bytes, name: str) -> int:
    extent = Extent(name)
    tags = _Tags()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        labels = _sheet_labels(archive)
        for info in archive.infolist():
            if info.is_dir():
                continue
            label = labels.get(info.filename, info.filename)
            part = _scan_part(archive, info, label, extent, tags, bulk=True)
            if part is None:  # a cell without its place: again, counting as calamine does
                part = _scan_part(archive, info, label, extent, tags, bulk=False)
            if part is None:
                raise _not_xlsx(name)
            extent.add(label, part.rows, part.columns)
            tags.rows += part.row_tags
            tags.cells += part.cell_tags
    return extent.rows


@dataclass
class _Tags:
    """Row and cell tags of every part so far: each is a row or a cell of a sheet, so more of
    them than the caps allow is no list of projects, however few places they name (and would
    cost the reader the time of that many)."""

    rows: int = 0
    cells: int = 0


def _scan_part(archive, info, label: str, extent: Extent, tags: _Tags, *, bulk: bool):
    part = _SheetPart()
    tail = b""
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            text = tail + chunk
            if chunk:
                # Up to the last "<": no tag is cut in two ("<" never stands inside a tag);
                # after one long text, up to the end of the tag before it.
                cut = text.rfind(b"<")
                if cut <= 0:
                    cut = text.rfind(b">") + 1
                if cut <= 0:
                    if b"<" not in text:
                        tail = b""  # no tag begins here (a picture, a long text)
                    elif len(text) > _LONGEST_TAG:
                        raise _not_xlsx(extent.name)
                    else:
                        tail = text
                    continue
                text, tail = text[:cut], text[cut:]
            if not (part.bulk(text) if bulk else part.tag_by_tag(text)):
                return None
            extent.check(label, part.rows, part.columns)
            if tags.rows + part.row_tags > extent.max_rows:
                extent.too_many_rows(label, part.row_tags, tags.rows + part.row_tags)
            if tags.cells + part.cell_tags > extent.max_cells:
                extent.too_many_cells(label, part.rows, part.columns, tags.cells + part.cell_tags)
            if not chunk:
                return part


def _sheet_labels(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet part's sheet name, for messages ("Sheet2", not "xl/worksheets/sheet2.xml"),
    where the workbook's list of sheets can be read; a part not found keeps its path."""
    import xml.etree.ElementTree as ElementTree

    try:
        if (
            max(
                archive.getinfo(n).file_size
                for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
            )
            > 1 << 20
        ):
            return {}
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, OSError):
        return {}
    targets = {}
    for link in links:
        target = link.get("Target", "")
        targets[link.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    labels = {}
    for sheet in book.iter():
        if sheet.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            if rid in targets:
                labels.setdefault(targets[rid], sheet.get("name", "").strip())
    return labels


# --- .xls: the extent of every sheet, read from the BIFF records as python-calamine reads them --
#
# python-calamine reads an .xls whole when it opens it: every sheet built at once, each from its
# first to its last used row and column, after reserving room for the extent the sheet's
# DIMENSIONS record declares. Its compound-file reader follows sector chains without looking
# for loops. So the container is read here as calamine reads it, refusing chains that loop or
# point outside the file, then the records of every sheet the workbook lists (as often as it
# lists them) are walked for the places of the cells calamine keeps.

_ENDOFCHAIN = 0xFFFF_FFFE
_DIFSECT = 0xFFFF_FFFC
_RESERVED = 0xFFFF_FFFA
#: Records calamine turns into a cell, with (row, column) in their first four bytes.
_CELL_RECORDS = {0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006}
_MULRK, _STRING, _DIMENSIONS, _BOF, _EOF, _CONTINUE = 0x00BD, 0x0207, 0x0200, 0x0809, 0x000A, 0x003C


class _Broken(Exception):
    """The container or its records are not as a real .xls has them."""


def _u16(data: bytes, at: int) -> int:
    if at + 2 > len(data):
        raise _Broken
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    if at + 4 > len(data):
        raise _Broken
    return int.from_bytes(data[at : at + 4], "little")


def _workbook_stream(data: bytes) -> bytes:
    """The Workbook stream of a compound file, read as calamine's ``cfb`` module reads it."""
    if len(data) < 512 or not data.startswith(OLE2):
        raise _Broken
    version = _u16(data, 26)
    shift = _u16(data, 30)
    if shift not in (9, 12) or _u16(data, 32) != 6:
        raise _Broken
    size = 1 << shift
    body = memoryview(data)[size:]  # the header fills the first sector
    maxid = len(data) // size

    def sector(number: int) -> bytes:
        if number > maxid or number * size >= len(body):
            raise _Broken
        return bytes(body[number * size : (number + 1) * size])

    def chain(start: int, table: list[int], length: int, read) -> bytes:
        """A stream's sectors in order, up to ``length`` bytes: calamine follows a chain
        until its end or its length, so a chain that loops is refused (it never ends)."""
        out, seen, number = bytearray(), set(), start
        while number != _ENDOFCHAIN:
            if number in seen:
                raise _Broken
            seen.add(number)
            out += read(number)[: length - len(out)]
            if len(out) >= length:
                break
            if number >= len(table):
                raise _Broken  # calamine would look it up outside its table and panic
            number = table[number]
        return bytes(out)

    header = data[:512]
    difat = [_u32(header, at) for at in range(76, 512, 4)]
    number, seen = _u32(header, 68), set()
    while number < _RESERVED:
        if number in seen:
            raise _Broken
        seen.add(number)
        block = sector(number)
        difat += [_u32(block, at) for at in range(0, len(block) - 3, 4)]
        number = difat.pop()
    fats = []
    for number in difat:
        if number < _DIFSECT:
            block = sector(number)
            fats += [_u32(block, at) for at in range(0, len(block) - 3, 4)]
    directory = chain(_u32(header, 48), fats, 1 << 62, sector)
    if not directory or len(directory) % 128:
        raise _Broken
    entries = []
    for at in range(0, len(directory), 128):
        entry = directory[at : at + 128]
        name = entry[:64].decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        length = _u32(entry, 120) if size == 512 else int.from_bytes(entry[120:128], "little")
        entries.append((name, _u32(entry, 116), length))
    if version != 3 and entries[0][1] == _ENDOFCHAIN:
        raise _Broken
    # calamine reads the mini stream whenever there is a mini FAT, whatever it then reads.
    ministream, minifat = b"", []
    if _u32(header, 64):
        ministream = chain(entries[0][1], fats, entries[0][2], sector)
        table = chain(_u32(header, 60), fats, _u32(header, 64) * size, sector)
        minifat = [_u32(table, at) for at in range(0, len(table) - 3, 4)]
    for wanted in ("Workbook", "Book", "WORKBOOK", "BOOK"):
        found = next((e for e in entries if e[0] == wanted), None)
        if found is not None:
            break
    else:
        raise _Broken
    _name, start, length = found
    if length >= 4096:
        return chain(start, fats, length, sector)

    def mini(number: int) -> bytes:
        if (number + 1) * 64 > len(ministream):
            raise _Broken
        return ministream[number * 64 : (number + 1) * 64]

    return chain(start, minifat, length, mini)


def _records(stream: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    """BIFF records from ``at`` on: (type, data), Continue records folded into the one before."""
    end = len(stream)
    while at < end:
        if end - at < 4:
            raise _Broken
        kind, length = _u16(stream, at), _u16(stream, at + 2)
        if end - at - 4 < length:
            raise _Broken
        data = stream[at + 4 : at + 4 + length]
        at += 4 + length
        while end - at > 4 and _u16(stream, at) == _CONTINUE:
            more = _u16(stream, at + 2)
            if end - at - 4 < more:
                raise _Broken
            at += 4 + more
        yield kind, data


def _scan_xls(data: bytes, name: str) -> int:
    """Refuse an .xls whose sheets together span more rows or cells than allowed, or declare
    more, before python-calamine opens it; the rows of all sheets."""
    try:
        stream = _workbook_stream(data)
        sheets = []
        for kind, record in _records(stream, 0):
            if kind == 0x002F and _u16(record, 0) != 0:
                return 0  # encrypted: calamine says so without reading on
            if kind == 0x0085:  # BoundSheet8: where a sheet's records begin, and its name
                sheets.append((_u32(record, 0), _xls_sheet_name(record)))
            elif kind == _EOF:
                break
        extent = Extent(name)
        cell_records = 0
        for position, sheet in sheets:
            if position > len(stream):
                raise _Broken
            rows, columns, count = _xls_sheet(stream, position, sheet, extent)
            cell_records += count
            if cell_records > extent.max_cells:
                extent.too_many_cells(sheet, rows, columns, cell_records)
            extent.add(sheet, rows, columns)
        return extent.rows
    except _Broken as error:
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
            places = ((_u16(record, 0), _u16(record, 2)),)
            count += 1
            if kind == 0x0006:
                formula = places[0]
        elif kind == _STRING:
            places = (formula,)
            count += 1
        elif kind == _MULRK:
            row, first, cells = _u16(record, 0), _u16(record, 2), max((len(record) - 6) // 6, 1)
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
        first_row, last_row = _u16(record, 0), _u16(record, 2)
        first_column, last_column = _u16(record, 4), _u16(record, 6)
    elif len(record) == 14:
        first_row, last_row = _u32(record, 0), _u32(record, 4)
        first_column, last_column = _u16(record, 8), _u16(record, 10)
    else:
        raise _Broken
    if first_column > 0xFF or last_column < first_column:
        first_column = 0
    if last_row >= 1 and last_column >= 1:
        end_row, end_column = last_row - 1, last_column - 1
    else:
        end_row, end_column = first_row, first_column
    return (end_row - first_row + 1) & _U32, (end_column - first_column + 1) & _U32


def check_csv(text: str, name: str) -> None:
    """At most a row a line and a cell a comma: refused before the rows are split."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    extent = Extent(name)
    sheet = Path(name).stem.strip()
    if lines > extent.max_rows:
        extent.too_many_rows(sheet, lines, lines)
    cells = text.count(",") + lines
    if cells > extent.max_cells:
        extent.too_many_cells(sheet, lines, -(-cells // max(lines, 1)), cells)


def check_xls(data: bytes, name: str) -> int:
    """An .xls is a compound file, and not a zip as well (python-calamine would read it as an
    .xlsx after all if it failed as an .xls); its sheets' extent is checked."""
    if not data.startswith(OLE2) or zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_xls(name)
    return _scan_xls(data, name)
