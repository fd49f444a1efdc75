"""Every endpoint as a client system sees it: a zone's token never sees another zone (every
URL of the API walked, as ``tests/access/test_scoping.py`` walks the admin), a city's token sees
its city's zones, lists page by id and stay stable while rows are added, a project carries an
ETag, every call is audited, and a token calling too often is refused."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from api import tokens
from api.models import Access
from approvals.models import AuditEvent, AuditKind, Project
from tests.api.conftest import make_client
from tests.factories import BatchFactory, MilestoneFactory, ProjectFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def _api_patterns(resolver=None, prefix=""):
    """Every URL pattern under /api/v1/ (read from the URLconf: an endpoint added later is in)."""
    resolver = resolver or next(
        p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"
    )
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _filled(raw: str, values: dict[str, str]) -> str:
    """A URL pattern of the router with its parameter given (by the resource it names)."""
    name = raw.lstrip("^").split("/")[0]
    assert name in values, f"{raw}: the scoping walk names no object for it"
    route = re.sub(r"\(\?P<\w+>[^)]*\)|<(\w+:)?\w+>", str(values[name]), raw)
    return route.replace("^", "").replace("$", "")


@pytest.fixture
def elsewhere(other_zone, other_project, charlie):
    """Another zone's rows of every kind the API shows, and what must never be read of them."""
    from approvals.casework.problems import problem_add
    from approvals.models import MonthlyProgress
    from tests.project_lists import received, row, workbook

    batch = BatchFactory()
    entry = other_project.batch_entries.create(
        batch=batch, category="开工", name=other_project.name
    )
    problem = problem_add(project=other_project, by=charlie, description="祁县的环评批复迟迟未下")
    monthly = MonthlyProgress.objects.create(
        project=other_project, month=dt.date(2025, 6, 1), completed_month=123
    )
    record = received(workbook(row(1, "祁县另一个项目", zone="祁县经开区")), by=charlie)
    return {
        "values": {
            "projects": other_project.pk,
            "zones": other_zone.pk,
            "batches": batch.pk,
            "entries": entry.pk,
            "problems": problem.pk,
            "monthly": monthly.pk,
            "imports": record.token,
            "reports": "sanpi",
        },
        "secrets": [other_project.name, other_zone.name, problem.description, record.token],
        # read by every caller: a round is an event of the province, counted per caller
        "shared": {"batches", "reports"},
    }


def _counts() -> tuple:
    from approvals.models import Problem, SpreadsheetImport, StageRequest

    return (
        Project.objects.count(),
        StageRequest.objects.count(),
        Problem.objects.count(),
        SpreadsheetImport.objects.count(),
    )


def test_a_zone_token_never_sees_another_zone(api, zone_token, project, elsewhere):
    """Every URL of the API (read from the URLconf: an endpoint added later is walked too), by
    GET and by POST, with another zone's object: refused or empty, nothing of it shown, nothing
    changed."""
    before = _counts()
    walked = 0
    for raw in _api_patterns():
        if "format" in raw or "schema" in raw or "docs" in raw:
            continue
        has_object = "(?P<" in raw or "<" in raw.replace("(?P<format>", "")
        url = (
            _filled(raw, elsewhere["values"])
            if has_object
            else raw.replace("^", "").replace("$", "")
        )
        for method in ("get", "post"):
            answer = (
                getattr(api, method)(url, zone_token)
                if method == "get"
                else api.post(url, {}, zone_token)
            )
            body = answer.content.decode()
            for secret in elsewhere["secrets"]:
                assert secret not in body, f"{method.upper()} {url} shows {secret}"
            name = url.split("/")[0]
            if has_object and name not in elsewhere["shared"]:
                assert answer.status_code in (403, 404, 405), (
                    f"{method.upper()} {url}: {answer.status_code}"
                )
            walked += 1
    assert walked >= 30
    assert _counts() == before
    batch = api.get(f"batches/{elsewhere['values']['batches']}/", zone_token).json()
    assert batch["entries"] == 0
    listed = api.get("projects/", zone_token).json()["results"]
    assert [p["id"] for p in listed] == [project.pk]
    zones = api.get("zones/", zone_token).json()["results"]
    assert [z["name"] for z in zones] == [project.zone.name]
    assert (
        api.get(f"projects/?zone={elsewhere['values']['zones']}", zone_token).json()["results"]
        == []
    )


def test_a_city_token_sees_its_city_zones_new_ones_too(api, sysadmin, project, other_project):
    city = make_client("晋中市平台", by=sysadmin, cities="晋中市")
    taiyuan = ZoneFactory(name="太原经济技术开发区", city="太原市")
    elsewhere = ProjectFactory(zone=taiyuan)
    text = tokens.issue_for_client(city, by=sysadmin).text
    ids = {p["id"] for p in api.get("projects/", text).json()["results"]}
    assert ids == {project.pk, other_project.pk}
    later = ZoneFactory(name="榆次工业园区", city="晋中市")
    newer = ProjectFactory(zone=later)
    ids = {p["id"] for p in api.get("projects/", text).json()["results"]}
    assert ids == {project.pk, other_project.pk, newer.pk}
    assert elsewhere.pk not in ids


def test_a_project_with_its_rows(api, zone_token, project):
    MilestoneFactory(project=project, stage="signed")
    batch = BatchFactory()
    project.batch_entries.create(batch=batch, category="签约", name=project.name)
    answer = api.get(f"projects/{project.pk}/", zone_token)
    assert answer.status_code == 200
    data = answer.json()
    assert data["name"] == project.name
    assert data["stage_label"] == project.get_stage_display()
    assert len(data["milestones"]) == 1
    assert data["rounds"][0]["year"] == batch.year
    assert data["items"] == [] and data["requests"] == []


def test_a_project_carries_an_etag(api, zone_token, project):
    first = api.get(f"projects/{project.pk}/", zone_token)
    etag = first["ETag"]
    again = api.get(f"projects/{project.pk}/", zone_token, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    Project.objects.filter(pk=project.pk).update(progress="土建完成")
    changed = api.get(f"projects/{project.pk}/", zone_token, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["progress"] == "土建完成"


def test_pages_stay_stable_while_rows_are_added(api, zone_token, zone):
    first = [ProjectFactory(zone=zone).pk for _ in range(5)]
    page = api.get("projects/?page_size=2", zone_token).json()
    seen = [p["id"] for p in page["results"]]
    # rows added (and the first one deleted) while the client pages
    ProjectFactory(zone=zone)
    ProjectFactory(zone=zone)
    while page["next"]:
        page = api.test_client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {zone_token}").json()
        seen += [p["id"] for p in page["results"]]
    assert seen[:5] == first
    assert len(seen) == len(set(seen)) == 7


def test_the_lists_filters(api, zone_token, zone, project):
    signed = ProjectFactory(zone=zone, name="签约的项目")
    Project.objects.filter(pk=signed.pk).update(stage="signed")
    Project.objects.filter(pk=project.pk).update(started_before_permits_on="2025-05-01")
    by_stage = api.get("projects/?stage=signed", zone_token).json()["results"]
    assert [p["id"] for p in by_stage] == [signed.pk]
    flagged = api.get("projects/?flagged=true", zone_token).json()["results"]
    assert [p["id"] for p in flagged] == [project.pk]
    found = api.get("projects/?search=签约", zone_token).json()["results"]
    assert [p["id"] for p in found] == [signed.pk]
    assert api.get("projects/?round=2025-1", zone_token).json()["results"] == []
    by_words = api.get("projects/?round=第一批", zone_token)
    assert by_words.status_code == 400
    assert by_words.json()["errors"][0]["field"] == "round"
    bad = api.get("projects/?stage=nonsense", zone_token)
    assert bad.status_code == 400
    error = bad.json()["errors"][0]
    assert error["field"] == "stage"
    assert "nonsense" in error["reason"] and "选择" in error["reason"]


def test_the_search_finds_a_name_however_its_brackets_are_written(api, zone_token, zone):
    bracketed = ProjectFactory(zone=zone, name="示范园（一期）标准厂房")
    ProjectFactory(zone=zone, name="示范园一期配套道路")
    for term in ("(一期)", "园 （一期）"):
        found = api.get("projects/", zone_token, data={"search": term}).json()["results"]
        assert [p["id"] for p in found] == [bracketed.pk], term


def test_every_call_is_audited(api, zone_token, zone_platform, project):
    api.get(f"projects/{project.pk}/", zone_token)
    api.get("projects/", "pd_forged_token")
    done, refused = AuditEvent.objects.filter(kind=AuditKind.API_CALL).order_by("id")
    assert done.user == zone_platform.account
    assert done.detail["client"] == "晋中开发区平台"
    assert done.detail["path"] == f"/api/v1/projects/{project.pk}/"
    assert done.detail["status"] == 200 and done.result == "success"
    assert refused.user is None and refused.result == "failure" and refused.detail["status"] == 401


def test_a_token_calling_too_often_is_refused(api, sysadmin, project):
    busy = make_client("限流测试平台", by=sysadmin, zones=[project.zone])
    busy.rate_per_minute = 3
    busy.save()
    text = tokens.issue_for_client(busy, by=sysadmin).text
    answers = [api.get("projects/", text).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = api.get("projects/", text)
    assert "请求已被限流" in refused.json()["detail"]
    other = tokens.issue_for_client(busy, by=sysadmin).text
    assert api.get("projects/", other).status_code == 200  # per token


def test_a_read_only_client_holds_the_read_role(zone_platform):
    from approvals.access import permissions

    assert zone_platform.access == Access.READ
    assert not permissions.may_import_somewhere(zone_platform.account)


def test_the_schema_validates(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/projects/{id}/" in text


def test_every_single_object_carries_an_etag(api, zone_token, project, alice):
    from approvals.casework.problems import problem_add

    problem = problem_add(project=project, by=alice, description="施工许可证待办")
    for url in (f"projects/{project.pk}/", f"problems/{problem.pk}/", f"zones/{project.zone_id}/"):
        first = api.get(url, zone_token)
        assert first.status_code == 200 and first["ETag"], url
        assert api.get(url, zone_token, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304, url
