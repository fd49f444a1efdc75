"""A zone with one supervisor can still decide (guide section 12, issue 19): a city supervisor
holds its role over every zone of its city (``Zone.city``); it sees their projects, and decides
their requests, the zone's own supervisor's included, never its own. Granted like the other roles
and shown in the user list. (That ``may_decide`` and ``decidable`` agree for city supervisors is
tested over generated data in tests/test_one_home.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from approvals.access import permissions
from approvals.models import AuditEvent, AuditKind, Project, RequestStatus, Stage, StageRequest
from approvals.stages import workflow
from tests.factories import ProjectFactory, UserFactory, ZoneFactory, ZoneRoleFactory, administrator
from tests.flows import documents
from zones.models import AdminRole, CityRole, Role

SIGN = {"agreement_date": dt.date(2025, 4, 7)}


def fresh(user):
    """The person as a request would load it: no role read before."""
    return type(user).objects.get(pk=user.pk)


def city_supervisor(username: str, city: str):
    user = UserFactory(username=username)
    CityRole.objects.create(user=user, city=city, role=Role.CITY_SUPERVISOR)
    return user


@pytest.fixture
def taiyuan(db):
    return ZoneFactory(name="太原经济技术开发区", city="太原市")


@pytest.fixture
def carol(zone, other_zone):
    """The city supervisor of 晋中市 (both zones of the suite are in 晋中)."""
    return city_supervisor("carol", "晋中市")


def test_it_decides_the_request_the_zones_only_supervisor_asked_for_itself(bob, carol, project):
    asked = workflow.request_transition(project, "sign", by=bob, attachments=documents(), **SIGN)
    with pytest.raises(PermissionDenied):
        workflow.decide(asked, by=fresh(bob), approve=True)
    assert permissions.may_decide(fresh(carol), asked)
    workflow.decide(asked, by=fresh(carol), approve=True, comment="同意")
    decided = StageRequest.objects.get(pk=asked.pk)
    assert (decided.status, decided.decided_by) == (RequestStatus.APPROVED, carol)
    assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED


def test_it_never_decides_its_own_request(zone, project, bob):
    """One who is also an officer of a zone of its city asks there: not its to decide."""
    dan = city_supervisor("dan", "晋中市")
    ZoneRoleFactory(user=dan, zone=zone, role=Role.OFFICER)
    asked = workflow.request_transition(project, "sign", by=dan, attachments=documents(), **SIGN)
    assert not permissions.may_decide(fresh(dan), asked)
    assert asked not in permissions.decidable(StageRequest.objects.all(), fresh(dan))
    with pytest.raises(PermissionDenied, match="任何人不得审批自己提交的申请"):
        workflow.decide(asked, by=fresh(dan), approve=True)
    assert StageRequest.objects.get(pk=asked.pk).status == RequestStatus.PENDING
    workflow.decide(asked, by=fresh(bob), approve=True)  # the zone's supervisor may
    assert StageRequest.objects.get(pk=asked.pk).status == RequestStatus.APPROVED


def test_one_of_jinzhong_sees_no_taiyuan_project(as_user, carol, project, other_project, taiyuan):
    far = ProjectFactory(zone=taiyuan, name="太原智能制造产业园项目")
    seen = permissions.scope(Project.objects.all(), fresh(carol))
    assert set(seen) == {project, other_project}
    client = as_user(carol)
    page = client.get(reverse("admin:approvals_project_changelist")).content.decode()
    assert project.name in page and other_project.name in page
    assert far.name not in page
    response = client.get(reverse("admin:approvals_project_change", args=[far.pk]), follow=True)
    assert far.name not in response.content.decode()


def test_it_decides_nothing_of_another_city(bob, taiyuan, project):
    asked = workflow.request_transition(project, "sign", by=bob, attachments=documents(), **SIGN)
    tai = city_supervisor("tai", "太原市")
    assert not permissions.may_decide(fresh(tai), asked)
    with pytest.raises(PermissionDenied):
        workflow.decide(asked, by=fresh(tai), approve=True)


def test_a_zone_added_to_its_city_later_is_its_too(carol, db):
    later = ProjectFactory(zone=ZoneFactory(name="榆次工业园区", city="晋中市"))
    assert later in permissions.scope(Project.objects.all(), fresh(carol))


def test_it_does_no_casework_of_its_own(carol, project):
    assert not permissions.may_request(fresh(carol), project)
    assert not permissions.may_edit(fresh(carol), project)
    with pytest.raises(PermissionDenied):
        workflow.request_transition(project, "sign", by=carol, attachments=documents(), **SIGN)


def test_it_is_granted_on_its_page_and_shown_in_the_user_list(as_user, zone, taiyuan):
    erin = UserFactory(username="erin", first_name="艾琳")
    keeper = as_user(administrator("keeper", AdminRole.SYSTEM))
    response = keeper.post(
        reverse("admin:zones_cityrole_add"),
        {"user": erin.pk, "city": "晋中市", "role": Role.CITY_SUPERVISOR},
    )
    assert response.status_code == 302
    assert list(CityRole.objects.filter(user=erin).values_list("city", "role")) == [
        ("晋中市", Role.CITY_SUPERVISOR)
    ]
    assert AuditEvent.objects.filter(kind=AuditKind.PERMISSION, detail__city="晋中市").exists()
    refused = keeper.post(
        reverse("admin:zones_cityrole_add"),
        {"user": erin.pk, "city": "大同市", "role": Role.CITY_SUPERVISOR},  # no zone there
    )
    assert refused.status_code == 200 and CityRole.objects.filter(user=erin).count() == 1

    ZoneRoleFactory(user=erin, zone=taiyuan, role=Role.OFFICER)
    security = as_user(administrator("guard", AdminRole.SECURITY))
    page = security.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "代办员 · 太原经济技术开发区；市级科室负责人 · 晋中市" in page


def test_nobody_but_the_system_administrator_grants_it(as_user, bob, carol):
    response = as_user(bob).post(
        reverse("admin:zones_cityrole_add"),
        {"user": bob.pk, "city": "晋中市", "role": Role.CITY_SUPERVISOR},
    )
    assert response.status_code == 403
    assert not CityRole.objects.filter(user=bob).exists()
