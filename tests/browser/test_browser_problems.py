"""A problem's life in a real browser, in Chinese: the officer records a visit whose follow-up
opens a problem, works it and resolves it; the page tells the officer that 销号 is a
supervisor's; the supervisor finds it in the 销号 queue of the sidebar and confirms it.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from approvals.models import Problem, ProblemSource, ProblemStatus, ServiceRecord
from tests.browser_support import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


RECORD_ADD = reverse("admin:approvals_servicerecord_add")
INDEX = reverse("admin:index")
FOLLOW_UP = "施工用电线路尚未接入厂区"
RESOLUTION = "协调供电公司完成线路接入"


def problem_url(problem: Problem) -> str:
    return reverse("admin:approvals_problem_change", args=[problem.pk])


def test_a_visit_opens_a_problem_that_is_resolved_and_closed(as_user, alice, bob, project):
    deadline = timezone.localdate() + dt.timedelta(days=10)
    page = as_user(alice)

    # The officer records the visit from the project it was about, with a follow-up.
    page.goto(f"{RECORD_ADD}?project={project.pk}")
    expect(page.locator("h1, #site-name").first).to_be_visible()
    expect(page.locator("fieldset", has_text="后续问题")).to_be_visible()
    page.fill("#id_participants", "艾丽、企业负责人王总")
    page.fill("#id_done", "现场查看厂房建设及用电情况")
    page.fill("#id_follow_up", FOLLOW_UP)
    page.select_option("#id_follow_up_category", "energy")
    page.fill("#id_follow_up_department", "供电公司")
    page.fill("#id_follow_up_deadline", deadline.isoformat())
    page.locator('[name="_save"]').click()

    expect(page.locator(".messagelist")).to_contain_text(f"后续问题已立为堵点：“{FOLLOW_UP}”")
    record = ServiceRecord.objects.get()
    problem = Problem.objects.get()
    assert (record.project, record.recorded_by) == (project, alice)
    assert (problem.service_record, problem.source, problem.deadline) == (
        record,
        ProblemSource.SERVICE,
        deadline,
    )
    assert (problem.department, problem.status) == ("供电公司", ProblemStatus.OPEN)

    # The officer resolves it on the problem's page; 销号 is not hers, and the page says so.
    page.goto(problem_url(problem))
    resolve = page.locator("form#transition-resolve")
    resolve.locator("textarea[name=resolve-resolution]").fill(RESOLUTION)
    resolve.locator("input[name=resolve-resolved_on]").fill(timezone.localdate().isoformat())
    resolve.get_by_role("button").click()

    expect(page.locator(".messagelist .success")).to_contain_text("已解决，待销号")
    expect(page.locator("form#transition-close")).to_have_count(0)
    expect(page.locator("#blocked-close")).to_contain_text("确认销号")
    problem.refresh_from_db()
    assert (problem.status, problem.resolution, problem.resolved_by) == (
        ProblemStatus.RESOLVED,
        RESOLUTION,
        alice,
    )

    # The supervisor finds it in the 销号 queue of the sidebar and confirms the closing.
    page.context.clear_cookies()
    page = as_user(bob)
    page.goto(INDEX)
    page.locator("#nav-sidebar-apps").get_by_role("link", name="待我销号的堵点").click()
    expect(page).to_have_url(re.compile(r"queue=closing"))
    page.locator("#result_list tbody th a", has_text=FOLLOW_UP[:10]).first.click()
    expect(page).to_have_url(re.compile(re.escape(problem_url(problem)) + r"(\?|$)"))
    history = page.locator("#status_changes-group")
    expect(history).to_contain_text("已解决，待销号")
    page.locator("form#transition-close").get_by_role("button", name="确认销号").click()

    expect(page.locator(".messagelist .success")).to_contain_text("已销号")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "problem-closed.png", full_page=True)
    problem.refresh_from_db()
    assert (problem.status, problem.closed_by) == (ProblemStatus.CLOSED, bob)
    assert list(problem.status_changes.order_by("at", "id").values_list("transition", "by")) == [
        ("", alice.pk),
        ("resolve", alice.pk),
        ("close", bob.pk),
    ]
