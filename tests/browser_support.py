"""What the browser tests share: Debian's Chromium driven by Playwright, against pytest-django's
live server, pages that ask for Chinese, and logging in through a session cookie.

No browser is downloaded: Playwright launches ``/usr/bin/chromium``. Without it the tests skip,
or fail where the services are required (``REQUIRE_SERVICES=1``).

The test modules of ``tests/browser`` get the fixtures from ``tests/browser/conftest.py`` and
mark their tests with ``pytest.mark.browser`` and ``pytest.mark.django_db(transaction=True)``:
the live server runs in another thread and must see the test's data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect, sync_playwright

from approvals.models import Project
from tests.conftest import service_unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "secret-pass-123"  # tests/factories.py
TIMEOUT_MS = 10_000

INDEX = reverse("admin:index")
CHANGELIST = reverse("admin:approvals_project_changelist")


def change_url(project: Project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


@pytest.fixture(scope="module")
def browser() -> Browser:
    """One Chromium for the module; each test gets its own context (cookies, storage)."""
    if not CHROMIUM.exists():
        service_unavailable(f"{CHROMIUM} is missing: the browser tests need Debian's chromium")
    # Playwright's sync API keeps an asyncio event loop running in this thread while it is
    # started, and Django then refuses every ORM call from this thread (fixtures creating
    # data, the test's own checks, pytest-django's flush after each test) with
    # SynchronousOnlyOperation. No coroutine ever touches the database here, so the guard is
    # lifted -- only while the browser is up, so the other test modules keep Django's check.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(browser: Browser, live_server) -> Page:
    """A fresh page whose browser asks for Chinese, as the zones' staff's browsers do."""
    # Wide enough for django-unfold to draw a list's filters beside it (from 1536 px on).
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1600, "height": 1000}
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def as_user(page: Page, live_server):
    """The page, logged in as ``user`` without the login page: the test client makes a session
    and its cookie goes into the browser (the first test goes through the login page)."""

    def log_in(user) -> Page:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )
        return page

    return log_in


def stage_heading(page: Page, stage_label: str):
    """The title of the stage panel, which names the current stage."""
    return page.get_by_role("heading", level=2, name=f"阶段: {stage_label}", exact=True)


def screenshot(page: Page, name: str) -> None:
    """The whole page, as ``name`` in the test output folder (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def log_in_through_the_form(page: Page, user) -> None:
    """Whoever used this browser before logs out (its cookies go); ``user`` logs in through
    the login page, with the factories' password, and lands on the admin index."""
    page.context.clear_cookies()
    page.goto(INDEX)
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator('#login-form [type="submit"]').click()
    # The index itself: the login page's URL, refused, ends in "?next=/admin/" too.
    expect(page).to_have_url(re.compile(r"^https?://[^/?]+" + re.escape(INDEX) + "$"))


def open_case_tab(page: Page, label: str) -> None:
    """On a project's page, the tab ``label`` (概况, 审批事项, 节点与计划, …), opened."""
    tab = page.locator("#case-tabs a", has_text=label)
    tab.click()
    expect(tab).to_have_class(re.compile(r"\bactive\b"))
