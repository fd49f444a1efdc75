"""Exports through the test client: the project list as filtered (django-import-export's
export page, .xlsx and .csv), the weekly dispatch table with its colours, formula escaping,
large exports written by the worker and downloaded by their owner only, and query counts that
do not grow with the number of projects. Every file is read back with openpyxl or csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from approvals.cases.colours import Colour
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Batch,
    BatchEntry,
    ItemStatus,
    Job,
    JobStatus,
    Project,
    Stage,
)
from approvals.spreadsheets import export_jobs, exports
from approvals.tasks import run_job
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory

EXPORT = reverse("admin:approvals_project_export")
DISPATCH = reverse("admin:approvals_project_dispatch")
PROJECTS = reverse("admin:approvals_project_changelist")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RISKY = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(1,2)", "\tcmd", "\rcmd"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Files the worker writes go to a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def word(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def export(client, file_format: str = "xlsx", query: str = "", untick: tuple[str, ...] = ()):
    """Fill in the export page as a person would: every field of the rendered form as offered
    (all columns ticked but those of ``untick``), the format chosen by its name."""
    page = client.get(EXPORT + query)
    assert page.status_code == 200
    form = page.context["form"]
    assert f'name="{form.add_prefix("format")}"' in page.content.decode()
    data = {}
    for name, field in form.fields.items():
        if name == "format":
            data[name] = next(v for v, label in field.choices if str(label) == file_format)
        elif name == "resource":
            data[name] = field.choices[0][0]
        elif name.startswith("projectexportresource_"):
            assert field.initial is True, name
            if name.removeprefix("projectexportresource_") not in untick:
                data[name] = "on"
    return client.post(EXPORT + query, data)


def by_investment(client) -> str:
    """The list's query string sorting it by investment, largest first."""
    columns = list(client.get(PROJECTS).context["cl"].list_display)
    return f"?o=-{columns.index('investment_yi')}"


def xlsx_rows(content: bytes) -> tuple[list, list[dict], object]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]], sheet


def csv_rows(content: bytes) -> tuple[list, list[dict]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads the Chinese"
    reader = csv.DictReader(io.StringIO(text[1:], newline=""))
    rows = list(reader)
    return list(reader.fieldnames), rows


def set_stage(project, stage: str):
    """The stage field is protected: only approved requests move it; a test sets it directly."""
    Project.objects.filter(pk=project.pk).update(stage=stage)
    return Project.objects.get(pk=project.pk)


# --- the project list ------------------------------------------------------------------------


@pytest.fixture
def listed(zone, other_zone, alice, lily, today):
    """Two projects of 晋中 (one signed, one in reserve) and one signed project elsewhere."""
    signed = set_stage(
        ProjectFactory(
            zone=zone,
            name="大恒能源7GW光伏垂直一体化项目",
            code="2509-140602-89-05-864976",
            total_investment=500000,
            expected_annual_output=120000,
            officer=alice,
            leader=lily,
            progress="主体结构封顶",
        ),
        Stage.SIGNED,
    )
    MilestoneFactory(project=signed, stage=Stage.READY, planned_date=today + dt.timedelta(60))
    reserve = ProjectFactory(zone=zone, name="储备中的氢能项目", total_investment=25000)
    elsewhere = set_stage(
        ProjectFactory(zone=other_zone, name="祁县碳基新材料项目", total_investment=80000),
        Stage.SIGNED,
    )
    return signed, reserve, elsewhere


class TestProjectExport:
    def test_the_list_offers_the_export_with_its_filter(self, as_user, alice, listed):
        page = as_user(alice).get(PROJECTS + "?stage__exact=signed").content.decode()
        assert f'href="{EXPORT}?stage__exact=signed"' in page
        assert f'href="{DISPATCH}?stage__exact=signed"' in page

    def test_xlsx_of_the_filtered_list(self, as_user, alice, listed, today):
        signed, _reserve, _elsewhere = listed
        response = export(as_user(alice), "xlsx", "?stage__exact=signed")
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX_TYPE
        header, rows, sheet = xlsx_rows(response.content)
        assert header[:5] == ["项目代码", "项目名称", "项目单位", "所在开发区", "行业"]
        for column in (
            "当前阶段",
            "下一节点",
            "计划时间",
            "预警",
            "总投资（亿元）",
            "预计年产值（亿元）",
        ):
            assert column in header
        assert [row["项目名称"] for row in rows] == [signed.name]
        row = rows[0]
        assert row["项目代码"] == "2509-140602-89-05-864976"
        assert row["总投资（亿元）"] == 50
        assert row["预计年产值（亿元）"] == 12
        assert row["当前阶段"] == word(Stage.SIGNED.label) == "已签约"
        assert row["下一节点"] == word(Stage.READY.label)
        assert row["计划时间"].date() == today + dt.timedelta(60)
        assert row["预警"] == word(Colour.GREEN.label) == "绿色"
        assert row["项目管家"] == "艾丽" and row["包联领导"] == "莉莉"
        assert row["形象进度"] == "主体结构封顶"
        colour_cell = sheet.cell(row=2, column=header.index("预警") + 1)
        assert colour_cell.fill.start_color.rgb.endswith(Colour.GREEN.fill)
        assert [c.font.b for c in sheet[1]] == [True] * len(header), "a bold header"

    def test_csv_of_the_filtered_list(self, as_user, alice, listed):
        signed, _reserve, _elsewhere = listed
        response = export(as_user(alice), "csv", "?stage__exact=signed")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        header, rows = csv_rows(response.content)
        assert header[:2] == ["项目代码", "项目名称"] and "总投资（亿元）" in header
        assert [row["项目名称"] for row in rows] == [signed.name]
        assert rows[0]["当前阶段"] == "已签约" and rows[0]["预警"] == "绿色"
        assert float(rows[0]["总投资（亿元）"]) == 50

    def test_csv_writes_amounts_as_people_read_them(self, as_user, alice, listed):
        response = export(as_user(alice), "csv", "?stage__exact=signed")
        _header, rows = csv_rows(response.content)
        assert rows[0]["总投资（亿元）"] == "50"
        assert rows[0]["预计年产值（亿元）"] == "12"

    def test_the_export_is_an_attachment_with_its_chinese_name(self, as_user, alice, listed):
        response = export(as_user(alice), "xlsx")
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "filename*=UTF-8''" in disposition.replace("utf-8", "UTF-8")
        assert quote("项目清单") in disposition

    def test_the_export_keeps_the_columns_and_the_order_chosen(self, as_user, alice, zone):
        for n, amount in enumerate([30000, 10000, 50000, 20000, 40000]):
            ProjectFactory(zone=zone, name=f"排序项目{n}", total_investment=amount, notes="备注")
        client = as_user(alice)
        response = export(client, "xlsx", by_investment(client), untick=("notes", "progress"))
        header, rows, _sheet = xlsx_rows(response.content)
        assert "备注" not in header and "形象进度" not in header and "项目名称" in header
        assert [row["总投资（亿元）"] for row in rows] == [5, 4, 3, 2, 1]

    def test_only_the_colour_column_is_filled(self, as_user, alice, zone):
        ProjectFactory(zone=zone, name="红色文旅小镇项目", notes="红色", progress="绿色")
        header, _rows, sheet = xlsx_rows(export(as_user(alice), "xlsx").content)
        for column in ("备注", "形象进度"):
            cell = sheet.cell(row=2, column=header.index(column) + 1)
            assert cell.fill.fill_type is None, (column, cell.fill.start_color.rgb)

    def test_colours_are_filled_in_an_english_interface(self, as_user, alice, zone, today):
        project = ProjectFactory(zone=zone, name="英文界面项目")
        MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=today)
        client = as_user(alice)
        client.cookies["django_language"] = "en"
        for response in (export(client, "xlsx"), client.get(DISPATCH)):
            header, rows, sheet = xlsx_rows(response.content)
            assert rows[0]["预警"] == "Yellow"
            cell = sheet.cell(row=2, column=header.index("预警") + 1)
            assert cell.fill.start_color.rgb.endswith(Colour.YELLOW.fill)

    def test_no_filter_exports_what_the_person_may_see(
        self, as_user, alice, charlie, lily, superuser, listed
    ):
        signed, reserve, elsewhere = listed
        names = {
            person: {row["项目名称"] for row in xlsx_rows(export(as_user(person)).content)[1]}
            for person in (alice, charlie, lily, superuser)
        }
        assert names[alice] == {signed.name, reserve.name}
        assert names[charlie] == {elsewhere.name}
        assert names[lily] == {signed.name}, "a leader: the projects it follows"
        assert names[superuser] == {signed.name, reserve.name, elsewhere.name}

    def test_an_officer_never_gets_another_zones_project(self, as_user, charlie, zone, listed):
        signed, reserve, _elsewhere = listed
        for query in (
            "",
            f"?zone__id__exact={zone.pk}",
            f"?q={quote(signed.name)}",
            "?stage__exact=signed",
        ):
            for file_format in ("xlsx", "csv"):
                response = export(as_user(charlie), file_format, query)
                assert response.status_code == 200
                text = (
                    response.content.decode("utf-8")
                    if file_format == "csv"
                    else str(xlsx_rows(response.content)[1])
                )
                assert signed.name not in text and reserve.name not in text, (query, file_format)


class TestFormulaEscaping:
    @pytest.fixture
    def risky(self, zone):
        projects = []
        for n, text in enumerate(RISKY):
            projects.append(
                ProjectFactory(
                    zone=zone,
                    name=f"{text}项目{n}",
                    notes=text,
                    progress=text,
                    content=text,
                    responsible_unit=text,
                )
            )
        plain = ProjectFactory(
            zone=zone,
            name="年产10万吨-高端铝材项目",
            notes="一期 - 已完成",
            progress="设备安装@车间",
            content="总投资=5亿元",
        )
        return projects, plain

    def test_xlsx_keeps_risky_text_as_text(self, as_user, alice, risky):
        _projects, plain = risky
        header, rows, sheet = xlsx_rows(export(as_user(alice), "xlsx").content)
        columns = [header.index(h) + 1 for h in ("项目名称", "建设内容及规模", "形象进度", "备注")]
        by_number = {n: r for r, n in enumerate(cell_numbers(sheet, header), 2)}
        assert set(by_number) == {*range(len(RISKY)), None}
        for n, text in enumerate(RISKY):
            for column in columns:
                cell = sheet.cell(row=by_number[n], column=column)
                assert cell.data_type == "s", (text, column)
                assert cell.quotePrefix, "Excel shows it as typed text"
                # The text is kept (a CR as Excel's _x000D_, which openpyxl leaves as it is).
                assert cell.value.replace("_x000D_", "\r").startswith(text), repr(cell.value)
        plain_row = next(r for r in rows if r["项目名称"] == plain.name)
        assert plain_row["备注"] == "一期 - 已完成"
        assert plain_row["形象进度"] == "设备安装@车间"
        assert plain_row["建设内容及规模"] == "总投资=5亿元"
        plain_cell = sheet.cell(row=by_number[None], column=columns[3])
        assert plain_cell.data_type == "s" and not plain_cell.quotePrefix

    def test_xlsx_keeps_a_leading_carriage_return(self, as_user, alice, risky):
        """Written as _x000D_, which Excel reads back as the carriage return (python-calamine
        reads it as Excel does; openpyxl leaves such escapes as they are)."""
        import python_calamine

        content = export(as_user(alice), "xlsx").content
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        rows = rows.get_sheet_by_index(0).to_python()
        column = rows[0].index("备注")
        assert "\rcmd" in [row[column] for row in rows[1:]]

    def test_csv_puts_an_apostrophe_before_risky_text(self, as_user, alice, risky):
        _projects, plain = risky
        _header, rows = csv_rows(export(as_user(alice), "csv").content)
        by_name = {row["项目名称"]: row for row in rows}
        for n, text in enumerate(RISKY):
            row = by_name["'" + f"{text}项目{n}"]
            for column in ("备注", "形象进度", "建设内容及规模", "责任单位"):
                assert row[column] == "'" + text, (column, repr(row[column]))
        row = by_name[plain.name]
        assert (row["备注"], row["形象进度"], row["建设内容及规模"]) == (
            "一期 - 已完成",
            "设备安装@车间",
            "总投资=5亿元",
        )

    def test_the_dispatch_table_keeps_risky_names_as_text(self, as_user, alice, risky):
        header, _rows, sheet = xlsx_rows(as_user(alice).get(DISPATCH).content)
        column = header.index("项目名称") + 1
        names = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
        risky_cells = [c for c in names if c.value != risky[1].name]
        assert len(risky_cells) == len(RISKY)
        assert all(c.data_type == "s" for c in risky_cells)


def cell_numbers(sheet, header) -> list[int | None]:
    """For each data row, the index in RISKY its project was named after (None: the plain one)."""
    column = header.index("项目名称") + 1
    numbers = []
    for row in range(2, sheet.max_row + 1):
        name = sheet.cell(row=row, column=column).value
        numbers.append(int(name.rsplit("项目", 1)[1]) if name.rsplit("项目", 1)[1] else None)
    return numbers


# --- the weekly dispatch table -----------------------------------------------------------------


@pytest.fixture
def dispatch_projects(zone, other_zone, alice, lily, today, catalogue):
    def planned(name: str, days: int, **kwargs):
        project = ProjectFactory(zone=zone, name=name, officer=alice, **kwargs)
        MilestoneFactory(
            project=project, stage=Stage.SIGNED, planned_date=today + dt.timedelta(days)
        )
        return project

    green = planned("甲-远期签约项目", 60, leader=lily)
    yellow = planned("乙-本周签约项目", 3)
    red = planned("丙-逾期签约项目", -40)
    closed = [
        set_stage(ProjectFactory(zone=zone, name=f"已关闭{stage}"), stage)
        for stage in (Stage.WITHDRAWN, Stage.AT_CAPACITY, Stage.SUSPENDED)
    ]
    elsewhere = ProjectFactory(zone=other_zone, name="祁县项目")
    kinds = {k.code: k for k in ApprovalType.objects.filter(code__in=["LX01", "LX03", "LX06"])}
    ApprovalItem.objects.create(
        project=green, approval_type=kinds["LX03"], status=ItemStatus.PREPARING
    )
    ApprovalItem.objects.create(project=green, approval_type=kinds["LX01"])
    ApprovalItem.objects.create(
        project=green,
        approval_type=kinds["LX06"],
        status=ItemStatus.APPROVED,
        approved_on=today - dt.timedelta(3),
    )
    batch = Batch.objects.create(year=2025, round=1, event_date=dt.date(2025, 3, 20))
    BatchEntry.objects.create(
        batch=batch, project=red, category="sign", name=red.name, problems="用地指标未落实"
    )
    return {"green": green, "yellow": yellow, "red": red, "closed": closed, "other": elsewhere}


class TestDispatchTable:
    def test_open_projects_with_colours_and_open_items(
        self, as_user, alice, dispatch_projects, today
    ):
        response = as_user(alice).get(DISPATCH)
        assert response.status_code == 200
        assert response["Content-Type"] == XLSX_TYPE
        assert quote("周调度表") in response["Content-Disposition"]
        header, rows, sheet = xlsx_rows(response.content)
        assert header == [
            "序号",
            "项目代码",
            "项目名称",
            "所在开发区",
            "项目单位",
            "总投资（亿元）",
            "当前阶段",
            "下一节点",
            "计划时间",
            "预警",
            "未办结审批事项",
            "存在问题",
            "未解决问题数",
            "未解决问题",
            "项目管家",
            "包联领导",
        ]
        names = [row["项目名称"] for row in rows]
        assert sorted(names) == sorted(["甲-远期签约项目", "乙-本周签约项目", "丙-逾期签约项目"])
        assert [row["序号"] for row in rows] == [1, 2, 3]
        by_name = {row["项目名称"]: (number, row) for number, row in enumerate(rows, 2)}
        colour_column = header.index("预警") + 1
        for name, colour, days in (
            ("甲-远期签约项目", Colour.GREEN, 60),
            ("乙-本周签约项目", Colour.YELLOW, 3),
            ("丙-逾期签约项目", Colour.RED, -40),
        ):
            number, row = by_name[name]
            assert row["预警"] == word(colour.label)
            assert row["当前阶段"] == word(Stage.RESERVE.label)
            assert row["下一节点"] == word(Stage.SIGNED.label)
            assert row["计划时间"].date() == today + dt.timedelta(days)
            assert row["所在开发区"] == "综改区晋中开发区"
            assert row["项目管家"] == "艾丽"
            cell = sheet.cell(row=number, column=colour_column)
            assert cell.fill.start_color.rgb.endswith(colour.fill), (name, colour)
            other = sheet.cell(row=number, column=colour_column - 1)
            assert not other.fill.start_color.rgb.endswith(colour.fill)
        green = by_name["甲-远期签约项目"][1]
        assert "LX01 项目赋码及备案" in green["未办结审批事项"]
        assert "LX03 用地预审与选址意见书（准备材料）" in green["未办结审批事项"]
        assert green["未办结审批事项"].index("LX01") < green["未办结审批事项"].index("LX03")
        assert "LX06" not in green["未办结审批事项"], "an approved item is not open"
        assert green["包联领导"] == "莉莉"
        assert by_name["丙-逾期签约项目"][1]["存在问题"] == "用地指标未落实"
        assert by_name["乙-本周签约项目"][1]["未办结审批事项"] in (None, "")

    def test_the_dispatch_table_follows_the_filter_and_the_zone(
        self, as_user, alice, charlie, superuser, dispatch_projects
    ):
        red = dispatch_projects["red"]
        _header, rows, _sheet = xlsx_rows(
            as_user(alice).get(DISPATCH + f"?q={quote('逾期')}").content
        )
        assert [row["项目名称"] for row in rows] == [red.name]
        _header, rows, _sheet = xlsx_rows(as_user(charlie).get(DISPATCH).content)
        assert [row["项目名称"] for row in rows] == ["祁县项目"]
        _header, rows, _sheet = xlsx_rows(as_user(superuser).get(DISPATCH).content)
        assert len(rows) == 4, "every open project, closed ones left out"

    def test_problems_come_from_the_latest_round(self, as_user, alice, zone):
        project = ProjectFactory(zone=zone, name="晋中问题项目")
        later = Batch.objects.create(year=2025, round=3, event_date=dt.date(2025, 9, 20))
        earlier = Batch.objects.create(year=2025, round=1, event_date=dt.date(2025, 3, 20))
        for batch, problems in ((later, "环评批复待取得"), (earlier, "用地指标未落实")):
            BatchEntry.objects.create(
                batch=batch, project=project, category="sign", name=project.name, problems=problems
            )
        _header, rows, _sheet = xlsx_rows(as_user(alice).get(DISPATCH).content)
        assert rows[0]["存在问题"] == "环评批复待取得"


# --- large exports go to the worker -----------------------------------------------------------


@pytest.fixture
def five(zone):
    return [ProjectFactory(zone=zone, name=f"批量项目{n}") for n in range(5)]


class TestExportInTheWorker:
    def test_a_large_export_is_written_by_the_worker_for_its_owner_only(
        self, as_user, alice, bob, superuser, five, settings
    ):
        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(alice)
        response = export(client, "xlsx")
        job = Job.objects.get()
        job_url = reverse("admin:approvals_job_change", args=[job.pk])
        assert response.status_code == 302 and response["Location"] == job_url
        assert (job.kind, job.status, job.created_by) == ("export", JobStatus.QUEUED, alice)
        waiting = client.get(job_url).content.decode()
        assert 'id="job-progress"' in waiting and 'id="job-download"' not in waiting

        run_job(job.pk)
        job = Job.objects.get(pk=job.pk)
        assert job.status == JobStatus.DONE and job.done == job.total == 5
        download_url = reverse("admin:approvals_job_download", args=[job.pk])
        page = client.get(job_url).content.decode()
        assert 'id="job-download"' in page and f'href="{download_url}"' in page
        assert 'id="job-progress"' not in page

        file = client.get(download_url)
        assert file.status_code == 200
        content = b"".join(file.streaming_content)
        header, rows, _sheet = xlsx_rows(content)
        assert header[:2] == ["项目代码", "项目名称"] and "总投资（亿元）" in header
        assert sorted(row["项目名称"] for row in rows) == [f"批量项目{n}" for n in range(5)]
        assert "attachment" in file["Content-Disposition"]

        for other in (bob, UserFactory(username="stranger")):
            refused = as_user(other).get(download_url)
            assert refused.status_code in (302, 404)
            assert b"".join(getattr(refused, "streaming_content", [refused.content])) != content
            assert as_user(other).get(job_url).status_code in (302, 404)
        assert as_user(superuser).get(download_url).status_code == 200

    def test_a_large_export_keeps_the_columns_chosen(self, as_user, alice, five, settings):
        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(alice)
        export(client, "xlsx", untick=("notes", "progress"))
        job = Job.objects.get()
        run_job(job.pk)
        file = client.get(reverse("admin:approvals_job_download", args=[job.pk]))
        header, _rows, _sheet = xlsx_rows(b"".join(file.streaming_content))
        assert "备注" not in header and "形象进度" not in header

    def test_a_large_export_keeps_the_order_chosen(self, as_user, alice, zone, settings):
        settings.SPREADSHEET_WORKER_ROWS = 3
        for n, amount in enumerate([30000, 10000, 50000, 20000, 40000]):
            ProjectFactory(zone=zone, name=f"排序项目{n}", total_investment=amount)
        client = as_user(alice)
        export(client, "xlsx", by_investment(client))
        job = Job.objects.get()
        run_job(job.pk)
        file = client.get(reverse("admin:approvals_job_download", args=[job.pk]))
        _header, rows, _sheet = xlsx_rows(b"".join(file.streaming_content))
        assert [row["总投资（亿元）"] for row in rows] == [5, 4, 3, 2, 1]

    def test_a_large_csv_and_dispatch_through_celery(
        self,
        as_user,
        alice,
        five,
        settings,
        celery_inline,
        django_capture_on_commit_callbacks,
    ):
        settings.SPREADSHEET_WORKER_ROWS = 3
        client = as_user(alice)
        with django_capture_on_commit_callbacks(execute=True):
            response = export(client, "csv", "?stage__exact=reserve")
        job = Job.objects.get()
        assert response["Location"] == reverse("admin:approvals_job_change", args=[job.pk])
        assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
        file = client.get(reverse("admin:approvals_job_download", args=[job.pk]))
        _header, rows = csv_rows(b"".join(file.streaming_content))
        assert len(rows) == 5

        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(DISPATCH)
        job = Job.objects.exclude(pk=job.pk).get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:approvals_job_change", args=[job.pk])
        assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
        file = client.get(reverse("admin:approvals_job_download", args=[job.pk]))
        header, rows, _sheet = xlsx_rows(b"".join(file.streaming_content))
        assert header[0] == "序号" and "预警" in header and len(rows) == 5


# --- queries do not grow with the number of projects ------------------------------------------


def _projects(zone, people, count: int, catalogue_types, batch, today) -> None:
    alice, lily = people
    for n in range(count):
        project = ProjectFactory(zone=zone, name=f"测项目{count}-{n}", officer=alice, leader=lily)
        MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=today + dt.timedelta(n))
        for kind in catalogue_types:
            ApprovalItem.objects.create(project=project, approval_type=kind)
        BatchEntry.objects.create(
            batch=batch, project=project, category="sign", name=project.name, problems="问题"
        )


class TestQueryCounts:
    @pytest.fixture
    def measure(self, as_user, alice, lily, zone, catalogue, today):
        kinds = list(ApprovalType.objects.order_by("sort_order")[:3])
        batch = Batch.objects.create(year=2025, round=1, event_date=dt.date(2025, 3, 20))
        client = as_user(alice)

        def run(count: int, action) -> int:
            BatchEntry.objects.all().delete()
            ApprovalItem.objects.all().delete()
            Project.objects.all().delete()
            _projects(zone, (alice, lily), count, kinds, batch, today)
            action(client)  # warm: sessions, content types, the catalogue
            with CaptureQueriesContext(connection) as queries:
                response = action(client)
            assert response.status_code == 200
            rows = (
                xlsx_rows(response.content)[1]
                if "spreadsheet" in response["Content-Type"]
                else None
            )
            assert rows is None or len(rows) == count
            return len(queries)

        return run

    def test_the_export_runs_the_same_queries_for_5_and_50_projects(self, measure):
        def action(client):
            return export(client, "xlsx")

        assert measure(5, action) == measure(50, action)

    def test_the_csv_export_runs_the_same_queries_for_5_and_50_projects(self, measure):
        def action(client):
            return export(client, "csv")

        assert measure(5, action) == measure(50, action)

    def test_the_dispatch_table_runs_the_same_queries_for_5_and_50_projects(self, measure):
        def action(client):
            return client.get(DISPATCH)

        assert measure(5, action) == measure(50, action)


def test_an_exported_list_reads_back_in(as_user, stan, zone):
    """The export's headers are the import's: a list exported after one round imports into the
    next round as the same projects, figures and categories."""
    import datetime as dt

    from approvals.spreadsheets import imports
    from tests.spreadsheets.test_import_projects import row, workbook

    first = workbook(row(1, "回读甲项目", yi=2, category="签约"), row(2, "回读乙项目", yi=3))
    record = imports.receive(
        "project_list",
        first,
        "一轮.xlsx",
        by=stan,
        source="t",
        year=2025,
        round=1,
        event_date=dt.date(2025, 3, 28),
    )
    assert imports.apply(record, first).applied
    exported = export(as_user(stan), "xlsx").content

    record = imports.receive(
        "project_list",
        exported,
        "导出.xlsx",
        by=stan,
        source="t",
        year=2025,
        round=2,
        event_date=dt.date(2025, 6, 27),
    )
    report = imports.preview(record, exported)
    assert report.errors == [] and report.created == 0 and report.changed == 2
    assert not [w for w in report.warnings if "保留原值" in w.reason]  # same figures


# --- the streamed export reads as django-import-export's did ----------------------------------


class TestStreamedExport:
    """The list is written straight from its ids (``export_jobs.write``), no longer through
    django-import-export's dataset and OFFSET pages: the same file, read back, and rows read a
    chunk of ids at a time."""

    @pytest.fixture
    def mixed(self, zone, other_zone, alice, lily, today, listed):
        signed, _reserve, _elsewhere = listed
        batch = Batch.objects.create(year=2025, round=2, event_date=dt.date(2025, 6, 20))
        BatchEntry.objects.create(batch=batch, project=signed, category="start", name=signed.name)
        late = ProjectFactory(
            zone=zone,
            name="=逾期的项目",
            officer=alice,
            land_area_mu="125.50",
            notes="-备注\r第二行",
            industry="新材料",
        )
        MilestoneFactory(project=late, stage=Stage.SIGNED, planned_date=today - dt.timedelta(40))
        ProjectFactory(zone=other_zone, name="无管家项目", officer=None, total_investment=None)
        return Project.objects.order_by("-total_investment", "pk")

    def old_path(self, queryset, file_format: str, fields=None) -> bytes:
        dataset = exports.ProjectExportResource().export(queryset=queryset, export_fields=fields)
        data = exports.EXPORT_FORMATS[file_format]().export_data(dataset)
        return data.encode("utf-8") if isinstance(data, str) else data

    @pytest.mark.parametrize("fields", [None, ["name", "colour", "next_date", "land_area_mu"]])
    def test_the_xlsx_reads_as_the_old_paths(self, mixed, fields):
        ids = export_jobs.ids_of("projects", mixed)
        old_header, old_rows, old_sheet = xlsx_rows(self.old_path(mixed, "xlsx", fields))
        header, rows, sheet = xlsx_rows(export_jobs.content("projects", ids, "xlsx", fields))
        assert len(rows) == 5
        assert (header, rows) == (old_header, old_rows)
        for old_row, row in zip(old_sheet.iter_rows(), sheet.iter_rows(), strict=True):
            assert [(c.data_type, c.quotePrefix, c.fill.start_color.rgb) for c in row] == [
                (c.data_type, c.quotePrefix, c.fill.start_color.rgb) for c in old_row
            ]

    def test_the_csv_reads_as_the_old_paths(self, mixed):
        ids = export_jobs.ids_of("projects", mixed)
        old = self.old_path(mixed, "csv")
        new = export_jobs.content("projects", ids, "csv")
        assert new.startswith("\ufeff".encode())
        assert csv_rows(new) == csv_rows(old)
        assert new == old

    def test_rows_are_read_by_chunks_of_ids_never_at_an_offset(self, mixed, monkeypatch):
        monkeypatch.setattr(export_jobs, "CHUNK", 2)
        with CaptureQueriesContext(connection) as queries:
            ids = export_jobs.ids_of("projects", mixed)
            content = export_jobs.content("projects", ids, "xlsx")
        assert [row["项目名称"] for row in xlsx_rows(content)[1]] == list(
            mixed.values_list("name", flat=True)
        )
        sql = [q["sql"] for q in queries.captured_queries]
        assert not [s for s in sql if "OFFSET" in s.upper()], sql
        project_reads = [s for s in sql if s.startswith('SELECT "approvals_project"."id", ')]
        assert len(project_reads) == 3, "5 projects, two ids a chunk"
        assert all('"approvals_project"."id" IN (' in s for s in project_reads)
