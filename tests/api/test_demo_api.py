"""The demo's client system and its published token: the README's ``curl`` works on the demo;
with DEBUG off the command creates nothing and the token, should it exist, is refused."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from api.models import Client, Token

pytestmark = pytest.mark.django_db

DEMO = "pd_demo_projectdesk-demo"


def test_the_readmes_curl_reads_the_demo_figures(api, settings, zone, other_zone, project):
    settings.DEBUG = True
    call_command("seed_demo_api")
    call_command("seed_demo_api")  # again: nothing more
    assert Client.objects.count() == 1 and Token.objects.count() == 1
    answer = api.get("reports/sanpi/", DEMO)
    assert answer.status_code == 200
    assert answer.json()["label"] == "三个一批"
    listed = api.get("projects/", DEMO).json()["results"]
    assert [p["id"] for p in listed] == [project.pk]  # 晋中市's zones: both of the suite's
    assert (
        api.post(f"projects/{project.pk}/problems/", {"description": "x"}, DEMO).status_code == 403
    )


def test_with_debug_off_there_is_no_demo_client_and_its_token_is_refused(api, settings, project):
    settings.DEBUG = False
    call_command("seed_demo_api")
    assert not Client.objects.exists()
    settings.DEBUG = True
    call_command("seed_demo_api")
    settings.DEBUG = False
    answer = api.get("projects/", DEMO)
    assert answer.status_code == 401
