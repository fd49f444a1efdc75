"""Reading the zones' spreadsheets as people really send them (guide sections 8.1, 8.2, 11):
title rows and a merged caption above the header, the header found by its names and synonyms,
several sheets (a cover sheet without a header skipped), totals and empty rows skipped, rows
numbered as Excel shows them, amounts with their units, dates in every form people write, and
.xlsx, .xls and .csv (UTF-8 with or without BOM, GB18030). A file too big, not a workbook, or
that would expand to an absurd size is refused before it is read, naming the file."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings as django_settings

from approvals.models import ImportKind, SpreadsheetImport
from approvals.spreadsheets import approval_table, cells, extent, imports, reading
from approvals.spreadsheets.reading import SpreadsheetRefused
from tests.spreadsheet_files import Title, csv_bytes, with_member, xls, xlsx, zip_bomb

#: The columns of a quarterly list (guide 8.1) these tests read, with the synonyms people use.
LIST_HEADERS = {
    "序号": "sequence",
    **dict.fromkeys(["项目代码", "项目统一代码", "项目审批代码"], "code"),
    "项目名称": "name",
    **dict.fromkeys(["所在开发区", "开发区", "所属开发区", "园区"], "zone"),
    **dict.fromkeys(["总投资", "计划总投资", "签约投资额", "项目投资额"], "investment"),
    "预计年产值": "output",
    **dict.fromkeys(["计划开工时间", "开工时间"], "start"),
}
NAMES_THE_PROJECT = reading.naming("name", "zone")
CAPTION = "晋中市2025年第一季度“三个一批”项目清单"
HEADER = ["序号", "项目名称", "所在开发区", "总投资（亿元）", "计划开工时间"]


def read(data: bytes, name: str, headers=LIST_HEADERS, is_header=NAMES_THE_PROJECT):
    """Every sheet found, as the importers read them: its rows consumed before the next sheet."""
    found = []
    for sheet, others in reading.sheets_with_header(data, name, headers, is_header):
        rows = [(row.number, row.cells) for row in sheet.rows]
        found.append({"sheet": sheet, "others": others, "rows": rows})
    return found


def only(data: bytes, name: str, **kwargs):
    found = read(data, name, **kwargs)
    assert len(found) == 1, [f["sheet"].name for f in found]
    return found[0]


def texts(rows) -> list[tuple[int, list[str]]]:
    """Rows with their cells as text, for comparing what each file format gives."""
    return [(number, [cells.text(c) for c in row]) for number, row in rows]


# --- the header row ---------------------------------------------------------------------------


class TestTheHeaderRow:
    def test_found_below_a_merged_caption_and_a_note_row(self):
        data = xlsx(
            {
                "Sheet1": [
                    Title(CAPTION),
                    ["填报单位：晋中开发区管委会", None, None, "单位：亿元"],
                    HEADER,
                    [1, "大恒能源7GW光伏垂直一体化项目", "晋中开发区", 50, dt.date(2025, 3, 15)],
                ]
            }
        )
        # the caption really is merged across the sheet, as people make it
        merged = openpyxl.load_workbook(io.BytesIO(data))["Sheet1"].merged_cells.ranges
        assert [str(r) for r in merged] == ["A1:E1"]

        found = only(data, "清单.xlsx")
        sheet = found["sheet"]
        assert sheet.header_row == 3
        assert {f: c.index for f, c in sheet.columns.items()} == {
            "sequence": 0,
            "name": 1,
            "zone": 2,
            "investment": 3,
            "start": 4,
        }
        assert sheet.columns["investment"].header == "总投资（亿元）"
        assert sheet.columns["investment"].unit == "亿元"
        assert found["rows"] == [
            (4, [1.0, "大恒能源7GW光伏垂直一体化项目", "晋中开发区", 50.0, dt.date(2025, 3, 15)])
        ]

    def test_found_by_synonyms_written_as_people_write_them(self):
        """Synonyms of the guide, a line break inside a header, an asterisk of a required column,
        full-width brackets, and columns in any order."""
        header = ["项目统一代码", "*项目\n名称", "园区", "计划总投资（万元）", "开工时间", "备注"]
        data = xlsx({"Sheet1": [Title(CAPTION), header, ["", "甲项目", "晋中开发区", 2000]]})
        found = only(data, "清单.xlsx")
        columns = found["sheet"].columns
        assert {f: c.index for f, c in columns.items()} == {
            "code": 0,
            "name": 1,
            "zone": 2,
            "investment": 3,
            "start": 4,
        }
        assert columns["name"].header == "*项目\n名称"
        assert columns["investment"].unit == "万元"
        assert [name for _index, name, _unit in found["others"]] == ["备注"]

    @pytest.mark.parametrize("zone_header", ["所在开发区", "开发区", "所属开发区", "园区"])
    def test_every_zone_synonym_names_the_zone(self, zone_header):
        data = xlsx({"S": [["序号", "项目名称", zone_header], [1, "甲项目", "晋中开发区"]]})
        assert only(data, "a.xlsx")["sheet"].columns["zone"].index == 2

    def test_several_sheets_a_cover_skipped_and_stray_spaces_in_sheet_names(self):
        cover = [["说明"], ["本表由各开发区于每季度末填报。"], ["联系人：王芳 0354-1234567"]]
        signed = [Title("签约一批"), HEADER, [1, "甲项目", "晋中开发区", 1.5, None]]
        started = [Title("开工一批"), HEADER, [1, "乙项目", "晋中开发区", 2, None]]
        data = xlsx({"填报说明": cover, " 签约一批 ": signed, "开工一批  ": started})
        # the file really has the spaces in its sheet names
        assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == [
            "填报说明",
            " 签约一批 ",
            "开工一批  ",
        ]
        found = read(data, "三个一批.xlsx")
        assert [(f["sheet"].name, f["sheet"].header_row) for f in found] == [
            ("签约一批", 2),
            ("开工一批", 2),
        ]
        assert [[c[1] for _n, c in f["rows"]] for f in found] == [["甲项目"], ["乙项目"]]

    def test_a_sheet_whose_header_names_too_little_is_no_header(self):
        """A title that happens to say 项目名称 but not the zone is not taken for the header."""
        data = xlsx(
            {"S": [["项目名称：见下表"], ["项目名称"], HEADER, [1, "甲项目", "晋中开发区"]]}
        )
        assert only(data, "a.xlsx")["sheet"].header_row == 3

    def test_a_header_below_leading_empty_rows_keeps_excels_numbers(self):
        data = xlsx({"S": [[], [], Title(CAPTION, 5), [], HEADER, [1, "甲项目", "晋中开发区"]]})
        found = only(data, "a.xlsx")
        assert found["sheet"].header_row == 5
        assert [n for n, _c in found["rows"]] == [6]


# --- the rows ----------------------------------------------------------------------------------


class TestTheRows:
    def test_totals_and_empty_rows_are_skipped_and_rows_keep_excels_numbers(self):
        rows = [
            Title(CAPTION),
            HEADER,
            [1, "甲项目", "晋中开发区", 1.5, None],  # row 3
            [None, None, None, None, None],  # row 4: empty
            [2, "乙项目", "晋中开发区", 2, None],  # row 5
            ["小计", None, None, 3.5, None],  # row 6
            [],  # row 7
            [3, "丙项目", "晋中开发区", 3, None],  # row 8
            ["合  计", None, None, 6.5, None],  # row 9
            [None, "总计", None, 6.5, None],  # row 10
        ]
        found = only(xlsx({"S": rows}), "a.xlsx")
        assert [(n, c[1]) for n, c in found["rows"]] == [
            (3, "甲项目"),
            (5, "乙项目"),
            (8, "丙项目"),
        ]

    def test_a_project_whose_name_contains_he_ji_is_not_a_total(self):
        rows = [
            HEADER,
            [1, "晋中市算力联合计算中心项目", "晋中开发区", 12, None],
            [2, "总计量检测中心项目", "晋中开发区", 3, None],
            ["合计", None, None, 15, None],
        ]
        found = only(xlsx({"S": rows}), "a.xlsx")
        assert [(n, c[1]) for n, c in found["rows"]] == [
            (2, "晋中市算力联合计算中心项目"),
            (3, "总计量检测中心项目"),
        ]


# --- the same table in every format ---------------------------------------------------------

TABLE = [
    Title(CAPTION),
    ["填报日期：2025年4月10日"],
    HEADER,
    [1, "大恒能源7GW光伏垂直一体化项目", "晋中开发区", 50, "2025-03-15"],
    [],
    [2, "碳基新材料产业园项目", "晋中开发区", "2000万元", "2025年6月"],
    ["合计", None, None, 50.2, None],
]
EXPECTED_ROWS = [
    (4, ["1", "大恒能源7GW光伏垂直一体化项目", "晋中开发区", "50", "2025-03-15"]),
    (6, ["2", "碳基新材料产业园项目", "晋中开发区", "2000万元", "2025年6月"]),
]


class TestEveryFormat:
    @pytest.mark.parametrize(
        "name, build",
        [
            ("清单.xlsx", lambda: xlsx({"签约一批": TABLE})),
            ("清单.xls", lambda: xls({"签约一批": TABLE})),
            ("签约一批.csv", lambda: csv_bytes(TABLE)),
            ("签约一批.csv", lambda: csv_bytes(TABLE, bom=True)),
            ("签约一批.csv", lambda: csv_bytes(TABLE, "gb18030")),
            ("签约一批.CSV", lambda: csv_bytes(TABLE, "gb18030")),
        ],
        ids=["xlsx", "xls", "csv-utf8", "csv-utf8-bom", "csv-gb18030", "CSV-upper-case"],
    )
    def test_the_same_table_reads_the_same(self, name, build):
        data = build()
        found = only(data, name)
        assert found["sheet"].name == "签约一批"
        assert found["sheet"].header_row == 3
        assert found["sheet"].columns["investment"].unit == "亿元"
        assert texts(found["rows"]) == EXPECTED_ROWS

    def test_the_gb18030_file_really_is_not_utf8(self):
        data = csv_bytes(TABLE, "gb18030")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert "晋中开发区" in only(data, "a.csv")["rows"][0][1]

    def test_an_old_xls_keeps_its_merged_caption_and_real_dates(self):
        rows = [Title(CAPTION), HEADER, [1, "甲项目", "晋中开发区", 1.5, dt.date(2025, 3, 15)]]
        data = xls({"签约一批": rows})
        assert data.startswith(extent.OLE2)
        found = only(data, "清单.xls")
        assert found["sheet"].header_row == 2
        number, row = found["rows"][0]
        assert number == 3
        assert cells.date(row[4]) == (dt.date(2025, 3, 15), False)
        assert cells.amount(row[3], found["sheet"].columns["investment"].unit) == Decimal(
            "15000.00"
        )

    def test_a_csv_sheet_is_named_after_its_file(self):
        found = only(csv_bytes([HEADER, [1, "甲项目", "晋中开发区"]]), "导入/ 开工一批 .csv")
        assert found["sheet"].name == "开工一批"


# --- amounts ----------------------------------------------------------------------------------


class TestAmounts:
    def test_the_header_unit_and_the_cells_own_unit_in_a_real_workbook(self):
        header = ["项目名称", "所在开发区", "总投资（亿元）", "预计年产值(万元)", "签约投资额"]
        rows = [
            ["甲项目", "晋中开发区", 1.5, 2000, "1,234.5"],
            ["乙项目", "晋中开发区", "2000万元", "1.5亿元", "３亿元"],
            ["丙项目", "晋中开发区", "１２．５", "１，２３４万元", 800],
        ]
        found = only(xlsx({"S": [Title(CAPTION), header, *rows]}), "a.xlsx")
        columns = found["sheet"].columns
        assert [columns[f].unit for f in ("investment", "output")] == ["亿元", "万元"]
        read_back = [
            [cells.amount(row[columns[f].index], columns[f].unit) for f in ("investment", "output")]
            + [cells.amount(row[4])]
            for _n, row in found["rows"]
        ]
        assert read_back == [
            [Decimal("15000.00"), Decimal("2000.00"), Decimal("1234.50")],
            [Decimal("2000.00"), Decimal("15000.00"), Decimal("30000.00")],
            [Decimal("125000.00"), Decimal("1234.00"), Decimal("800.00")],
        ]

    @pytest.mark.parametrize(
        "header, unit", [("总投资（亿元）", "亿元"), ("总投资(万元)", "万元"), ("总投资", "")]
    )
    def test_clean_header_takes_the_unit_out_of_the_name(self, header, unit):
        assert reading.clean_header(header) == ("总投资", unit)

    @pytest.mark.parametrize(
        "value, header_unit, expected",
        [
            (1.5, "亿元", "15000.00"),
            (2000, "万元", "2000.00"),
            (2000, "", "2000.00"),
            ("2000万元", "亿元", "2000.00"),
            ("1.5亿元", "", "15000.00"),
            ("1.5亿", "万元", "15000.00"),
            ("1,234.5", "", "1234.50"),
            ("2,000.5 万元", "亿元", "2000.50"),
            ("１２３４．５", "", "1234.50"),
            ("１，２３４万元", "", "1234.00"),
            ("３亿元", "万元", "30000.00"),
            (" 0 ", "", "0.00"),
        ],
    )
    def test_amounts_in_10k_yuan(self, value, header_unit, expected):
        assert cells.amount(value, header_unit) == Decimal(expected)

    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_an_empty_cell_is_no_amount(self, value):
        assert cells.amount(value, "亿元") is None

    @pytest.mark.parametrize("value", [-5, -0.5, "-5", "-2000万元", "－３亿元"])
    def test_a_negative_amount_is_refused(self, value):
        with pytest.raises(cells.CellError, match="负数"):
            cells.amount(value)

    @pytest.mark.parametrize("value", ["约2000万元", "待定", "2000美元", "1.2.3", True, "5千万"])
    def test_an_unreadable_amount_is_refused_quoting_it(self, value):
        with pytest.raises(cells.CellError, match="不是金额") as refused:
            cells.amount(value)
        assert str(value) in str(refused.value)

    def test_an_absurd_amount_is_refused(self):
        with pytest.raises(cells.CellError, match="过大"):
            cells.amount(1e20)


# --- dates ------------------------------------------------------------------------------------


class TestDates:
    def test_real_date_cells_of_xlsx_and_xls(self):
        for data, name in [
            (
                xlsx(
                    {
                        "S": [
                            HEADER,
                            [1, "甲", "晋中开发区", 1, dt.date(2025, 3, 15)],
                            [2, "乙", "晋中开发区", 1, dt.datetime(2025, 3, 16, 9, 30)],
                        ]
                    }
                ),
                "a.xlsx",
            ),
            (
                xls(
                    {
                        "S": [
                            HEADER,
                            [1, "甲", "晋中开发区", 1, dt.date(2025, 3, 15)],
                            [2, "乙", "晋中开发区", 1, dt.datetime(2025, 3, 16, 9, 30)],
                        ]
                    }
                ),
                "a.xls",
            ),
        ]:
            found = only(data, name)
            assert [cells.date(row[4]) for _n, row in found["rows"]] == [
                (dt.date(2025, 3, 15), False),
                (dt.date(2025, 3, 16), False),
            ], name

    @pytest.mark.parametrize("serial", [45731, 45731.0, 45731.75])
    def test_an_excel_serial_number(self, serial):
        """A date cell whose format was lost reads as its serial number: 45731 is 2025-03-15."""
        assert cells.date(serial) == (dt.date(2025, 3, 15), False)

    def test_a_serial_number_in_a_real_cell_without_a_date_format(self):
        data = xlsx({"S": [HEADER, [1, "甲", "晋中开发区", 1, 45731]]})
        (_n, row) = only(data, "a.xlsx")["rows"][0]
        assert cells.date(row[4]) == (dt.date(2025, 3, 15), False)

    @pytest.mark.parametrize(
        "written, expected, month_only",
        [
            ("2025-03-15", dt.date(2025, 3, 15), False),
            ("2025/3/15", dt.date(2025, 3, 15), False),
            ("2025.3.15", dt.date(2025, 3, 15), False),
            ("2025年3月15日", dt.date(2025, 3, 15), False),
            (" 2025-3-15 ", dt.date(2025, 3, 15), False),
            ("2025年3月", dt.date(2025, 3, 31), True),
            ("2025.03", dt.date(2025, 3, 31), True),
            ("2025/03", dt.date(2025, 3, 31), True),
            ("2024年2月", dt.date(2024, 2, 29), True),
            ("2025.02", dt.date(2025, 2, 28), True),
            ("２０２５年３月１５日", dt.date(2025, 3, 15), False),
            ("２０２５．３．１５", dt.date(2025, 3, 15), False),
            ("２０２５－０３－１５", dt.date(2025, 3, 15), False),
            ("２０２５年３月", dt.date(2025, 3, 31), True),
            ("1990-01-01", dt.date(1990, 1, 1), False),
            ("2100-12-31", dt.date(2100, 12, 31), False),
        ],
    )
    def test_dates_written_as_text(self, written, expected, month_only):
        assert cells.date(written) == (expected, month_only)

    def test_text_dates_in_a_real_workbook(self):
        written = ["2025-03-15", "2025/3/15", "2025.3.15", "2025年3月15日", "2025年3月", "2025.03"]
        rows = [[i, f"项目{i}", "晋中开发区", 1, w] for i, w in enumerate(written, 1)]
        found = only(xlsx({"S": [Title(CAPTION), HEADER, *rows]}), "a.xlsx")
        assert [cells.date(row[4]) for _n, row in found["rows"]] == [
            *[(dt.date(2025, 3, 15), False)] * 4,
            *[(dt.date(2025, 3, 31), True)] * 2,
        ]

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_an_empty_cell_is_no_date(self, value):
        assert cells.date(value) is None

    @pytest.mark.parametrize(
        "written, says",
        [
            ("2025-02-30", "不是日期"),
            ("2025-13-01", "不是日期"),
            ("2025年2月30日", "不是日期"),
            ("下月", "不是日期"),
            ("1989-12-31", "超出可接受的日期范围"),
            ("2101-01-01", "超出可接受的日期范围"),
            (0, "不是日期"),
            (-3, "不是日期"),
            (3_000_000, "不是日期"),
        ],
    )
    def test_impossible_dates_are_refused(self, written, says):
        with pytest.raises(cells.CellError, match=says):
            cells.date(written)

    def test_a_refusal_quotes_what_was_written(self):
        with pytest.raises(cells.CellError) as refused:
            cells.date("2025-02-30")
        assert "2025-02-30" in str(refused.value)
        with pytest.raises(cells.CellError) as refused:
            cells.date("1989-12-31")
        assert "1989-12-31" in str(refused.value) and "1990-01-01" in str(refused.value)

    def test_2025_03_typed_into_a_real_cell_is_march_2025(self):
        data = xlsx({"S": [HEADER, [1, "甲项目", "晋中开发区", 1, 2025.03]]})
        (_n, row) = only(data, "a.xlsx")["rows"][0]
        assert row[4] == 2025.03  # Excel keeps what people type as a number
        assert cells.date(row[4]) == (dt.date(2025, 3, 31), True)


# --- refusals of the file as a whole ---------------------------------------------------------


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(SpreadsheetRefused) as refused:
        read(data, name)
    message = str(refused.value)
    assert name in message, message
    return message


class TestRefusals:
    def test_a_file_over_the_size_limit(self, settings, never_read):
        settings.IMPORT_FILE_MAX_MB = 1
        photo = os.urandom(1024 * 1024 + 10_000)  # a site photo pasted into the workbook
        data = with_member(xlsx({"S": TABLE}), "xl/media/image1.jpeg", photo, compress=False)
        assert len(data) > 1024 * 1024
        assert "超过 1 MB" in refusal(data, "季度清单.xlsx")

    def test_a_csv_over_the_size_limit(self, settings):
        settings.IMPORT_FILE_MAX_MB = 1
        rows = [HEADER] + [
            [i, f"项目{i:06d}", "晋中开发区", 1, "2025-03-15"] for i in range(25_000)
        ]
        data = csv_bytes(rows)
        assert len(data) > 1024 * 1024
        assert "超过 1 MB" in refusal(data, "清单.csv")

    def test_a_file_just_under_the_limit_is_read(self, settings):
        settings.IMPORT_FILE_MAX_MB = 1
        data = xlsx({"S": TABLE})
        assert len(data) < 1024 * 1024
        assert len(only(data, "清单.xlsx")["rows"]) == 2

    def test_an_empty_file(self, never_read):
        assert "空" in refusal(b"", "清单.xlsx")

    def test_a_text_file_named_xlsx(self, never_read):
        data = "序号,项目名称,所在开发区\n1,甲项目,晋中开发区\n".encode()
        assert "不是真正的 .xlsx 工作簿" in refusal(data, "清单.xlsx")

    def test_a_zip_that_is_no_workbook_named_xlsx(self, never_read):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("材料/营业执照.pdf", b"%PDF-1.4 ...")
        assert "不是真正的 .xlsx 工作簿" in refusal(out.getvalue(), "清单.xlsx")

    def test_a_program_named_xls(self, never_read):
        exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"PE\x00\x00"
        assert "不是真正的 .xls 工作簿" in refusal(exe + os.urandom(2048), "进度表.xls")

    def test_an_xlsx_renamed_xls(self, never_read):
        assert "不是真正的 .xls 工作簿" in refusal(xlsx({"S": TABLE}), "进度表.xls")

    @pytest.mark.parametrize("name", ["清单.pdf", "清单.exe", "清单", "清单.xlsx.zip"])
    def test_other_kinds_of_file(self, name, never_read):
        assert "只能读取 .xlsx、.xls 和 .csv 文件" in refusal(b"%PDF-1.4 whatever", name)

    def test_a_zip_bomb_named_xlsx(self, settings, never_read):
        settings.IMPORT_EXPANDED_MAX_MB = 5
        data = zip_bomb(expanded_mb=40)
        assert len(data) < 100 * 1024  # small enough to pass the size limit
        assert len(data) < settings.IMPORT_FILE_MAX_MB * 1024 * 1024
        message = refusal(data, "清单.xlsx")
        assert "40" in message and "5" in message

    def test_a_real_workbook_with_a_highly_compressible_member(self, settings, never_read):
        settings.IMPORT_EXPANDED_MAX_MB = 5
        data = with_member(xlsx({"S": TABLE}), "xl/media/blank.bmp", b"\0" * (12 * 1024 * 1024))
        assert len(data) < 100 * 1024
        refusal(data, "清单.xlsx")

    def test_a_zip_that_lies_about_its_expanded_size_is_refused_too(self, settings):
        """The sizes a zip declares are checked against what its members really expand to."""
        rows = [["项目名称", "所在开发区"]] + [[f"项目{i}", "晋中开发区"] for i in range(20_000)]
        data = bytearray(xlsx({"S": rows}))
        member = b"xl/worksheets/sheet1.xml"
        info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member.decode())
        struct.pack_into("<I", data, info.header_offset + 22, 100)  # local header
        at = data.find(b"PK\x01\x02")
        while at != -1:  # central directory
            length = struct.unpack_from("<H", data, at + 28)[0]
            if data[at + 46 : at + 46 + length] == member:
                struct.pack_into("<I", data, at + 24, 100)
            at = data.find(b"PK\x01\x02", at + 4)
        refusal(bytes(data), "清单.xlsx")

    def test_a_truncated_workbook(self):
        data = xlsx({"S": TABLE})
        refusal(data[: len(data) // 2], "清单.xlsx")

    def test_a_csv_in_neither_utf8_nor_gb18030(self):
        data = "项目名称,所在开发区\n甲项目,晋中开发区\n".encode("utf-16")
        assert "既不是 UTF-8 也不是 GB18030" in refusal(data, "清单.csv")

    @pytest.mark.slow
    def test_a_sheet_whose_used_area_is_absurd_is_refused(self, tmp_path):
        book = openpyxl.Workbook()
        book.active.title = "S"
        book.active["A1"] = "项目名称"
        book.active["B1"] = "所在开发区"
        book.active["XFD1048576"] = "x"
        out = io.BytesIO()
        book.save(out)
        path = tmp_path / "清单.xlsx"
        path.write_bytes(out.getvalue())
        assert path.stat().st_size < 10 * 1024
        script = textwrap.dedent(
            """
            import resource, sys
            from pathlib import Path
            limit = 3 * 1024 ** 3  # a process that tries to take more fails instead of swapping
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            import django
            django.setup()
            from approvals.spreadsheets import reading
            try:
                for sheet, _others in reading.sheets_with_header(
                    Path(sys.argv[1]), "清单.xlsx", {"项目名称": "name"}, reading.naming("name")
                ):
                    for _row in sheet.rows:
                        pass
            except reading.SpreadsheetRefused as refused:
                print("REFUSED:", refused)
            else:
                print("READ")
            """
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "RUST_BACKTRACE": "0",
        }
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (done.returncode, done.stderr[-500:])
        assert done.stdout.startswith("REFUSED:") and "清单.xlsx" in done.stdout


# --- through the import, end to end ----------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
class TestEndToEnd:
    """What a person importing sees: the file refused before anything is recorded, and a bad
    cell reported at the row Excel shows."""

    @pytest.mark.parametrize(
        "name, build, says",
        [
            ("进度表.xlsx", lambda: b"<html><body>not a workbook</body></html>", ".xlsx"),
            ("进度表.xls", lambda: b"MZ\x90\x00" + b"\x00" * 512, ".xls"),
            ("进度表.xlsx", lambda: zip_bomb(expanded_mb=40), "MB"),
        ],
        ids=["html-named-xlsx", "exe-named-xls", "zip-bomb"],
    )
    def test_receive_refuses_before_recording(self, settings, media, alice, name, build, says):
        settings.IMPORT_EXPANDED_MAX_MB = 5
        with pytest.raises(SpreadsheetRefused, match=says) as refused:
            imports.receive(ImportKind.APPROVAL_TABLE, build(), name, by=alice, source="test")
        assert name in str(refused.value)
        assert not SpreadsheetImport.objects.exists()

    def test_receive_refuses_a_file_over_the_limit(self, settings, media, alice, never_read):
        settings.IMPORT_FILE_MAX_MB = 1
        data = with_member(xlsx({"S": TABLE}), "xl/media/image1.jpeg", os.urandom(1_100_000))
        with pytest.raises(SpreadsheetRefused, match="超过 1 MB"):
            imports.receive(ImportKind.APPROVAL_TABLE, data, "进度表.xlsx", by=alice, source="t")
        assert not SpreadsheetImport.objects.exists()

    @pytest.mark.parametrize(
        "name, build",
        [
            ("进度表.xlsx", xlsx),
            ("进度表.xls", xls),
            ("进度表.csv", lambda sheets: csv_bytes(next(iter(sheets.values())), "gb18030")),
        ],
        ids=["xlsx", "xls", "csv-gb18030"],
    )
    def test_a_bad_cell_is_reported_at_excels_row_in_every_format(
        self, media, catalogue, zone, alice, project, name, build
    ):
        rows = [
            Title("晋中开发区重点项目前期手续办理进度表"),
            ["填报单位：晋中开发区管委会", None, None, "截至2025年4月10日"],
            ["序号", "项目名称", "所在开发区", "立项", "环评"],
            [],
            ["", "", "", "", ""],
            [1, project.name, "晋中开发区", "2025-03-15", "已上报"],
        ]
        data = build({"前期手续": rows})
        record = imports.receive(ImportKind.APPROVAL_TABLE, data, name, by=alice, source="test")
        report = approval_table.run(data, name, by=alice, record=record)
        assert not report.ok and not report.applied
        assert [(e.row, e.column) for e in report.errors] == [(6, "环评")]
        assert "已上报" in report.errors[0].reason
        assert not project.approval_items.exists()


def test_the_helper_builds_real_files():
    """The files these tests read are what Excel and WPS open: checked with other readers."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx({"S": [Title(CAPTION), HEADER]})))
    assert book["S"]["A1"].value == CAPTION and book["S"]["B2"].value == "项目名称"
    assert xls({"S": [HEADER]}).startswith(extent.OLE2)
    assert csv_bytes([HEADER], bom=True).startswith(b"\xef\xbb\xbf")
