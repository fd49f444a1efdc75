"""The main admin flows in a real browser: Debian's Chromium driven by Playwright, against
pytest-django's live server (the browser and its fixtures: ``tests/browser_support.py``).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from approvals.models import Stage
from tests.browser_support import (
    ARTIFACTS,
    CHANGELIST,
    PASSWORD,
    TIMEOUT_MS,
    change_url,
    open_case_tab,
    stage_heading,
)
from tests.factories import ProjectFactory
from tests.flows import PDF

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_asks_and_a_supervisor_approves_the_signing_in_the_browser(
    page, browser, live_server, alice, bob, project, other_project
):
    page.goto(CHANGELIST)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    expect(page.locator("#site-name")).to_have_text("项目全代办服务台")
    expect(page.locator('#login-form [type="submit"]')).to_have_value("登录")
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.locator('#login-form [type="submit"]').click()

    expect(page).to_have_url(re.compile(re.escape(CHANGELIST) + "$"))
    results = page.locator("#result_list tbody")
    expect(results.get_by_role("link", name=project.name)).to_be_visible()
    expect(results).not_to_contain_text(other_project.name)

    results.get_by_role("link", name=project.name).click()
    expect(page).to_have_url(re.compile(re.escape(change_url(project)) + "$"))
    expect(stage_heading(page, "储备/洽谈")).to_be_visible()
    sign = page.locator("form#transition-sign")
    sign.locator('input[name="sign-agreement_date"]').fill("2025-04-07")
    sign.locator('textarea[name="sign-comment"]').fill("三个一批签约")
    sign.locator('input[name="sign-attachments"]').set_input_files(
        {"name": "投资协议.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    sign.get_by_role("button", name="申请签约").click()

    expect(page.locator(".messagelist .success")).to_contain_text("已申请签约")
    expect(page.locator("#pending-request")).to_contain_text("签约日期")
    expect(page.locator("#approve-request")).to_have_count(0)  # nobody approves its own request
    expect(stage_heading(page, "储备/洽谈")).to_be_visible()

    # The supervisor, in a browser of its own, finds the request in the 待审批 queue.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    supervisor = context.new_page()
    client = Client()
    client.force_login(bob)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    supervisor.goto(reverse("admin:index"))
    queue = supervisor.locator("#awaiting-decisions")
    expect(queue).to_contain_text("有1项阶段变更申请待您审批")
    queue.get_by_role("link").click()
    supervisor.locator("#result_list tbody th a").first.click()
    supervisor.locator("textarea[name=comment]").fill("材料齐全，同意")
    supervisor.locator("#approve-request").click()
    expect(supervisor.locator(".messagelist .success")).to_contain_text("已批准")
    context.close()

    page.reload()
    expect(stage_heading(page, "已签约")).to_be_visible()
    open_case_tab(page, "记录")
    history = page.locator("#stage_changes-group tbody tr", has_text="材料齐全，同意")
    expect(history).to_contain_text("储备/洽谈")
    expect(history).to_contain_text("已签约")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "officer-signed-project.png", full_page=True)

    project.refresh_from_db()
    assert project.stage == Stage.SIGNED
    change = project.stage_changes.get(transition="sign")
    assert (change.by, change.request.requested_by) == (bob, alice)


def test_a_refused_stage_change_is_reported_in_the_browser(as_user, alice, project):
    page = as_user(alice)
    page.goto(change_url(project))
    sign = page.locator("form#transition-sign")
    date = sign.locator('input[name="sign-agreement_date"]')
    expect(date).to_have_attribute("required", "")
    # The browser itself refuses an empty required date; the server must refuse it too.
    date.evaluate("input => input.removeAttribute('required')")
    sign.get_by_role("button", name="签约").click()

    expect(page.locator(".messagelist .error")).to_contain_text("签约日期")
    expect(stage_heading(page, "储备/洽谈")).to_be_visible()
    project.refresh_from_db()
    assert project.stage == Stage.RESERVE
    assert not project.stage_requests.exists()


def test_a_statistician_sees_no_stage_buttons_in_the_browser(as_user, stan, project):
    page = as_user(stan)
    page.goto(change_url(project))
    expect(stage_heading(page, "储备/洽谈")).to_be_visible()
    expect(page.locator('form[id^="transition-"]')).to_have_count(0)
    expect(page.locator("#blocked-sign")).to_contain_text("您无权进行此项变更")


def test_the_project_list_filters_by_stage_in_the_browser(as_user, alice, zone):
    ProjectFactory(zone=zone, name="甲", stage=Stage.SIGNED)
    ProjectFactory(zone=zone, name="乙", stage=Stage.RESERVE)
    page = as_user(alice)
    page.goto(CHANGELIST)
    names = page.locator("#result_list tbody th a")
    expect(names).to_have_count(2)
    expect(names.filter(has_text="乙")).to_be_visible()

    page.locator("#changelist-filter").get_by_role("link", name="已签约", exact=True).click()

    expect(page).to_have_url(re.compile(r"[?&]stage__exact=signed"))
    expect(names).to_have_text(["甲"])
