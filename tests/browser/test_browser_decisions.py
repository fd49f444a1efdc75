"""Deciding 具备开工条件 in a real browser: the officer settles a blocking item by its mode (不涉及
needs a reason), asks for mark_ready, and the supervisor reads what settled the start without an
approval; a rejection says why; another zone's history stays closed.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals.checklist.services import checklist_generate
from approvals.models import Mode, RequestStatus, Stage
from approvals.stages import workflow
from tests.browser_support import (
    INDEX,
    change_url,
    log_in_through_the_form,
    open_case_tab,
    screenshot,
    stage_heading,
)
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SITE_REASON = "选址已含在园区规划中"
SERVICE_REASON = "企业自述不涉及"
REJECTION = "请补充选址意见书说明"


def request_url(stage_request) -> str:
    return reverse("admin:approvals_stagerequest_change", args=[stage_request.pk])


@pytest.fixture
def signed(zone, catalogue, alice):
    """A signed project with the checklist generated from the catalogue."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, name="晋能控股年产8GW电池项目")
    checklist_generate(project=project, by=alice)
    return project


@pytest.fixture
def ready_requested(signed, alice):
    """Every blocking item marked 不涉及 through the service, LX03 with its own reason, and
    mark_ready asked for: the request waits for the supervisor."""
    for item in signed.start_blockers():
        reason = SITE_REASON if item.approval_type.code == "LX03" else SERVICE_REASON
        workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason=reason)
    return workflow.request_transition(signed, "mark_ready", by=alice)


def test_the_supervisor_sees_what_settles_the_start_without_an_approval(
    as_user, alice, bob, signed
):
    lx03 = signed.approval_items.get(approval_type__code="LX03")
    assert lx03.mode == Mode.APPROVAL
    page = as_user(alice)
    page.goto(change_url(signed))
    expect(stage_heading(page, "已签约")).to_be_visible()
    open_case_tab(page, "审批事项")
    checklist = page.locator("#approval_items-group")
    expect(checklist.locator("thead th", has_text="方式变更理由")).to_have_count(1)
    row = checklist.locator("tbody.original tr.form-row", has_text="LX03 用地预审与选址意见书")
    expect(row).to_have_count(1)

    # 不涉及 without a reason: refused on the row's reason field, nothing saved.
    row.locator('select[name$="-mode"]').select_option(label="不涉及")
    page.locator('[name="_continue"]').click()

    expect(page.locator(".errornote")).to_be_visible()
    reason_cell = row.locator("td.field-mode_reason")
    expect(reason_cell.locator("ul.errorlist")).to_have_text("将事项改为“不涉及”须说明理由。")
    expect(row.locator('select[name$="-mode"] option:checked')).to_have_text("不涉及")
    lx03.refresh_from_db()
    assert lx03.mode == Mode.APPROVAL
    assert not lx03.mode_changes.filter(target=Mode.NOT_APPLICABLE).exists()

    # With the reason it is saved, and recorded with who and why.
    reason_cell.locator("input").fill(SITE_REASON)
    page.locator('[name="_continue"]').click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".errornote")).to_have_count(0)
    open_case_tab(page, "审批事项")  # the page opens again on its first tab
    expect(row.locator('select[name$="-mode"] option:checked')).to_have_text("不涉及")
    blockers = page.locator(".field-start_blockers")
    expect(blockers).not_to_contain_text("LX03")
    lx03.refresh_from_db()
    assert lx03.mode == Mode.NOT_APPLICABLE
    change = lx03.mode_changes.get(target=Mode.NOT_APPLICABLE)
    assert (change.source, change.by, change.reason) == (Mode.APPROVAL, alice, SITE_REASON)

    # The other blocking items through the service; then the officer asks for 具备开工条件.
    others = list(signed.start_blockers())
    assert others and "LX03" not in {item.approval_type.code for item in others}
    for item in others:
        workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason=SERVICE_REASON)
    page.reload()
    expect(blockers).to_contain_text("无：开工前需办结的事项均已办结。")
    ready = page.locator("form#transition-mark_ready")
    ready.get_by_role("button", name="申请确认具备开工条件").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"“{signed.name}”：已申请确认具备开工条件，由开发区科室负责人审批。"
    )
    expect(page.locator("#pending-request")).to_contain_text("确认具备开工条件")
    expect(page.locator("#approve-request")).to_have_count(0)  # nobody decides its own request
    pending = signed.stage_requests.get()
    assert (pending.transition, pending.status, pending.requested_by) == (
        "mark_ready",
        RequestStatus.PENDING,
        alice,
    )

    # The supervisor logs in and opens the request from the 待审批 box.
    log_in_through_the_form(page, bob)
    queue = page.locator("#awaiting-decisions")
    expect(queue).to_contain_text("有1项阶段变更申请待您审批")
    queue.get_by_role("link").click()
    page.locator("#result_list tbody th a").first.click()

    expect(page).to_have_url(re.compile(re.escape(request_url(pending)) + r"(\?|$)"))
    settled = page.locator("#settled-by-mode")
    expect(settled.get_by_role("heading", level=2)).to_have_text("审批“具备开工条件”前请核对")
    lx03_row = settled.locator("tbody tr", has_text="LX03 用地预审与选址意见书")
    expect(lx03_row).to_have_count(1)
    expect(lx03_row.locator("td")).to_have_text(
        [
            "LX03 用地预审与选址意见书",
            "不涉及",
            "艾丽（alice）",
            re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"),
            SITE_REASON,
        ]
    )
    expect(settled.locator("tbody tr", has_text=SERVICE_REASON)).to_have_count(len(others))
    expect(page.locator("#approve-request")).to_be_visible()
    screenshot(page, "supervisor-reads-settled-by-mode.png")

    pending.refresh_from_db()
    signed.refresh_from_db()
    assert (pending.status, signed.stage) == (RequestStatus.PENDING, Stage.SIGNED)


def test_a_rejection_says_why(as_user, alice, bob, signed, ready_requested):
    pending = ready_requested
    page = as_user(bob)
    page.goto(request_url(pending))
    comment = page.locator("#decision-comment")

    # Without a reason the rejection is refused, and the request still waits.
    expect(comment).to_have_value("")
    page.locator("#reject-request").click()

    expect(page.locator(".messagelist .error")).to_contain_text("驳回须说明理由")
    expect(page.locator(".messagelist .success")).to_have_count(0)
    expect(page.locator("#reject-request")).to_be_visible()
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decision_comment) == (
        RequestStatus.PENDING,
        None,
        "",
    )

    page.locator("#decision-comment").fill(REJECTION)
    page.locator("#reject-request").click()

    expect(page.locator(".messagelist .success")).to_have_text(
        f"已驳回：“{signed.name}”仍为“已签约”。"
    )
    expect(page.locator("#decision-panel")).to_have_count(0)
    expect(page.locator(".field-decision_comment .readonly")).to_have_text(REJECTION)
    pending.refresh_from_db()
    signed.refresh_from_db()
    assert (pending.status, pending.decision_comment, pending.decided_by) == (
        RequestStatus.REJECTED,
        REJECTION,
        bob,
    )
    assert pending.decided_at is not None
    assert signed.stage == Stage.SIGNED
    assert not pending.stage_changes.exists()  # a rejection changes no stage

    # The officer opens the project: the request no longer waits and she may ask again; the
    # reason is on the request, which she finds among her own (我提交的).
    page.context.clear_cookies()
    page = as_user(alice)
    page.goto(change_url(signed))
    expect(stage_heading(page, "已签约")).to_be_visible()
    expect(page.locator("#pending-request")).to_have_count(0)
    expect(page.locator("form#transition-mark_ready")).to_have_count(1)  # she may ask again
    page.goto(reverse("admin:approvals_stagerequest_changelist") + "?queue=mine")
    row = page.locator("#result_list tbody tr", has_text=signed.name)
    expect(row).to_contain_text("已驳回")
    row.locator("th a").click()
    expect(page).to_have_url(re.compile(re.escape(request_url(pending)) + r"(\?|$)"))
    expect(page.locator(".field-decision_comment .readonly")).to_have_text(REJECTION)
    expect(page.locator(".field-decided_by_name .readonly")).to_have_text("鲍勃（bob）")
    screenshot(page, "officer-reads-rejection.png")


def test_an_officer_cannot_read_another_zones_history(as_user, alice, project, other_project):
    page = as_user(alice)
    history = reverse("admin:approvals_project_history", args=[other_project.pk])
    page.goto(history)

    expect(page).to_have_url(re.compile(re.escape(INDEX) + "$"))
    expect(page.locator(".messagelist")).to_contain_text("不存在")
    expect(page.locator("body")).not_to_contain_text(other_project.name)
    assert other_project.name not in page.content()
    # Her own project's history opens.
    page.goto(reverse("admin:approvals_project_history", args=[project.pk]))
    expect(page.locator("body")).to_contain_text(project.name)
