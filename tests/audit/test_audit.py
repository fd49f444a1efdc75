"""The security audit log (安全审计): each kind of event recorded with its date and time, subject
(the user and the name as typed), object, result and source address; searchable and exportable
by the audit administrator; kept at least six months (``manage.py purge_audit``). Every
assertion reads the log afresh."""

from __future__ import annotations

import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from approvals.audit import services as audit
from approvals.casework.problems import problem_add, problem_transition
from approvals.models import (
    AuditEvent,
    AuditKind,
    AuditResult,
    ImportKind,
    StageRequest,
)
from approvals.spreadsheets import imports
from approvals.stages import workflow
from tests.factories import UserFactory
from tests.flows import documents
from tests.spreadsheet_files import Title, xlsx
from zones.models import Administrator, AdminRole, Role, ZoneRole

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
ADDRESS = "203.0.113.7"


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


def last(kind: str) -> AuditEvent:
    found = events(kind)
    assert found, f"no {kind} recorded"
    return found[-1]


@pytest.fixture
def auditor(db):
    user = UserFactory(username="aud")
    Administrator.objects.create(user=user, role=AdminRole.AUDIT)
    return user


class TestLogins:
    def test_a_login_is_recorded_with_its_address(self, client, alice):
        client.post(
            LOGIN, {"username": "alice", "password": "secret-pass-123"}, REMOTE_ADDR=ADDRESS
        )
        event = last(AuditKind.LOGIN)
        assert (event.user, event.username, event.result) == (alice, "alice", AuditResult.SUCCESS)
        assert event.source_address == ADDRESS
        assert timezone.now() - event.at < dt.timedelta(minutes=1)

    def test_a_failed_login_keeps_the_unknown_name_as_typed(self, client):
        client.post(LOGIN, {"username": "mallory", "password": "guess"}, REMOTE_ADDR=ADDRESS)
        event = last(AuditKind.LOGIN_FAILED)
        assert (event.user, event.username, event.result) == (None, "mallory", "failure")
        assert event.source_address == ADDRESS

    def test_a_failed_login_of_a_known_name_names_its_user(self, client, alice):
        client.post(LOGIN, {"username": "alice", "password": "wrong"}, REMOTE_ADDR=ADDRESS)
        event = last(AuditKind.LOGIN_FAILED)
        assert (event.user, event.result) == (alice, AuditResult.FAILURE)

    def test_a_logout_is_recorded(self, as_user, alice):
        client = as_user(alice)
        client.post(reverse("admin:logout"), REMOTE_ADDR=ADDRESS)
        event = last(AuditKind.LOGOUT)
        assert (event.user, event.username, event.source_address) == (alice, "alice", ADDRESS)

    def test_the_forwarded_address_counts_only_behind_a_trusted_proxy(self, client, settings):
        # The client wrote 198.51.100.1; our proxy (10.0.0.1) appended the address it saw.
        headers = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"198.51.100.1, {ADDRESS}"}
        settings.TRUSTED_PROXY = 0
        client.post(LOGIN, {"username": "x", "password": "y"}, **headers)
        assert last(AuditKind.LOGIN_FAILED).source_address == "10.0.0.1"
        settings.TRUSTED_PROXY = 1
        client.post(LOGIN, {"username": "x", "password": "y"}, **headers)
        assert last(AuditKind.LOGIN_FAILED).source_address == ADDRESS


class TestChangesOfRights:
    def test_a_zone_role_given_and_taken_is_recorded(self, as_user, superuser, zone, alice):
        client = as_user(superuser)
        add = reverse("admin:zones_zonerole_add")
        client.post(
            add, {"user": alice.pk, "zone": zone.pk, "role": Role.LEADER}, REMOTE_ADDR=ADDRESS
        )
        granted = last(AuditKind.PERMISSION)
        assert (granted.user, granted.object_type) == (superuser, "zones.ZoneRole")
        assert granted.detail["action"] == "granted" and granted.detail["role"] == Role.LEADER
        assert granted.detail["holder"] == str(alice) and granted.source_address == ADDRESS
        role = ZoneRole.objects.get(user=alice, role=Role.LEADER)
        client.post(reverse("admin:zones_zonerole_delete", args=[role.pk]), {"post": "yes"})
        revoked = last(AuditKind.PERMISSION)
        assert revoked.detail["action"] == "revoked" and revoked.object_id == str(role.pk)

    def test_an_accounts_flags_and_password_are_recorded(self, alice):
        alice.is_staff = False
        alice.set_password("another-Pass-77")
        alice.save()
        assert last(AuditKind.PASSWORD).object_id == str(alice.pk)
        assert last(AuditKind.PERMISSION).detail["changed"] == {"is_staff": [True, False]}

    def test_groups_given_are_recorded(self, alice):
        from django.contrib.auth.models import Group

        alice.groups.add(Group.objects.create(name="科室"))
        event = last(AuditKind.PERMISSION)
        assert event.detail == {"groups": "add", "names": ["科室"]}


class TestWork:
    def test_a_stage_decision_is_recorded(self, project, alice, bob):
        asked = workflow.request_transition(
            project, "sign", by=alice, agreement_date=dt.date(2025, 4, 7), attachments=documents()
        )
        workflow.decide(asked, by=bob, approve=False, comment="协议未盖章")
        event = last(AuditKind.DECISION)
        assert (event.user, event.object_type) == (bob, "approvals.StageRequest")
        assert event.object_id == str(asked.pk) and event.detail["decision"] == "rejected"
        assert StageRequest.objects.get(pk=asked.pk).status == "rejected"

    def test_a_problem_closed_is_a_decision(self, project, alice, bob):
        problem = problem_add(project=project, by=alice, description="用地指标未落实")
        problem_transition(problem, "start", by=alice)
        problem_transition(
            problem, "resolve", by=alice, resolution="已落实", resolved_on=timezone.localdate()
        )
        problem_transition(problem, "close", by=bob)
        event = last(AuditKind.DECISION)
        assert (event.user, event.object_id, event.detail["decision"]) == (
            bob,
            str(problem.pk),
            "closed",
        )

    def test_an_import_is_recorded(self, catalogue, project, alice, settings, tmp_path):
        from approvals.checklist.services import checklist_generate

        settings.MEDIA_ROOT = tmp_path
        project.code = "2503-140702-04-01-123456"
        project.save()
        checklist_generate(project=project, by=alice)
        header = ["序号", "项目代码", "项目名称", "所在开发区", "立项"]
        row = [1, project.code, project.name, "晋中开发区", "2025-03-01"]
        data = xlsx({"前期手续": [Title("进度表"), header, row]})
        record = imports.receive(
            ImportKind.APPROVAL_TABLE, data, "进度表.xlsx", by=alice, source="test"
        )
        imports.preview(record)
        imports.apply(record)
        event = last(AuditKind.IMPORT)
        assert (event.user, event.object_type, event.object_id) == (
            alice,
            "approvals.SpreadsheetImport",
            str(record.pk),
        )
        assert event.detail["file"] == "进度表.xlsx"

    def test_an_export_is_recorded(self, as_user, alice, project):
        client = as_user(alice)
        response = client.get(reverse("admin:approvals_project_dispatch"), REMOTE_ADDR=ADDRESS)
        assert response.status_code == 200
        event = last(AuditKind.EXPORT)
        assert (event.user, event.source_address) == (alice, ADDRESS)
        assert event.object_repr.endswith(".xlsx")

    def test_a_deletion_through_the_admin_is_recorded(self, as_user, superuser):
        from approvals.models import CalendarDay

        day = CalendarDay.objects.create(day=dt.date(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY)
        client = as_user(superuser)
        url = reverse("admin:approvals_calendarday_delete", args=[day.pk])
        client.post(url, {"post": "yes"}, REMOTE_ADDR=ADDRESS)
        assert not CalendarDay.objects.filter(pk=day.pk).exists()
        event = last(AuditKind.DELETION)
        assert (event.user, event.object_type, event.object_id) == (
            superuser,
            "approvals.CalendarDay",
            str(day.pk),
        )
        assert event.source_address == ADDRESS


class TestTheLogItself:
    def test_the_auditor_searches_and_exports_it_formula_safe(self, as_user, auditor):
        audit.record(AuditKind.LOGIN_FAILED, username="=cmd|' /C calc'!A0", result="failure")
        audit.record(AuditKind.LOGIN, username="alice")
        client = as_user(auditor)
        page = client.get(reverse("admin:approvals_auditevent_changelist"), {"q": "calc"})
        assert [e.username for e in page.context["cl"].result_list] == ["=cmd|' /C calc'!A0"]
        csv = client.get(reverse("admin:approvals_auditevent_export", args=["csv"]), {"q": "calc"})
        text = csv.content.decode("utf-8-sig")
        assert "'=cmd" in text and "alice" not in text
        assert last(AuditKind.EXPORT).user == auditor

    def test_the_auditor_filters_by_type_result_days_and_address(self, as_user, auditor):
        def made(days_ago: int, **fields) -> AuditEvent:
            # Written with its date: the database refuses to change a record afterwards.
            at = timezone.now() - dt.timedelta(days=days_ago)
            return AuditEvent.objects.create(at=at, **fields)

        early = made(30, kind=AuditKind.LOGIN, username="alice", source_address="192.0.2.1")
        failed = made(5, kind=AuditKind.LOGIN_FAILED, username="bob", result="failure")
        today = made(0, kind=AuditKind.EXPORT, username="alice", object_repr="周调度表.xlsx")
        client = as_user(auditor)
        url = reverse("admin:approvals_auditevent_changelist")

        def listed(**query) -> set[int]:
            page = client.get(url, query)
            assert page.status_code == 200
            return {e.pk for e in page.context["cl"].result_list} & {early.pk, failed.pk, today.pk}

        assert listed(kind__exact="login_failed") == {failed.pk}
        assert listed(result__exact="failure") == {failed.pk}
        assert listed(q="192.0.2.1") == {early.pk}
        assert listed(q="周调度表") == {today.pk}
        assert listed(q="alice") == {early.pk, today.pk}
        day = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
        assert listed(at_from=day, at_to=day) == {failed.pk}
        export = reverse("admin:approvals_auditevent_export", args=["xlsx"])
        response = client.get(export, {"kind__exact": "login_failed"})
        from openpyxl import load_workbook

        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert [r[2] for r in rows[1:]] == ["bob"]

    def test_a_failed_write_inside_a_transaction_fails_the_action(self, monkeypatch):
        def broken(self, *args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(AuditEvent, "save", broken)
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record(AuditKind.DECISION, username="x")


class TestPurge:
    def old(self, days: int) -> AuditEvent:
        at = timezone.now() - dt.timedelta(days=days)
        return AuditEvent.objects.create(kind=AuditKind.LOGIN, username=f"d{days}", at=at)

    def test_it_refuses_a_date_within_the_retention_period(self):
        kept = self.old(200)
        day = timezone.localdate() - dt.timedelta(days=100)
        with pytest.raises(CommandError, match="183"):
            call_command("purge_audit", "--before", day.isoformat(), stdout=StringIO())
        assert AuditEvent.objects.filter(pk=kept.pk).exists()

    def test_it_deletes_older_records_and_records_itself(self):
        gone, kept = self.old(400), self.old(190)
        day = timezone.localdate() - dt.timedelta(days=300)
        call_command("purge_audit", "--before", day.isoformat(), stdout=StringIO())
        assert not AuditEvent.objects.filter(pk=gone.pk).exists()
        assert AuditEvent.objects.filter(pk=kept.pk).exists()
        purge = last(AuditKind.DELETION)
        assert purge.username == "manage.py purge_audit" and purge.detail["deleted"] == 1
