"""The demo as a newcomer meets it (issue 19): after ``manage.py seed_demo`` — what ``./desk run``
runs on a fresh clone — the officer's and the supervisor's index shows a working desk: red,
yellow and 预计延误 projects counted on the dashboard, the officer's 我的待办 listing late work
and unread reminders, and the supervisor's the requests waiting for it. The demo is anchored to
the day of its run, so nothing is frozen here; screenshots go to test-artifacts/ (demo-*.png).
The browser and its fixtures: ``tests/browser_support.py``."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser_support import INDEX, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings, celery_inline, catalogue):
    """The demo built as ``./desk run`` builds it (DEBUG on: the demo passwords are set)."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return get_user_model().objects


def tile_number(page, key: str) -> int:
    """The figure of the dashboard tile ``key`` (red, yellow, at_risk)."""
    return int(page.locator(f"#tile-{key} .dashboard-value").inner_text().strip())


COLOURS = ("red", "yellow", "at_risk")


def test_the_demo_shows_a_working_desk(as_user, demo):
    page = as_user(demo.get(username="officer"))
    page.goto(INDEX)
    # The officer's to-do list: its late or foreseen-late projects, each with its colour's dot,
    # and the reminders it has not read.
    late = page.locator("#todo-late")
    expect(late).to_contain_text("我负责的临期、逾期或预计延误项目")
    assert int(late.locator("td > strong").inner_text()) > 0
    expect(late.locator("li").first).to_contain_text("●")
    reminders = page.locator("#todo-reminders")
    expect(reminders).to_contain_text("未读提醒")
    assert int(reminders.locator("td > strong").inner_text()) > 0
    counts = {key: tile_number(page, key) for key in COLOURS}
    assert all(n > 0 for n in counts.values()), counts
    screenshot(page, "demo-officer-index.png")

    page.context.clear_cookies()
    page = as_user(demo.get(username="supervisor"))
    page.goto(INDEX)
    expect(page.locator("#todo-awaiting")).to_contain_text("待我审批的申请")
    expect(page.locator("#todo-without_officer")).to_contain_text("项目管家未指定")
    assert {key: tile_number(page, key) for key in COLOURS} == counts, "the same zones"
    expect(page.locator("#tile-started_before_permits")).to_contain_text("开工时前期手续未办结")
    screenshot(page, "demo-supervisor-index.png")

    # The red tile links to the list of exactly those projects.
    page.locator("#tile-red").click()
    expect(page).to_have_url(re.compile(r"colour=red"))
    expect(page.locator("#result_list tbody tr")).to_have_count(counts["red"])
    screenshot(page, "demo-supervisor-red-projects.png")
