"""The approval checklist and the supervisors' batch decisions in a real browser: an officer
generates a project's checklist and sees what blocks the start of works, moves one item to
accepted and reads its deadline; a supervisor approves several stage requests at once.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.checklist.services import checklist_generate
from approvals.models import ItemStatus, RequestStatus, Stage
from approvals.stages import workflow
from tests.browser_support import change_url, open_case_tab, screenshot, stage_heading
from tests.factories import ProjectFactory
from tests.flows import documents

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


REQUESTS = reverse("admin:approvals_stagerequest_changelist")

#: What blocks the start of a signed project with a fresh checklist: the catalogue's
#: before-works items handled by approval, none started yet (migration 0003).
OPEN_BEFORE_WORKS = [
    "LX01 项目赋码及备案（未启动）",
    "LX03 用地预审与选址意见书（未启动）",
    "LX06 土地出让及出让合同（未启动）",
    "LX07 不动产权证（未启动）",
    "LX08 建设用地规划许可证（未启动）",
    "HP01 环境影响评价审批（未启动）",
    "HP05 安全条件和安全设施设计审查（未启动）",
    "GC01 建设工程规划许可证（未启动）",
    "SG02 消防设计审查（未启动）",
    "SG03 建筑工程施工许可证（未启动）",
]


@pytest.fixture
def signed(zone, catalogue):
    return ProjectFactory(zone=zone, stage=Stage.SIGNED, name="晋能控股年产8GW电池项目")


def test_an_officer_generates_the_checklist_and_sees_what_blocks_the_start(as_user, alice, signed):
    page = as_user(alice)
    page.goto(change_url(signed))
    expect(stage_heading(page, "已签约")).to_be_visible()
    blockers = page.locator(".field-start_blockers")
    expect(blockers.locator("label")).to_have_text("开工前未办结事项")
    expect(blockers).to_contain_text("尚未生成审批清单：项目不能视为具备开工条件。")
    ready = page.locator("#blocked-mark_ready")
    expect(ready).to_contain_text("确认具备开工条件")
    expect(ready).to_contain_text("尚未生成审批事项清单")
    open_case_tab(page, "审批事项")
    checklist = page.locator("#approval_items-group")
    expect(checklist.get_by_role("heading", name="审批事项清单")).to_be_visible()
    rows = checklist.locator("tbody.original tr.form-row")
    expect(rows).to_have_count(0)

    page.locator("#generate-checklist").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"“{signed.name}”：新增21项，保留已有0项。"
    )
    open_case_tab(page, "审批事项")  # the page opens again on its first tab
    expect(rows).to_have_count(21)
    expect(rows.filter(has_text="LX08 建设用地规划许可证")).to_have_count(1)
    expect(blockers.locator("li")).to_have_text(OPEN_BEFORE_WORKS)
    expect(ready).to_contain_text(
        "以下开工前审批事项尚未办结：" + "、".join(OPEN_BEFORE_WORKS) + "。"
    )
    expect(page.locator("form#transition-mark_ready")).to_have_count(0)
    screenshot(page, "officer-generated-checklist.png")

    assert signed.approval_items.count() == 21
    assert signed.approval_items.blocking_start().count() == len(OPEN_BEFORE_WORKS)


def test_an_officer_moves_an_item_to_accepted_and_sees_its_deadline(as_user, alice, signed):
    checklist_generate(project=signed, by=alice)
    lx08 = signed.approval_items.get(approval_type__code="LX08")
    page = as_user(alice)
    page.goto(change_url(signed))
    open_case_tab(page, "审批事项")
    row = page.locator(
        "#approval_items-group tbody.original tr.form-row", has_text="建设用地规划许可证"
    )
    row.get_by_role("link", name="打开", exact=True).click()

    item_url = reverse("admin:approvals_approvalitem_change", args=[lx08.pk])
    expect(page).to_have_url(re.compile(re.escape(item_url) + "$"))
    panel = page.locator("#transitions")
    expect(panel.get_by_role("heading", level=2)).to_have_text("状态: 未启动")
    page.locator("form#transition-start_preparing").get_by_role(
        "button", name="开始准备材料"
    ).click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        "开始准备材料已完成，现为“准备材料”"
    )
    expect(panel.get_by_role("heading", level=2)).to_have_text("状态: 准备材料")

    accept = page.locator("form#transition-accept")
    expect(accept.get_by_role("heading", level=3)).to_have_text("部门受理 → 已受理")
    accept.get_by_label("受理日期").fill("2025-09-26")
    accept.get_by_role("button", name="部门受理").click()

    expect(page.locator(".messagelist .success")).to_contain_text("部门受理已完成，现为“已受理”")
    expect(panel.get_by_role("heading", level=2)).to_have_text("状态: 已受理")
    expect(page.locator(".field-status .readonly")).to_have_text("已受理")
    expect(page.locator(".field-accepted_on .readonly")).to_have_text(
        "2025-09-26"
    )  # a field is a table's cell
    expect(page.locator(".field-deadline label")).to_have_text("办结期限")
    # Ten working days after Friday 26 September: the National Day holiday (1-8 October) does
    # not count, the make-up days Sunday 28 September and Saturday 11 October do.
    expect(page.locator(".field-deadline .readonly")).to_have_text("2025-10-16")
    screenshot(page, "officer-accepted-item.png")

    lx08.refresh_from_db()
    assert (lx08.status, lx08.accepted_on, lx08.deadline) == (
        ItemStatus.ACCEPTED,
        dt.date(2025, 9, 26),
        dt.date(2025, 10, 16),
    )
    assert list(lx08.status_changes.order_by("pk").values_list("transition", "by__username")) == [
        ("", "alice"),  # created by generating the checklist
        ("start_preparing", "alice"),
        ("accept", "alice"),
    ]


def test_a_supervisor_approves_several_requests_at_once(as_user, alice, bob, zone):
    projects = [
        ProjectFactory(zone=zone, name=name)
        for name in ("太谷光伏组件项目", "榆次物流园项目", "祁县玻璃器皿项目")
    ]
    requests = [
        workflow.request_transition(
            project,
            "sign",
            by=alice,
            agreement_date=dt.date(2025, 4, 7),
            note="三个一批签约",
            attachments=documents(),
        )
        for project in projects
    ]
    page = as_user(bob)
    page.goto(REQUESTS)
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="待审批")).to_have_count(3)
    for checkbox in rows.locator("input.action-select").all():
        checkbox.check()
    page.locator('select[name="action"]').select_option(label="批准所选申请")
    page.get_by_role("button", name="执行", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("批准所选申请")
    listed = page.locator("#content form li")
    expect(listed).to_have_count(3)
    for project in projects:
        expect(listed.filter(has_text=project.name)).to_have_count(1)
    # While the supervisor reads the confirmation, the officer withdraws one request.
    workflow.cancel_request(requests[1], by=alice)
    page.get_by_label("审批意见").fill("材料齐全，同意签约")
    page.get_by_role("button", name="批准所选申请").click()

    expect(page).to_have_url(re.compile(re.escape(REQUESTS) + "$"))
    expect(page.locator(".messagelist .success")).to_have_text("已审批2项申请。")
    error = page.locator(".messagelist .error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text(f"未能审批：{projects[1].name} · 签约")
    expect(error).to_contain_text("该申请已不在待审批状态")
    expect(error).to_contain_text("已撤销")
    expect(rows.filter(has_text="已批准")).to_have_count(2)
    expect(rows.filter(has_text=projects[1].name)).to_contain_text("已撤销")
    screenshot(page, "supervisor-approved-several-requests.png")

    for project in projects:
        project.refresh_from_db()
    assert [p.stage for p in projects] == [Stage.SIGNED, Stage.RESERVE, Stage.SIGNED]
    for stage_request in requests:
        stage_request.refresh_from_db()
    assert [r.status for r in requests] == [
        RequestStatus.APPROVED,
        RequestStatus.CANCELLED,
        RequestStatus.APPROVED,
    ]
    assert {(r.decided_by, r.decision_comment) for r in (requests[0], requests[2])} == {
        (bob, "材料齐全，同意签约")
    }
