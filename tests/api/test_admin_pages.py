"""The API's pages in the admin: the system administrator keeps the clients (scope, access)
and their tokens, shown once; a person issues and revokes its own tokens; nobody else opens
a client's page."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from api.models import Access, Client, Token
from zones.models import ZoneRole

pytestmark = pytest.mark.django_db


def _token_on(page: str) -> str:
    found = re.search(r'id="token-text"[^>]*>(pd_[^<]+)<', page)
    assert found, "no token on the page"
    return found.group(1)


def test_the_system_administrator_adds_a_city_client(as_user, sysadmin, zone, other_zone):
    page = as_user(sysadmin)
    answer = page.post(
        reverse("admin:api_client_add"),
        {
            "name": "晋中市重点项目平台",
            "access": Access.READ,
            "cities": "晋中市",
            "rate_per_minute": 120,
            "tokens-TOTAL_FORMS": 0,
            "tokens-INITIAL_FORMS": 0,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    client = Client.objects.get(name="晋中市重点项目平台")
    held = set(ZoneRole.objects.filter(user=client.account).values_list("zone_id", "role"))
    assert held == {(zone.pk, "platform_read"), (other_zone.pk, "platform_read")}
    assert client.created_by == sysadmin


def test_a_token_is_shown_once_and_revoked_on_the_clients_page(
    as_user, sysadmin, zone_platform, api, project
):
    page = as_user(sysadmin)
    answer = page.post(
        reverse("admin:api_client_issue_token", args=[zone_platform.pk]), {"name": "正式环境"}
    )
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    text = _token_on(answer.content.decode())
    token = Token.objects.get(client=zone_platform)
    assert token.digest == hashlib.sha256(text.split("_", 2)[2].encode()).hexdigest()
    assert api.get("projects/", text).status_code == 200
    client_page = page.get(reverse("admin:api_client_change", args=[zone_platform.pk]))
    assert text not in client_page.content.decode()
    assert token.prefix in client_page.content.decode()
    page.post(reverse("admin:api_token_revoke", args=[token.pk]))
    assert Token.objects.get(pk=token.pk).revoked_by == sysadmin
    assert api.get("projects/", text).status_code == 401


def test_nobody_else_keeps_clients(as_user, bob, zone_platform):
    page = as_user(bob)
    assert page.get(reverse("admin:api_client_changelist")).status_code == 403
    assert page.get(reverse("admin:api_client_change", args=[zone_platform.pk])).status_code == 403
    answer = page.post(reverse("admin:api_client_issue_token", args=[zone_platform.pk]))
    assert answer.status_code == 403
    assert not Token.objects.exists()


def test_a_person_issues_and_revokes_its_own_token(as_user, alice, charlie, api, project):
    page = as_user(alice)
    answer = page.post(reverse("admin:api_my_tokens"), {"name": "周报脚本"})
    text = _token_on(answer.content.decode())
    listed = api.get("projects/", text).json()["results"]
    assert [p["id"] for p in listed] == [project.pk]
    token = Token.objects.get(user=alice)
    assert token.client is None and token.name == "周报脚本"
    # another person cannot revoke it
    as_user(charlie).post(reverse("admin:api_my_tokens"), {"revoke": token.pk})
    assert Token.objects.get(pk=token.pk).revoked_at is None
    as_user(alice).post(reverse("admin:api_my_tokens"), {"revoke": token.pk})
    assert Token.objects.get(pk=token.pk).revoked_by == alice
    assert api.get("projects/", text).status_code == 401


def test_the_docs_page_and_the_schema_open_without_a_token(client):
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger" in page.lower()
    # the Content-Security-Policy admits no inline script: each is a file of the desk's
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all('src="/' in attributes for attributes in scripts)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/projects/" in schema.content
