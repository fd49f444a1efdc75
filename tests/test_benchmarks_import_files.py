"""benchmarks/import_bench.py writes its list two ways (``--written-by``): openpyxl's write-only
workbook and as Excel and WPS write (XlsxWriter, shared strings). A side-by-side comparison of
the two is fair only if they hold the same list: read by the import's own reader, every row of
both files is the same, and the bytes do differ as said (inline strings against shared ones)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from approvals.spreadsheets.reading import read_sheets
from benchmarks.import_bench import WRITERS, list_rows, write_list


def as_read(path) -> list[list]:
    """The rows our reader gives, a date as a date, a whole number as an int, empty cells
    at a row's end left out (XlsxWriter writes no empty cell)."""
    ((_sheet, rows),) = list(read_sheets(path.read_bytes(), path.name))
    read = []
    for cells in rows:
        cells = [
            c.date()
            if isinstance(c, dt.datetime)
            else int(c)
            if type(c) is float and c == int(c)
            else c
            for c in cells
        ]
        while cells and cells[-1] in ("", None):
            cells.pop()
        read.append(cells)
    return read


def test_both_files_hold_the_same_list(tmp_path):
    files = {}
    for written_by in WRITERS:
        files[written_by] = tmp_path / f"list-{written_by}.xlsx"
        write_list(files[written_by], 40, written_by)
    read = {w: as_read(path) for w, path in files.items()}
    assert read["openpyxl"] == read["excel"]
    expected = [
        [c.date() if isinstance(c, dt.datetime) else c for c in line] for line in list_rows(40)
    ]
    assert len(read["excel"]) == len(expected) == 42
    assert read["excel"][2][:3] == expected[2][:3]  # the first project's number, code and name
    assert {type(line[10]) for line in read["excel"][2:]} == {dt.date, str}

    def parts(path):
        with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    openpyxl_parts, excel_parts = parts(files["openpyxl"]), parts(files["excel"])
    assert "xl/sharedStrings.xml" in excel_parts and "xl/sharedStrings.xml" not in openpyxl_parts
    assert b't="inlineStr"' in openpyxl_parts["xl/worksheets/sheet1.xml"]
    assert "基准项目000000号".encode() in excel_parts["xl/sharedStrings.xml"]


@pytest.mark.parametrize("written_by", ["csv", "xls"])
def test_no_other_writer(tmp_path, written_by):
    with pytest.raises(ValueError):
        write_list(tmp_path / "list.xlsx", 3, written_by)
