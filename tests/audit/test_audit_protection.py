"""The security audit log protected by the database (issue 17, finding 7; 等保 level 3 asks that
audit records be protected against change and deletion): UPDATE and DELETE of its rows are
refused by triggers on PostgreSQL and SQLite, whether they come from the ORM's queryset or from
SQL on the application's connection, and TRUNCATE on PostgreSQL; ``manage.py purge_audit`` goes
through the one switch the triggers recognise, and records itself; a person named by records is
deactivated, never deleted; an evidence download is recorded. Every assertion reads afresh."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from approvals.audit import services as audit
from approvals.models import AuditEvent, AuditKind
from approvals.stages import workflow
from tests.factories import UserFactory
from zones.models import AccountSecurity

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
ADDRESS = "203.0.113.7"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def refused():
    """The database's refusal: the triggers' message, as an IntegrityError on both engines."""
    return pytest.raises(IntegrityError, match="append-only")


def sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def event(db) -> AuditEvent:
    return AuditEvent.objects.create(kind=AuditKind.LOGIN, username="alice", source_address=ADDRESS)


def unchanged(event: AuditEvent) -> bool:
    fresh = AuditEvent.objects.filter(pk=event.pk).values("username", "source_address").first()
    return fresh == {"username": "alice", "source_address": ADDRESS}


class TestTheDatabaseRefuses:
    def test_a_queryset_update_is_refused(self, event):
        with refused(), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(username="mallory")
        assert unchanged(event)

    def test_a_queryset_delete_is_refused(self, event):
        with refused(), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert unchanged(event)

    def test_an_update_in_sql_is_refused(self, event):
        with refused(), transaction.atomic():
            sql(f"UPDATE {TABLE} SET source_address = %s WHERE id = %s", ["10.0.0.1", event.pk])
        assert unchanged(event)

    def test_a_delete_in_sql_is_refused(self, event):
        with refused(), transaction.atomic():
            sql(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])
        assert unchanged(event)

    def test_emptying_the_table_at_once_is_refused(self, event):
        """TRUNCATE on PostgreSQL (row triggers do not see it: a statement trigger does), also
        when it comes by a cascade from the users' table; on SQLite a DELETE without WHERE,
        which SQLite would otherwise run as a truncate without row triggers."""
        if connection.vendor == "postgresql":
            statements = [f"TRUNCATE {TABLE}", "TRUNCATE auth_user CASCADE"]
        else:
            statements = [f"DELETE FROM {TABLE}"]
        for statement in statements:
            with refused(), transaction.atomic():
                if connection.vendor == "postgresql":
                    # The test's own inserts leave deferred foreign-key checks pending, which
                    # PostgreSQL refuses a TRUNCATE for before any trigger: run them now.
                    sql("SET CONSTRAINTS ALL IMMEDIATE")
                sql(statement)
            assert unchanged(event), statement

    def test_new_records_are_still_written(self, alice):
        audit.record(AuditKind.LOGIN, user=alice)
        assert AuditEvent.objects.filter(kind=AuditKind.LOGIN, user=alice).count() == 1


class TestThePurge:
    def old(self, days: int, name: str) -> AuditEvent:
        at = timezone.now() - dt.timedelta(days=days)
        return AuditEvent.objects.create(kind=AuditKind.LOGIN, username=name, at=at)

    def test_it_deletes_older_records_through_the_switch_and_records_itself(self):
        gone, kept = self.old(400, "gone"), self.old(190, "kept")
        day = timezone.localdate() - dt.timedelta(days=300)
        out = StringIO()
        call_command("purge_audit", "--before", day.isoformat(), stdout=out)
        assert not AuditEvent.objects.filter(pk=gone.pk).exists()
        assert AuditEvent.objects.filter(pk=kept.pk).exists()
        purge = AuditEvent.objects.get(kind=AuditKind.DELETION)
        assert purge.username == "manage.py purge_audit"
        assert purge.detail == {"before": day.isoformat(), "deleted": 1}
        assert "的 1 条审计记录" in out.getvalue()

    def test_run_as_the_applications_role_it_says_whose_it_is_and_deletes_nothing(self, postgres):
        """The README's role split: the application's role holds SELECT and INSERT on the log.
        Played with SET LOCAL ROLE inside the test's transaction (rolled back with it)."""
        gone = self.old(400, "gone")
        sql("CREATE ROLE projectdesk_app_played NOLOGIN")
        sql("GRANT USAGE ON SCHEMA public TO projectdesk_app_played")
        sql("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO projectdesk_app_played")
        sql("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO projectdesk_app_played")
        sql("SET LOCAL ROLE projectdesk_app_played")
        day = timezone.localdate() - dt.timedelta(days=300)
        with pytest.raises(CommandError, match="拥有数据表的角色.*未删除任何记录"):
            call_command("purge_audit", "--before", day.isoformat(), stdout=StringIO())
        sql("RESET ROLE")
        assert AuditEvent.objects.filter(pk=gone.pk).exists()
        assert not AuditEvent.objects.filter(kind=AuditKind.DELETION).exists()

    def test_the_switch_closes_with_its_block_even_inside_a_longer_transaction(self, event):
        from approvals.audit.models import audit_purge_switch

        older = self.old(400, "older")
        with transaction.atomic():
            with audit_purge_switch():
                AuditEvent.objects.filter(pk=older.pk).delete()
            with refused(), transaction.atomic():
                AuditEvent.objects.filter(pk=event.pk).delete()
        assert not AuditEvent.objects.filter(pk=older.pk).exists() and unchanged(event)

    def test_the_switch_lets_no_update_through(self, event):
        from approvals.audit.models import audit_purge_switch

        with refused(), audit_purge_switch():
            AuditEvent.objects.filter(pk=event.pk).update(username="mallory")
        assert unchanged(event)

    def test_a_purge_that_fails_deletes_nothing_and_leaves_the_switch_closed(self, event):
        from approvals.audit.models import audit_purge_switch

        with pytest.raises(RuntimeError), audit_purge_switch():
            AuditEvent.objects.filter(pk=event.pk).delete()
            raise RuntimeError("the purge's record could not be written")
        assert unchanged(event)
        with refused(), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_a_committed_record_is_flushed_after_a_transactional_test():
    """Committed for real: the flush at this test's end (TRUNCATE on PostgreSQL, DELETE on
    SQLite) must pass the triggers through the sanctioned switch (tests/conftest.py), or this
    test ends in an error at teardown."""
    audit.record(AuditKind.LOGIN, username="committed")
    assert AuditEvent.objects.filter(username="committed").exists()


class TestPeopleWithRecords:
    """Deactivated, never deleted: the records keep naming them (``AuditEvent.user`` is
    PROTECT with its foreign key kept in the database)."""

    @pytest.fixture
    def dora(self, db):
        person = UserFactory(username="dora", first_name="朵拉")
        audit.record(AuditKind.LOGIN, user=person)
        return person

    def test_the_orm_refuses_to_delete_them(self, dora):
        with pytest.raises(ProtectedError), transaction.atomic():
            dora.delete()
        assert get_user_model().objects.filter(pk=dora.pk).exists()
        assert AuditEvent.objects.get(kind=AuditKind.LOGIN).user_id == dora.pk

    def test_the_database_refuses_a_delete_in_sql(self, dora):
        AccountSecurity.objects.filter(user=dora).delete()  # the only other row naming her
        with pytest.raises(IntegrityError), transaction.atomic():
            sql("DELETE FROM auth_user WHERE id = %s", [dora.pk])
            connection.check_constraints()  # what COMMIT would do with the deferred key
        assert get_user_model().objects.filter(pk=dora.pk).exists()

    def test_a_person_without_records_can_still_be_deleted(self, db):
        person = UserFactory(username="typo")
        person.delete()
        assert not get_user_model().objects.filter(username="typo").exists()

    def test_the_user_page_refuses_and_offers_deactivation(self, as_user, superuser, dora):
        client = as_user(superuser)
        delete = reverse("admin:auth_user_delete", args=[dora.pk])
        change = reverse("admin:auth_user_change", args=[dora.pk])
        for response in (
            client.get(delete, follow=True),
            client.post(delete, {"post": "yes"}, follow=True),
        ):
            assert response.redirect_chain == [(change, 302)]  # the page with “有效” on it
            [said] = response.context["messages"]
            assert said.level == messages.ERROR
            assert "朵拉" in said.message and "安全审计" in said.message and "停用" in said.message
        assert get_user_model().objects.get(pk=dora.pk).is_active

    def test_the_bulk_delete_refuses_them_too(self, as_user, superuser, dora):
        other = UserFactory(username="typo")
        client = as_user(superuser)
        changelist = reverse("admin:auth_user_changelist")
        chosen = {"action": "delete_selected", "_selected_action": [dora.pk, other.pk]}
        for data in (chosen, {**chosen, "post": "yes"}):
            response = client.post(changelist, data, follow=True)
            assert response.redirect_chain == [(changelist, 302)]
            [said] = response.context["messages"]
            assert said.level == messages.ERROR
            assert "朵拉" in said.message and "停用" in said.message
        assert set(get_user_model().objects.filter(username__in=["dora", "typo"])) == {
            dora,
            other,
        }


class TestEvidenceDownloads:
    @pytest.fixture
    def asked(self, alice, project, settings, tmp_path):
        """alice's request to sign, with the agreement as its evidence."""
        settings.MEDIA_ROOT = tmp_path
        return workflow.request_transition(
            project,
            "sign",
            by=alice,
            agreement_date=dt.date(2025, 4, 7),
            attachments=[SimpleUploadedFile("投资协议.pdf", PDF)],
        )

    def test_a_download_is_recorded_with_who_what_and_which_project(
        self, as_user, alice, project, asked
    ):
        attachment = asked.attachments.get()
        url = reverse("admin:approvals_stagerequest_attachment", args=[asked.pk, attachment.pk])
        response = as_user(alice).get(url, REMOTE_ADDR=ADDRESS)
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        event = AuditEvent.objects.get(kind=AuditKind.EXPORT)
        assert (event.user, event.username, event.source_address) == (alice, "alice", ADDRESS)
        assert (event.object_type, event.object_id, event.object_repr) == (
            "approvals.RequestAttachment",
            str(attachment.pk),
            "投资协议.pdf",
        )
        assert event.detail["project"] == {"id": project.pk, "name": project.name}
        assert event.detail["stage_request"] == asked.pk

    def test_a_refused_download_records_nothing(self, as_user, charlie, asked):
        url = reverse(
            "admin:approvals_stagerequest_attachment", args=[asked.pk, asked.attachments.get().pk]
        )
        assert as_user(charlie).get(url).status_code in (302, 404)
        assert not AuditEvent.objects.filter(kind=AuditKind.EXPORT).exists()
