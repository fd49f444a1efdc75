"""The demo's investor link (``manage.py seed_demo_portal``, which ``./desk run`` runs and
whose address it prints): made with DEBUG on for the enterprise of the demo officer's first
project, once; with DEBUG off never made, and its published address opens nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo_accounts import DEMO_INVESTOR_TOKEN
from portal.models import InvestorLink
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, ZoneRoleFactory
from zones.models import Role

DEMO_PAGE = reverse("portal:page", args=[DEMO_INVESTOR_TOKEN])


@pytest.fixture
def demo_officer(zone):
    officer = UserFactory(username="officer", first_name="李明")
    ZoneRoleFactory(user=officer, zone=zone, role=Role.OFFICER)
    enterprise = EnterpriseFactory(name="山西演示实业有限公司", contact_person="周总")
    ProjectFactory(zone=zone, officer=officer, enterprise=enterprise, name="演示光伏项目")
    return officer


def test_the_demo_makes_its_published_link_once(client, settings, demo_officer):
    settings.DEBUG = True
    call_command("seed_demo_portal", stdout=None)
    call_command("seed_demo_portal", stdout=None)  # again: the same link
    link = InvestorLink.objects.get()
    assert (link.enterprise.name, link.contact_name, link.created_by) == (
        "山西演示实业有限公司",
        "周总",
        demo_officer,
    )
    page = client.get(DEMO_PAGE)
    assert page.status_code == 200 and "演示光伏项目" in page.content.decode()


def test_with_debug_off_there_is_no_demo_link(client, settings, demo_officer):
    settings.DEBUG = True
    call_command("seed_demo_portal", stdout=None)
    settings.DEBUG = False
    response = client.get(DEMO_PAGE)
    assert response.status_code == 404 and "演示光伏项目" not in response.content.decode()
    InvestorLink.objects.all().delete()
    call_command("seed_demo_portal", stdout=None)
    assert not InvestorLink.objects.exists()
