"""The dashboard's flows in a real browser, in Chinese: an officer asks for the start of works,
a supervisor approves it and the dashboard's figures change; a statistician imports a quarterly
list through the admin and sees the round on the dashboard; a leader opens a red project from
its dashboard. A screenshot of each step goes to the test output folder (test-artifacts/).

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from approvals.models import Batch, Category, Milestone, Project, Stage
from tests import browser_support
from tests.browser_support import CHANGELIST, INDEX, change_url
from tests.factories import ProjectFactory
from tests.figures import listed, reached
from tests.flows import PDF

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    browser_support.screenshot(page, f"dashboard-{name}.png")


def charted(page, name: str) -> list:
    """What Chart.js drew on a dashboard chart's canvas: its first series, once it is drawn."""
    page.wait_for_function(
        f"() => window.Chart && Chart.getChart(document.querySelector('#chart-{name} canvas'))"
    )
    return page.evaluate(
        f"() => Chart.getChart(document.querySelector('#chart-{name} canvas')).data.datasets[0].data"
    )


def tile(page, key: str):
    return page.locator(f"#tile-{key} .dashboard-value")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


#: The signing event of the cohort: within the dashboard's last twelve months, whatever today.
EVENT = dt.date.today() - dt.timedelta(days=60)


@pytest.fixture
def cohort(zone, alice):
    """Four projects listed as 签约 in a round held 60 days ago; one of them is ready to start
    works."""
    first = Batch.objects.create(year=EVENT.year, round=1, event_date=EVENT)
    ready = ProjectFactory(zone=zone, name="晋中氢能装备制造项目", stage=Stage.READY, officer=alice)
    for project in [ready] + [
        ProjectFactory(zone=zone, name=f"晋中签约项目{n}", stage=Stage.SIGNED) for n in range(3)
    ]:
        reached(project, Stage.SIGNED, EVENT)
        listed(first, project, Category.SIGN, 10000)
    return ready


def test_an_approved_start_of_works_moves_the_dashboard(as_user, alice, bob, cohort, celery_inline):
    """The decision, committed, has the worker (inline here) count the zone again: the
    supervisor's next visit shows it."""
    page = as_user(bob)
    page.goto(INDEX)
    expect(tile(page, "start_rate")).to_have_text("0.0 %")  # 0 of 4 signed have started
    expect(page.locator("#tile-start_rate")).to_contain_text("开工率")
    assert charted(page, "funnel") == [4, 4, 1, 0, 0, 0]  # all 4 signed, 1 of them ready
    screenshot(page, "1-supervisor-before")

    page.context.clear_cookies()
    page = as_user(alice)
    page.goto(change_url(cohort))
    expect(page.locator("#case-file")).to_contain_text("项目档案")
    start = page.locator("form#transition-start_works")
    expect(start.locator("#needs-start_works")).to_contain_text("实际开工日期")
    started_on = (EVENT + dt.timedelta(days=30)).isoformat()
    start.locator('input[name="start_works-start_date"]').fill(started_on)
    start.locator('input[name="start_works-attachments"]').set_input_files(
        {"name": "施工许可证.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    start.locator('button[type="submit"]').click()
    expect(page.locator("#pending-request")).to_be_visible()
    screenshot(page, "2-officer-asks-to-start-works")

    page.context.clear_cookies()
    page = as_user(bob)
    page.goto(change_url(cohort))
    page.locator("#pending-request textarea[name=comment]").fill("现场已开工，同意")
    page.locator("#approve-request").click()
    expect(page.locator("#case-timeline #step-under_construction")).to_contain_text(started_on)
    screenshot(page, "3-supervisor-approved")

    page.goto(INDEX)
    expect(tile(page, "start_rate")).to_have_text("25.0 %")  # 1 of 4
    expect(page.locator("#stage-under_construction td").first).to_have_text("1")
    screenshot(page, "4-supervisor-after")
    cohort.refresh_from_db()
    assert cohort.stage == Stage.UNDER_CONSTRUCTION


def quarterly_list(directory: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "三个一批"
    sheet.append(["晋中市2025年第三季度“三个一批”项目清单"])
    sheet.append(
        ["序号", "项目名称", "项目单位", "所在开发区", "类别", "当前阶段", "总投资（亿元）"]
    )
    sheet.append([1, "晋中储能电池项目", "山西储能科技有限公司", "晋中开发区", "签约", "已签约", 8])
    sheet.append([2, "晋中光伏组件项目", "山西光伏有限公司", "晋中开发区", "开工", "在建", 12.5])
    path = directory / "2025年三季度三个一批清单.xlsx"
    book.save(path)
    return path


def test_a_statistician_imports_a_list_and_sees_the_round(
    as_user, stan, zone, tmp_path, celery_inline
):
    page = as_user(stan)
    page.goto(INDEX)
    expect(page.locator("#dashboard-latest-batch")).to_contain_text("尚未导入三个一批清单")
    page.goto(CHANGELIST)
    page.locator("#import-list").click()
    page.get_by_label("批次年份:", exact=True).fill("2025")
    page.get_by_label("第几批:", exact=True).fill("3")
    page.get_by_label("活动日期:", exact=True).fill("2025-09-26")
    page.get_by_label("表格文件（.xlsx、.xls 或 .csv）:").set_input_files(quarterly_list(tmp_path))
    page.get_by_role("button", name="检查文件").click()
    screenshot(page, "5-statistician-preview")
    page.locator("#confirm-import").click()
    expect(page.locator("#result_list")).to_contain_text("晋中光伏组件项目")

    page.goto(INDEX)
    latest = page.locator("#dashboard-latest-batch")
    expect(latest.locator("h2")).to_contain_text("2025年第3批")
    expect(latest.locator("h2")).to_contain_text("2025-09-26")
    rows = latest.locator("tbody tr")
    expect(rows.nth(0).locator("td")).to_have_text(["1", "8.00"])  # 签约: one at 8亿, two decimals
    expect(rows.nth(1).locator("td")).to_have_text(["1", "12.50"])  # 开工: one at 12.5亿
    screenshot(page, "6-statistician-sees-the-round")
    assert Project.objects.filter(zone=zone).count() == 2


def test_a_leader_opens_a_red_project_from_its_dashboard(as_user, lily, zone):
    late = ProjectFactory(zone=zone, name="晋中煤层气综合利用项目", stage=Stage.SIGNED, leader=lily)
    Milestone.objects.create(
        project=late, stage=Stage.READY, planned_date=dt.date.today() - dt.timedelta(days=60)
    )
    on_time = ProjectFactory(zone=zone, name="晋中数据中心项目", stage=Stage.SIGNED, leader=lily)
    Milestone.objects.create(
        project=on_time, stage=Stage.READY, planned_date=dt.date.today() + dt.timedelta(days=90)
    )
    ProjectFactory(zone=zone, name="不归她跟踪的项目", stage=Stage.SIGNED)
    page = as_user(lily)
    page.goto(INDEX)
    expect(tile(page, "red")).to_have_text("1")
    screenshot(page, "7-leader-dashboard")
    page.locator("#tile-red").click()
    expect(page).to_have_url(re.compile(r"colour=red"))
    results = page.locator("#result_list tbody")
    expect(results.get_by_role("link", name=late.name)).to_be_visible()
    expect(results).not_to_contain_text(on_time.name)
    results.get_by_role("link", name=late.name).click()
    expect(page).to_have_url(re.compile(re.escape(change_url(late))))
    expect(page.locator("#case-timeline #step-ready")).to_contain_text("计划")
    screenshot(page, "8-leader-opens-the-red-project")
