"""Writes through the API go through the services: a stage change asked for is decided by a
supervisor (never by the client), a problem lands on the project's list, an upload is previewed
and confirmed as on the import page, all or nothing, its row errors as JSON. A read-only token
writes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api import tokens
from api.models import Access
from approvals.access import permissions
from approvals.models import (
    AuditEvent,
    AuditKind,
    Batch,
    Problem,
    Project,
    RequestStatus,
    SpreadsheetImport,
    Stage,
    StageRequest,
)
from approvals.stages import workflow
from tests.api.conftest import make_client
from tests.project_lists import row, workbook

pytestmark = pytest.mark.django_db

SIGN = {
    "transition": "sign",
    "evidence": {"agreement_date": "2025-04-07"},
    "documents_missing_reason": "协议原件在企业，下周补交",
}


@pytest.fixture
def writer(zone, sysadmin):
    return make_client(
        "晋中开发区平台（读写）", by=sysadmin, zones=[zone], access=Access.READ_WRITE
    )


@pytest.fixture
def write_token(writer, sysadmin) -> str:
    return tokens.issue_for_client(writer, by=sysadmin).text


def test_a_read_only_token_writes_nothing(api, zone_token, project):
    answer = api.post(f"projects/{project.pk}/stage-requests/", SIGN, zone_token)
    assert answer.status_code == 403
    assert answer.json()["detail"] == "该令牌只能读取。"
    answer = api.post(
        f"projects/{project.pk}/problems/", {"description": "用地指标未落实"}, zone_token
    )
    assert answer.status_code == 403
    upload = api.test_client.post(
        "/api/v1/imports/",
        {"kind": "project_list", "file": SimpleUploadedFile("清单.xlsx", workbook())},
        HTTP_AUTHORIZATION=f"Bearer {zone_token}",
    )
    assert upload.status_code == 403
    assert not StageRequest.objects.exists() and not Problem.objects.exists()
    assert not SpreadsheetImport.objects.exists()


def test_a_stage_change_asked_by_a_client_keeps_four_eyes(api, write_token, writer, project, bob):
    answer = api.post(f"projects/{project.pk}/stage-requests/", SIGN, write_token)
    assert answer.status_code == 201, answer.json()
    asked = StageRequest.objects.get(pk=answer.json()["id"])
    assert asked.requested_by == writer.account
    assert asked.status == RequestStatus.PENDING
    assert Project.objects.get(pk=project.pk).stage == Stage.RESERVE  # not moved by asking
    assert not permissions.may_decide(writer.account, asked)
    workflow.decide(asked, bob, approve=True, comment="同意")
    assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED


def test_a_refused_stage_change_names_why_and_changes_nothing(api, write_token, project):
    answer = api.post(
        f"projects/{project.pk}/stage-requests/",
        {"transition": "sign", "evidence": {}},
        write_token,
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["errors"] and all(e["reason"] for e in body["errors"])
    assert not StageRequest.objects.exists()
    answer = api.post(f"projects/{project.pk}/stage-requests/", {"evidence": {}}, write_token)
    assert answer.json()["errors"] == [{"field": "transition", "reason": "该字段是必填项。"}]


def test_a_problem_raised_lands_on_the_project(api, write_token, writer, project):
    answer = api.post(
        f"projects/{project.pk}/problems/",
        {"description": "用地指标未落实", "category": "land"},
        write_token,
    )
    assert answer.status_code == 201, answer.json()
    problem = Problem.objects.get(pk=answer.json()["id"])
    assert problem.project_id == project.pk and problem.description == "用地指标未落实"


def test_another_zones_project_takes_no_write(api, write_token, other_project):
    for path in ("stage-requests/", "problems/"):
        answer = api.post(
            f"projects/{other_project.pk}/{path}", SIGN | {"description": "x"}, write_token
        )
        assert answer.status_code == 404
    assert not StageRequest.objects.exists() and not Problem.objects.exists()


def _upload(api, token, data: bytes, **fields):
    return api.test_client.post(
        "/api/v1/imports/",
        {"kind": "project_list", "file": SimpleUploadedFile("第一批.xlsx", data), **fields},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


ROUND = {"year": 2025, "round": 1, "event_date": "2025-03-28"}


def test_an_upload_with_bad_rows_answers_them_as_json_and_saves_nothing(api, write_token, zone):
    data = workbook(row(1, "年产5万吨新材料项目"), row(2, "", zone="不存在的开发区"))
    answer = _upload(api, write_token, data, **ROUND)
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(4, "项目名称"), (4, "所在开发区")}
    assert all(e["sheet"] == "清单" and e["reason"] for e in errors)
    confirm = api.post(f"imports/{answer.json()['token']}/confirm/", {}, write_token)
    assert confirm.status_code == 409
    assert not Project.objects.exists() and not Batch.objects.exists()


def test_an_upload_previewed_then_confirmed_opens_requests_in_the_clients_name(
    api, write_token, writer, zone
):
    data = workbook(row(1, "年产5万吨新材料项目"), row(2, "光伏组件项目", category="签约"))
    preview = _upload(api, write_token, data, **ROUND)
    assert preview.status_code == 200, preview.json()
    assert preview.json()["created"] == 2 and not Project.objects.exists()
    token = preview.json()["token"]
    assert api.get(f"imports/{token}/", write_token).json()["status"] == "previewed"
    done = api.post(f"imports/{token}/confirm/", {}, write_token)
    assert done.status_code == 200 and done.json()["applied"]
    assert Project.objects.filter(zone=zone).count() == 2
    record = SpreadsheetImport.objects.get(token=token)
    assert record.by == writer.account
    assert AuditEvent.objects.filter(kind=AuditKind.IMPORT, user=writer.account).exists()
    # catch-up requests of a re-import name the client: a stored project behind its category
    Project.objects.filter(name="年产5万吨新材料项目").update(stage=Stage.SIGNED)
    again = _upload(api, write_token, data, **ROUND)
    api.post(f"imports/{again.json()['token']}/confirm/", {}, write_token)
    catch_up = StageRequest.objects.get(project__name="年产5万吨新材料项目")
    assert catch_up.requested_by == writer.account


def test_an_import_is_its_uploaders(api, write_token, sysadmin, zone):
    other = make_client("另一个平台", by=sysadmin, zones=[zone], access=Access.READ_WRITE)
    other_token = tokens.issue_for_client(other, by=sysadmin).text
    token = _upload(api, write_token, workbook(row(1, "年产5万吨新材料项目")), **ROUND).json()[
        "token"
    ]
    assert api.get(f"imports/{token}/", other_token).status_code == 404
    assert api.post(f"imports/{token}/confirm/", {}, other_token).status_code == 404
    assert not Project.objects.exists()


def test_may_see_import_and_its_query_agree(writer, sysadmin, alice, zone):
    from tests.project_lists import received

    mine = received(workbook(row(1, "甲项目")), by=writer.account)
    theirs = received(workbook(row(1, "乙项目")), by=alice)
    for user in (writer.account, alice, sysadmin):
        one_by_one = {r.pk for r in (mine, theirs) if permissions.may_see_import(user, r)}
        as_query = set(
            permissions.imports(SpreadsheetImport.objects.all(), user).values_list("pk", flat=True)
        )
        assert one_by_one == as_query
    assert permissions.imports(SpreadsheetImport.objects.all(), alice).get() == theirs
