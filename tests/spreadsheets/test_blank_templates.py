"""Blank templates that teach (issue 20): each template downloaded through its admin page, as
the statistician (or officer, or administrator) would, and read back with openpyxl — its
drop-down lists on the right columns, with the words the import reads; its notes sheet; and the
template, filled in with the example its notes give, imported through the page (the notes and
the hidden values sheet are not read)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    BatchEntry,
    Category,
    ItemStatus,
    MonthlyProgress,
    Project,
    Stage,
)
from approvals.spreadsheets import approval_table, cells, monthly_rows, project_rows, reading
from approvals.spreadsheets.outcome import Report
from tests.factories import ProjectFactory

TODAY = dt.date(2026, 12, 6)
LIST = reverse("admin:approvals_project_spreadsheet_template")
LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")
TABLE = reverse("admin:approvals_approvalitem_spreadsheet_template")
TABLE_UPLOAD = reverse("admin:approvals_approvalitem_spreadsheet_import")
MONTHLY = reverse("admin:approvals_project_monthly_template")
MONTHLY_UPLOAD = reverse("admin:approvals_project_monthly_import")
ROUND = {"year": 2026, "round": 1, "event_date": "2026-03-20"}


@pytest.fixture(autouse=True)
def clock():
    nine = dt.datetime.combine(TODAY, dt.time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(nine, tick=True):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)), response.content


def lists(book) -> dict[str, tuple[list[str], object]]:
    """Each validated column of the data sheet (its letter) → (the words of its list, read from
    the range its formula names, and the validation)."""
    found = {}
    for validation in book.worksheets[0].data_validations.dataValidation:
        sheet, cells_range = validation.formula1.split("!")
        values = book[sheet.strip("'")][cells_range.replace("$", "")]
        words = [row[0].value for row in values]
        for covered in validation.sqref.ranges:
            letter = covered.coord.split(":")[0].rstrip("0123456789")
            assert covered.coord == f"{letter}2:{letter}1048576", "every row below the header"
            found[letter] = (words, validation)
    return found


def column(book, header: str) -> str:
    headers = [c.value for c in book.worksheets[0][1]]
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[headers.index(header)]


def notes(book) -> dict[str, tuple[str, str, object]]:
    """The notes sheet's table of columns: header → (required, rule, example)."""
    rows = list(book["填写说明"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[:2] == ("列", "表头")) + 1
    table = {}
    for row in rows[start:]:
        if not any(row):
            break
        table[row[1]] = (row[2], row[3], row[4])
    return table


def section(book, title: str) -> list[tuple]:
    rows = list(book["填写说明"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith(title)) + 1
    found = []
    for row in rows[start:]:
        if not any(row):
            break
        found.append(row)
    return found


def filled(book, example: dict[str, object]) -> bytes:
    sheet = book.worksheets[0]
    sheet.append([example.get(c.value, None) for c in sheet[1]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, url: str, data: bytes, **fields):
    file = io.BytesIO(data)
    file.name = "模板.xlsx"
    response = client.post(url, {"file": file, **fields})
    assert response.status_code == 302, response.context["form"].errors
    return response["Location"]


# --- the lists ----------------------------------------------------------------------------------


class TestDropDownLists:
    def test_the_list_template_offers_categories_stages_and_the_persons_zones(
        self, as_user, stan, zone, other_zone
    ):
        book, _data = download(as_user(stan), LIST)
        assert book.sheetnames == ["三个一批项目清单", "填写说明", "取值"]
        assert book["取值"].sheet_state == "hidden"
        found = lists(book)
        assert set(found) == {column(book, h) for h in ("所在开发区", "类别", "当前阶段")}
        assert found[column(book, "所在开发区")][0] == [zone.name], "stan's zone, not another"
        assert found[column(book, "类别")][0] == ["签约一批", "开工一批", "投产一批"]
        assert found[column(book, "当前阶段")][0] == [
            "储备", "洽谈", "已签约", "具备开工条件", "在建", "已投产", "达产达效", "停缓建"
        ]  # fmt: skip
        for _words, validation in found.values():
            assert validation.type == "list" and validation.allow_blank
            # A synonym the import reads (签约, 在谈, an alias) may be kept after a warning.
            assert validation.errorStyle == "warning" and validation.showErrorMessage

    def test_the_zones_are_those_the_person_may_import_for(
        self, as_user, charlie, zone, other_zone, superuser
    ):
        book, _data = download(as_user(charlie), MONTHLY)
        assert lists(book)[column(book, "所在开发区")][0] == [other_zone.name]
        book, _data = download(as_user(superuser), MONTHLY)
        assert sorted(lists(book)[column(book, "所在开发区")][0]) == sorted(
            [zone.name, other_zone.name]
        )

    def test_the_approval_table_lists_the_item_words_on_every_item_column(
        self, as_user, stan, zone, catalogue
    ):
        book, _data = download(as_user(stan), TABLE)
        headers = [c.value for c in book.worksheets[0][1]]
        assert len(headers) == 4 + ApprovalType.objects.filter(is_active=True).count()
        found = lists(book)
        items = {column(book, h) for h in headers[4:]}
        assert set(found) == {column(book, "所在开发区"), *items}
        for letter in items:
            words, validation = found[letter]
            assert words == list(cells.ITEM_OFFERED)
            # A date (approved that day) or a word with its date is read too: a warning only.
            assert validation.errorStyle == "warning"

    def test_the_lists_say_what_the_import_reads(self, as_user, stan, zone, catalogue):
        """The words of every list are words the import reads, one for each thing it reads
        them as: each category once; every stage but withdrawn (a list withdraws nothing);
        every mode and status a progress cell sets; the zones by a name the import matches."""
        book, _data = download(as_user(stan), LIST)
        found = lists(book)
        offered = found[column(book, "类别")][0]
        assert sorted(cells.category(w) for w in offered) == sorted(Category.values)
        offered = found[column(book, "当前阶段")][0]
        assert {cells.stage(w) for w in offered} == set(Stage.values) - {Stage.WITHDRAWN}
        (zone_name,) = found[column(book, "所在开发区")][0]
        assert cells.name_key(zone_name) in zone.normalised_names()

        book, _data = download(as_user(stan), TABLE)
        offered = lists(book)[column(book, "所在开发区")][0]
        items = lists(book)["E"][0]
        read = {cells.approval_cell(w) for w in items}
        assert read == {cells.approval_cell(w) for w in cells.ITEM_WORDS}
        assert len(read) == len(items), "one word for each"
        assert offered == [zone.name]

    def test_a_word_the_import_does_not_read_is_answered_with_the_lists_words(
        self, as_user, stan, zone, catalogue
    ):
        book, _data = download(as_user(stan), LIST)
        found = lists(book)
        for header, read, wrong in (
            ("类别", cells.category, "签约批"),
            ("当前阶段", cells.stage, "施工中"),
        ):
            with pytest.raises(cells.CellError) as refused:
                read(wrong)
            assert "、".join(found[column(book, header)][0]) + "之一" in str(refused.value)
        book, _data = download(as_user(stan), TABLE)
        with pytest.raises(cells.CellError) as refused:
            cells.approval_cell("已退回")
        assert "日期，或" + "、".join(lists(book)["E"][0]) + "之一" in str(refused.value)


# --- the notes ----------------------------------------------------------------------------------


class TestNotes:
    def test_the_import_page_says_what_the_template_holds(self, as_user, stan, zone):
        page = as_user(stan).get(LIST_UPLOAD).content.decode()
        assert f'href="{LIST}"' in page and "下载空白模板（含下拉选项和填写说明）" in page

    def test_the_notes_say_which_columns_are_required(self, as_user, stan, zone):
        book, _data = download(as_user(stan), LIST)
        table = notes(book)
        assert list(table) == [c.value for c in book.worksheets[0][1]], "every column, in order"
        required = {h for h, (need, _rule, _example) in table.items() if need == "必填"}
        assert required == {"项目名称", "所在开发区"}
        assert table["类别"][0] == "导入批次时必填"
        assert (
            "待赋码" in table["项目代码"][1] and "2509-140602-89-05-864976" in table["项目代码"][1]
        )

    def test_the_date_forms_are_read_as_the_notes_say(self, as_user, stan, zone):
        book, _data = download(as_user(stan), LIST)
        forms = {written: (read, year) for written, read, year, *_ in section(book, "日期的写法")}
        assert forms["2026-06-30"][0] == "2026-06-30" and forms["2026-06-30"][1] == "已写年份"
        assert forms["2026.06"] == ("2026-06-30（约）", "已写年份")
        assert forms["6月上旬"][0] == "2026-06-10" and forms["6月上旬"][1].startswith("可不写")
        assert forms["6月下旬"][0] == "2026-06-30（约）"
        assert forms["6月底"][0] == "2026-06-30（约）" and forms["6月底"][1].startswith("可不写")
        assert forms["上半年"][0] == "2026-06-30（约）"
        assert forms["一季度"][0] == "2026-03-31（约）" and forms["一季度"][1].startswith("可不写")
        assert forms["2026年底"] == ("2026-12-31（约）", "已写年份")
        assert forms["2026"][0] == "不接受"
        with pytest.raises(cells.CellError):
            cells.date("6月上旬")  # without a round: the notes' "写年份" holds

    def test_the_units_are_the_headers(self, as_user, stan, zone):
        book, _data = download(as_user(stan), LIST)
        said = " ".join(str(r[0]) for r in section(book, "金额单位"))
        assert "表头不写单位时按万元读" in said and cells.amount(3, "") == 3, "万元 without a unit"
        assert "总投资 1000亿元 及以上不收" in said
        assert "总投资（亿元）" in [c.value for c in book.worksheets[0][1]]


# --- the template read back in ----------------------------------------------------------------


class TestFilledTemplatesImport:
    def test_the_list_filled_with_the_notes_example_imports_one_row(self, as_user, stan, zone):
        client = as_user(stan)
        book, _data = download(client, LIST)
        example = {h: e for h, (_need, _rule, e) in notes(book).items()}
        url = upload(client, LIST_UPLOAD, filled(book, example), **ROUND)
        report = client.get(url).context["report"]
        assert not report.errors and report.rows == 1 and report.created == 1
        client.post(url)
        project = Project.objects.get(name=example["项目名称"])
        assert project.zone == zone and project.code == example["项目代码"]
        assert project.total_investment == 125000, "12.5 in the 亿元 column"
        assert project.stage == Stage.UNDER_CONSTRUCTION  # 在建
        assert BatchEntry.objects.get(project=project).category == Category.START

    def test_the_approval_table_filled_with_the_example_imports(
        self, as_user, stan, zone, catalogue
    ):
        client = as_user(stan)
        book, _data = download(client, TABLE)
        table = notes(book)
        project = ProjectFactory(zone=zone, name=table["项目名称"][2], code=table["项目代码"][2])
        first = book.worksheets[0].cell(1, 5).value
        example = {h: e for h, (_need, _rule, e) in table.items()}
        example[first] = table[next(h for h in table if h.startswith("各审批事项"))][2]
        url = upload(client, TABLE_UPLOAD, filled(book, example))
        report = client.get(url).context["report"]
        assert not report.errors and report.rows == 1
        client.post(url)
        item = ApprovalItem.objects.get(project=project, approval_type__name=first)
        assert item.status == ItemStatus.APPROVED  # 已办结

    def test_the_monthly_table_filled_with_the_example_imports(self, as_user, stan, zone):
        client = as_user(stan)
        book, _data = download(client, MONTHLY)
        table = notes(book)
        project = ProjectFactory(zone=zone, name=table["项目名称"][2], code=table["项目代码"][2])
        example = {h: e for h, (_need, _rule, e) in table.items()}
        assert example["月份"] == "2026年11月", "the month just ended"
        url = upload(client, MONTHLY_UPLOAD, filled(book, example))
        assert not client.get(url).context["report"].errors
        client.post(url)
        progress = MonthlyProgress.objects.get(project=project)
        assert progress.month == dt.date(2026, 11, 1) and progress.completed_year == 1500


class TestTheReadersTakeTheDataSheetAlone:
    """The readers look for a header on every sheet, hidden ones too (python-calamine lists
    them): the notes and the values must hold none."""

    def without_data(self, data: bytes) -> bytes:
        book = load_workbook(io.BytesIO(data))
        del book[book.sheetnames[0]]
        book["填写说明"].sheet_state = "visible"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def test_calamine_sees_every_sheet_the_hidden_one_too(self, as_user, stan, zone):
        _book, data = download(as_user(stan), LIST)
        names = [name for name, _rows in reading.read_sheets(data, "模板.xlsx")]
        assert names == ["三个一批项目清单", "填写说明", "取值"]

    def test_no_reader_finds_a_header_beside_the_data_sheet(self, as_user, stan, zone, catalogue):
        client = as_user(stan)
        rest = self.without_data(download(client, LIST)[1])
        report = Report("模板.xlsx")
        assert list(project_rows.iter_lines(rest, "模板.xlsx", report, year=2026)) == []
        assert len(report.errors) == 1  # no sheet has a header

        rest = self.without_data(download(client, MONTHLY)[1])
        report = Report("模板.xlsx")
        assert monthly_rows.read_lines(rest, "模板.xlsx", report, None) == []
        assert len(report.errors) == 1

        rest = self.without_data(download(client, TABLE)[1])
        assert approval_table.plan(rest, "模板.xlsx").report.rows == 0
