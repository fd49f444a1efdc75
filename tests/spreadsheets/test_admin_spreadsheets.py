"""The spreadsheet import pages, through the test client: upload → preview → confirm, for the
三个一批 project list (on the project list) and the approval progress table (on the approval
items list), as each role sees them; blank templates; large files handed to the worker.

Every file is built here, in memory, with openpyxl; every check after an action reads the
database afresh."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Batch,
    BatchEntry,
    ImportStatus,
    ItemModeChange,
    ItemStatus,
    ItemStatusChange,
    Job,
    JobStatus,
    Milestone,
    Mode,
    ModeOrigin,
    Project,
    SpreadsheetImport,
    Stage,
    StageChange,
    StageRequest,
)
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory
from tests.spreadsheet_files import Title, xlsx
from zones.models import Enterprise

PROJECTS = reverse("admin:approvals_project_changelist")
ITEMS = reverse("admin:approvals_approvalitem_changelist")
LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")
LIST_TEMPLATE = reverse("admin:approvals_project_spreadsheet_template")
TABLE_UPLOAD = reverse("admin:approvals_approvalitem_spreadsheet_import")
TABLE_TEMPLATE = reverse("admin:approvals_approvalitem_spreadsheet_template")

LIST_HEADERS = [
    "序号",
    "项目代码",
    "项目名称",
    "项目单位",
    "所在开发区",
    "类别",
    "当前阶段",
    "总投资（万元）",
    "计划开工时间",
    "形象进度",
]
EVENT = dt.date(2025, 3, 20)
BATCH = {"year": 2025, "round": 1, "event_date": EVENT.isoformat()}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files and written exports go to a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(headers: list, rows: list[list], *, sheet: str = "清单", title: str = "") -> bytes:
    """An .xlsx as zones write them: an optional title row above the header."""
    return xlsx({sheet: [*([Title(title)] if title else []), headers, *rows]})


def quarterly_list() -> bytes:
    """Two new projects and one already recorded (the ``project`` fixture)."""
    return workbook(
        LIST_HEADERS,
        [
            [1, "", "晋中新材料产业园项目", "山西晋中新材料有限公司", "晋中开发区", "签约", "已签约", 20000, "", ""],
            [2, "", "年产5万吨锂电池负极材料项目", "山西负极材料有限公司", "综改区晋中开发区", "开工", "", "3亿元", "2025年6月", "土建施工"],
            [3, "", "大恒能源7GW光伏垂直一体化项目", "", "晋中开发区", "投产", "", 600000, "", "设备安装"],
        ],
        title="晋中市2025年第一季度“三个一批”项目清单",
    )  # fmt: skip


def upload(client, url: str, data: bytes, name: str = "一季度清单.xlsx", **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(url, {"file": file, **fields})


def only_import() -> SpreadsheetImport:
    return SpreadsheetImport.objects.get()


def html(response) -> str:
    return response.content.decode()


def what_exists() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Project, BatchEntry, Milestone, StageChange, Enterprise, Batch)
    )


def nothing_saved(before_projects: int) -> None:
    assert Project.objects.count() == before_projects
    assert not Batch.objects.exists()
    assert not BatchEntry.objects.exists()
    assert not Milestone.objects.exists()
    assert StageChange.objects.count() == before_projects  # each one's creation record only


# --- the 三个一批 project list --------------------------------------------------------------


class TestWhoImports:
    def test_the_statistician_sees_the_import_buttons(self, as_user, stan, project):
        page = html(as_user(stan).get(PROJECTS))
        assert 'id="import-list"' in page
        assert f'href="{LIST_UPLOAD}"' in page
        assert f'href="{LIST_TEMPLATE}"' in page

    def test_a_leader_sees_no_import_button_and_may_not_import(self, as_user, lily, zone):
        client = as_user(lily)
        page = html(client.get(PROJECTS))
        assert 'id="import-list"' not in page
        assert f'href="{LIST_UPLOAD}"' not in page
        assert client.get(LIST_UPLOAD).status_code == 403
        response = upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)
        assert response.status_code == 403
        assert not SpreadsheetImport.objects.exists()
        assert not Project.objects.exists()

    def test_a_leader_may_not_import_an_approval_table(self, as_user, lily, catalogue):
        client = as_user(lily)
        assert 'id="import-approvals"' not in html(client.get(ITEMS))
        assert client.get(TABLE_UPLOAD).status_code == 403

    def test_an_officer_of_another_zone_cannot_import_rows_of_this_zone(
        self, as_user, charlie, zone
    ):
        client = as_user(charlie)
        response = upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)
        assert response.status_code == 302
        page = client.get(response["Location"])
        text = html(page)
        report = page.context["report"]
        assert report.error_count == 3
        assert {(e.row, e.column) for e in report.errors} == {
            (3, "所在开发区"),
            (4, "所在开发区"),
            (5, "所在开发区"),
        }
        assert all("综改区晋中开发区" in e.reason for e in report.errors)
        assert 'id="import-errors"' in text and 'id="import-refused"' in text
        assert 'id="confirm-form"' not in text
        assert only_import().status == ImportStatus.REFUSED
        client.post(response["Location"])  # a confirmation forced anyway
        nothing_saved(0)
        assert only_import().status == ImportStatus.REFUSED


class TestImportingAList:
    def test_upload_preview_confirm(self, as_user, stan, zone, project):
        client = as_user(stan)
        recorded_before = set(StageChange.objects.values_list("pk", flat=True))
        response = upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)
        assert response.status_code == 302
        record = only_import()
        assert record.by == stan and record.status == ImportStatus.PREVIEWED
        preview_url = reverse("admin:approvals_project_spreadsheet_preview", args=[record.token])
        assert response["Location"] == preview_url

        page = client.get(preview_url)
        text = html(page)
        counts = text[text.index('id="import-counts"') : text.index("</table>")]
        cells = [c.split("</td>")[0] for c in counts.split("<td>")[1:]]
        assert cells == ["3", "2", "1", "0", "1", "0"]  # rows, new, changed, unchanged, ⚠, ✗
        assert 'id="import-created"' in text and 'id="import-changed"' in text
        created = text[text.index('id="import-created"') : text.index('id="import-changed"')]
        # a new row shows what it brings: its stage, investor, figures and plans
        assert "<strong>总投资（万元）</strong>：— &rarr; 20000" in created
        assert "<strong>计划开工日期</strong>：— &rarr; 2025-06" in created
        assert "晋中新材料产业园项目（综改区晋中开发区）" in text
        assert "— &rarr; 设备安装" in text  # an empty fact filled: old → new
        # the round is past: new rows are created at their category's stage, a stored one
        # behind it gets a request from the list (guide section 12)
        assert "新建，阶段：已开工（开工日期 2025年3月20日）" in created
        assert "将提交补录申请：储备/洽谈 → 已投产，待分管领导审批" in text
        tallies = text[text.index('id="import-tallies"') :]
        assert "新建（已签约）：1" in tallies and "新建（已开工）：1" in tallies
        assert "将提交的补录申请：1" in tallies
        assert 'id="import-warnings"' in text and "500000" in text  # investment kept
        assert 'id="confirm-form"' in text
        assert Project.objects.count() == 1, "a preview writes nothing"
        assert not Batch.objects.exists()

        response = client.post(preview_url)
        assert response.status_code == 302 and response["Location"] == PROJECTS

        record = SpreadsheetImport.objects.get(pk=record.pk)
        assert record.status == ImportStatus.APPLIED and record.applied_at is not None
        batch = Batch.objects.get()
        assert (batch.year, batch.round, batch.event_date) == (2025, 1, EVENT)
        assert record.batch == batch

        signing = Project.objects.get(name="晋中新材料产业园项目")
        assert signing.zone == zone and signing.stage == Stage.SIGNED
        assert signing.total_investment == 20000
        assert signing.enterprise == Enterprise.objects.get(name="山西晋中新材料有限公司")
        starting = Project.objects.get(name="年产5万吨锂电池负极材料项目")
        assert starting.stage == Stage.UNDER_CONSTRUCTION and starting.total_investment == 30000
        kept = Project.objects.get(pk=project.pk)
        assert kept.total_investment == 500000, "a differing fact is kept"
        assert kept.progress == "设备安装", "an empty fact is filled"

        entries = {e.project_id: e for e in BatchEntry.objects.filter(batch=batch)}
        assert {p: e.category for p, e in entries.items()} == {
            signing.pk: "sign",
            starting.pk: "start",
            kept.pk: "produce",
        }
        assert entries[kept.pk].total_investment == 600000, "the entry keeps the figure reported"

        milestones = {(m.project_id, m.stage): m for m in Milestone.objects.all()}
        assert set(milestones) == {
            (signing.pk, Stage.SIGNED),
            (starting.pk, Stage.UNDER_CONSTRUCTION),
        }
        signed = milestones[signing.pk, Stage.SIGNED]
        assert (signed.planned_date, signed.actual_date) == (None, EVENT)
        month = milestones[starting.pk, Stage.UNDER_CONSTRUCTION]
        assert (month.planned_date, month.planned_month_only) == (dt.date(2025, 6, 30), True)
        assert month.actual_date == EVENT
        asked = StageRequest.objects.get()  # the stored project is not moved: it is asked
        assert (asked.project_id, asked.kind, asked.transition, asked.target_stage) == (
            kept.pk,
            "list",
            "start_production",
            Stage.IN_PRODUCTION,
        )
        assert (asked.requested_by, asked.spreadsheet_import, asked.batch_entry) == (
            stan,
            record,
            entries[kept.pk],
        )
        assert asked.evidence == {"production_date": EVENT.isoformat()}

        changes = StageChange.objects.exclude(pk__in=recorded_before)
        assert {c.project_id for c in changes} == {signing.pk, starting.pk}
        for change in changes:
            assert change.by == stan
            assert "一季度清单.xlsx" in change.comment
            assert change.evidence["file"] == "一季度清单.xlsx"
        assert StageChange.objects.get(project=signing).target == Stage.SIGNED

    def test_the_statistician_still_cannot_edit_a_project_by_hand(
        self, as_user, alice, stan, project
    ):
        url = reverse("admin:approvals_project_change", args=[project.pk])
        data = change_form_data(as_user(alice), url, progress="统计员手改")
        response = as_user(stan).post(url, data)
        assert response.status_code == 403
        assert Project.objects.get(pk=project.pk).progress != "统计员手改"

    def test_a_file_with_errors_lists_every_bad_row_and_saves_nothing(
        self, as_user, stan, zone, project
    ):
        client = as_user(stan)
        data = workbook(
            LIST_HEADERS,
            [
                [1, "", "", "", "晋中开发区", "签约", "", 100, "", ""],
                [2, "", "好项目", "", "火星开发区", "签约", "", 100, "", ""],
                [3, "", "好项目二", "", "晋中开发区", "剪彩", "", 100, "", ""],
                [4, "", "好项目三", "", "晋中开发区", "开工", "", "很多", "", ""],
                [5, "", "好项目四", "", "晋中开发区", "开工", "", 100, "明年春天", ""],
                [6, "", "好项目五", "", "晋中开发区", "开工", "", 100, "", ""],
            ],
            sheet="重点项目",
        )
        response = upload(client, LIST_UPLOAD, data, name="有错.xlsx", **BATCH)
        page = client.get(response["Location"])
        text = html(page)
        errors = page.context["report"].errors
        assert [(e.sheet, e.row, e.column) for e in errors] == [
            ("重点项目", 2, "项目名称"),
            ("重点项目", 3, "所在开发区"),
            ("重点项目", 4, "类别"),
            ("重点项目", 5, "总投资（万元）"),
            ("重点项目", 6, "计划开工时间"),
        ]
        table = text[text.index('id="import-errors"') :]
        for error in errors:
            row = f"<tr><td>重点项目</td><td>{error.row}</td><td>{error.column}</td>"
            assert row in table
            assert error.reason in table
        assert "火星开发区" in table and "剪彩" in table and "很多" in table
        assert 'id="import-refused"' in text
        assert 'id="confirm-form"' not in text
        client.post(response["Location"])
        nothing_saved(1)
        assert Project.objects.get(pk=project.pk).progress == ""

    def test_re_uploading_the_same_file_changes_nothing(self, as_user, stan, zone, project):
        client = as_user(stan)
        data = quarterly_list()  # the same bytes (openpyxl stamps the time it saved)
        first = upload(client, LIST_UPLOAD, data, **BATCH)
        client.post(first["Location"])
        counts = what_exists()
        earlier = SpreadsheetImport.objects.get(status=ImportStatus.APPLIED)

        again = upload(client, LIST_UPLOAD, data, **BATCH)
        assert again["Location"] != first["Location"]
        page = client.get(again["Location"])
        text = html(page)
        assert 'id="changes-nothing"' in text
        notes = page.context["report"].notes
        assert len(notes) == 1 and "斯坦" in notes[0]  # the earlier import, and who made it
        assert timezone.localtime(earlier.applied_at).strftime("%Y-%m-%d %H:%M") in notes[0]
        assert notes[0] in text
        report = page.context["report"]
        assert (report.created, report.changed, report.unchanged) == (0, 0, 3)
        assert 'id="confirm-form"' not in text
        client.post(again["Location"])
        assert what_exists() == counts

    def test_a_preview_is_for_its_uploader_only(
        self, as_user, stan, alice, charlie, superuser, zone
    ):
        response = upload(as_user(stan), LIST_UPLOAD, quarterly_list(), **BATCH)
        url = response["Location"]
        for other in (alice, charlie):
            client = as_user(other)
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
        assert not Project.objects.exists()
        assert only_import().status == ImportStatus.PREVIEWED
        page = as_user(superuser).get(url)
        assert page.status_code == 200 and 'id="import-counts"' in html(page)
        # The preview of one kind is not found under the other kind's pages.
        token = only_import().token
        other_kind = reverse("admin:approvals_approvalitem_spreadsheet_preview", args=[token])
        assert as_user(stan).get(other_kind).status_code == 404

    def test_an_administrator_reads_anothers_import_but_never_confirms_it(
        self, as_user, stan, superuser, zone
    ):
        url = upload(as_user(stan), LIST_UPLOAD, quarterly_list(), **BATCH)["Location"]
        assert as_user(superuser).post(url).status_code == 403
        assert not Project.objects.exists() and not StageChange.objects.exists()
        assert only_import().status == ImportStatus.PREVIEWED
        # Its uploader confirms it: the import, and every change it made, are the uploader's.
        assert as_user(stan).post(url).status_code == 302
        changes = StageChange.objects.all()
        assert only_import().status == ImportStatus.APPLIED
        assert changes.count() == Project.objects.count() > 0
        assert {c.by for c in changes} == {stan}

    def test_confirming_twice_imports_once(self, as_user, stan, zone):
        client = as_user(stan)
        url = upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)["Location"]
        assert client.post(url).status_code == 302
        counts = what_exists()
        assert counts == (3, 3, 3, 3, 2, 1)
        second = client.post(url)
        assert second.status_code in (200, 302)
        assert what_exists() == counts
        assert only_import().status == ImportStatus.APPLIED

    def test_an_upload_without_a_file_or_with_no_workbook_is_refused_on_the_form(
        self, as_user, stan, zone
    ):
        client = as_user(stan)
        response = client.post(LIST_UPLOAD, BATCH)
        assert response.status_code == 200 and response.context["form"].errors["file"]
        response = upload(client, LIST_UPLOAD, b"<html>not a workbook</html>", **BATCH)
        assert response.status_code == 200
        assert "不是" in " ".join(response.context["form"].errors["file"])
        assert not SpreadsheetImport.objects.exists()

    def test_a_file_above_the_size_limit_is_refused(self, as_user, stan, zone, settings):
        settings.IMPORT_FILE_MAX_MB = 0
        response = upload(as_user(stan), LIST_UPLOAD, quarterly_list(), **BATCH)
        assert response.status_code == 200
        assert "MB" in " ".join(response.context["form"].errors["file"])
        assert not SpreadsheetImport.objects.exists()

    def test_a_csv_in_gb18030_imports(self, as_user, stan, zone):
        lines = [
            ",".join(["项目名称", "所在开发区", "类别", "计划签约时间", "总投资（亿元）"]),
            ",".join(["晋中数据中心项目", "晋中开发区", "签约一批", "2025.4", "1.2"]),
        ]
        data = "\r\n".join(lines).encode("gb18030")
        client = as_user(stan)
        url = upload(client, LIST_UPLOAD, data, name="清单.csv", **BATCH)["Location"]
        assert client.get(url).context["report"].created == 1
        client.post(url)
        project = Project.objects.get(name="晋中数据中心项目")
        assert project.total_investment == 12000
        milestone = Milestone.objects.get(project=project)
        assert (milestone.stage, milestone.planned_date, milestone.planned_month_only) == (
            Stage.SIGNED,
            dt.date(2025, 4, 30),
            True,
        ), "the row's month-only plan wins over the event date"

    def test_a_new_round_needs_its_event_date(self, as_user, stan, zone):
        client = as_user(stan)
        response = upload(client, LIST_UPLOAD, quarterly_list(), year=2025, round=2)
        assert response.status_code == 200  # the form again, the date asked on its field
        assert "event_date" in response.context["form"].errors
        assert not SpreadsheetImport.objects.exists()
        nothing_saved(0)


class TestTemplates:
    def test_the_blank_list_template_filled_with_one_row_imports(self, as_user, stan, zone):
        client = as_user(stan)
        response = client.get(LIST_TEMPLATE)
        assert response.status_code == 200
        assert "spreadsheetml" in response["Content-Type"]
        assert "attachment" in response["Content-Disposition"]
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        headers = [c.value for c in sheet[1]]
        assert headers[:3] == ["序号", "项目代码", "项目名称"] and "总投资（亿元）" in headers
        row = dict.fromkeys(headers, None)
        row.update(
            {
                "序号": 1,
                "项目名称": "模板填写的氢能装备项目",
                "项目单位": "山西氢能装备有限公司",
                "所在开发区": "晋中开发区",
                "类别": "开工",
                "总投资（亿元）": 2.5,
                "计划开工时间": dt.datetime(2025, 5, 8),
            }
        )
        sheet.append([row[h] for h in headers])
        filled = io.BytesIO()
        book.save(filled)

        url = upload(client, LIST_UPLOAD, filled.getvalue(), name="模板.xlsx", **BATCH)["Location"]
        page = client.get(url)
        assert page.context["report"].created == 1 and 'id="confirm-form"' in html(page)
        client.post(url)
        project = Project.objects.get(name="模板填写的氢能装备项目")
        assert project.zone == zone and project.total_investment == 25000
        milestone = Milestone.objects.get(project=project)
        assert milestone.stage == Stage.UNDER_CONSTRUCTION
        assert milestone.planned_date == dt.date(2025, 5, 8), "the row's own date wins"
        assert BatchEntry.objects.get(project=project).category == "start"

    def test_the_approval_table_template_lists_the_catalogue(self, as_user, stan, catalogue):
        client = as_user(stan)
        page = html(client.get(ITEMS))
        assert 'id="import-approvals"' in page and f'href="{TABLE_TEMPLATE}"' in page
        response = client.get(TABLE_TEMPLATE)
        assert response.status_code == 200
        headers = [c.value for c in load_workbook(io.BytesIO(response.content)).worksheets[0][1]]
        names = list(
            ApprovalType.objects.filter(is_active=True)
            .order_by("sort_order", "code")
            .values_list("name", flat=True)
        )
        assert len(names) == 21
        assert headers == ["序号", "项目代码", "项目名称", "所在开发区", *names]


# --- the approval progress table -----------------------------------------------------------


class TestImportingAnApprovalTable:
    def test_upload_preview_confirm(self, as_user, stan, zone, project, catalogue):
        client = as_user(stan)
        data = workbook(
            ["序号", "项目名称", "所在开发区", "项目赋码及备案", "用地预审", "区评", "LX06"],
            [[1, project.name, "晋中开发区", dt.datetime(2025, 3, 10), "已受理（2025.3.3）", "不涉及", ""]],
            title="前期手续办理进度表",
        )  # fmt: skip
        response = upload(client, TABLE_UPLOAD, data, name="手续进度.xlsx")
        assert response.status_code == 302
        record = only_import()
        url = reverse("admin:approvals_approvalitem_spreadsheet_preview", args=[record.token])
        assert response["Location"] == url
        page = client.get(url)
        text = html(page)
        report = page.context["report"]
        assert (report.rows, report.changed, report.error_count) == (1, 1, 0)
        assert "LX01 项目赋码及备案" in text and "2025-03-10" in text
        assert 'id="confirm-form"' in text
        assert not ApprovalItem.objects.exists(), "a preview writes nothing"

        response = client.post(url)
        assert response.status_code == 302 and response["Location"] == ITEMS
        items = {
            i.approval_type.code: i for i in ApprovalItem.objects.select_related("approval_type")
        }
        assert set(items) == {"LX01", "LX03", "LX04"}, "an empty cell changes nothing"
        assert (items["LX01"].status, items["LX01"].approved_on) == (
            ItemStatus.APPROVED,
            dt.date(2025, 3, 10),
        )
        assert (items["LX03"].status, items["LX03"].accepted_on) == (
            ItemStatus.ACCEPTED,
            dt.date(2025, 3, 3),
        )
        assert items["LX03"].deadline is not None
        assert items["LX04"].mode == Mode.NOT_APPLICABLE
        imported = ItemStatusChange.objects.filter(transition="record_import")
        assert {c.item.approval_type.code for c in imported} == {"LX01", "LX03"}
        for change in ItemStatusChange.objects.all():
            assert change.by == stan and "手续进度.xlsx" in change.comment
        mode = ItemModeChange.objects.get(item=items["LX04"], target=Mode.NOT_APPLICABLE)
        assert mode.origin == ModeOrigin.IMPORT and mode.by == stan
        assert only_import().status == ImportStatus.APPLIED

        # The same table again changes nothing.
        again = upload(client, TABLE_UPLOAD, data, name="手续进度.xlsx")
        assert 'id="changes-nothing"' in html(client.get(again["Location"]))

    def test_an_officer_of_another_zone_cannot_import_its_rows(
        self, as_user, charlie, zone, project, catalogue
    ):
        client = as_user(charlie)
        data = workbook(
            ["项目名称", "所在开发区", "项目赋码及备案"], [[project.name, "晋中开发区", "已办结"]]
        )
        url = upload(client, TABLE_UPLOAD, data)["Location"]
        page = client.get(url)
        assert [(e.row, e.sheet) for e in page.context["report"].errors] == [(2, "清单")]
        assert 'id="confirm-form"' not in html(page)
        client.post(url)
        assert not ApprovalItem.objects.exists() and not ItemStatusChange.objects.exists()

    def test_an_unknown_project_is_an_error(self, as_user, stan, zone, catalogue):
        client = as_user(stan)
        data = workbook(
            ["项目名称", "所在开发区", "项目赋码及备案"],
            [["并不存在的项目", "晋中开发区", "已办结"]],
        )
        url = upload(client, TABLE_UPLOAD, data)["Location"]
        page = client.get(url)
        assert page.context["report"].error_count == 1
        assert 'id="confirm-form"' not in html(page)
        client.post(url)
        assert not Project.objects.exists() and not ApprovalItem.objects.exists()


# --- large files go to the worker -----------------------------------------------------------


def five_rows() -> bytes:
    return workbook(
        LIST_HEADERS,
        [
            [n, "", f"批量项目{n}", "", "晋中开发区", "签约", "", 1000 * n, "", ""]
            for n in range(1, 6)
        ],
    )


class TestLargeFiles:
    def test_the_preview_of_10000_rows_stays_small(self, as_user, stan, zone, settings):
        """django-import-export's own confirm page for such a file weighs about 16 MB: ours
        shows the counts and the first rows of each kind."""
        settings.SPREADSHEET_WORKER_ROWS = 20_000  # handled in the request, to read the page
        rows = [
            [n, "", f"批量项目{n}", f"批量企业{n}", "晋中开发区", "签约", "", 1000 + n, "", ""]
            for n in range(1, 10_001)
        ]
        client = as_user(stan)
        response = upload(client, LIST_UPLOAD, workbook(LIST_HEADERS, rows), **BATCH)
        page = client.get(response["Location"])
        text = html(page)
        counts = text[text.index('id="import-counts"') : text.index("</table>")]
        assert [c.split("</td>")[0] for c in counts.split("<td>")[1:]][:2] == ["10000", "10000"]
        created = text[text.index('id="import-created"') :]
        assert created.count("<tr><td>") == 50, "the first 50 new rows"
        assert len(page.content) < 150_000, len(page.content)
        assert not Project.objects.exists(), "a preview saves nothing"

    def test_preview_and_import_run_in_the_worker(
        self, as_user, stan, zone, settings, celery_inline, django_capture_on_commit_callbacks
    ):
        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(stan)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = upload(client, LIST_UPLOAD, five_rows(), name="大清单.xlsx", **BATCH)
        assert response.status_code == 302
        record = only_import()
        assert response["Location"] == reverse(
            "admin:approvals_project_spreadsheet_preview", args=[record.token]
        )
        assert record.status == ImportStatus.UPLOADED, "the request itself read no row"
        job = Job.objects.get()
        assert (job.kind, job.status, job.created_by) == ("import_preview", JobStatus.QUEUED, stan)
        assert len(queued) == 1, "the job is queued after the upload is committed"

        waiting = html(client.get(response["Location"]))
        assert 'id="import-progress"' in waiting
        assert 'http-equiv="refresh"' in waiting
        assert 'id="confirm-form"' not in waiting

        queued[0]()  # the worker takes the job
        assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
        page = client.get(response["Location"])
        text = html(page)
        assert 'id="import-progress"' not in text
        assert page.context["report"].created == 5 and 'id="confirm-form"' in text
        assert SpreadsheetImport.objects.get(pk=record.pk).status == ImportStatus.PREVIEWED
        assert not Project.objects.exists()
        # The job's page links the preview.
        job_page = html(client.get(reverse("admin:approvals_job_change", args=[job.pk])))
        assert response["Location"] in job_page

        with django_capture_on_commit_callbacks(execute=True):
            confirm = client.post(response["Location"])
        assert confirm.status_code == 302 and confirm["Location"] == response["Location"]
        apply_job = Job.objects.get(kind="import_apply")
        assert apply_job.status == JobStatus.DONE and apply_job.created_by == stan
        record = SpreadsheetImport.objects.get(pk=record.pk)
        assert record.status == ImportStatus.APPLIED
        assert Project.objects.filter(name__startswith="批量项目").count() == 5
        assert BatchEntry.objects.count() == 5 and StageChange.objects.count() == 5
        done = html(client.get(response["Location"]))
        assert 'id="import-progress"' not in done and 'id="confirm-form"' not in done

    def test_the_worker_job_run_by_hand(self, as_user, stan, zone, settings):
        from approvals.tasks import run_job

        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(stan)
        url = upload(client, LIST_UPLOAD, five_rows(), **BATCH)["Location"]
        job = Job.objects.get()
        assert 'id="import-progress"' in html(client.get(url))
        run_job(job.pk)
        run_job(job.pk)  # a retry finds it taken
        assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
        assert client.get(url).context["report"].created == 5
        client.post(url)
        assert 'id="import-progress"' in html(client.get(url))
        run_job(Job.objects.get(kind="import_apply").pk)
        assert only_import().status == ImportStatus.APPLIED
        assert Project.objects.count() == 5

    def test_confirming_twice_while_the_worker_imports_queues_one_job(
        self, as_user, stan, zone, settings
    ):
        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(stan)
        url = upload(client, LIST_UPLOAD, five_rows(), **BATCH)["Location"]
        from approvals.tasks import run_job

        run_job(Job.objects.get().pk)
        client.post(url)
        client.post(url)  # impatient: the page has not changed yet
        assert Job.objects.filter(kind="import_apply").count() == 1

    def test_a_small_file_is_handled_in_the_request(self, as_user, stan, zone, settings):
        settings.SPREADSHEET_WORKER_ROWS = 10
        client = as_user(stan)
        url = upload(client, LIST_UPLOAD, five_rows(), **BATCH)["Location"]
        assert not Job.objects.exists()
        assert client.get(url).context["report"].created == 5


def test_projects_created_by_an_import_are_visible_in_the_list(as_user, stan, zone):
    client = as_user(stan)
    url = upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)["Location"]
    client.post(url)
    listed = client.get(PROJECTS).context["cl"].result_list
    assert {p.name for p in listed} == {
        "晋中新材料产业园项目",
        "年产5万吨锂电池负极材料项目",
        "大恒能源7GW光伏垂直一体化项目",
    }


def test_an_existing_project_is_listed_again_in_a_later_round(as_user, stan, zone):
    project = ProjectFactory(zone=zone, name="晋中新材料产业园项目")
    client = as_user(stan)
    client.post(upload(client, LIST_UPLOAD, quarterly_list(), **BATCH)["Location"])
    later = {"year": 2025, "round": 3, "event_date": "2025-09-20"}
    client.post(upload(client, LIST_UPLOAD, quarterly_list(), **later)["Location"])
    assert Project.objects.filter(name="晋中新材料产业园项目").count() == 1
    assert BatchEntry.objects.filter(project=project).count() == 2
    assert not Milestone.objects.filter(project=project).exists(), "both rounds are past"
    asked = StageRequest.objects.get(project=project)
    assert asked.batch_entry.batch.round == 1, "one request waits: the later round opens none"


def test_a_stored_report_shows_new_rows_first_whatever_order_its_json_kept():
    """PostgreSQL's jsonb gives the keys back as "changed", "created", "unchanged"; the
    preview lists new rows first all the same."""
    from approvals.spreadsheets.outcome import Report

    stored = Report("list.xlsx", created=1, changed=1).to_json()
    stored["samples"] = {
        "unchanged": [],
        "changed": [{"sheet": "s", "row": 3, "title": "b", "changes": []}],
        "created": [{"sheet": "s", "row": 2, "title": "a", "changes": []}],
    }
    samples = Report.from_json(stored).samples
    assert list(samples) == ["created", "changed", "unchanged"]
    assert samples["created"][0]["title"] == "a" and samples["changed"][0]["title"] == "b"
