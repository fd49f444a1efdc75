"""The statistician's spreadsheets in a real browser: stan imports the quarterly 三个一批 list
(upload → preview → confirm) through the project list's button and the file input, a file
with a bad row is refused with every problem located as Excel numbers it, the project list and
the weekly dispatch table download as .xlsx files that read back with openpyxl; a leader sees
no import button.

Every file is built in the test with openpyxl and handed to the page's file input; every check
after an action reads the database afresh. The browser and its fixtures:
``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from approvals.cases.colours import Colour
from approvals.models import (
    Batch,
    BatchEntry,
    ImportStatus,
    Project,
    SpreadsheetImport,
    Stage,
    StageChange,
)
from tests.browser_support import (
    CHANGELIST,
    log_in_through_the_form,
    screenshot,
)
from tests.factories import MilestoneFactory, ProjectFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


EXPORT = reverse("admin:approvals_project_export")
LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")

TITLE = "晋中市2025年第一季度“三个一批”项目清单"
HEADERS = [
    "序号",
    "项目名称",
    "项目单位",
    "所在开发区",
    "类别",
    "当前阶段",
    "总投资（亿元）",
    "计划开工时间",
]
#: Three projects of 晋中开发区 as the zone writes them, and the total row below them.
LISTED = [
    [1, "晋中新材料产业园项目", "山西晋中新材料有限公司", "晋中开发区", "签约", "已签约", 2, None],
    [2, "年产5万吨锂电池负极材料项目", "山西负极材料有限公司", "晋中开发区", "开工", "在建", 3.5, dt.datetime(2025, 6, 15)],
    [3, "晋中算力中心项目", "山西算力科技有限公司", "晋中开发区", "投产", "已投产", 1.2, None],
]  # fmt: skip
TOTAL = ["合计", None, None, None, None, None, 6.7, None]
STAGES = {
    "晋中新材料产业园项目": Stage.SIGNED,
    "年产5万吨锂电池负极材料项目": Stage.UNDER_CONSTRUCTION,
    "晋中算力中心项目": Stage.IN_PRODUCTION,
}
INVESTMENT_WAN = {
    "晋中新材料产业园项目": 20000,
    "年产5万吨锂电池负极材料项目": 35000,
    "晋中算力中心项目": 12000,
}
EVENT = dt.date(2025, 3, 28)
FILE_NAME = "2025年一季度三个一批清单.xlsx"
SHEET = "三个一批"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook_file(directory: Path, name: str, rows: list[list]) -> Path:
    """An .xlsx as the zones write it, on disk for the file input: a caption merged across the
    header, the header, the rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
        if isinstance(row[-1], dt.datetime):
            sheet.cell(row=sheet.max_row, column=len(row)).number_format = "yyyy-mm-dd"
    path = directory / name
    book.save(path)
    return path


def open_the_upload_form(page) -> None:
    """From the project list, through its button, as a person gets there."""
    page.goto(CHANGELIST)
    page.locator("#import-list").click()
    expect(page).to_have_url(re.compile(re.escape(LIST_UPLOAD) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("导入“三个一批”项目清单")


def upload(page, path: Path, *, year: int = 2025, round_: int = 1, event: dt.date = EVENT):
    page.get_by_label("批次年份:", exact=True).fill(str(year))
    page.get_by_label("第几批:", exact=True).fill(str(round_))
    page.get_by_label("活动日期:", exact=True).fill(event.isoformat())
    page.get_by_label("表格文件（.xlsx、.xls 或 .csv）:").set_input_files(path)
    page.get_by_role("button", name="检查文件").click()


def counts(page):
    return page.locator("#import-counts tbody td")


# --- importing the quarterly list ------------------------------------------------------------


def test_the_statistician_imports_the_quarterly_list(page, stan, zone, tmp_path):
    path = workbook_file(tmp_path, FILE_NAME, [*LISTED, TOTAL])
    log_in_through_the_form(page, stan)
    page.get_by_role("link", name="项目", exact=True).first.click()
    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))
    expect(page.locator("#import-list")).to_have_text("导入“三个一批”清单")
    open_the_upload_form(page)
    upload(page, path)

    # The preview: the counts (rows, new, changed, unchanged, warnings, errors), the new rows.
    expect(page).to_have_url(re.compile(re.escape(LIST_UPLOAD) + r"[0-9a-f]{32}/$"))
    expect(page.locator("#content-main h2").first).to_have_text(f"{FILE_NAME} · 2025年第1批")
    expect(page.locator("#import-counts thead th")).to_have_text(
        ["行数", "新增", "变更", "不变", "提示", "错误"]
    )
    expect(counts(page)).to_have_text(["3", "3", "0", "0", "0", "0"])
    expect(page.locator("#import-errors")).to_have_count(0)
    created = page.locator("#import-created tbody tr")
    expect(created).to_have_count(3)
    for number, (name, stage) in enumerate(STAGES.items(), start=3):
        row = created.filter(has_text=name)
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(0)).to_have_text(SHEET)
        expect(row.locator("td").nth(1)).to_have_text(str(number))
        expect(row.locator("td").nth(2)).to_have_text(f"{name}（综改区晋中开发区）")
        expect(row.locator("td").nth(3)).to_contain_text(f"阶段：— → {stage.label}")
    expect(page.locator("#confirm-import")).to_have_value("导入")
    screenshot(page, "statistician-previews-quarterly-list.png")
    assert not Project.objects.exists(), "a preview writes nothing"
    assert not Batch.objects.exists()

    page.locator("#confirm-import").click()

    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))
    expect(page.locator(".messagelist .success")).to_have_text(
        f"{FILE_NAME}：新增 3，变更 0，不变 0，提示 0。"
    )
    listed = page.locator("#result_list tbody tr")
    expect(listed).to_have_count(3)
    for name, stage in STAGES.items():
        row = listed.filter(has_text=name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(str(stage.label))

    projects = {p.name: p for p in Project.objects.select_related("zone", "enterprise")}
    assert set(projects) == set(STAGES)
    for name, project in projects.items():
        assert project.zone == zone
        assert project.stage == STAGES[name]
        assert project.total_investment == INVESTMENT_WAN[name]
    batch = Batch.objects.get()
    assert (batch.year, batch.round, batch.event_date) == (2025, 1, EVENT)
    entries = BatchEntry.objects.filter(batch=batch)
    assert {e.project_id for e in entries} == {p.pk for p in projects.values()}
    assert {e.project.name: (e.category, e.total_investment) for e in entries} == {
        "晋中新材料产业园项目": ("sign", 20000),
        "年产5万吨锂电池负极材料项目": ("start", 35000),
        "晋中算力中心项目": ("produce", 12000),
    }
    for project in projects.values():
        change = StageChange.objects.get(project=project)  # its creation, and nothing else
        assert (change.source, change.target, change.by) == ("", project.stage, stan)
        assert FILE_NAME in change.comment
        assert change.evidence["file"] == FILE_NAME
    record = SpreadsheetImport.objects.get()
    assert (record.status, record.by, record.batch) == (ImportStatus.APPLIED, stan, batch)


def test_a_file_with_a_bad_row_is_refused_with_each_problem_located(as_user, stan, zone, tmp_path):
    bad = [4, "火星新能源项目", "火星能源有限公司", "火星开发区", "签约", "已签约", -2, None]
    path = workbook_file(tmp_path, "有错的清单.xlsx", [*LISTED[:1], bad, TOTAL])
    page = as_user(stan)
    open_the_upload_form(page)
    upload(page, path)

    expect(page.locator("#import-refused")).to_be_visible()
    expect(counts(page).nth(0)).to_have_text("2")
    expect(counts(page).nth(5)).to_have_text("2")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(2)
    # Sheet, row as Excel numbers it (title row 1, header row 2, the good row 3), column, why.
    expect(errors.filter(has_text="火星开发区").locator("td")).to_have_text(
        [SHEET, "4", "所在开发区", "“火星开发区”不是已知的开发区名称或简称。"]
    )
    expect(errors.filter(has_text="负数").locator("td")).to_have_text(
        [SHEET, "4", "总投资（亿元）", re.compile(r"^-2(\.0)? 为负数")]
    )
    expect(page.locator("#confirm-import")).to_have_count(0)
    expect(page.locator("#confirm-form")).to_have_count(0)
    screenshot(page, "statistician-reads-refused-list.png")

    assert not Project.objects.exists()
    assert not Batch.objects.exists() and not BatchEntry.objects.exists()
    assert not StageChange.objects.exists()
    assert SpreadsheetImport.objects.get().status == ImportStatus.REFUSED


# --- exports ---------------------------------------------------------------------------------


def set_stage(project: Project, stage: str) -> Project:
    """The stage is protected: only approved requests move it; a test sets it directly."""
    Project.objects.filter(pk=project.pk).update(stage=stage)
    return Project.objects.get(pk=project.pk)


@pytest.fixture
def zone_projects(zone, other_zone, lily):
    """Three projects of 晋中 heading for signing, late (red), due now (yellow) and later
    (green), which lily follows (包联领导); one of another zone, which stan must not take
    away."""
    today = timezone.localdate()
    plans = {
        "迟到的光伏组件项目": today - dt.timedelta(days=60),
        "临近的物流园项目": today + dt.timedelta(days=2),
        "从容的玻璃器皿项目": today + dt.timedelta(days=90),
    }
    projects = {}
    for name, planned in plans.items():
        project = ProjectFactory(zone=zone, name=name, total_investment=25000, leader=lily)
        MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=planned)
        projects[name] = project
    ProjectFactory(zone=other_zone, name="祁县别处的项目")
    return projects


COLOUR_OF = {
    "迟到的光伏组件项目": Colour.RED,
    "临近的物流园项目": Colour.YELLOW,
    "从容的玻璃器皿项目": Colour.GREEN,
}


def saved(download, directory: Path) -> Path:
    """The downloaded file, kept under the name the browser was given (openpyxl reads a
    workbook by its extension)."""
    path = directory / download.suggested_filename
    download.save_as(path)
    return path


def sheet_rows(path: Path) -> tuple[list, list[tuple], object]:
    sheet = load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[1:], sheet


def test_the_statistician_exports_the_list_and_the_dispatch_table(
    as_user, stan, zone_projects, tmp_path
):
    page = as_user(stan)
    page.goto(CHANGELIST)
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.locator("a.export_link").click()

    expect(page).to_have_url(re.compile(re.escape(EXPORT)))
    page.get_by_label("格式").select_option(label="xlsx")
    with page.expect_download() as started:
        page.get_by_role("button", name="提交").click()
    download = started.value
    assert download.suggested_filename == f"项目清单-{timezone.localdate():%Y-%m-%d}.xlsx"
    headers, rows, _ = sheet_rows(saved(download, tmp_path))
    assert headers[:4] == ["项目代码", "项目名称", "项目单位", "所在开发区"]
    assert {"当前阶段", "下一节点", "计划时间", "预警", "总投资（亿元）"} <= set(headers)
    table = [dict(zip(headers, row, strict=True)) for row in rows]
    assert sorted(r["项目名称"] for r in table) == sorted(zone_projects)
    for row in table:
        assert row["所在开发区"] == "综改区晋中开发区"
        assert row["当前阶段"] == "储备/洽谈"
        assert row["包联领导"] == "莉莉"
        assert Decimal(str(row["总投资（亿元）"])) == Decimal("2.5")
        assert row["下一节点"] == "已签约"
        planned = zone_projects[row["项目名称"]].milestones.get().planned_date
        assert row["计划时间"].date() == planned
        assert row["预警"] == str(COLOUR_OF[row["项目名称"]].label)

    # The weekly dispatch table, from the same list, with its 预警 cells filled.
    page.goto(CHANGELIST)
    dispatch = page.locator("#dispatch-table")
    expect(dispatch).to_have_text("导出周调度表")
    with page.expect_download() as started:
        dispatch.click()
    download = started.value
    assert download.suggested_filename == f"周调度表-{timezone.localdate():%Y-%m-%d}.xlsx"
    headers, rows, sheet = sheet_rows(saved(download, tmp_path))
    assert headers[:3] == ["序号", "项目代码", "项目名称"]
    column = headers.index("预警")
    names = headers.index("项目名称")
    assert sorted(r[names] for r in rows) == sorted(zone_projects)
    for number, row in enumerate(rows, start=2):
        colour = COLOUR_OF[row[names]]
        assert row[column] == str(colour.label)
        cell = sheet.cell(row=number, column=column + 1)
        assert cell.fill.fill_type == "solid"
        assert cell.fill.start_color.rgb.endswith(colour.fill)


# --- who imports -----------------------------------------------------------------------------


def test_a_leader_sees_no_import_button(as_user, lily, zone_projects):
    page = as_user(lily)
    page.goto(CHANGELIST)
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#import-list")).to_have_count(0)
    expect(page.get_by_role("link", name="导入“三个一批”清单")).to_have_count(0)
    expect(page.get_by_role("link", name="下载空白模板")).to_have_count(0)
    expect(page.locator("#dispatch-table")).to_be_visible()  # reading is hers
