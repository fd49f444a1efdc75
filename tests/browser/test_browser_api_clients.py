"""The system administrator gives a city's platform its token in a real browser: the client's
page issues it, shows it once, and the token then reads the city's projects through the API; a
press of 吊销 on the same page ends it.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from api.models import Token
from tests.api.conftest import make_client
from tests.browser_support import screenshot
from tests.factories import administrator
from zones.models import AdminRole

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_platforms_token_issued_read_with_and_revoked(as_user, live_server, zone, project):
    keeper = administrator("系统管理员", AdminRole.SYSTEM)
    client = make_client("晋中市重点项目平台", by=keeper, cities="晋中市")
    page = as_user(keeper)
    page.goto(reverse("admin:api_client_change", args=[client.pk]))
    page.locator('input[name="name"][form="issue-token"]').fill("正式环境")
    page.locator("#issue-token-button").click()
    token = page.locator("#token-text")
    expect(token).to_contain_text("pd_")
    screenshot(page, "api-token-issued.png")
    text = token.inner_text().strip()

    answer = page.request.get(
        f"{live_server.url}/api/v1/projects/", headers={"Authorization": f"Bearer {text}"}
    )
    assert answer.status == 200
    assert [p["name"] for p in answer.json()["results"]] == [project.name]

    page.goto(reverse("admin:api_client_change", args=[client.pk]))
    expect(page.locator("#api-tokens")).not_to_contain_text(text)  # shown once, never again
    screenshot(page, "api-client-page.png")
    page.get_by_role("button", name="吊销").click()
    expect(page.locator(".messagelist, #messages, [class*=message]").first).to_contain_text(
        "已吊销"
    )
    assert Token.objects.get().revoked_by == keeper
    refused = page.request.get(
        f"{live_server.url}/api/v1/projects/", headers={"Authorization": f"Bearer {text}"}
    )
    assert refused.status == 401
    assert refused.json()["detail"] == "令牌已被吊销。"
