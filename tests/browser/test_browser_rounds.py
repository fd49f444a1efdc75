"""A past 三个一批 round in a real browser (issue 19, guide section 12: the round is the event):
stan imports the round's list through the project list's button, the preview says per row which
projects are created at which stage and which catch-up requests open, and nothing is written
before he confirms; bob selects the two requests from the list in his 待审批 queue, reads on the
bulk decision page what they rest on (来自清单, round, file, row, event date, what approval will
record) and approves them; the dashboard then shows the round, the new stages, one compliance
flag (开工时前期手续未办结, whose tile opens the list of that one project) and nothing red.

The event lies a few weeks before today, whatever today is: no clock is frozen (as in the other
browser tests; a holiday or a Sunday changes nothing). The workbook is built in the test with
openpyxl; tasks the import and the decisions queue run at once (``celery_inline``), as the
worker would; every check after an action reads the database afresh. The browser and its fixtures:
``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from approvals.models import (
    Batch,
    BatchEntry,
    Project,
    RequestStatus,
    Stage,
    StageChange,
    StageRequest,
)
from tests import browser_support
from tests.browser_support import CHANGELIST, INDEX
from tests.factories import EnterpriseFactory, ProjectFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


LIST_UPLOAD = reverse("admin:approvals_project_spreadsheet_import")
REQUESTS = reverse("admin:approvals_stagerequest_changelist")

#: The round: held six weeks ago, whatever today is (past, and within the dashboard's year).
EVENT = timezone.localdate() - dt.timedelta(days=42)
YEAR, ROUND = EVENT.year, 2
FILE_NAME = "三个一批第二批清单.xlsx"
SHEET = "三个一批"
HEADERS = ["序号", "项目名称", "项目单位", "所在开发区", "类别", "总投资（亿元）"]

NEW_SIGNED = "晋中储能电池项目"  # new, 签约 → created at 已签约
NEW_STARTED = "晋中光伏组件项目"  # new, 开工 → created at 已开工
CAUGHT_UP_START = "晋中氢能装备制造项目"  # stored at 已签约, no checklist, listed as 开工
CAUGHT_UP_SIGN = "晋中碳纤维复合材料项目"  # stored at 储备/洽谈 with an enterprise, listed as 签约
BY_HAND = "晋中物流园项目"  # a request by hand, waiting in the same queue: not selected


def screenshot(page, name: str) -> None:
    browser_support.screenshot(page, f"rounds-{name}.png")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files go to a directory of this test only."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stored(zone, alice):
    """The zone's projects before the round: one signed without a checklist, one in reserve
    with its enterprise, and one whose officer asked by hand to sign it."""
    signed = ProjectFactory(
        zone=zone,
        name=CAUGHT_UP_START,
        stage=Stage.SIGNED,
        enterprise=EnterpriseFactory(name="山西氢能装备有限公司"),
    )
    reserve = ProjectFactory(
        zone=zone,
        name=CAUGHT_UP_SIGN,
        enterprise=EnterpriseFactory(name="山西碳纤维有限公司"),
        total_investment=30000,  # 3亿, as listed
    )
    by_hand = ProjectFactory(zone=zone, name=BY_HAND, officer=alice)
    StageRequest.objects.create(
        project=by_hand,
        transition="sign",
        evidence={"agreement_date": EVENT.isoformat()},
        requested_by=alice,
    )
    return {"signed": signed, "reserve": reserve, "by_hand": by_hand}


def round_list(directory: Path, stored: dict) -> Path:
    """The round's list as the zone writes it: a caption, the header, four rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([f"晋中市{YEAR}年第二批“三个一批”项目清单"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append(HEADERS)
    for row in [
        [1, NEW_SIGNED, "山西储能科技有限公司", "晋中开发区", "签约", 8],
        [2, NEW_STARTED, "山西光伏有限公司", "晋中开发区", "开工", 12.5],
        [3, CAUGHT_UP_START, stored["signed"].enterprise.name, "晋中开发区", "开工", 5],
        [4, CAUGHT_UP_SIGN, stored["reserve"].enterprise.name, "晋中开发区", "签约", 3],
    ]:
        sheet.append(row)
    path = directory / FILE_NAME
    book.save(path)
    return path


def outcome_of(page, kind: str, name: str):
    """What the preview says the round does to a project, in its table of new or changed
    rows."""
    row = page.locator(f"#import-{kind} tbody tr", has_text=name)
    expect(row).to_have_count(1)
    return row.locator(".import-outcome")


def charted(page, name: str) -> list:
    """What Chart.js drew on a dashboard chart's canvas: its first series, once it is drawn."""
    canvas = f"document.querySelector('#chart-{name} canvas')"
    page.wait_for_function(f"() => window.Chart && Chart.getChart({canvas})")
    return page.evaluate(f"() => Chart.getChart({canvas}).data.datasets[0].data")


def test_a_past_round_is_imported_caught_up_in_bulk_and_counted(
    as_user, stan, bob, zone, stored, tmp_path, celery_inline
):
    signed, reserve = stored["signed"], stored["reserve"]
    page = as_user(stan)

    # --- stan imports the round's list through the project list's button --------------------
    page.goto(CHANGELIST)
    page.locator("#import-list").click()
    expect(page).to_have_url(re.compile(re.escape(LIST_UPLOAD) + "$"))
    page.get_by_label("批次年份:", exact=True).fill(str(YEAR))
    page.get_by_label("第几批:", exact=True).fill(str(ROUND))
    page.get_by_label("活动日期:", exact=True).fill(EVENT.isoformat())
    page.get_by_label("表格文件（.xlsx、.xls 或 .csv）:").set_input_files(
        round_list(tmp_path, stored)
    )
    page.get_by_role("button", name="检查文件").click()

    expect(page.locator("#content-main h2").first).to_have_text(
        f"{FILE_NAME} · {YEAR}年第{ROUND}批"
    )
    # rows, new, changed, unchanged, warnings, errors
    expect(page.locator("#import-counts tbody td")).to_have_text(["4", "2", "2", "0", "0", "0"])
    day = f"{EVENT.year}年{EVENT.month}月{EVENT.day}日"  # in a sentence
    expect(outcome_of(page, "created", NEW_SIGNED)).to_have_text(
        f"新建，阶段：已签约（签约日期 {day}）"
    )
    expect(outcome_of(page, "created", NEW_STARTED)).to_have_text(
        f"新建，阶段：已开工（开工日期 {day}）"
    )
    expect(outcome_of(page, "changed", CAUGHT_UP_START)).to_have_text(
        "将提交补录申请：已签约 → 已开工，待分管领导审批"
    )
    expect(outcome_of(page, "changed", CAUGHT_UP_SIGN)).to_have_text(
        "将提交补录申请：储备/洽谈 → 已签约，待分管领导审批"
    )
    expect(page.locator("#import-tallies li")).to_have_text(
        ["新建（已签约）：1", "新建（已开工）：1", "将提交的补录申请：2"]
    )
    expect(page.locator("#import-warnings")).to_have_count(0)
    expect(page.locator("#confirm-import")).to_have_value("导入")
    screenshot(page, "1-statistician-previews-the-round")
    # Nothing is written before confirming.
    assert Project.objects.count() == 3
    assert not Batch.objects.exists() and not BatchEntry.objects.exists()
    assert StageRequest.objects.count() == 1  # the one by hand
    assert set(Project.objects.values_list("name", "stage")) == {
        (CAUGHT_UP_START, Stage.SIGNED),
        (CAUGHT_UP_SIGN, Stage.RESERVE),
        (BY_HAND, Stage.RESERVE),
    }

    page.locator("#confirm-import").click()
    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))
    expect(page.locator(".messagelist .success")).to_contain_text(FILE_NAME)
    opened = StageRequest.objects.filter(kind="list")
    assert {(r.project.name, r.target_stage, r.requested_by) for r in opened} == {
        (CAUGHT_UP_START, Stage.UNDER_CONSTRUCTION, stan),
        (CAUGHT_UP_SIGN, Stage.SIGNED, stan),
    }
    assert Project.objects.get(pk=signed.pk).stage == Stage.SIGNED  # not moved by the import

    # --- bob selects the two requests from the list in his queue -----------------------------
    page.context.clear_cookies()
    page = as_user(bob)
    page.goto(INDEX)
    queue = page.locator("#awaiting-decisions")
    expect(queue).to_contain_text("有3项阶段变更申请待您审批")
    queue.get_by_role("link").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    for name in (CAUGHT_UP_START, CAUGHT_UP_SIGN):
        rows.filter(has_text=name).locator("input.action-select").check()
    page.locator('select[name="action"]').select_option(label="批准所选申请")
    page.get_by_role("button", name="执行", exact=True).click()

    # --- the bulk decision page: what each rests on --------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("批准所选申请")
    listed = page.locator("#content form li")
    expect(listed).to_have_count(2)
    expect(listed.filter(has_text=BY_HAND)).to_have_count(0)
    start_request = opened.get(project=signed)
    sign_request = opened.get(project=reserve)
    for stage_request, row_number, category in [
        (start_request, 5, "开工一批"),
        (sign_request, 6, "签约一批"),
    ]:
        facts = page.locator(f"#from-list-{stage_request.pk}")
        expect(facts.locator("h3")).to_have_text("来自清单")
        expect(facts.locator("p")).to_contain_text(
            [
                f"批次：{YEAR}年第{ROUND}批 · {category}",
                f"文件：{FILE_NAME}",
                f"行：{FILE_NAME} · {SHEET} · {row_number}",
                f"活动日期：{EVENT.isoformat()}",  # a field, like a table cell,
            ]
        )
        expect(facts.get_by_role("link", name=FILE_NAME)).to_be_visible()
    expect(page.locator(f"#will-record-{start_request.pk}")).to_have_text(
        "批准后将记录：无审批清单；开工时前期手续未办结"
    )
    expect(page.locator(f"#will-record-{sign_request.pk}")).to_have_count(0)  # every gate holds
    screenshot(page, "2-supervisor-reads-the-requests-from-the-list")
    page.get_by_label("审批意见").fill("三个一批第二批已集中签约、开工，同意补录")
    page.get_by_role("button", name="批准所选申请").click()

    expect(page).to_have_url(re.compile(re.escape(REQUESTS)))
    expect(page.locator(".messagelist .success")).to_have_text("已审批2项申请。")
    expect(page.locator(".messagelist .error")).to_have_count(0)

    # --- the dashboard ---------------------------------------------------------------------
    page.goto(INDEX)
    latest = page.locator("#dashboard-latest-batch")
    expect(latest.locator("h2")).to_contain_text(f"{YEAR}年第{ROUND}批")
    expect(latest.locator("h2")).to_contain_text(EVENT.isoformat())  # a heading, not a sentence
    latest_rows = latest.locator("tbody tr")
    expect(latest_rows.nth(0).locator("td")).to_have_text(["2", "11.00"])  # 签约: 8 + 3 亿
    expect(latest_rows.nth(1).locator("td")).to_have_text(["2", "17.50"])  # 开工: 12.5 + 5 亿
    assert charted(page, "rounds") == [2]  # the round's 签约一批, side by side with 开工一批
    expect(page.locator("#stage-reserve td").first).to_have_text("1")  # the one by hand
    expect(page.locator("#stage-signed td").first).to_have_text("2")
    expect(page.locator("#stage-under_construction td").first).to_have_text("2")
    expect(page.locator("#tile-red .dashboard-value")).to_have_text("0")
    flag = page.locator("#tile-started_before_permits")
    expect(flag).to_contain_text("开工时前期手续未办结")
    expect(flag.locator(".dashboard-value")).to_have_text("1 个")
    screenshot(page, "3-supervisor-dashboard-after-the-round")

    flag.click()
    expect(page).to_have_url(re.compile(r"compliance=started_before_permits"))
    flagged = page.locator("#result_list tbody tr")
    expect(flagged).to_have_count(1)
    expect(flagged).to_contain_text(CAUGHT_UP_START)
    screenshot(page, "4-supervisor-lists-the-flagged-project")

    # --- a fresh read of the database ----------------------------------------------------------
    stages = dict(Project.objects.values_list("name", "stage"))
    assert stages == {
        NEW_SIGNED: Stage.SIGNED,
        NEW_STARTED: Stage.UNDER_CONSTRUCTION,
        CAUGHT_UP_START: Stage.UNDER_CONSTRUCTION,
        CAUGHT_UP_SIGN: Stage.SIGNED,
        BY_HAND: Stage.RESERVE,
    }
    for stage_request in StageRequest.objects.filter(kind="list"):
        assert (stage_request.status, stage_request.decided_by) == (RequestStatus.APPROVED, bob)
    hand = StageRequest.objects.get(kind="hand")
    assert (hand.status, hand.decided_by) == (RequestStatus.PENDING, None)
    caught_up = StageChange.objects.filter(request__kind="list").order_by("pk")
    assert [(c.project.name, c.source, c.target, c.by) for c in caught_up] == [
        (CAUGHT_UP_START, Stage.SIGNED, Stage.READY, bob),
        (CAUGHT_UP_START, Stage.READY, Stage.UNDER_CONSTRUCTION, bob),
        (CAUGHT_UP_SIGN, Stage.RESERVE, Stage.SIGNED, bob),
    ]
    gates = {
        g["gate"] for c in caught_up if c.project.name == CAUGHT_UP_START for g in c.gates_not_held
    }
    assert "started_before_permits" in gates and "has_checklist" in gates
    assert not caught_up.filter(project__name=CAUGHT_UP_SIGN).exclude(gates_not_held=[]).exists()
    today = timezone.localdate()
    flagged_on = dict(
        Project.objects.filter(started_before_permits_on__isnull=False).values_list(
            "name", "started_before_permits_on"
        )
    )
    assert list(flagged_on) == [CAUGHT_UP_START]
    assert flagged_on[CAUGHT_UP_START] in {today, today - dt.timedelta(days=1)}
    started = Project.objects.get(name=CAUGHT_UP_START)
    assert started.milestones.get(stage=Stage.UNDER_CONSTRUCTION).actual_date == EVENT
    assert (
        Project.objects.get(name=CAUGHT_UP_SIGN).milestones.get(stage=Stage.SIGNED).actual_date
        == EVENT
    )
