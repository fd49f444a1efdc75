"""Cells as zones write them (guide section 12): 项目代码 cells that say "no code yet", dates
given as a period ("6月底", "下旬", "上半年", "三季度"), in the round's year when they name none,
and a year alone refused; each error names the file, the row and the column."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.models import Milestone, Project
from approvals.spreadsheets import cells
from tests.project_lists import ROUND_1, received, row, workbook

D = dt.date


class TestPeriods:
    @pytest.mark.parametrize(
        "written, expected",
        [
            ("2025年6月底", D(2025, 6, 30)),
            ("2025年6月末", D(2025, 6, 30)),
            ("6月底", D(2025, 6, 30)),
            ("6月末", D(2025, 6, 30)),
            ("6月底前", D(2025, 6, 30)),
            ("6月", D(2025, 6, 30)),
            ("2月份", D(2025, 2, 28)),
            ("6月下旬", D(2025, 6, 30)),
            ("2024年2月下旬", D(2024, 2, 29)),
            ("上半年", D(2025, 6, 30)),
            ("2026年上半年", D(2026, 6, 30)),
            ("下半年", D(2025, 12, 31)),
            ("年底", D(2025, 12, 31)),
            ("2026年底", D(2026, 12, 31)),
            ("年末", D(2025, 12, 31)),
            ("年内", D(2025, 12, 31)),
            ("一季度", D(2025, 3, 31)),
            ("第二季度", D(2025, 6, 30)),
            ("3季度", D(2025, 9, 30)),
            ("2026年第四季度", D(2026, 12, 31)),
            ("２０２５年６月底", D(2025, 6, 30)),
        ],
    )
    def test_a_period_is_due_at_its_end_and_marked_approximate(self, written, expected):
        assert cells.date(written, 2025) == (expected, True)

    @pytest.mark.parametrize(
        "written, expected",
        [
            ("6月上旬", D(2025, 6, 10)),
            ("6月中旬", D(2025, 6, 20)),
            ("2026年1月上旬", D(2026, 1, 10)),
        ],
    )
    def test_the_first_two_thirds_of_a_month_are_due_on_the_10th_and_the_20th(
        self, written, expected
    ):
        """Stored as days: a month-only plan is moved to the month's end when it is saved."""
        assert cells.date(written, 2025) == (expected, False)

    def test_a_day_without_its_year_takes_the_rounds(self):
        assert cells.date("6月15日", 2025) == (D(2025, 6, 15), False)

    @pytest.mark.parametrize("written", ["6月底", "上半年", "年底", "三季度", "6月上旬", "6月"])
    def test_without_a_year_and_without_a_round_it_is_an_error(self, written):
        with pytest.raises(cells.CellError, match=f"“{written}”未写年份"):
            cells.date(written)

    @pytest.mark.parametrize("written", ["2025", "2025年", " 2025 ", 2025, 2025.0])
    def test_a_year_alone_is_an_error_round_or_not(self, written):
        for year in (None, 2025):
            with pytest.raises(cells.CellError, match="只写了年份"):
                cells.date(written, year)

    @pytest.mark.parametrize("written", ["13月底", "0月", "2月30日", "底", "五季度", "6月初"])
    def test_what_is_no_period_is_no_date(self, written):
        with pytest.raises(cells.CellError, match="不是日期"):
            cells.date(written, 2025)


class TestNoCodeYet:
    @pytest.mark.parametrize(
        "written",
        ["待赋码", "暂无", "无", "/", "／", "—", "——", "-", "－", "–", " 待赋码 ", "", None],
    )
    def test_the_words_for_no_code_yet_are_no_code(self, written):
        assert cells.project_code(written) == ""

    def test_a_code_is_read_as_the_national_platform_writes_it(self):
        assert cells.project_code("２５０９－１４０６０２－８９－０５－８６４９７６") == (
            "2509-140602-89-05-864976"
        )

    @pytest.mark.parametrize("written", ["12345", "待赋码2509", "2509-140602"])
    def test_anything_else_is_an_error(self, written):
        with pytest.raises(cells.CellError, match="不是有效的项目代码"):
            cells.project_code(written)


class TestInAList:
    def run(self, data: bytes, by, spec=ROUND_1):
        from approvals.spreadsheets import imports

        return imports.apply(received(data, by=by, spec=spec, name="晋中清单.xlsx"), data)

    def test_a_row_without_a_code_yet_is_created_without_one(self, stan):
        report = self.run(
            workbook(row(1, "甲项目", code="待赋码"), row(2, "乙项目", code="—")), stan
        )
        assert report.errors == [] and report.created == 2
        assert list(Project.objects.values_list("code", flat=True)) == [None, None]

    def test_a_period_without_its_year_is_in_the_year_of_the_rounds_event(self, stan):
        report = self.run(
            workbook(row(1, "甲项目", start="6月底"), row(2, "乙项目", start="三季度")), stan
        )
        assert report.errors == []
        planned = {
            m.project.name: (m.planned_date, m.planned_month_only)
            for m in Milestone.objects.select_related("project")
        }
        # ROUND_1's event is on 2025-03-28
        assert planned == {"甲项目": (D(2025, 6, 30), True), "乙项目": (D(2025, 9, 30), True)}

    def test_a_year_alone_is_reported_with_its_file_row_and_column(self, stan):
        report = self.run(workbook(row(1, "甲项目"), row(2, "乙项目", start=2025)), stan)
        assert report.file_name == "晋中清单.xlsx"
        [error] = report.errors
        assert (error.sheet, error.row, error.column) == ("清单", 4, "计划开工时间")
        assert "“2025”只写了年份" in error.reason
        assert not Project.objects.exists()

    def test_a_period_without_its_year_in_a_list_without_a_round_is_an_error(self, stan):
        from approvals.spreadsheets import imports

        header = ["序号", "项目名称", "所在开发区", "当前阶段", "计划开工时间"]
        data = workbook([1, "甲项目", "晋中开发区", "已签约", "6月底"], header=header)
        record = imports.receive(
            "project_list", data, "重点项目.xlsx", by=stan, source="test", year=None, round=None
        )
        report = imports.apply(record, data)
        [error] = report.errors
        assert (error.row, error.column) == (3, "计划开工时间")
        assert "“6月底”未写年份" in error.reason
        assert not Project.objects.exists()
