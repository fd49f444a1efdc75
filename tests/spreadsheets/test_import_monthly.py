"""Importing a monthly progress table (月调度表 / 重点项目月报, guide sections 8.3 and 11): one row
per project (by code, or by name and zone) and month, the month from a 月份 column, the title or
the sheet's name; amounts in 万元 or 亿元 as the header or the cell says; the year-to-date figure
never decreasing within a year; a month imported again replaces that month's figures of the
projects listed and nothing else; all or nothing.

Every outcome is checked on a fresh read from the database."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals.access import permissions
from approvals.models import (
    ImportKind,
    ImportStatus,
    Job,
    JobStatus,
    MonthlyProgress,
    Problem,
    SpreadsheetImport,
)
from approvals.spreadsheets import imports
from tests.factories import ProjectFactory
from tests.spreadsheet_files import Title, csv_bytes, xls, xlsx

pytestmark = pytest.mark.django_db

D = dt.date
W = Decimal
SHEET = "月调度"
CODE = "2503-140702-04-01-123456"
HEADER = [
    "序号",
    "项目代码",
    "项目名称",
    "所在开发区",
    "月份",
    "年度计划投资（万元）",
    "本月完成投资（万元）",
    "累计完成投资（万元）",
    "形象进度",
    "存在问题",
]
TOP = [Title("晋中开发区2025年重点项目月调度表"), ["填报日期：2025年4月5日"]]
FIRST_ROW = 4  # two title rows, the header, then the data
FILE = "月调度表2025年3月.xlsx"
UPLOAD = reverse("admin:approvals_project_monthly_import")
TEMPLATE = reverse("admin:approvals_project_monthly_template")
PROJECTS = reverse("admin:approvals_project_changelist")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dh(project):
    """大恒能源, with its code."""
    project.code = CODE
    project.save()
    return project


@pytest.fixture
def lithium(zone):
    return ProjectFactory(zone=zone, name="年产5万吨锂电池负极材料项目")


def table(*rows, header=HEADER, top=TOP, sheet=SHEET) -> bytes:
    return xlsx({sheet: [*top, header, *rows]})


def row(project, month="2025年3月", plan=12000, done=500, ytd=1500, progress="", problem=""):
    return [
        1,
        project.code or "",
        project.name,
        "晋中开发区",
        month,
        plan,
        done,
        ytd,
        progress,
        problem,
    ]


def run(data: bytes, by, name: str = FILE, *, dry_run: bool = False):
    record = imports.receive(ImportKind.MONTHLY_TABLE, data, name, by=by, source="test")
    report = (imports.preview if dry_run else imports.apply)(record, data)
    return SpreadsheetImport.objects.get(pk=record.pk), report


def figures() -> dict:
    """(project, month) → its figures, read afresh."""
    return {
        (m.project_id, m.month): (
            m.annual_plan,
            m.completed_month,
            m.completed_year,
            m.image_progress,
        )
        for m in MonthlyProgress.objects.all()
    }


def footprint() -> dict:
    """Everything an import may write."""
    return {
        "months": sorted(MonthlyProgress.objects.values_list(), key=str),
        "history": MonthlyProgress.history.count(),
        "problems": sorted(Problem.objects.values_list(), key=str),
    }


def stored(project, month: dt.date, ytd, *, plan=None, done=None, progress="") -> MonthlyProgress:
    return MonthlyProgress.objects.create(
        project=project,
        month=month,
        annual_plan=plan,
        completed_month=done,
        completed_year=ytd,
        image_progress=progress,
    )


# --- a good file -------------------------------------------------------------------------------


class TestAGoodFile:
    def test_it_saves_each_projects_figures_for_the_month(self, dh, lithium, stan):
        data = table(
            row(dh, plan=12000, done=500, ytd=1500, progress="主体封顶"),
            row(lithium, plan="1.2亿元", done="３５０", ytd="800万元", progress="设备安装"),
        )
        record, report = run(data, stan)
        assert report.ok and report.applied, report.errors
        assert (report.rows, report.created, report.changed) == (2, 2, 0)
        assert figures() == {
            (dh.pk, D(2025, 3, 1)): (W("12000"), W("500"), W("1500"), "主体封顶"),
            (lithium.pk, D(2025, 3, 1)): (W("12000"), W("350"), W("800"), "设备安装"),
        }
        for month in MonthlyProgress.objects.all():
            assert (month.updated_by, month.source_import) == (stan, record)
        assert record.status == ImportStatus.APPLIED

    def test_history_names_the_person_and_the_file(self, dh, stan):
        record, report = run(table(row(dh)), stan)
        assert report.applied, report.errors
        entry = MonthlyProgress.history.get()
        assert (entry.history_type, entry.history_user) == ("+", stan)
        assert entry.history_change_reason == str(record.label)
        assert FILE in entry.history_change_reason

    def test_amounts_in_the_headers_unit(self, dh, stan):
        header = [
            "项目名称",
            "所在开发区",
            "月份",
            "年度计划投资（亿元）",
            "本月完成投资(亿元)",
            "1-3月累计完成投资（亿元）",
        ]
        data = table([dh.name, "晋中开发区", "2025.03", 1.2, 0.05, "0.15"], header=header)
        _record, report = run(data, stan)
        assert report.ok, report.errors
        assert figures() == {(dh.pk, D(2025, 3, 1)): (W("12000"), W("500"), W("1500"), "")}

    @pytest.mark.parametrize(
        "written",
        ["2025年3月", "2025.03", "2025-03", "２０２５年３月", D(2025, 3, 1), D(2025, 3, 31), 2025.03, "3月", 3],
    )  # fmt: skip
    def test_the_month_column_in_every_form(self, dh, stan, written):
        _record, report = run(table(row(dh, month=written)), stan)
        assert report.ok, report.errors
        assert list(figures()) == [(dh.pk, D(2025, 3, 1))]

    def test_the_month_from_the_title(self, dh, stan):
        header = [h for h in HEADER if h != "月份"]
        cells = row(dh)
        del cells[4]
        top = [["填报日期：2025年4月5日"], Title("晋中开发区2025年1-3月重点项目投资完成情况")]
        _record, report = run(table(cells, header=header, top=top), stan)
        assert report.ok, report.errors
        assert list(figures()) == [(dh.pk, D(2025, 3, 1))], "the last month of 1-3月, not April"

    @pytest.mark.parametrize(
        ("sheet", "title"),
        [("2025年3月", "重点项目月调度表"), ("2025.03", "重点项目月调度表"), ("3月", "2025年重点项目月调度表")],
    )  # fmt: skip
    def test_the_month_from_the_sheets_name(self, dh, stan, sheet, title):
        header = [h for h in HEADER if h != "月份"]
        cells = row(dh)
        del cells[4]
        data = table(cells, header=header, top=[Title(title)], sheet=sheet)
        _record, report = run(data, stan)
        assert report.ok, report.errors
        assert list(figures()) == [(dh.pk, D(2025, 3, 1))]

    def test_a_row_names_its_project_by_name_and_zone_without_a_code(self, project, stan):
        _record, report = run(table(row(project)), stan)  # the project has no code yet
        assert report.ok, report.errors
        assert list(figures()) == [(project.pk, D(2025, 3, 1))]

    def test_several_months_and_sheets_in_one_file(self, dh, stan):
        header = [h for h in HEADER if h != "月份"]
        sheets = {}
        for month, ytd in ((1, 300), (2, 900), (3, 1500)):
            cells = row(dh, ytd=ytd)
            del cells[4]
            sheets[f"2025年{month}月"] = [Title("重点项目月调度表"), header, cells]
        _record, report = run(xlsx(sheets), stan)
        assert report.ok, report.errors
        assert {k[1]: v[2] for k, v in figures().items()} == {
            D(2025, 1, 1): W(300),
            D(2025, 2, 1): W(900),
            D(2025, 3, 1): W(1500),
        }

    @pytest.mark.parametrize("kind", ["xls", "csv"])
    def test_xls_and_csv_import_alike(self, dh, stan, kind):
        rows = [*TOP, HEADER, row(dh, progress="主体封顶")]
        data = xls({SHEET: rows}) if kind == "xls" else csv_bytes(rows, "gb18030")
        _record, report = run(data, stan, f"月调度.{kind}")
        assert report.ok, report.errors
        assert figures() == {(dh.pk, D(2025, 3, 1)): (W(12000), W(500), W(1500), "主体封顶")}

    def test_totals_and_footnotes_are_skipped(self, dh, stan):
        rows = [row(dh), ["合计", "", "", "", "", 12000, 500, 1500], ["注：累计为本年累计。"]]
        _record, report = run(table(*rows), stan)
        assert report.ok and report.rows == 1, report.errors


# --- errors: every one named, nothing saved ----------------------------------------------------


class TestErrors:
    def test_every_bad_row_is_named_and_nothing_is_saved(self, dh, lithium, stan, other_project):
        rows = [
            row(dh, problem="用地指标未落实"),  # good, with a problem it would open
            [2, "", "未登记的项目", "晋中开发区", "2025年3月", 100, 10, 10],
            row(lithium, month="2025年2月", ytd=900),
            row(lithium, month="2025年3月", ytd=600),  # less than February's 900
            row(dh, month="2025年4月", done="很多"),
            row(dh, month=""),
            [6, "", other_project.name, "祁县经开区", "2025年3月", 100, 10, 10],
        ]
        # No month in the title either: the fifth row has none at all.
        top = [Title("晋中开发区重点项目月调度表")]
        before = footprint()
        record, report = run(table(*rows, top=top), stan)
        assert not report.ok and not report.applied
        first = 3  # one title row, the header, then the good row
        assert sorted((e.sheet, e.row, e.column) for e in report.errors) == [
            (SHEET, first + 1, "项目名称"),
            (SHEET, first + 2, "累计完成投资（万元）"),
            (SHEET, first + 3, "累计完成投资（万元）"),
            (SHEET, first + 4, "本月完成投资（万元）"),
            (SHEET, first + 5, "月份"),
            (SHEET, first + 6, "所在开发区"),
        ]
        reasons = {e.row: e.reason for e in report.errors}
        assert "未登记的项目" in reasons[first + 1]
        assert "600" in reasons[first + 3] and "900" in reasons[first + 3]
        assert "2025-02" in reasons[first + 3]
        assert "很多" in reasons[first + 4]
        assert "2025年3月" in reasons[first + 5]
        assert "祁县" in reasons[first + 6]
        assert footprint() == before
        assert not MonthlyProgress.objects.exists() and not Problem.objects.exists()
        assert record.status == ImportStatus.REFUSED

    def test_a_year_to_date_below_a_stored_earlier_month(self, dh, stan):
        stored(dh, D(2025, 2, 1), W(1000))
        before = footprint()
        _record, report = run(table(row(dh, ytd=800)), stan)
        assert [(e.row, e.column) for e in report.errors] == [(FIRST_ROW, "累计完成投资（万元）")]
        assert "1000" in report.errors[0].reason and "2025-02" in report.errors[0].reason
        assert footprint() == before

    def test_a_year_to_date_above_a_stored_later_month(self, dh, stan):
        stored(dh, D(2025, 4, 1), W(1000))
        _record, report = run(table(row(dh, ytd=1200)), stan)
        assert [e.column for e in report.errors] == ["累计完成投资（万元）"]
        assert "2025-04" in report.errors[0].reason
        assert list(figures()) == [(dh.pk, D(2025, 4, 1))]

    def test_a_new_year_starts_from_nothing(self, dh, stan):
        stored(dh, D(2024, 12, 1), W(9000))
        _record, report = run(table(row(dh, month="2025年1月", done=300, ytd=300)), stan)
        assert report.ok, report.errors

    def test_a_month_replaced_by_the_file_is_not_held_against_it(self, dh, stan):
        """The stored March said 1500; the file corrects March to 1400 and April to 1450."""
        stored(dh, D(2025, 3, 1), W(1500))
        data = table(row(dh, ytd=1400), row(dh, month="2025年4月", ytd=1450))
        _record, report = run(data, stan)
        assert report.ok, report.errors
        assert {k[1]: v[2] for k, v in figures().items()} == {
            D(2025, 3, 1): W(1400),
            D(2025, 4, 1): W(1450),
        }

    def test_a_month_not_begun_yet(self, dh, stan):
        today = timezone.localdate()
        later = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        _record, report = run(table(row(dh, month=f"{later:%Y年%m月}")), stan)
        assert [(e.row, e.column) for e in report.errors] == [(FIRST_ROW, "月份")]
        assert f"{later:%Y-%m}" in report.errors[0].reason
        assert not MonthlyProgress.objects.exists()

    @pytest.mark.parametrize("written", [2025, "2025年", "13月", "下月"])
    def test_a_month_column_that_names_no_month(self, dh, stan, written):
        _record, report = run(table(row(dh, month=written)), stan)
        assert [(e.row, e.column) for e in report.errors] == [(FIRST_ROW, "月份")]
        assert str(written) in report.errors[0].reason
        assert not MonthlyProgress.objects.exists()

    def test_a_month_alone_without_a_year_anywhere(self, dh, stan):
        _record, report = run(table(row(dh, month="3月"), top=[Title("重点项目月调度表")]), stan)
        assert [(e.row, e.column) for e in report.errors] == [(3, "月份")]
        assert "3月" in report.errors[0].reason

    def test_the_same_project_twice_for_one_month(self, dh, stan):
        _record, report = run(table(row(dh), row(dh, ytd=1600)), stan)
        assert [(e.row, e.column) for e in report.errors] == [(FIRST_ROW + 1, "月份")]
        assert str(FIRST_ROW) in report.errors[0].reason
        assert not MonthlyProgress.objects.exists()

    def test_a_negative_amount(self, dh, stan):
        _record, report = run(table(row(dh, done=-5)), stan)
        assert [e.column for e in report.errors] == ["本月完成投资（万元）"]

    def test_a_file_without_a_monthly_table(self, stan):
        data = xlsx(
            {"Sheet1": [["序号", "项目名称", "所在开发区", "总投资"], [1, "甲", "晋中开发区", 5]]}
        )
        _record, report = run(data, stan)
        assert not report.ok and report.errors[0].row == 0

    def test_an_officer_of_another_zone_imports_nothing_of_this_one(self, dh, charlie):
        _record, report = run(table(row(dh)), charlie)
        assert [(e.row, e.column) for e in report.errors] == [(FIRST_ROW, "所在开发区")]
        assert not MonthlyProgress.objects.exists()


# --- again ---------------------------------------------------------------------------------------


class TestAgain:
    def test_a_month_imported_again_replaces_only_that_months_listed_projects(
        self, dh, lithium, stan, alice
    ):
        feb = stored(dh, D(2025, 2, 1), W(900), plan=W(12000), done=W(400), progress="基础施工")
        other = stored(lithium, D(2025, 3, 1), W(700), plan=W(5000), done=W(100), progress="钢构")
        march = stored(dh, D(2025, 3, 1), W(1300), plan=W(12000), done=W(400), progress="主体")
        kept = {
            m.pk: (m.updated_at, m.updated_by_id)
            for m in MonthlyProgress.objects.filter(pk__in=[feb.pk, other.pk])
        }
        record, report = run(table(row(dh, done=600, ytd=1500, progress="主体封顶")), stan)
        assert report.applied and (report.changed, report.created) == (1, 0), report.errors
        assert figures() == {
            (dh.pk, D(2025, 2, 1)): (W(12000), W(400), W(900), "基础施工"),
            (lithium.pk, D(2025, 3, 1)): (W(5000), W(100), W(700), "钢构"),
            (dh.pk, D(2025, 3, 1)): (W(12000), W(600), W(1500), "主体封顶"),
        }
        fresh = MonthlyProgress.objects.get(pk=march.pk)
        assert (fresh.updated_by, fresh.source_import) == (stan, record)
        assert fresh.history.latest().history_user == stan
        assert {
            m.pk: (m.updated_at, m.updated_by_id)
            for m in MonthlyProgress.objects.filter(pk__in=[feb.pk, other.pk])
        } == kept
        changed = report.samples["changed"][0]["changes"]
        assert [c[1:] for c in changed] == [["400", "600"], ["1300", "1500"], ["主体", "主体封顶"]]

    def test_an_empty_cell_clears_and_a_column_left_out_changes_nothing(self, dh, stan):
        stored(dh, D(2025, 3, 1), W(1500), plan=W(12000), done=W(500), progress="主体封顶")
        header = ["项目名称", "所在开发区", "月份", "本月完成投资", "累计完成投资"]
        _record, report = run(
            table([dh.name, "晋中开发区", "2025年3月", "", 1500], header=header), stan
        )
        assert report.applied, report.errors
        assert figures() == {(dh.pk, D(2025, 3, 1)): (W(12000), None, W(1500), "主体封顶")}

    def test_the_same_file_twice_changes_nothing_and_the_preview_says_so(self, dh, lithium, stan):
        data = table(row(dh, problem="用地指标未落实"), row(lithium, ytd=800))
        first, report = run(data, stan)
        assert report.applied and report.created == 2
        after_first = footprint()

        second = imports.receive(ImportKind.MONTHLY_TABLE, data, "副本.xlsx", by=stan, source="t")
        preview = imports.preview(second, data)
        assert preview.ok and preview.changes_nothing
        assert (preview.created, preview.changed, preview.unchanged) == (0, 0, 2)
        assert len(preview.notes) == 1 and str(stan) in preview.notes[0]
        again = imports.apply(second, data)
        assert again.applied and again.changes_nothing
        assert footprint() == after_first

    def test_a_sheet_of_problems_alone_makes_no_month(self, dh, stan):
        header = ["项目名称", "所在开发区", "月份", "存在问题"]
        data = table([dh.name, "晋中开发区", "2025年3月", "用地指标未落实"], header=header)
        _record, report = run(data, stan)
        assert report.applied and (report.created, report.changed) == (0, 1), report.errors
        assert not MonthlyProgress.objects.exists() and Problem.objects.count() == 1

    def test_a_preview_writes_nothing(self, dh, stan):
        before = footprint()
        record, report = run(table(row(dh, problem="用地指标未落实")), stan, dry_run=True)
        assert report.ok and not report.applied and report.created == 1
        assert footprint() == before
        assert record.status == ImportStatus.PREVIEWED


# --- who ---------------------------------------------------------------------------------------


class TestWho:
    @pytest.mark.parametrize("who", ["alice", "bob", "stan", "superuser"])
    def test_officers_supervisors_statisticians_and_administrators_import(self, dh, request, who):
        person = request.getfixturevalue(who)
        _record, report = run(table(row(dh)), person)
        assert report.applied, report.errors
        assert MonthlyProgress.objects.get().updated_by == person

    def test_the_statistician_may_import_but_edits_no_figures_by_hand(self, dh, stan, alice):
        _record, report = run(table(row(dh)), stan)
        assert report.applied
        month = MonthlyProgress.objects.get()
        for action in ("add", "change", "delete"):
            assert not permissions.has(stan, f"approvals.{action}_monthlyprogress", dh)
        assert permissions.has(alice, "approvals.change_monthlyprogress", dh)
        assert month.updated_by == stan

    def test_a_leader_may_not_import(self, dh, lily):
        with pytest.raises(PermissionDenied):
            imports.receive(ImportKind.MONTHLY_TABLE, table(row(dh)), FILE, by=lily, source="t")
        assert not SpreadsheetImport.objects.exists()


# --- the command ---------------------------------------------------------------------------------


class TestTheCommand:
    def test_it_imports_with_a_progress_bar_and_a_summary(self, tmp_path, dh, stan):
        path = tmp_path / FILE
        path.write_bytes(table(row(dh)))
        out, err = io.StringIO(), io.StringIO()
        call_command("import_monthly", str(path), "--user", "stan", stdout=out, stderr=err)
        assert "新增 1" in out.getvalue()
        assert FILE in err.getvalue(), "tqdm's bar names the file"
        assert MonthlyProgress.objects.get().updated_by == stan

    def test_a_bad_file_exits_non_zero_and_saves_nothing(self, tmp_path, dh):
        path = tmp_path / FILE
        path.write_bytes(table(row(dh, ytd="很多")))
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("import_monthly", str(path), stdout=io.StringIO(), stderr=err)
        assert f"第{FIRST_ROW}行" in err.getvalue() and "很多" in err.getvalue()
        assert not MonthlyProgress.objects.exists()


# --- the admin's pages ----------------------------------------------------------------------------


def upload(client, data: bytes, name: str = FILE):
    file = io.BytesIO(data)
    file.name = name
    return client.post(UPLOAD, {"file": file})


def done_url() -> str:
    try:
        return reverse("admin:approvals_monthlyprogress_changelist")
    except NoReverseMatch:
        return PROJECTS


class TestThePages:
    def test_upload_preview_confirm(self, as_user, stan, dh, lithium):
        client = as_user(stan)
        listing = client.get(PROJECTS).content.decode()
        assert f'href="{UPLOAD}"' in listing and 'id="import-monthly"' in listing
        assert client.get(UPLOAD).status_code == 200
        data = table(row(dh, progress="主体封顶", problem="用地指标未落实"), row(lithium, ytd=800))
        response = upload(client, data)
        assert response.status_code == 302
        record = SpreadsheetImport.objects.get()
        assert record.kind == ImportKind.MONTHLY_TABLE
        url = reverse("admin:approvals_project_monthly_preview", args=[record.token])
        assert response["Location"] == url
        page = client.get(url)
        text = page.content.decode()
        report = page.context["report"]
        assert (report.rows, report.created, report.error_count) == (2, 2, 0)
        assert "主体封顶" in text and 'id="confirm-form"' in text
        assert not MonthlyProgress.objects.exists() and not Problem.objects.exists()

        response = client.post(url)
        assert response.status_code == 302 and response["Location"] == done_url()
        assert set(figures()) == {(dh.pk, D(2025, 3, 1)), (lithium.pk, D(2025, 3, 1))}
        assert Problem.objects.get().project_id == dh.pk
        assert SpreadsheetImport.objects.get().status == ImportStatus.APPLIED

        again = upload(client, data)
        assert 'id="changes-nothing"' in client.get(again["Location"]).content.decode()

    def test_a_file_with_errors_is_shown_and_saves_nothing(self, as_user, stan, dh):
        client = as_user(stan)
        url = upload(client, table(row(dh, done="很多")))["Location"]
        page = client.get(url)
        text = page.content.decode()
        assert [(e.row, e.column) for e in page.context["report"].errors] == [
            (FIRST_ROW, "本月完成投资（万元）")
        ]
        assert 'id="import-refused"' in text and 'id="confirm-form"' not in text
        client.post(url)
        assert not MonthlyProgress.objects.exists()

    def test_the_blank_template_reads_back_in(self, as_user, stan, dh):
        client = as_user(stan)
        response = client.get(TEMPLATE)
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        assert [c.value for c in sheet[1]] == HEADER  # the header the imports here read
        sheet.append([1, CODE, dh.name, "晋中开发区", "2025年3月", 12000, 500, 1500, "", ""])
        out = io.BytesIO()
        book.save(out)
        client.post(upload(client, out.getvalue())["Location"])
        assert figures() == {(dh.pk, D(2025, 3, 1)): (W(12000), W(500), W(1500), "")}

    def test_a_leader_has_no_import_page(self, as_user, lily):
        client = as_user(lily)
        assert client.get(UPLOAD).status_code == 403
        assert client.get(TEMPLATE).status_code == 403

    def test_a_preview_is_not_found_under_another_kinds_page(self, as_user, stan, dh):
        client = as_user(stan)
        upload(client, table(row(dh)))
        token = SpreadsheetImport.objects.get().token
        other = reverse("admin:approvals_project_spreadsheet_preview", args=[token])
        assert client.get(other).status_code == 404

    def test_a_large_file_goes_to_the_worker(self, as_user, stan, dh, settings):
        from approvals.tasks import run_job

        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(stan)
        url = upload(client, table(row(dh)))["Location"]
        job = Job.objects.get()
        assert (job.kind, job.status) == ("import_preview", JobStatus.QUEUED)
        assert 'id="import-progress"' in client.get(url).content.decode()
        run_job(job.pk)
        assert client.get(url).context["report"].created == 1
        assert not MonthlyProgress.objects.exists()
        client.post(url)
        run_job(Job.objects.get(kind="import_apply").pk)
        assert SpreadsheetImport.objects.get().status == ImportStatus.APPLIED
        assert list(figures()) == [(dh.pk, D(2025, 3, 1))]


def test_a_big_monthly_imports_job_page_links_its_own_preview(alice, as_user):
    from approvals.models import ImportKind, Job, JobKind, JobStatus, SpreadsheetImport

    record = SpreadsheetImport.objects.create(
        token="m" * 32, kind=ImportKind.MONTHLY_TABLE, file_name="月调度.xlsx", by=alice
    )
    job = Job.objects.create(
        kind=JobKind.IMPORT_PREVIEW,
        status=JobStatus.DONE,
        created_by=alice,
        result={"import": record.token},
    )
    page = as_user(alice).get(reverse("admin:approvals_job_change", args=[job.pk]))
    preview = reverse("admin:approvals_project_monthly_preview", args=[record.token])
    assert page.status_code == 200
    assert preview in page.content.decode()
