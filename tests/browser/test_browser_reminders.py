"""Lateness and its reminders in a real browser, as an officer and a supervisor read them.

alice (officer of 晋中开发区, with an email address) has four signed projects: one 40 days late
for its 具备开工条件 milestone (red: she and her supervisor are reminded), one due in three days
(yellow), one at risk (its environmental assessment, HP01, 60 calendar days and not applied
for, ends after the planned start of works) and one green. The daily job runs once; then alice
logs in through the form, reads 我的待办 and the unread count beside her name, follows the count
to her inbox and marks a reminder read, opens the late and the at-risk projects from 我的待办
(a red milestone; the foreseen-delay panel) and filters the project list by colour in its
sidebar; she opens a reminder from the inbox (which reads it) and follows it to its case. bob (the zone's supervisor) logs in in a browser of
his own and reads his reminder and the zone's red projects.

The clock is frozen on a working day, Friday 4 December 2026, and ticks from 09:00 there
(time-machine moves the whole process's clock, the live server's thread included; the browser
keeps its own, and the cookies' Max-Age is what it reads). The job runs, as the daily task does,
for the last working day of the official calendar up to today: on a Saturday or a holiday, the
one before, while the foreseen delay was found today (the last test builds the same desk on
Saturday 5 December 2026 and on National Day, 1 October 2026). Every check after an action
reads the database afresh. The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from approvals.checklist import foresight
from approvals.checklist.services import checklist_generate
from approvals.models import (
    CalendarDay,
    EmailState,
    Milestone,
    Mode,
    Project,
    Reminder,
    Stage,
    Step,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.browser_support import (
    CHANGELIST,
    INDEX,
    change_url,
    log_in_through_the_form,
    open_case_tab,
    screenshot,
)
from tests.factories import ProjectFactory
from tests.flows import administrator

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


INBOX = reverse("admin:approvals_reminder_changelist")

LATE = "晋中迟到的光伏组件项目"
SOON = "晋中临近的物流园项目"
AT_RISK = "晋中锂电隔膜项目"
GREEN = "晋中从容的玻璃器皿项目"
DAYS_LATE = 40  # red: more than 30 days late, and past the supervisor's 8 days
TODAY = dt.date(2026, 12, 4)  # a Friday, a working day
SATURDAY = dt.date(2026, 12, 5)
NATIONAL_DAY = dt.date(2026, 10, 1)  # a holiday of the official calendar


def last_working_day() -> dt.date:
    """Today, or the last working day before it on the official calendar (the job does
    nothing on a day off)."""
    calendar = CalendarDay.objects.calendar()
    day = timezone.localdate()
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def today(request):
    """The clock frozen on ``TODAY`` (or the day a test asks for), ticking from 09:00 Beijing."""
    day = getattr(request, "param", TODAY)
    at_nine = dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(at_nine, tick=True):
        yield day


@pytest.fixture
def desk(today, zone, catalogue, alice, bob) -> dict:
    """alice's four projects, the foreseen delay worked out, and the daily job run once."""
    alice.email = "alice@desk.cn"
    alice.save()

    def heading_for_ready(name: str, planned: dt.date) -> Project:
        project = ProjectFactory(zone=zone, name=name, stage=Stage.SIGNED, officer=alice)
        Milestone.objects.create(project=project, stage=Stage.READY, planned_date=planned)
        return project

    projects = {
        LATE: heading_for_ready(LATE, days(-DAYS_LATE)),
        SOON: heading_for_ready(SOON, days(3)),
        GREEN: heading_for_ready(GREEN, days(60)),
        AT_RISK: heading_for_ready(AT_RISK, days(20)),
    }
    # Works planned in 30 days; every before-works item settled by the park but the
    # environmental assessment (60 calendar days, not applied for): the earliest start is in
    # 60 days, whatever the holidays.
    at_risk = projects[AT_RISK]
    Milestone.objects.create(project=at_risk, stage=Stage.UNDER_CONSTRUCTION, planned_date=days(30))
    checklist_generate(project=at_risk, by=administrator())
    for item in at_risk.approval_items.blocking_start().exclude(approval_type__code="HP01"):
        workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason="园区已统一办理")
    foresight.refresh()
    assert Project.objects.get(pk=at_risk.pk).at_risk_since == timezone.localdate()

    day = last_working_day()
    outcome = reminders.run(day)
    assert outcome.working_day
    made = {
        (r.recipient.username, r.step, r.project.name)
        for r in Reminder.objects.select_related("recipient", "project")
    }
    assert made == {
        ("alice", Step.OFFICER, LATE),
        ("alice", Step.AT_RISK, AT_RISK),
        ("bob", Step.SUPERVISOR, LATE),
    }
    return {"day": day, **projects}


def unread_link(page):
    return page.locator("#unread-reminders")


def unread(count: int) -> str:
    return f"提醒（{count} 条未读）"


def todo_row(page, key: str):
    return page.locator(f"#my-todo #todo-{key}")


def listed_names(page) -> list[str]:
    return sorted(page.locator("#result_list tbody th.field-name a").all_inner_texts())


def filter_by_colour(page, label: str, value: str) -> None:
    """Click a choice of the project list's colour filter, in the sidebar."""
    choices = page.locator('#changelist-filter [data-filter-title="预警颜色"]')
    choices.get_by_role("link", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + rf"\?colour={value}$"))
    expect(choices.locator("li.selected")).to_have_text(label)


# --- the officer -----------------------------------------------------------------------------


def test_the_officer_follows_her_reminders_and_colours(page, desk, alice):
    late_by = (desk["day"] - desk[LATE].milestones.get().planned_date).days
    late_title = f"【逾期提醒】{LATE} · 具备开工条件：已逾期 {late_by} 天"
    at_risk_title = Reminder.objects.get(recipient=alice, step=Step.AT_RISK).title
    assert at_risk_title == f"【预计延误】{AT_RISK} · 开工时间"
    # The job sent alice's reminders by email too; bob has no address: his is in the inbox.
    assert sorted(m.subject for m in mail.outbox) == sorted([late_title, at_risk_title])
    assert set(Reminder.objects.filter(recipient=alice).values_list("email_status", flat=True)) == {
        EmailState.SENT
    }

    log_in_through_the_form(page, alice)

    # 我的待办: her late, due-soon and at-risk projects (not the green one), her reminders.
    todo = page.locator("#my-todo")
    expect(todo.get_by_role("heading", level=2)).to_have_text("我的待办")
    mine = todo_row(page, "late")
    expect(mine.locator("th")).to_have_text("我负责的临期、逾期或预计延误项目")
    expect(mine.locator("td > strong")).to_have_text("3")
    expect(mine.locator("li")).to_have_text(
        [
            # The milestone that gives the colour, and its date (issue 19).
            f"● {LATE} · 具备开工条件 {days(-DAYS_LATE)}",
            f"● {SOON} · 具备开工条件 {days(3)}",
            f"● {AT_RISK} · 具备开工条件 {days(20)}",
        ]
    )
    expect(mine.locator("li", has_text=LATE).locator("strong")).to_have_attribute("title", "红色")
    expect(mine.locator("li", has_text=SOON).locator("strong")).to_have_attribute("title", "黄色")
    expect(mine.locator("li", has_text=AT_RISK).locator("strong")).to_have_attribute(
        "title", "预计延误"
    )
    expect(todo).not_to_contain_text(GREEN)
    expect(todo_row(page, "items").locator("td > strong")).to_have_text("0")
    expect(todo_row(page, "reminders").locator("th")).to_have_text("未读提醒")
    expect(todo_row(page, "reminders").locator("td > strong")).to_have_text("2")
    expect(todo_row(page, "zone_red")).to_have_count(0)  # an officer decides nothing
    expect(unread_link(page)).to_have_text(unread(2))
    screenshot(page, "officer-reads-her-todo.png")

    # The count beside her name opens her unread reminders, newest first, in bold.
    unread_link(page).click()
    expect(page).to_have_url(re.compile(re.escape(INBOX) + r"\?unread=1$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    titles = page.locator("#result_list tbody th.field-title_link a:visible")
    expect(titles).to_have_text([at_risk_title, late_title])
    for title in (at_risk_title, late_title):
        expect(titles.filter(has_text=title).locator("span")).to_have_css("font-weight", "700")
    expect(rows.filter(has_text=late_title).locator("td.field-step")).to_have_text("代办员：逾期")
    expect(rows.filter(has_text=late_title).locator("td.field-delivery")).to_have_text("已发送")
    screenshot(page, "officer-reads-her-inbox.png")

    # Marking one read from the inbox: the count beside her name goes down by one.
    rows.filter(has_text=late_title).locator("input.action-select").check()
    page.locator('select[name="action"]').select_option(label="标记为已读")
    page.locator('button[name="index"]').click()
    expect(page.locator(".messagelist .success")).to_have_text("已将 1 条提醒标记为已读。")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(at_risk_title)
    expect(unread_link(page)).to_have_text(unread(1))
    assert Reminder.objects.get(recipient=alice, step=Step.OFFICER).read_at is not None
    assert Reminder.objects.get(recipient=alice, step=Step.AT_RISK).read_at is None
    assert Reminder.objects.get(step=Step.SUPERVISOR).read_at is None  # bob's is his

    page.locator("#site-name a").click()
    expect(page).to_have_url(re.compile(re.escape(INDEX) + "$"))
    expect(unread_link(page)).to_have_text(unread(1))
    expect(todo_row(page, "reminders").locator("td > strong")).to_have_text("1")

    # The late project, from 我的待办: its milestone red, no foreseen delay.
    todo_row(page, "late").get_by_role("link", name=re.compile(LATE)).click()
    expect(page).to_have_url(re.compile(re.escape(change_url(desk[LATE])) + "$"))
    open_case_tab(page, "节点与计划")  # its rows come when the tab opens
    milestones = page.locator("#milestones-group tbody.original tr.form-row")
    expect(milestones).to_have_count(1)
    expect(milestones.locator("td.field-stage select")).to_have_value(Stage.READY)
    expect(milestones.locator("td.field-colour")).to_have_text("● 红色")
    expect(milestones.locator("td.field-colour strong")).to_have_css("color", "rgb(198, 40, 40)")
    expect(page.locator("#foreseen-delay")).to_have_count(0)
    expect(unread_link(page)).to_have_text(unread(1))  # on every admin page

    # The at-risk project, from 我的待办: the foreseen delay, its dates and the deciding item.
    page.locator("#site-name a").click()
    todo_row(page, "late").get_by_role("link", name=re.compile(AT_RISK)).click()
    expect(page).to_have_url(re.compile(re.escape(change_url(desk[AT_RISK])) + "$"))
    panel = page.locator("#foreseen-delay")
    expect(panel.get_by_role("heading", level=2)).to_have_text("预计延误")
    expect(panel).to_contain_text(f"计划 {days(30)} 开工，但最早 {days(60)} 才能开工。")
    expect(panel.get_by_role("link")).to_have_text("HP01 环境影响评价审批")
    hp01 = desk[AT_RISK].approval_items.get(approval_type__code="HP01")
    expect(panel.get_by_role("link")).to_have_attribute(
        "href", reverse("admin:approvals_approvalitem_change", args=[hp01.pk])
    )
    expect(panel).to_contain_text("取决于 HP01 环境影响评价审批（未启动）。")
    expect(panel).to_contain_text(f"自 {timezone.localdate()} 起预计延误。")
    screenshot(page, "officer-reads-foreseen-delay.png")
    open_case_tab(page, "节点与计划")
    colours = {
        Stage.READY: "● 绿色",
        Stage.UNDER_CONSTRUCTION: "● 预计延误",
    }
    for stage, text in colours.items():
        row = page.locator("#milestones-group tbody.original tr.form-row").filter(
            has=page.locator(f'td.field-stage option[value="{stage}"][selected]')
        )
        expect(row.locator("td.field-colour")).to_have_text(text)

    # The project list, filtered by colour in the sidebar.
    page.locator("#site-name a").click()
    page.get_by_role("link", name="项目", exact=True).first.click()
    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    filter_by_colour(page, "红色", "red")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert listed_names(page) == [LATE]
    expect(page.locator("#result_list td.field-next_milestone")).to_have_text(
        f"具备开工条件 · {days(-DAYS_LATE)} ● 红色"
    )
    filter_by_colour(page, "黄色、红色或预计延误", "attention")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    assert listed_names(page) == sorted([LATE, SOON, AT_RISK])
    filter_by_colour(page, "预计延误", "at_risk")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert listed_names(page) == [AT_RISK]
    filter_by_colour(page, "绿色", "green")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert listed_names(page) == [GREEN]
    screenshot(page, "officer-filters-projects-by-colour.png")


def test_opening_a_reminder_from_the_inbox_reads_it_and_links_to_the_case(page, desk, alice):
    log_in_through_the_form(page, alice)
    expect(unread_link(page)).to_have_text(unread(2))
    unread_link(page).click()
    reminder = Reminder.objects.get(recipient=alice, step=Step.OFFICER)
    page.locator("#result_list tbody tr").filter(has_text=reminder.title).get_by_role(
        "link", name=reminder.title
    ).click()
    page.wait_for_url(re.compile(r"/admin/approvals/\w+/\d+/change/"))
    assert "/admin/approvals/reminder/" in page.url, f"the title led to {page.url}"

    case = page.locator("#open-case")
    expect(case).to_have_text("打开项目")
    case.click()
    expect(page).to_have_url(re.compile(re.escape(change_url(desk[LATE])) + "$"))
    open_case_tab(page, "节点与计划")
    expect(page.locator("#milestones-group tbody.original td.field-colour")).to_have_text("● 红色")
    page.locator("#site-name a").click()
    expect(unread_link(page)).to_have_text(unread(1))
    assert Reminder.objects.get(pk=reminder.pk).read_at is not None


# --- the supervisor --------------------------------------------------------------------------


def test_the_supervisor_reads_his_reminder_and_the_zones_red_projects(page, desk, bob, zone):
    log_in_through_the_form(page, bob)
    expect(unread_link(page)).to_have_text(unread(1))
    red = todo_row(page, "zone_red")
    expect(red.locator("th")).to_have_text(f"{zone.name}红色预警项目")  # the zone named
    expect(red.locator("td > strong")).to_have_text("1")
    expect(red.locator("li")).to_have_text([f"● {LATE} · 具备开工条件 {days(-DAYS_LATE)}"])
    expect(red.locator("li strong")).to_have_attribute("title", "红色")
    expect(todo_row(page, "reminders").locator("td > strong")).to_have_text("1")
    expect(todo_row(page, "awaiting").locator("td > strong")).to_have_text("0")
    expect(todo_row(page, "late")).to_have_count(0)  # he is no project's officer
    for name in (SOON, AT_RISK, GREEN):
        expect(page.locator("#my-todo")).not_to_contain_text(name)
    screenshot(page, "supervisor-reads-his-todo.png")

    unread_link(page).click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    late_by = (desk["day"] - desk[LATE].milestones.get().planned_date).days
    expect(rows.locator("th.field-title_link a:visible")).to_have_text(
        f"【督办】{LATE} · 具备开工条件：已逾期 {late_by} 天"
    )
    expect(rows.locator("td.field-step")).to_have_text("科室负责人：逾期超过一周")
    expect(rows.locator("td.field-delivery")).to_have_text("无邮箱（仅站内）")

    # The section's heading lists the zone's red projects.
    page.locator("#site-name a").click()
    red.locator("th a").click()
    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + r"\?colour=red$"))
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    assert listed_names(page) == [LATE]
    assert Reminder.objects.get(recipient=bob).read_at is None


# --- the same desk on a day off ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "last_working"),
    [(SATURDAY, dt.date(2026, 12, 4)), (NATIONAL_DAY, dt.date(2026, 9, 30))],
    indirect=["today"],
)
def test_on_a_day_off_the_job_runs_for_the_last_working_day(desk, today, last_working, alice):
    """Built on a Saturday or a holiday, the foreseen delay found today, the job for the working
    day before: the officer hears of it in its first week (counted from the job's day), and the
    day it was found stays today's."""
    assert not CalendarDay.objects.calendar().is_working_day(today)
    assert desk["day"] == last_working
    at_risk = Reminder.objects.get(step=Step.AT_RISK)
    assert (at_risk.recipient, at_risk.period, at_risk.day) == (alice, 0, last_working)
    assert Project.objects.get(pk=desk[AT_RISK].pk).at_risk_since == today
    late = Reminder.objects.get(step=Step.OFFICER)
    assert late.title.endswith(f"已逾期 {DAYS_LATE - (today - last_working).days} 天")
