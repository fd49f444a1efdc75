"""A case file that fits (guide section 12, issue 20), measured in Chromium at a desk's screen
(1440×900) and a phone's (390×844): the project page's overview tab ends within two screens and
its tabs switch; the project list has no column past its card and no name over two lines, and on
a phone it scrolls inside its card with the name kept in view; the reports' per-round table
scrolls inside its card; rounds are ticked in a list. Screenshots go to test-artifacts/
(case-file-*.png, project-list-*.png, reports-*.png).

The browser and its fixtures: ``tests/browser_support.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from approvals.checklist.services import checklist_generate
from approvals.models import (
    Batch,
    FactorNeed,
    Milestone,
    MonthlyProgress,
    Problem,
    Stage,
    TaskNode,
)
from tests.browser_support import CHANGELIST, change_url, open_case_tab, screenshot
from tests.factories import ProjectFactory
from tests.figures import listed

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TABS = ["概况", "审批事项", "节点与计划", "月调度", "要素保障", "堵点与服务", "记录"]
REPORTS = reverse("admin:reports")

#: Names as the zones' lists write them: the longest of the demo's and of the 陵川 list.
NAMES = [
    "瑞恒光伏支架及边框生产基地项目",
    "晋通年产6GW高效光伏组件项目",
    "科华年产300台（套）矿山机械项目",
    "丰源年产2万吨高性能铝合金项目",
    "同创高端液压件生产线项目",
    "山西晋中智能装备制造产业园二期项目",
    "年产10万吨生物可降解材料及制品项目",
    "博远杂粮深加工项目",
]


@pytest.fixture
def case(zone, alice, catalogue):
    """A signed project with everything its page shows: a checklist, milestones, task nodes,
    monthly figures, factor needs, a problem, rounds; and the other projects of its zone."""
    today = dt.date.today()
    rounds = [
        Batch.objects.create(year=2025, round=n, event_date=dt.date(2025, 2 * n, 10))
        for n in (1, 2, 3)
    ]
    project = ProjectFactory(
        zone=zone,
        name=NAMES[0],
        stage=Stage.SIGNED,
        officer=alice,
        total_investment=Decimal("14900"),
        content="建设光伏支架及边框生产基地，配套建设生产及辅助设施",
    )
    checklist_generate(project=project, by=alice)
    Milestone.objects.create(project=project, stage=Stage.SIGNED, actual_date=dt.date(2025, 4, 7))
    for stage, days in ((Stage.READY, 30), (Stage.UNDER_CONSTRUCTION, 90)):
        Milestone.objects.create(
            project=project, stage=stage, planned_date=today + dt.timedelta(days=days)
        )
    for n, name in enumerate(("完成土地摘牌", "取得施工许可", "主体封顶")):
        TaskNode.objects.create(
            project=project, name=name, planned_date=today + dt.timedelta(days=20 * (n + 1))
        )
    for month in (1, 2, 3):
        MonthlyProgress.objects.create(
            project=project,
            month=dt.date(2026, month, 1),
            completed_year=Decimal(500 * month),
        )
    FactorNeed.objects.create(project=project, factor="land", requested=80, secured=50)
    Problem.objects.create(
        project=project, description="用地指标未落实", deadline=today + dt.timedelta(days=10)
    )
    for n, batch in enumerate(rounds):
        listed(batch, project, "sign", 14900 + n)
    for n, name in enumerate(NAMES[1:] * 2):
        other = ProjectFactory(
            zone=zone, name=f"{name}{n}" if n >= len(NAMES) - 1 else name, officer=alice
        )
        listed(rounds[n % 3], other, ("sign", "start", "produce")[n % 3], 10000 + n)
    return project


def content_bottom(page: Page, tab: str) -> float:
    """Where the shown parts of the tab ``tab`` end on the page (px from its top)."""
    return page.evaluate(
        """tab => Math.max(...[...document.querySelectorAll(`.case-tab-panel[data-case-tab="${tab}"]`)]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect().bottom + window.scrollY))""",
        tab,
    )


def test_the_case_file_at_a_desk_overview_within_two_screens(as_user, alice, case):
    page = as_user(alice)
    page.set_viewport_size(DESK)
    page.goto(change_url(case))
    header = page.locator("#case-header")
    expect(header.locator("#case-timeline")).to_be_visible()
    expect(header.locator("#case-colour")).to_be_visible()
    expect(header.locator("#case-blockers")).to_be_visible()  # what holds up the next step
    expect(page.locator("#case-tabs a")).to_have_text(TABS)
    expect(page.locator("#id_name")).to_be_visible()
    assert content_bottom(page, "overview") <= 2 * DESK["height"]
    screenshot(page, "case-file-1440.png")

    open_case_tab(page, "节点与计划")
    expect(page.locator("#milestones-group")).to_be_visible()
    expect(page.locator("#task_nodes-group")).to_be_visible()
    expect(page.locator("#id_name")).to_be_hidden()
    expect(page.locator("#transitions")).to_be_hidden()
    expect(header.locator("#case-timeline")).to_be_visible()  # the header stays
    open_case_tab(page, "堵点与服务")
    expect(page.locator("#case-problems")).to_contain_text("用地指标未落实")
    expect(page.locator("#milestones-group")).to_be_hidden()


def test_the_case_file_on_a_phone_switches_tabs(as_user, alice, case):
    page = as_user(alice)
    page.set_viewport_size(PHONE)
    page.goto(change_url(case))
    expect(page.locator("#case-tabs a")).to_have_text(TABS)
    expect(page.locator("#id_name")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "case-file-390.png")
    open_case_tab(page, "月调度")
    expect(page.locator("#monthly_progress-group")).to_be_visible()
    expect(page.locator("#id_progress")).to_be_visible()
    expect(page.locator("#id_name")).to_be_hidden()
    open_case_tab(page, "记录")
    expect(page.locator("#stage_changes-group")).to_be_visible()
    expect(page.locator("#case-batches li")).to_have_count(3)


#: The list's card (unfold's frame of the table), its scrolling box and each column's right edge.
LIST_GEOMETRY = """() => {
    const table = document.querySelector('#result_list');
    const frame = table.closest('.overflow-x-auto');
    const card = frame.getBoundingClientRect();
    const lines = el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    };
    return {
        card: {left: card.left, right: card.right},
        page: document.documentElement.scrollWidth,
        columns: [...table.querySelectorAll('thead th')].map(th => th.getBoundingClientRect().right),
        nameLines: [...table.querySelectorAll('tbody .field-name a')].map(lines),
        scrolls: Math.max(...[frame, ...frame.querySelectorAll('*')]
            .filter(box => box.contains(table) && box !== table)
            .map(box => box.scrollWidth - box.clientWidth)),
    };
}"""
#: Scrolls the box that holds the list's table sideways to its end.
SCROLL_LIST_TO_THE_END = """() => {
    const table = document.querySelector('#result_list');
    const frame = table.closest('.overflow-x-auto');
    for (const box of [frame, ...frame.querySelectorAll('*')]) {
        if (box.contains(table) && box !== table && box.scrollWidth > box.clientWidth) {
            box.scrollLeft = box.scrollWidth;
        }
    }
}"""


def test_the_project_list_at_a_desk_fits_its_card(as_user, alice, case):
    page = as_user(alice)
    page.set_viewport_size(DESK)
    page.goto(CHANGELIST)
    expect(page.locator("#result_list tbody tr")).to_have_count(len(NAMES) * 2 - 1)
    shape = page.evaluate(LIST_GEOMETRY)
    assert shape["page"] <= DESK["width"]
    assert all(right <= shape["card"]["right"] + 1 for right in shape["columns"]), shape
    assert max(shape["nameLines"]) <= 2, shape["nameLines"]
    assert shape["scrolls"] == 0
    screenshot(page, "project-list-1440.png")


def test_the_project_list_on_a_phone_scrolls_in_its_card_keeping_the_name(as_user, alice, case):
    page = as_user(alice)
    page.set_viewport_size(PHONE)
    page.goto(CHANGELIST)
    shape = page.evaluate(LIST_GEOMETRY)
    assert shape["page"] <= PHONE["width"]  # the page itself does not scroll sideways
    assert shape["card"]["right"] <= PHONE["width"]
    assert shape["scrolls"] > 0  # the table does, inside its card
    expect(page.locator("#result_list thead th.column-name")).to_be_visible()  # a table
    name = page.locator("#result_list tbody .field-name").first
    before = name.bounding_box()
    page.evaluate(SCROLL_LIST_TO_THE_END)
    last = page.locator("#result_list thead th.column-awaiting_decision")
    expect(last).to_be_in_viewport()
    after = name.bounding_box()
    assert after["x"] == pytest.approx(before["x"], abs=1)  # the name stayed where it was
    assert shape["card"]["left"] <= after["x"] and after["x"] + after["width"] <= PHONE["width"]
    screenshot(page, "project-list-390.png")


REPORT_GEOMETRY = """() => {
    const table = document.querySelector('#table-sanpi_batches');
    const frame = table.closest('.desk-table-frame');
    const card = table.closest('.report');
    return {
        page: document.documentElement.scrollWidth,
        frame: frame.getBoundingClientRect().right,
        card: card.getBoundingClientRect().right,
        scrolls: frame.scrollWidth - frame.clientWidth,
        table: table.getBoundingClientRect().width,
    };
}"""
#: Scrolls the per-round table's frame to its end: how far it went, and where the last column's
#: right edge then is against the frame's (a clipped table does not scroll: it stays cut off).
SCROLL_REPORT_TO_THE_END = """() => {
    const table = document.querySelector('#table-sanpi_batches');
    const frame = table.closest('.desk-table-frame');
    frame.scrollLeft = frame.scrollWidth;
    const last = [...table.querySelectorAll('thead th')].pop().getBoundingClientRect();
    return {scrolled: frame.scrollLeft, last: last.right, frame: frame.getBoundingClientRect().right};
}"""


@pytest.mark.parametrize("screen", [DESK, PHONE], ids=["1440", "390"])
def test_the_reports_per_round_table_scrolls_inside_its_card(
    as_user, bob, case, celery_inline, screen
):
    page = as_user(bob)
    page.set_viewport_size(screen)
    page.goto(f"{REPORTS}?date_from=&date_to=")
    rows = page.locator("#table-sanpi_batches tbody tr")
    expect(rows).to_have_count(3)
    shape = page.evaluate(REPORT_GEOMETRY)
    assert shape["page"] <= screen["width"], shape
    assert shape["frame"] <= shape["card"] <= screen["width"], shape
    assert screen is DESK or shape["scrolls"] > 0, "on a phone the table is wider than its card"
    screenshot(page, f"reports-{screen['width']}.png")
    end = page.evaluate(SCROLL_REPORT_TO_THE_END)
    assert end["scrolled"] == pytest.approx(shape["scrolls"], abs=1), end  # it scrolls there
    assert end["last"] <= end["frame"] + 1, end  # to its last column

    # Rounds are ticked in a list, not Ctrl-clicked in a multi-select.
    page.locator("#report-filter").get_by_label("2025年第2批").check()
    page.locator("#report-filter [type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("th")).to_have_text("2025年第2批")
