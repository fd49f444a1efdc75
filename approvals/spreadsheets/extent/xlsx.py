"""An .xlsx: a real zip that expands within the limit, and the extent of every worksheet, read
from its XML as python-calamine will read it.

python-calamine builds a sheet whole: a vector of every cell from the first to the last used
row and column (about 60 bytes a cell at its peak), whatever the file declares in
<dimension>. A cell's place is its ``r`` attribute, or — without one — the next column of
the current row, rows counting on from the last ``r`` of a <row> (calamine's
``XlsxCellReader``). So a few kilobytes of identical rows without references, each jumping
to a far column, span tens of millions of cells. Each part of the archive is scanned as it is
decompressed, in chunks: where every cell names its place (what Excel, WPS and openpyxl
write) its references are read in bulk by regular expressions; otherwise the places are
counted tag by tag as calamine counts them. Cells of every part count, whether or not a sheet
names it (the workbook's own list of sheets can point anywhere).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from approvals.spreadsheets.extent.compound import OLE2
from approvals.spreadsheets.extent.limits import Extent, SpreadsheetRefused


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


def _not_xlsx(name: str) -> SpreadsheetRefused:
    return SpreadsheetRefused(_("“%(name)s” is not a real .xlsx workbook.") % {"name": name})


_PREFIX = rb"(?:[A-Za-z_][\w.\-]*:)?"
#: A start or end tag of a row or a cell, attributes read as XML reads them (">" may stand in
#: a quoted value, "<" may not).
_TAG = re.compile(
    rb"<(/?)" + _PREFIX + rb"(row|c)((?:\s+[^\s=<>/\"']+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>"
)
_ANY_CELL = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_ANY_ROW = re.compile(rb"<" + _PREFIX + rb"row[\s/>]")
#: A cell whose first attribute is its reference (as Excel, WPS and openpyxl write them).
#: Its letters and digits, one pass for both (three passes took 0.28 s of the 0.39 s a
#: 10,000-row list's scan took, measured with ``benchmarks/import_bench.py``).
_CELL_PLACE = re.compile(rb"<" + _PREFIX + rb"c\s+r\s*=\s*[\"']([A-Za-z]*)([0-9]*)")
#: The same three without a namespace prefix: where no ":c" or ":row" stands in a chunk, no tag
#: of it has one, and these find exactly what those do, faster (a regular expression trying a
#: prefix at every "<" of a 10 MB sheet: 0.19 of 0.21 s of its scan, in every fresh process
#: importing a 10,000-row list, ``benchmarks/import_bench.py``); letters and digits apart, each
#: a set of short values.
_PLAIN_CELL = re.compile(rb"<c[\s/>]")
_PLAIN_ROW = re.compile(rb"<row[\s/>]")
_PLAIN_LETTERS = re.compile(rb"<c\s+r\s*=\s*[\"']([A-Za-z]*)")
_PLAIN_DIGITS = re.compile(rb"<c\s+r\s*=\s*[\"'][A-Za-z]*([0-9]*)")
#: A cell as Excel, WPS and openpyxl spell it: ``<c r="`` with one space. Where every "<c" of a
#: chunk begins that (two byte counts say so), these find what the two above find, and the
#: cells need no expression of their own: the whole check of a 10,000-row list 84 against 93 ms
#: (61 against 73 ms for the file as Excel writes it; ``benchmarks/README.md`` section 3c).
_SPELT = b'<c r="'
_SPELT_LETTERS = re.compile(rb'<c r="([A-Za-z]*)')
_SPELT_DIGITS = re.compile(rb'<c r="[A-Za-z]*([0-9]*)')
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


def _highest_row(digits: set[bytes]) -> int:
    """The furthest row (0-based) among references' digits, as calamine counts them: by
    ``int`` where none has more than nine digits (no u32 wraps below 10⁹), each one counted
    digit by digit otherwise (the 10,000 rows of a list: 1 against 11 ms)."""
    if max(map(len, digits)) <= 9:
        return max(map(int, digits)) - 1
    return max(_digits_number(x) - 1 for x in digits)


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
        if b":c" in text or b":row" in text:  # tags may have a prefix
            places = _CELL_PLACE.findall(text)
            cells = len(places)
            if len(_ANY_CELL.findall(text)) != cells:
                return False
            self.row_tags += len(_ANY_ROW.findall(text))
            letters = {letters for letters, _digits in places if letters}
            digits = {digits for _letters, digits in places if digits}
        elif (spelt := text.count(_SPELT)) == text.count(b"<c"):
            # every tag beginning "<c" is a cell spelt so (none is <col>, <cfRule> …): each is
            # one of _PLAIN_CELL's, and each of those is one of these
            cells = spelt
            self.row_tags += len(_PLAIN_ROW.findall(text))
            letters = set(_SPELT_LETTERS.findall(text))
            letters.discard(b"")
            digits = set(_SPELT_DIGITS.findall(text))
            digits.discard(b"")
        else:
            found_letters = _PLAIN_LETTERS.findall(text)
            cells = len(found_letters)
            if len(_PLAIN_CELL.findall(text)) != cells:
                return False
            self.row_tags += len(_PLAIN_ROW.findall(text))
            letters = set(found_letters)
            letters.discard(b"")
            digits = set(_PLAIN_DIGITS.findall(text))
            digits.discard(b"")
        self.cell_tags += cells
        if letters:
            self.last_column = max(self.last_column, *(_letters_number(x) - 1 for x in letters))
        if digits:
            self.last_row = max(self.last_row, _highest_row(digits))
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


#: The files scanned lately that passed, by their digest and the caps they passed: an import
#: scans its file when it is received (``count_rows``) and again when it is read, a moment
#: later in the same process (the second scan was 0.28 s of a 10,000-row import's CPU).
_PASSED: dict[tuple[bytes, int, int], int] = {}
_PASSED_KEPT = 8


def check_xlsx(data: bytes, name: str) -> int:
    """Refuse an .xlsx whose sheets together span more rows or cells than allowed, before
    python-calamine builds any of them; the rows of all sheets, which the progress bar counts.
    The same bytes under the same caps are scanned once (a refusal is not kept)."""
    key = (hashlib.sha256(data).digest(), settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_CELLS)
    if key in _PASSED:
        return _PASSED[key]
    try:
        rows = _scan_extent(data, name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise _not_xlsx(name) from error
    if len(_PASSED) >= _PASSED_KEPT:
        _PASSED.clear()
    _PASSED[key] = rows
    return rows


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
