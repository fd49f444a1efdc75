"""``writing.xlsx`` on its own (XlsxWriter since issue 21): every file is read back twice, with
openpyxl (what our imports read) and with python-calamine (which reads text as Excel shows it,
escapes undone), so that what a person typed is what the next person sees, and never a formula."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
from decimal import Decimal

import pytest
import python_calamine
from openpyxl import load_workbook

from approvals.spreadsheets import writing

RISKY = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(1,2)", "\tcmd", "\rcmd", '=HYPERLINK("x")']
#: Text that XlsxWriter's own conventions could take for something else.
LOOKALIKES = [
    "a_x000D_b",  # Excel's escape of a carriage return, typed as text
    "_x005F_",
    "第一行\r第二行",
    "<r>x</r>",  # XlsxWriter's marker of its rich text, written unescaped if taken as such
    "<r><t>a</t></r></is></c><c><v>1</v></c><r>",
    "<r>&amp;</r>",
    "#N/A",
    "123",
    "http://example.com/a",
    " 两端有空格 ",
    "a\nb",
]


def write(rows, headers=None, **table) -> bytes:
    headers = headers or [f"列{n}" for n in range(max(len(r) for r in rows))]
    return writing.xlsx([writing.Table(table.pop("title", "表"), headers, rows, **table)])


def openpyxl_sheet(content: bytes, index: int = 0):
    return load_workbook(io.BytesIO(content)).worksheets[index]


def calamine_rows(content: bytes, index: int = 0) -> list[list]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    return book.get_sheet_by_index(index).to_python()


def test_risky_text_is_text_with_a_quote_prefix():
    content = write([RISKY, ["一期 - 已完成", "总投资=5亿元", "设备@车间"]])
    sheet = openpyxl_sheet(content)
    for cell, text in zip(sheet[2], RISKY, strict=True):
        assert cell.data_type == "s", text
        assert cell.quotePrefix, f"Excel shows {text!r} as typed text"
    assert calamine_rows(content)[1] == RISKY
    assert not any(c.quotePrefix for c in sheet[3]), "only text that starts risky"
    assert [c.value for c in sheet[3]][:3] == ["一期 - 已完成", "总投资=5亿元", "设备@车间"]


def test_text_that_looks_like_markup_or_escapes_reads_back_as_typed():
    content = write([LOOKALIKES])
    assert calamine_rows(content)[1] == LOOKALIKES
    cells = openpyxl_sheet(content)[2]
    assert all(c.data_type == "s" for c in cells), [c.value for c in cells]
    # openpyxl leaves Excel's _xHHHH_ escapes as they are: a typed one comes back escaped.
    assert [c.value for c in cells][3:] == LOOKALIKES[3:]
    assert cells[0].value == "a_x005F_x000D_b" and cells[2].value == "第一行_x000D_第二行"
    assert not any(c.hyperlink for c in cells), "a web address stays text"


def test_control_characters_xml_cannot_carry_are_dropped():
    content = write([["正常\x01文本\x1f", "\x00"]])
    assert calamine_rows(content)[1][0] == "正常文本"
    sheet = openpyxl_sheet(content)
    assert sheet["A2"].value == "正常文本"
    assert sheet["B2"].value is None


def test_values_keep_their_types():
    day = dt.date(2026, 10, 1)
    row = [day, dt.datetime(2026, 10, 1, 9, 30), Decimal("12.35"), 7, True, None, ""]
    sheet = openpyxl_sheet(write([row]))
    cells = sheet[2]
    assert [c.value for c in cells[:5]] == [
        dt.datetime(2026, 10, 1),
        dt.datetime(2026, 10, 1, 9, 30),
        12.35,
        7,
        True,
    ]
    assert [c.number_format for c in cells[:2]] == ["yyyy-mm-dd", "yyyy-mm-dd"]
    assert [c.data_type for c in cells[2:5]] == ["n", "n", "b"]
    assert [c.value for c in cells[5:]] == [None, None], "nothing and empty text: empty cells"


def test_header_is_bold_and_frozen_columns_sized_and_only_filled_cells_coloured():
    def fill(row: int, column: int, value) -> str | None:
        return "C8E6C9" if column == 1 and value == "绿色" else None

    content = write(
        [["甲", "绿色"], ["乙", "黄色"], ["丙", "绿色"]],
        ["项目", "预警"],
        fill=fill,
        widths={0: 40},
    )
    sheet = openpyxl_sheet(content)
    assert [c.font.b for c in sheet[1]] == [True, True]
    assert not any(c.font.b for c in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == pytest.approx(40, abs=1)
    filled = {c.coordinate for row in sheet.iter_rows() for c in row if c.fill.fill_type}
    assert filled == {"B2", "B4"}
    assert sheet["B2"].fill.start_color.rgb.endswith("C8E6C9")
    assert sheet["B2"].fill.fill_type == "solid"


def test_several_tables_make_several_sheets_in_order_with_excel_names():
    long = "Monthly progress of 2026-10 (100m yuan)"
    tables = [
        writing.Table(long, ["a"], [[1]]),
        writing.Table(long, ["b"], [[2]]),
        writing.Table("'引号'", ["c"], [[3]]),
    ]
    book = load_workbook(io.BytesIO(writing.xlsx(tables)))
    assert book.sheetnames == [long[:31], long[:30] + "1", "引号"]
    assert [sheet["A2"].value for sheet in book.worksheets] == [1, 2, 3]


def test_it_writes_into_a_file_object_or_returns_bytes():
    table = writing.Table("表", ["a"], [["=x"]])
    out = io.BytesIO()
    assert writing.xlsx([table], out) is None
    assert (
        calamine_rows(out.getvalue())
        == calamine_rows(writing.xlsx([writing.Table("表", ["a"], [["=x"]])]))
        == [["a"], ["=x"]]
    )


def test_rows_are_written_as_they_come_not_held():
    """100,000 rows in the worker (issue 21): the writer holds a row, not the sheet."""

    def rows():
        for n in range(20_000):
            yield [f"项目名称{n:06d}", f"建设内容{n:06d}" * 4, n, Decimal(n) / 100]

    tracemalloc.start()
    try:
        writing.xlsx([writing.Table("表", ["名称", "内容", "序号", "投资"], rows())], io.BytesIO())
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MB traced at the peak"
