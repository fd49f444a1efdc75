"""The three administrators kept apart (三权分立, guide section 11): the system administrator sees
every zone read-only and keeps the configuration, the security administrator keeps accounts,
the audit administrator reads the audit log; none does another's job, and outside the demo a
superuser flag grants nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.urls import reverse

from approvals.access import permissions
from approvals.models import AuditEvent, AuditKind, Project
from tests.factories import UserFactory, ZoneRoleFactory, administrator
from zones.models import Administrator, AdminRole, Role, ZoneRole

AUDIT_LIST = reverse("admin:approvals_auditevent_changelist")
USERS = reverse("admin:auth_user_changelist")


@pytest.fixture
def sysadmin(db):
    return administrator("sys", AdminRole.SYSTEM)


@pytest.fixture
def secadmin(db):
    return administrator("sec", AdminRole.SECURITY)


@pytest.fixture
def auditor(db):
    return administrator("aud", AdminRole.AUDIT)


@pytest.fixture
def event(db):
    return AuditEvent.objects.create(kind=AuditKind.LOGIN, username="alice")


def audit_urls(event) -> list[str]:
    return [
        AUDIT_LIST,
        reverse("admin:approvals_auditevent_change", args=[event.pk]),
        reverse("admin:approvals_auditevent_export", args=["xlsx"]),
        reverse("admin:approvals_auditevent_export", args=["csv"]),
    ]


class TestTheAuditAdministrator:
    def test_it_reads_and_exports_the_log(self, as_user, auditor, event):
        client = as_user(auditor)
        for url in audit_urls(event):
            assert client.get(url).status_code == 200, url

    def test_it_cannot_change_or_delete_a_record(self, as_user, auditor, event):
        client = as_user(auditor)
        change = reverse("admin:approvals_auditevent_change", args=[event.pk])
        delete = reverse("admin:approvals_auditevent_delete", args=[event.pk])
        history = reverse("admin:approvals_auditevent_history", args=[event.pk])
        assert client.post(change, {"username": "mallory"}).status_code == 403
        assert client.get(delete).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(history).status_code == 403
        bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
        client.post(AUDIT_LIST, bulk)
        fresh = AuditEvent.objects.get(pk=event.pk)
        assert fresh.username == "alice"

    def test_the_demo_superuser_cannot_either(self, as_user, superuser, event):
        client = as_user(superuser)
        delete = reverse("admin:approvals_auditevent_delete", args=[event.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:approvals_auditevent_add")).status_code == 403
        assert AuditEvent.objects.filter(pk=event.pk).exists()

    def test_the_model_refuses_too(self, event):
        from approvals.models import AuditRecordIsFinal

        event.username = "mallory"
        with pytest.raises(AuditRecordIsFinal):
            event.save()
        with pytest.raises(AuditRecordIsFinal):
            event.delete()
        assert AuditEvent.objects.get(pk=event.pk).username == "alice"

    def test_it_does_nothing_else(self, as_user, auditor, project):
        client = as_user(auditor)
        assert client.get(USERS).status_code == 403
        assert client.get(reverse("admin:zones_zonerole_changelist")).status_code == 403
        assert client.get(reverse("admin:approvals_project_changelist")).status_code == 403
        assert not permissions.may_see(auditor, project)


class TestTheSecurityAdministrator:
    def test_it_cannot_read_the_audit_log(self, as_user, secadmin, event):
        client = as_user(secadmin)
        for url in audit_urls(event):
            assert client.get(url).status_code == 403, url

    def test_it_creates_and_deactivates_accounts(self, as_user, secadmin, alice):
        client = as_user(secadmin)
        assert client.get(USERS).status_code == 200
        change = reverse("admin:auth_user_change", args=[alice.pk])
        page = client.get(change)
        assert page.status_code == 200
        fields = page.context["adminform"].form.fields
        assert "is_superuser" not in fields and "groups" not in fields
        assert "user_permissions" not in fields
        data = {
            "username": "alice",
            "first_name": "艾丽",
            "last_name": "",
            "email": "",
            "is_staff": "on",
            # is_active left out: deactivated
            "last_login_0": "",
            "last_login_1": "",
        }
        response = client.post(change, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        alice.refresh_from_db()
        assert alice.is_active is False
        assert ZoneRole.objects.filter(user=alice).exists()  # zone roles are not its to touch

    def test_it_keeps_no_administrators_account(self, as_user, secadmin, auditor, sysadmin):
        client = as_user(secadmin)
        for account in (auditor, sysadmin, secadmin):
            url = reverse("admin:auth_user_change", args=[account.pk])
            assert client.get(url).status_code in {302, 403, 404}
            password = reverse("admin:auth_user_password_change", args=[account.pk])
            response = client.post(password, {"password1": "x-New-pass-99", "password2": "x"})
            assert response.status_code in {302, 403, 404}
            account.refresh_from_db()
            assert account.check_password("secret-pass-123")

    def test_it_keeps_neither_configuration_nor_zone_roles(self, as_user, secadmin, project):
        client = as_user(secadmin)
        for name in ("zones_zone", "zones_zonerole", "approvals_approvaltype", "approvals_project"):
            assert client.get(reverse(f"admin:{name}_changelist")).status_code == 403, name
        assert client.get(reverse("admin:zones_administrator_changelist")).status_code == 200


class TestTheSystemAdministrator:
    def test_it_sees_every_zone_read_only(self, as_user, sysadmin, project, other_zone):
        from tests.factories import ProjectFactory

        elsewhere = ProjectFactory(zone=other_zone)
        client = as_user(sysadmin)
        listed = client.get(reverse("admin:approvals_project_changelist"))
        assert listed.status_code == 200
        assert {project.pk, elsewhere.pk} <= {p.pk for p in listed.context["cl"].result_list}
        change = reverse("admin:approvals_project_change", args=[project.pk])
        assert client.get(change).status_code == 200
        client.post(change, {"name": "改过的名字"})
        assert Project.objects.get(pk=project.pk).name == project.name
        assert not permissions.may_edit(sysadmin, project)
        assert not permissions.may_request(sysadmin, project)
        assert permissions.import_zones(sysadmin) == set()

    def test_it_cannot_read_the_audit_log_or_unlock_accounts(self, as_user, sysadmin, event):
        client = as_user(sysadmin)
        for url in audit_urls(event):
            assert client.get(url).status_code == 403, url
        # It lists the people to grant their roles (issue 20), but keeps no account.
        assert client.get(USERS).status_code == 200
        assert client.get(reverse("admin:auth_user_add")).status_code == 403
        assert not permissions.may_keep_security(sysadmin)
        assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403

    def test_it_keeps_zone_roles_but_never_its_own(self, as_user, sysadmin, zone, alice, bob):
        client = as_user(sysadmin)
        add = reverse("admin:zones_zonerole_add")
        response = client.post(add, {"user": bob.pk, "zone": zone.pk, "role": Role.LEADER})
        assert response.status_code == 302
        assert ZoneRole.objects.filter(user=bob, role=Role.LEADER).exists()
        client.post(add, {"user": sysadmin.pk, "zone": zone.pk, "role": Role.OFFICER})
        assert not ZoneRole.objects.filter(user=sysadmin).exists()
        # and a role slipped in by other means counts for nothing
        ZoneRoleFactory(user=sysadmin, zone=zone, role=Role.SUPERVISOR)
        fresh = get_user_model().objects.get(pk=sysadmin.pk)
        assert not permissions.may_decide_somewhere(fresh)

    def test_it_keeps_the_configuration(self, as_user, sysadmin):
        client = as_user(sysadmin)
        for name in ("zones_zone", "approvals_approvaltype", "approvals_calendarday"):
            assert client.get(reverse(f"admin:{name}_add")).status_code == 200, name


class TestNobodyGrantsARole:
    def test_no_page_writes_an_administrator_row(self, as_user, secadmin, superuser, alice):
        for person in (secadmin, superuser):
            client = as_user(person)
            add = reverse("admin:zones_administrator_add")
            client.post(add, {"user": alice.pk, "role": AdminRole.AUDIT})
        assert not Administrator.objects.filter(user=alice).exists()

    def test_the_command_grants_and_revokes(self, alice):
        call_command("grant_admin_role", "alice", "audit", stdout=StringIO())
        fresh = get_user_model().objects.get(pk=alice.pk)
        assert permissions.admin_role(fresh) == AdminRole.AUDIT
        assert not ZoneRole.objects.filter(user=alice).exists()
        assert AuditEvent.objects.filter(
            kind=AuditKind.PERMISSION, username="manage.py grant_admin_role"
        ).exists()
        with pytest.raises(CommandError):
            call_command("grant_admin_role", "alice", "security", stdout=StringIO())
        call_command("grant_admin_role", "alice", "--revoke", stdout=StringIO())
        assert not Administrator.objects.filter(user=alice).exists()


class TestASuperuserOutsideTheDemo:
    @pytest.fixture
    def production(self, settings):
        settings.DEBUG = False
        settings.SUPERUSER_POWERS = False

    def test_it_has_no_powers(self, as_user, superuser, project, event, production):
        client = as_user(superuser)
        for url in [
            *audit_urls(event),
            USERS,
            reverse("admin:approvals_project_changelist"),
            reverse("admin:zones_zone_changelist"),
            reverse("admin:django_celery_beat_periodictask_changelist"),
        ]:
            assert client.get(url).status_code == 403, url
        assert not permissions.may_see(superuser, project)
        assert not permissions.is_administrator(superuser)

    def test_check_deploy_reports_it(self, superuser, production):
        with pytest.raises(SystemCheckError, match="root"):
            call_command("check", "--deploy", "--fail-level", "ERROR", stdout=StringIO())

    def test_check_deploy_names_a_demo_account(self, db, production):
        UserFactory(username="officer")
        with pytest.raises(SystemCheckError, match="officer"):
            call_command("check", "--deploy", "--fail-level", "ERROR", stdout=StringIO())

    def test_the_checks_are_quiet_in_the_tests_settings(self, superuser):
        from accounts import checks

        assert checks.no_superusers() == []


def test_a_demo_account_cannot_log_in_with_debug_off(db, client, settings):
    UserFactory(username="auditor")
    settings.DEBUG = True
    assert client.login(username="auditor", password="secret-pass-123")
    client.logout()
    settings.DEBUG = False
    assert not client.login(username="auditor", password="secret-pass-123")
