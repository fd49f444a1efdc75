"""Spreadsheets built to exhaust the desk (issue 17, finding 14), and NUL characters in cells
(finding 17). A few kilobytes of workbook can ask a reader for gigabytes: python-calamine builds
a sheet whole, every cell from the first used row and column to the last, and opens an .xls
whole. A file is refused — naming it, the sheet, what it spans and the cap — before that memory
is spent, all its sheets together and in every format.

The attack's own files are read in a child process, as an import reads them, whose peak memory
(``os.wait4``: that child's own ``ru_maxrss``) and time are measured; the child may take at
most 2 GB, so a reader that tries to take more fails the test instead of the machine. Other
files are checked in this process with the workbook reader replaced by one that fails the test
if it is ever started: the refusal comes first. Every file is built here, from a few bytes."""

from __future__ import annotations

import io
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from approvals.models import Project, SpreadsheetImport
from approvals.spreadsheets import extent, imports, project_rows, reading
from approvals.spreadsheets.reading import SpreadsheetRefused
from tests import child_reader
from tests.spreadsheet_files import (
    HEADER_ROW,
    csv_bytes,
    handmade_xlsx,
    long_rows_bomb,
    wide_sheets_bomb,
    with_member,
    xls,
    xls_bomb,
    xls_declaring,
    xls_with_looping_directory,
    xlsx,
)

CAP = "上限 3,000,000 个"  # the default IMPORT_MAX_CELLS, as the refusal says it
LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")
BATCH = {"year": 2025, "round": 1, "event_date": "2025-03-20"}

# --- read in a child process, measured ---------------------------------------------------------

#: A reader that tries to take more address space fails instead of swapping.
CHILD_LIMIT = 2 * 1024**3


def read_in_child(data: bytes, name: str) -> child_reader.Read:
    """``data`` read as ``name`` in a child, as an import reads it (``tests/child_reader.py``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        started = time.monotonic()
        read = child_reader.read_in_child(path, name, settings="tests.settings", limit=CHILD_LIMIT)
    assert time.monotonic() - started < 120
    assert read.exit == 0, (read.exit, read.stderr[-600:])
    return read


@pytest.mark.slow
class TestTheAttacksFiles:
    """Each asked 1.1 to 3.1 GB of the reader (or all there was) before it was refused."""

    @pytest.mark.parametrize(
        "name, build, largest_kb, says",
        [
            ("清单.xlsx", wide_sheets_bomb, 3, "“Sheet1”（3,300 行 × 15,000 列）"),
            ("清单.xlsx", long_rows_bomb, 8, "“Sheet1”"),
            ("进度表.xls", xls_bomb, 6, "“Sheet1”（65,536 行 × 256 列）"),
        ],
        ids=["three-sheets-of-3300x15000", "56000-rows-without-references", "xls-65536x256"],
    )
    def test_refused_within_bounded_memory_and_time(self, name, build, largest_kb, says):
        data = build()
        assert len(data) < largest_kb * 1024
        measured = read_in_child(data, name)
        assert measured.answer.startswith("refused:"), measured.answer
        assert name in measured.answer and says in measured.answer and CAP in measured.answer
        assert measured.peak_mb - measured.before_mb < 64, measured
        assert measured.read_s < 5, measured

    @pytest.mark.parametrize(
        "build, says",
        [
            (xls_with_looping_directory, "不是真正的 .xls 工作簿"),
            (lambda: xls_declaring(0xFFFF_FFFF), "4,294,967,295 行"),
        ],
        ids=["directory-chain-that-loops", "dimensions-of-4-billion-rows"],
    )
    def test_an_xls_that_would_take_every_byte_is_refused(self, build, says):
        """python-calamine follows a looping chain until memory runs out, and reserves room for
        the rows a sheet declares: either aborts the process (a web worker, killed)."""
        data = build()
        assert len(data) < 6 * 1024
        measured = read_in_child(data, "进度表.xls")
        assert measured.answer.startswith("refused:") and says in measured.answer, measured
        assert measured.peak_mb - measured.before_mb < 64, measured
        assert measured.read_s < 5, measured

    def test_an_ordinary_list_is_read(self):
        rows = [["序号", "项目名称", "所在开发区"]] + [
            [n, f"项目{n:05d}", "晋中开发区"] for n in range(1, 3001)
        ]
        measured = read_in_child(xlsx({"清单": rows}), "清单.xlsx")
        assert measured.answer == "read 3000 rows", measured


# --- in this process: refused before the reader starts ----------------------------------------


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(SpreadsheetRefused) as refused:
        for _sheet, rows in reading.read_sheets(data, name):
            for _row in rows:
                pass
    message = str(refused.value)
    assert name in message, message
    return message


def read_all(data: bytes, name: str) -> dict[str, list[list]]:
    return {sheet: list(rows) for sheet, rows in reading.read_sheets(data, name)}


def only_sheet(sheets: dict[str, list[list]]) -> list[list]:
    (rows,) = sheets.values()
    return rows


class TestCapsHoldAcrossSheets:
    def test_three_xlsx_sheets_each_under_the_cap_are_refused_at_the_third(self, never_read):
        data = wide_sheets_bomb(sheets=3, rows=1_000, columns=1_200)  # 1.2 million cells each
        message = refusal(data, "清单.xlsx")
        assert "“Sheet3”（1,000 行 × 1,200 列）" in message and "3,600,000" in message, message
        assert CAP in message

    def test_three_xls_sheets_each_under_the_cap_are_refused_at_the_third(self, never_read):
        data = xls_bomb(sheets=3, rows=65_536, columns=20)  # 1.3 million cells each
        message = refusal(data, "进度表.xls")
        assert "“Sheet3”（65,536 行 × 20 列）" in message and "3,932,160" in message, message

    @pytest.mark.parametrize(
        "name, build",
        [("清单.xlsx", xlsx), ("进度表.xls", xls)],
        ids=["xlsx", "xls"],
    )
    def test_rows_count_across_sheets(self, settings, never_read, name, build):
        settings.IMPORT_MAX_ROWS = 100
        sheet = [["项目名称", "所在开发区"]] + [[f"项目{n}", "晋中开发区"] for n in range(39)]
        message = refusal(build({"一": sheet, "二": sheet, "三": sheet}), name)
        assert "“三”（40 行）" in message and "已有 120 行" in message, message
        assert "上限 100 行" in message

    @pytest.mark.parametrize(
        "name, build",
        [
            ("清单.xlsx", xlsx),
            ("清单.xls", xls),
            ("清单.csv", lambda sheets: csv_bytes(next(iter(sheets.values())))),
        ],
        ids=["xlsx", "xls", "csv"],
    )
    def test_a_file_at_the_cap_is_read_and_one_cell_more_is_refused(self, settings, name, build):
        settings.IMPORT_MAX_CELLS = 20
        rows = [["项目名称", "所在开发区", "a", "b", "c"]] + [
            [f"项目{n}", "晋中", 1, 2, 3] for n in range(3)
        ]
        assert sum(len(r) for r in only_sheet(read_all(build({"S": rows}), name))) == 20
        wider = [r + ["x"] for r in rows]
        assert "上限 20 个" in refusal(build({"S": wider}), name)


class TestOrdinaryFilesStillRead:
    def test_a_workbook_with_a_large_picture(self):
        """Parts that hold no tag (a picture) are passed over, however long."""
        rows = [["项目名称", "所在开发区"], ["甲项目", "晋中开发区"]]
        data = with_member(xlsx({"S": rows}), "xl/media/image1.bmp", b"\xff" * (9 << 20))
        assert read_all(data, "清单.xlsx") == {"S": rows}

    def test_a_sheet_written_without_references(self):
        """Some writers leave out every ``r``: cells are then counted as calamine counts them."""
        row = '<row><c t="inlineStr"><is><t>甲项目</t></is></c><c t="inlineStr"><is><t>晋中开发区</t></is></c></row>'
        data = handmade_xlsx({"S": HEADER_ROW + row.encode() * 3})
        assert reading.count_rows(data, "清单.xlsx") == 4
        assert read_all(data, "清单.xlsx")["S"][1:] == [["甲项目", "晋中开发区"]] * 3


class TestWhatTheOldCheckDidNotSee:
    """Places python-calamine reads that a look at ``<c r="...`` alone misses: each sheet here
    spans the whole grid of a worksheet (17 billion cells) to calamine, checked with a small one."""

    @pytest.mark.parametrize(
        "cells",
        [
            b'<row r="2"><c t="n" r="XFD1048576"><v>1</v></c></row>',
            b'<row r="2"><c r="xfd1048576"><v>1</v></c></row>',
            b'<row r="2" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<x:c r="XFD1048576"><x:v>1</x:v></x:c></row>',
            b'<row r="2"><c s=">" r="XFD1048576"><v>1</v></c></row>',
            b"<row/>" * 300_000 + b"<row><c><v>1</v></c></row>",
        ],
        ids=["reference-not-first", "lower-case", "prefixed", "quoted-gt", "rows-without-r"],
    )
    def test_refused(self, never_read, cells):
        data = handmade_xlsx({"S": HEADER_ROW + cells}, dimension="A1:B2")
        assert len(data) < 5 * 1024
        message = refusal(data, "清单.xlsx")
        assert "“S”" in message and ("上限 200,000 行" in message or CAP in message), message

    def test_the_places_are_calamines(self):
        """The same shapes, small, as python-calamine builds them: the check counts alike."""
        for cells in (
            b'<row r="2"><c t="n" r="Z100"><v>1</v></c></row>',
            b'<row r="2"><c r="z100"><v>1</v></c></row>',
            b'<row r="2"><c s=">" r="Z100"><v>1</v></c></row>',
            b"<row/>" * 98 + b'<row><c r="Y1"/><c><v>1</v></c></row>',
        ):
            data = handmade_xlsx({"S": HEADER_ROW + cells})
            book = reading.python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = book.get_sheet_by_index(0)
            assert (sheet.height, sheet.width) == (100, 26)
            assert extent.check_xlsx(data, "清单.xlsx") == 100

    @pytest.mark.parametrize(
        "chunk",
        [
            b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="AB7"/></row>',
            b'<row r="2"><c r="xfd9"><v>1</v></c><c\tr = \'C12\'><v>2</v></c></row>',
            b'<row r="3"><c t="n" r="D3"><v>1</v></c></row>',  # not first: not in bulk
            b'<row><c><v>1</v></c><c r=""><v>2</v></c><c r="7"/><c r="Q"/></row>',
            b"<row/><row/>" * 5 + b'<row r="9"><c r="B9"><v>x&lt;c r="ZZ1"</v></c></row>',
            b'<row r="4"><c r="A4"><is><t>a:b</t></is></c><cols/><col/></row>',
            # every "<c" spelt as Excel spells a cell: read by two byte counts and two patterns
            b'<row r="5"><c r="A5"><v>1</v></c><c r="xfd5"/></row><row r="12"><c r="B12"/></row>',
            b'<row r="6"><c r="A6"/><c r="B"/><c r=""><v>1</v></c><c r="7"/><c r="Q"/></row>',
            b'<row r="7"><c r="C7"><v>1</v></c></row>' * 3 + b'<row r="8"><c><v>2</v></c></row>',
            b'<row r="9"><c r="C9"><v>1</v></c><c  r="ZZ9"/><c r=\'D9\'/></row>',
            b'<row r="10"><c r="C10"><v>1</v></c><cfRule/><c r="A70"/></row>',
            b"<row/>" * 3 + b'<row r="2"><c r="C2"/></row>',
        ],
    )
    def test_the_plain_tags_are_read_as_the_prefixed_patterns_read_them(self, chunk):
        """A chunk without ":c" or ":row" is read by the patterns without a prefix (and, where
        every "<c" begins ``<c r="``, by byte counts); they find what the general ones do
        (forced here by a comment holding ":c", which adds no tag)."""
        from approvals.spreadsheets.extent.xlsx import _SheetPart

        plain, general = _SheetPart(), _SheetPart()
        read = (plain.bulk(chunk), general.bulk(chunk + b"<!-- :c -->"))
        assert read[0] == read[1]
        assert vars(plain) == vars(general)

    @pytest.mark.parametrize(
        "digits",
        [
            {b"1", b"10002", b"999"},
            {b"0000123", b"99"},
            {b"999999999", b"7"},
            {b"4294967297", b"5"},  # 2³² + 1: calamine's u32 wraps it to row 1
            {b"12345678901", b"0042"},
        ],
    )
    def test_the_furthest_row_is_counted_as_digit_by_digit(self, digits):
        from approvals.spreadsheets.extent.xlsx import _digits_number, _highest_row

        assert _highest_row(digits) == max(_digits_number(x) - 1 for x in digits)

    def test_a_part_read_twice_counts_twice(self, settings):
        """Two sheets of a workbook may name one part of the file: it is built twice."""
        out = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(handmade_xlsx({"A": HEADER_ROW, "B": HEADER_ROW}))) as book,
            zipfile.ZipFile(out, "w") as target,
        ):
            for info in book.infolist():
                if info.filename == "xl/worksheets/sheet2.xml":
                    continue  # sheet B's relationship now names sheet A's part
                content = book.read(info.filename).replace(b"sheet2.xml", b"sheet1.xml")
                target.writestr(info.filename, content)
        settings.IMPORT_MAX_CELLS = 3
        assert reading.count_rows(out.getvalue(), "清单.xlsx") == 1  # the part: 2 cells
        message = refusal(out.getvalue(), "清单.xlsx")
        assert "“B”（1 行 × 2 列）" in message and "4 个单元格" in message, message

    def test_a_lying_dimension_does_not_pad_the_streamed_rows(self, monkeypatch):
        """Large files are streamed by openpyxl, which pads every row to the width the sheet
        declares and adds rows down to its height, unless told not to trust it."""
        monkeypatch.setattr(reading, "STREAM_ABOVE_BYTES", 0)
        data = handmade_xlsx({"S": HEADER_ROW}, dimension="A1:Z100")
        assert read_all(data, "清单.xlsx") == {"S": [["项目名称", "所在开发区"]]}

    def test_rows_are_counted_again_as_they_come(self, settings, monkeypatch):
        """Should the check before reading be misled, the rows themselves are counted."""
        monkeypatch.setattr(reading, "check_xlsx", lambda data, name: 0)
        settings.IMPORT_MAX_ROWS = 10
        sheet = [["项目名称", "所在开发区"]] + [[f"项目{n}", "晋中开发区"] for n in range(10)]
        assert "上限 10 行" in refusal(xlsx({"S": sheet}), "清单.xlsx")


# --- an .xls whose Workbook stream is under 4 kB: in the mini stream ---------------------------

_FREE, _END, _FAT = 0xFFFF_FFFF, 0xFFFF_FFFE, 0xFFFF_FFFD


def in_mini_stream(saved: bytes) -> bytes:
    """The .xls xlwt saved, its Workbook stream moved into the compound file's mini stream, as a
    writer that does not pad the stream to 4 kB saves a small list (xlwt pads it): 64-byte mini
    sectors chained by the mini FAT, inside the root entry's stream. Sectors: the FAT, the
    directory, the mini FAT, then the mini stream."""
    stream, at = bytearray(), 512  # xlwt writes the stream right after the header, then zeros
    while saved[at : at + 4] != bytes(4):
        end = at + 4 + struct.unpack_from("<H", saved, at + 2)[0]
        stream += saved[at:end]
        at = end
    assert len(stream) < 4096, f"{len(stream)} bytes do not go into the mini stream"
    small = -(-len(stream) // 64)
    ministream = bytes(stream).ljust(small * 64, b"\0")
    big = -(-len(ministream) // 512)
    fat = [_FAT, _END, _END] + list(range(4, 3 + big)) + [_END]
    minifat = list(range(1, small)) + [_END]

    def table(numbers: list[int]) -> bytes:
        return struct.pack("<128I", *numbers, *[_FREE] * (128 - len(numbers)))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        named = (name + "\0").encode("utf-16-le") if name else b""
        return named.ljust(64, b"\0") + struct.pack(
            "<HBB3I36xIQ", len(named), kind, 1, _FREE, _FREE, child, start, size
        )

    directory = (
        entry("Root Entry", 5, 1, 3, len(ministream))
        + entry("Workbook", 2, _FREE, 0, len(stream))
        + entry("", 0, _FREE, 0, 0) * 2
    )
    header = (
        saved[:8]
        + bytes(16)
        + struct.pack("<5H6x", 0x3E, 3, 0xFFFE, 9, 6)  # version 3, 512-byte sectors, 64 mini
        + struct.pack("<9I", 0, 1, 1, 0, 4096, 2, 1, _END, 0)  # 1 FAT, directory at 1, mini FAT 2
        + struct.pack("<109I", 0, *[_FREE] * 108)  # the FAT is sector 0
    )
    return header + table(fat) + directory + table(minifat) + ministream.ljust(big * 512, b"\0")


class TestAnXlsInTheMiniStream:
    """Under 4 kB, a compound file keeps a stream in its mini stream: the Workbook stream of a
    small .xls is read from there, as python-calamine reads it, and checked like any other."""

    ROWS = [
        ["项目名称", "所在开发区", "总投资（万元）"],
        ["甲项目", "晋中开发区", 2000],
        ["乙项目", "榆次开发区", 350.5],
    ]

    def test_read_as_calamine_reads_it(self):
        data = in_mini_stream(xls({"S": self.ROWS}))
        book = reading.python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        assert (sheet.height, sheet.width) == (3, 3)
        assert extent.check_xls(data, "进度表.xls") == 3
        assert read_all(data, "进度表.xls") == {"S": self.ROWS}

    def test_its_cells_count_to_the_cap(self, settings):
        data = in_mini_stream(xls({"S": self.ROWS}))
        settings.IMPORT_MAX_CELLS = 9
        assert sum(len(r) for r in only_sheet(read_all(data, "进度表.xls"))) == 9
        settings.IMPORT_MAX_CELLS = 8
        message = refusal(data, "进度表.xls")
        assert "“S”（3 行 × 3 列）" in message and "上限 8 个" in message, message

    @pytest.mark.parametrize(
        "build, says",
        [
            (lambda: xls_bomb(sheets=1), "“Sheet1”（65,536 行 × 256 列）"),
            (lambda: xls_declaring(0xFFFF_FFFF), "4,294,967,295 行"),
        ],
        ids=["xls-65536x256", "dimensions-of-4-billion-rows"],
    )
    def test_an_absurd_one_is_refused(self, never_read, build, says):
        data = in_mini_stream(build())
        assert len(data) < 4 * 1024
        message = refusal(data, "进度表.xls")
        assert says in message and "已拒绝" in message and "不是真正的" not in message, message


class TestOnlyWhatItSaysItIs:
    """python-calamine opens a file as the first format that fits (.xls, .xlsx, .xlsb, .ods):
    only an .xlsx and an .xls are checked, so nothing else may pass for them."""

    def test_an_xlsb_named_xlsx(self, never_read):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
            archive.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
        assert "不是真正的 .xlsx 工作簿" in refusal(out.getvalue(), "清单.xlsx")

    def test_an_xls_that_is_a_zip_as_well(self, never_read):
        data = xls({"S": [["项目名称", "所在开发区"]]}) + xlsx({"S": [["项目名称"]]})
        assert "不是真正的 .xls 工作簿" in refusal(data, "进度表.xls")

    def test_an_xlsx_that_is_an_xls_as_well(self, never_read):
        data = xls({"S": [["项目名称"]]}) + xlsx({"S": [["项目名称"]]})
        assert "不是真正的 .xlsx 工作簿" in refusal(data, "清单.xlsx")


# --- NUL characters --------------------------------------------------------------------------


class TestNulCharacters:
    def test_taken_out_of_cells_and_sheet_names_in_every_format(self):
        rows = [["项目名称", "所在开发区"], ["甲\x00项目", "晋中开发区\x00"]]
        clean = [["项目名称", "所在开发区"], ["甲项目", "晋中开发区"]]
        assert read_all(csv_bytes(rows), "清\x00单.csv") == {"清单": clean}
        assert read_all(xls({"S": rows}), "进度表.xls") == {"S": clean}
        # An .xlsx cannot hold NUL as such, but Excel's escape for it is read as one.
        cells = '<row r="2"><c r="A2" t="inlineStr"><is><t>甲_x0000_项目</t></is></c></row>'
        data = handmade_xlsx({"S": HEADER_ROW + cells.encode()})
        assert read_all(data, "清单.xlsx") == {"S": [["项目名称", "所在开发区"], ["甲项目", ""]]}

    @pytest.mark.django_db
    def test_a_list_with_nul_characters_imports_on_postgresql(
        self, postgres, settings, tmp_path, as_user, stan, zone
    ):
        """PostgreSQL stores no NUL character, in text or in JSON: a cell with one was a 500."""
        settings.MEDIA_ROOT = tmp_path / "media"
        rows = [
            ["序号", "项目名称", "所在开发区", "类别", "总投资（万元）"],
            [1, "晋中\x00新材料产业园项目", "晋中开发区", "签约", "2\x00亿元"],
        ]
        file = io.BytesIO(csv_bytes(rows))
        file.name = "一季度清单.csv"
        client = as_user(stan)
        response = client.post(LIST_UPLOAD, {"file": file, **BATCH})
        assert response.status_code == 302, response.content.decode()[:500]
        assert client.get(response["Location"]).status_code == 200
        assert client.post(response["Location"]).status_code == 302
        project = Project.objects.get()
        assert project.name == "晋中新材料产业园项目"


# --- the attack re-tried through the import page ---------------------------------------------


@pytest.mark.django_db
class TestThroughTheImportPage:
    @pytest.fixture(autouse=True)
    def media(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path / "media"

    def test_three_bombs_uploaded_one_after_another_are_each_refused(self, as_user, stan, zone):
        client = as_user(stan)
        started = time.perf_counter()
        for name, data in (
            ("清单.xlsx", wide_sheets_bomb()),
            ("清单二.xlsx", long_rows_bomb()),
            ("进度表.xls", xls_bomb()),
        ):
            file = io.BytesIO(data)
            file.name = name
            response = client.post(LIST_UPLOAD, {"file": file, **BATCH})
            assert response.status_code == 200
            errors = response.context["form"].errors["file"]
            assert len(errors) == 1 and name in errors[0] and CAP in errors[0], errors
        assert time.perf_counter() - started < 10
        assert not SpreadsheetImport.objects.exists()

    def test_receive_counts_a_bomb_as_refused_before_recording(self, stan, zone):
        with pytest.raises(SpreadsheetRefused, match="上限"):
            imports.receive("project_list", long_rows_bomb(), "清单.xlsx", by=stan, source="t")
        assert not SpreadsheetImport.objects.exists()


def test_the_list_headers_are_what_the_children_read():
    """The child reads with the list's own header rule: the bombs' first row satisfies it."""
    columns, _ = reading.find_columns(["项目名称", "所在开发区"], project_rows.HEADERS)
    assert reading.naming(*project_rows.REQUIRED)(columns, [])
