"""The officers' side (issue 22): a link is made from the enterprise's page by whoever may edit
one of its projects, shown once as a QR code and as text, revoked by a button; an enterprise's
request for help (诉求) lands on its officer's problem list; the officer's work phone is kept
on the person's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Profile
from approvals.access import permissions
from approvals.casework.problems import problem_transition
from approvals.models import Problem, ProblemSource, ProblemStatus
from portal.links import investor_link_make, investor_link_revoke
from portal.models import InvestorLink, LinkState
from tests.admin.test_no_english import english_in
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, ZoneRoleFactory
from tests.portal.world import TODAY
from zones.models import AdminRole, Role

ADD = reverse("admin:portal_investorlink_add")
PROBLEMS = reverse("admin:approvals_problem_changelist")


#: The portal's day, frozen (tests/portal/conftest.py), and the world of its two enterprises.
pytestmark = pytest.mark.usefixtures("today")


def make(client, enterprise, name="赵会计", phone="13700000003"):
    return client.post(
        f"{ADD}?enterprise={enterprise.pk}",
        {"enterprise": enterprise.pk, "contact_name": name, "contact_phone": phone},
    )


def test_the_officer_makes_a_link_from_the_enterprises_page_and_sees_it_once(as_user, world, alice):
    client = as_user(alice)
    enterprise_page = client.get(
        reverse("admin:zones_enterprise_change", args=[world.enterprise.pk])
    )
    assert f"{ADD}?enterprise={world.enterprise.pk}" in enterprise_page.content.decode()
    form = client.get(f"{ADD}?enterprise={world.enterprise.pk}")
    assert form.status_code == 200 and "王经理" in form.content.decode()  # its contact offered
    shown = make(client, world.enterprise)
    html = shown.content.decode()
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]  # the admin's never_cache: shown once
    address = re.search(r'id="link-address"[^>]*value="([^"]+)"', html).group(1)
    assert address.startswith("http://testserver/portal/")
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, drawn here
    assert english_in(html) - {"API"} == set()  # the sidebar's 我的 API 令牌 (the API's page)
    link = InvestorLink.objects.get(contact_name="赵会计")
    token = address.rsplit("/", 2)[-2]
    assert token not in str(list(InvestorLink.objects.values()))  # only its digest is kept
    # shown once: the link's own page shows no address
    record = client.get(reverse("admin:portal_investorlink_change", args=[link.pk]))
    assert token not in record.content.decode() and "收回此链接" in record.content.decode()
    assert client.get(address.removeprefix("http://testserver")).status_code == 200


def test_the_officer_revokes_a_link_by_its_button(as_user, world, alice, client):
    link = world.link.link
    as_user(alice).post(reverse("admin:portal_investorlink_revoke", args=[link.pk]))
    link.refresh_from_db()
    assert link.state() == LinkState.REVOKED and link.ended_by == alice
    client.logout()
    assert client.get(reverse("portal:page", args=[world.link.token])).status_code == 410


@pytest.mark.parametrize("who", ["charlie", "lily", "stan", "system admin"])
def test_only_those_who_may_edit_a_project_of_the_enterprise_make_or_revoke_links(
    as_user, world, who, charlie, lily, stan
):
    """An officer of another zone, a leader, a statistician and the system administrator
    (every zone, read-only) may do neither."""
    from tests.factories import administrator

    person = {
        "charlie": charlie,
        "lily": lily,
        "stan": stan,
        "system admin": administrator("keeper-sys", AdminRole.SYSTEM)
        if who == "system admin"
        else None,
    }[who]
    assert not permissions.may_link_investor(person, world.enterprise)
    with pytest.raises(PermissionDenied):  # the services ask too, whoever calls them
        investor_link_make(
            enterprise=world.enterprise, contact_name="赵会计", contact_phone="137", by=person
        )
    with pytest.raises(PermissionDenied):
        investor_link_revoke(link=world.link.link, by=person)
    client = as_user(person)
    before = list(InvestorLink.objects.values().order_by("pk"))
    make(client, world.enterprise)
    client.get(f"{ADD}?enterprise={world.enterprise.pk}")
    client.post(reverse("admin:portal_investorlink_revoke", args=[world.link.link.pk]))
    client.post(
        reverse("admin:portal_investorlink_changelist"),
        {"action": "revoke_selected", "_selected_action": [world.link.link.pk]},
    )
    assert list(InvestorLink.objects.values().order_by("pk")) == before
    page = client.get(reverse("admin:zones_enterprise_change", args=[world.enterprise.pk]))
    assert ADD not in page.content.decode()
    listed = client.get(reverse("admin:portal_investorlink_changelist"))
    assert "王经理" not in listed.content.decode()


def test_the_rule_and_its_query_agree(world, zone, other_zone, alice, bob, lily, stan, charlie):
    from tests.factories import administrator

    world.project.leader = lily
    world.project.save()
    lonely = EnterpriseFactory(name="无项目企业", created_in_zone=zone)  # may be edited, no project
    both = EnterpriseFactory(name="两区企业")
    ProjectFactory(zone=zone, enterprise=both)
    ProjectFactory(zone=other_zone, enterprise=both)
    # an officer of 祁县 who reads 晋中 as its statistician: edits there, only reads here
    mixed = UserFactory(username="mixed")
    ZoneRoleFactory(user=mixed, zone=other_zone, role=Role.OFFICER)
    ZoneRoleFactory(user=mixed, zone=zone, role=Role.STATISTICIAN)
    people = [
        mixed,
        alice,
        bob,
        lily,
        stan,
        charlie,
        administrator("keeper-sys", AdminRole.SYSTEM),
        UserFactory(username="nobody"),
    ]
    enterprises = [world.enterprise, world.other_enterprise, lonely, both]
    from zones.models import Enterprise

    for someone in people:
        by_query = set(permissions.investor_linkable(Enterprise.objects.all(), someone))
        by_object = {e for e in enterprises if permissions.may_link_investor(someone, e)}
        assert by_query == by_object, someone
    assert not permissions.may_link_investor(mixed, world.enterprise)
    assert {e.name for e in enterprises if permissions.may_link_investor(charlie, e)} == {
        world.other_enterprise.name,
        "两区企业",
    }


def test_a_request_for_help_lands_on_the_officers_problem_list(client, as_user, world, alice, bob):
    response = client.post(
        reverse("portal:request", args=[world.link.token]),
        {"project": world.project.pk, "category": "energy", "text": "施工用电报装进度慢，请协调"},
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert (problem.project, problem.source, problem.responsible, problem.created_by) == (
        world.project,
        ProblemSource.ENTERPRISE,
        None,
        None,
    )
    assert problem.contact == "王经理 13800000001"
    assert problem.deadline == TODAY + dt.timedelta(days=30)
    officer = as_user(alice)
    mine = officer.get(PROBLEMS, {"queue": "mine"})
    assert [p.pk for p in mine.context["cl"].result_list] == [problem.pk]
    assert "施工用电报装进度慢" in mine.content.decode()
    requests = officer.get(PROBLEMS, {"source__exact": ProblemSource.ENTERPRISE})
    assert [p.pk for p in requests.context["cl"].result_list] == [problem.pk]
    page = officer.get(
        reverse("admin:approvals_problem_change", args=[problem.pk])
    ).content.decode()
    assert "企业诉求" in page and "王经理 13800000001" in page
    # answered and closed (销号) under four eyes: the investor reads both
    problem_transition(problem, "start", by=alice)
    problem_transition(
        problem, "resolve", by=alice, resolution="供电公司已排期，9月20日接电", resolved_on=TODAY
    )
    problem_transition(problem, "close", by=bob)
    assert Problem.objects.get().status == ProblemStatus.CLOSED
    html = client.get(reverse("portal:page", args=[world.link.token])).content.decode()
    assert "供电公司已排期，9月20日接电" in html
    assert "已办结销号" in html and "已于 2025年9月10日 销号" in html


def test_a_request_the_same_again_is_refused_politely(client, world):
    url = reverse("portal:request", args=[world.link.token])
    data = {"project": world.project.pk, "category": "other", "text": "请协调用地"}
    client.post(url, data)
    again = client.post(url, data)
    assert again.status_code == 400
    assert "已记录" in again.content.decode()
    assert Problem.objects.count() == 1


def test_the_work_phone_is_kept_on_the_persons_page(client, world, alice):
    from tests.factories import administrator

    keeper = administrator("keeper-sec", AdminRole.SECURITY)
    client.force_login(keeper)
    url = reverse("admin:auth_user_change", args=[alice.pk])
    page = client.get(url)
    assert "0354-3012345" in page.content.decode()
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": str(alice.profile.pk),
            "profile-0-user": str(alice.pk),
            "profile-0-work_phone": "0354-3099999",
        }
    )
    data["is_active"] = "on"
    data.pop("last_login", None)
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Profile.objects.get(user=alice).work_phone == "0354-3099999"
    assert (
        "0354-3099999"
        in client.get(reverse("portal:page", args=[world.link.token])).content.decode()
    )
