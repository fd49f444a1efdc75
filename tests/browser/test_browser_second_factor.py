"""The second factor in a real browser (issue 12): a supervisor logs in, is sent to enrol, types
the secret the page shows into its "authenticator" (here: django-otp's TOTP), confirms a code
and reaches the desk; logging in again asks for a code, and the desk opens after it."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser_support import PASSWORD, TIMEOUT_MS

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


INDEX = reverse("admin:index")


def authenticator_code(secret: str, steps_ahead: int = 0, at: float | None = None) -> str:
    """What an authenticator app that was given ``secret`` shows (30-second steps, 6 digits),
    now or at the time ``at``, ``steps_ahead`` steps later."""
    totp = TOTP(b32decode(secret.replace(" ", "")), step=30, digits=6)
    totp.time = (time.time() if at is None else at) + 30 * steps_ahead
    return f"{totp.token():06d}"


def log_in(page, username: str) -> None:
    page.goto(INDEX)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator('#login-form [type="submit"]').click()


@pytest.fixture
def second_factor_on(settings):
    settings.REQUIRE_2FA = True


def test_a_supervisor_enrols_by_the_pages_secret_and_logs_in_again_with_a_code(
    second_factor_on, page, browser, live_server, bob, project
):
    log_in(page, "bob")

    expect(page).to_have_url(re.compile(r"/admin/second-factor/enrol/\?next="))
    expect(page.locator("h1")).to_contain_text("绑定身份验证器应用")
    expect(page.locator("#qr-code")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    secret = page.locator("#totp-secret").inner_text()
    enrolled_at = time.time()
    page.fill("#id_code", authenticator_code(secret, at=enrolled_at))
    page.locator('#enrol-form [type="submit"]').click()

    expect(page).to_have_url(re.compile(re.escape(INDEX) + "$"))
    expect(page.locator("#site-name, h1").first).to_be_visible()
    expect(page.get_by_text("身份验证器应用已绑定。")).to_be_visible()

    # Another browser, another login: the code is asked for, and the desk opens after it.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    again = context.new_page()
    try:
        log_in(again, "bob")
        expect(again).to_have_url(re.compile(r"/admin/second-factor/\?next="))
        again.goto(reverse("admin:approvals_project_changelist"))  # nothing opens before it
        expect(again).to_have_url(re.compile(r"/admin/second-factor/\?next="))
        # The code of the next period: the one used to enrol is not accepted twice.
        # (the step after the enrolment's, not after now's: when the enrolment crossed a step,
        # django-otp keeps a drift of one step back, and now + 1 fell outside its window)
        again.fill("#id_code", authenticator_code(secret, steps_ahead=1, at=enrolled_at))
        again.locator('#second-factor-form [type="submit"]').click()
        expect(again).to_have_url(re.compile(r"/admin/approvals/project/$"))
        expect(again.locator("#result_list")).to_contain_text(project.name)
    finally:
        context.close()
