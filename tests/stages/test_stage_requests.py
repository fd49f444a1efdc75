"""Stage requests (domain guide sections 2 and 4): officers ask, a supervisor of the project's
zone decides, nobody decides its own request, one open request per project, and a complete,
unchangeable record of who did what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import (
    ApprovalItem,
    ItemStatus,
    Mode,
    RequestStatus,
    Stage,
    StageChange,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory, UserFactory, ZoneFactory, ZoneRoleFactory
from tests.flows import administrator, documents, move
from zones.models import CityRole, Role

SIGN = {"agreement_date": dt.date(2025, 4, 7)}


def person(username: str, zone, role: str):
    """Holding ``role`` in ``zone``; a city supervisor over the zone's city."""
    user = UserFactory(username=username)
    if role == Role.CITY_SUPERVISOR:
        CityRole.objects.create(user=user, city=zone.city, role=role)
    else:
        ZoneRoleFactory(user=user, zone=zone, role=role)
    return user


@pytest.fixture
def people(zone, other_zone):
    """One person per role in the project's zone and one in another zone (for the city
    supervisor, a zone of another city: 晋中's two zones are one city)."""
    taiyuan = ZoneFactory(name="太原经济技术开发区", city="太原市")
    elsewhere = {role: other_zone for role in Role.values} | {Role.CITY_SUPERVISOR: taiyuan}
    return {
        (role, where): person(f"{role}-{where}", z, role)
        for role in Role.values
        for where, z in (("own", zone), ("other", elsewhere[role]))
    }


@pytest.fixture
def case(zone, people):
    """A project in the zone, followed by the zone's leader, with a request by another officer."""
    project = ProjectFactory(zone=zone, leader=people[(Role.LEADER, "own")])
    asker = person("olivia", zone, Role.OFFICER)
    pending = workflow.request_transition(
        project, "sign", by=asker, attachments=documents(), **SIGN
    )
    return project, pending, asker


def can_request(user, project) -> bool:
    StageRequest.objects.filter(project=project).update(status=RequestStatus.CANCELLED)
    try:
        workflow.request_transition(project, "sign", by=user, attachments=documents(), **SIGN)
    except PermissionDenied:
        return False
    return True


def can_decide(user, pending) -> bool:
    try:
        workflow.decide(pending, by=user, approve=False, comment="矩阵")
    except PermissionDenied:
        return False
    return True


def can_cancel(user, pending) -> bool:
    try:
        workflow.cancel_request(pending, by=user)
    except PermissionDenied:
        return False
    return True


def can_view(user, pending) -> bool:
    return StageRequest.objects.visible_to(user).filter(pk=pending.pk).exists()


MATRIX = {
    # role: (request, decide, cancel someone else's, view) in its own zone
    Role.OFFICER: (True, False, False, True),
    Role.SUPERVISOR: (True, True, False, True),
    Role.LEADER: (False, False, False, True),  # sees the projects it follows
    Role.STATISTICIAN: (False, False, False, True),
    Role.CITY_SUPERVISOR: (False, True, False, True),  # decides the city's zones' requests
    # a client system (api/): reads, and with write access asks (a supervisor decides)
    Role.PLATFORM_READ: (False, False, False, True),
    Role.PLATFORM_WRITE: (True, False, False, True),
}


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("action", ["request", "decide", "cancel", "view"])
def test_the_permission_matrix(people, case, role, where, action):
    project, pending, _ = case
    user = people[(role, where)]
    check = {"request": can_request, "decide": can_decide, "cancel": can_cancel, "view": can_view}[
        action
    ]
    subject = project if action == "request" else pending
    expected = (
        MATRIX[role][["request", "decide", "cancel", "view"].index(action)] and where == "own"
    )
    assert check(user, subject) is expected


class TestFourEyes:
    def test_a_supervisor_cannot_approve_its_own_request(self, project, bob):
        pending = workflow.request_transition(
            project, "sign", by=bob, attachments=documents(), **SIGN
        )
        with pytest.raises(PermissionDenied, match="不得审批自己"):
            workflow.decide(pending, by=bob, approve=True)
        project.refresh_from_db()
        assert (project.stage, pending.status) == (Stage.RESERVE, RequestStatus.PENDING)

    def test_a_superuser_cannot_approve_its_own_request(self, project, superuser):
        pending = workflow.request_transition(
            project, "sign", by=superuser, attachments=documents(), **SIGN
        )
        with pytest.raises(PermissionDenied):
            workflow.decide(pending, by=superuser, approve=True)
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_another_superuser_may_approve_it(self, project, superuser):
        pending = workflow.request_transition(
            project, "sign", by=superuser, attachments=documents(), **SIGN
        )
        workflow.decide(pending, by=UserFactory(username="root2", is_superuser=True), approve=True)
        project.refresh_from_db()
        assert project.stage == Stage.SIGNED

    def test_an_officer_cannot_reject_either(self, project, alice):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        with pytest.raises(PermissionDenied):
            workflow.decide(pending, by=alice, approve=False)


class TestOneOpenRequest:
    def test_a_second_request_waits_for_the_first(self, project, alice, bob):
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        with pytest.raises(TransitionRefused, match="已有一项申请正在等待审批"):
            workflow.request_transition(project, "suspend", by=bob, reason="资金未到位")
        assert project.stage_requests.count() == 1

    def test_the_page_says_why_nothing_more_can_be_asked(self, project, alice):
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        options = workflow.request_options(project, alice)
        assert all("已有待审批的申请" in o.reasons[-1] for o in options)

    def test_after_a_decision_the_next_one_may_be_asked(self, project, alice, bob):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.decide(pending, by=bob, approve=False, comment="协议未盖章")
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        assert project.stage_requests.pending().count() == 1


class TestCancelling:
    def test_the_officer_cancels_its_own_pending_request(self, project, alice):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.cancel_request(pending, by=alice)
        assert pending.status == RequestStatus.CANCELLED
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_a_decided_request_cannot_be_cancelled(self, project, alice, bob):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.decide(pending, by=bob, approve=True)
        with pytest.raises(TransitionRefused, match="已不在待审批状态"):
            workflow.cancel_request(pending, by=alice)
        project.refresh_from_db()
        assert project.stage == Stage.SIGNED

    def test_a_cancelled_request_cannot_be_approved(self, project, alice, bob):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.cancel_request(pending, by=alice)
        with pytest.raises(TransitionRefused, match="已撤销"):
            workflow.decide(pending, by=bob, approve=True)
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE


class TestDecisions:
    def test_a_rejection_leaves_the_project_as_it_was(self, project, alice, bob):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.decide(pending, by=bob, approve=False, comment="协议未盖章")
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE
        assert (pending.status, pending.decided_by, pending.decision_comment) == (
            RequestStatus.REJECTED,
            bob,
            "协议未盖章",
        )
        assert not StageChange.objects.filter(request=pending).exists()

    def test_approval_rechecks_the_conditions_at_decision_time(self, zone, alice, bob):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.update(mode=Mode.NOT_APPLICABLE)
        pending = workflow.request_transition(project, "mark_ready", by=alice)
        # Meanwhile the land pre-examination turns out to be needed after all.
        ApprovalItem.objects.filter(project=project, approval_type__code="LX03").update(
            mode=Mode.APPROVAL
        )

        with pytest.raises(TransitionRefused, match="LX03 用地预审与选址意见书"):
            workflow.decide(pending, by=bob, approve=True)

        project.refresh_from_db()
        pending.refresh_from_db()
        assert (project.stage, pending.status) == (Stage.SIGNED, RequestStatus.PENDING)
        assert not project.stage_changes.filter(transition="mark_ready").exists()

    def test_the_evidence_asked_with_is_what_the_approval_records(self, project, alice, bob):
        move(project, "sign", officer=alice, supervisor=bob, agreement_date=dt.date(2025, 3, 3))
        assert project.milestones.get(stage=Stage.SIGNED).actual_date == dt.date(2025, 3, 3)
        assert project.stage_changes.get(transition="sign").evidence == {
            "agreement_date": "2025-03-03"
        }

    def test_a_user_with_only_model_permissions_cannot_ask_or_decide(self, project, alice):
        clerk = UserFactory(username="clerk")
        clerk.user_permissions.set(
            Permission.objects.filter(
                content_type__app_label="approvals",
                codename__in=[
                    "view_project",
                    "change_project",
                    "change_approvalitem",
                    "view_stagerequest",
                ],
            )
        )
        with pytest.raises(PermissionDenied):
            workflow.request_transition(project, "sign", by=clerk, attachments=documents(), **SIGN)
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        with pytest.raises(PermissionDenied):
            workflow.decide(pending, by=clerk, approve=True)
        checklist_generate(project=project, by=administrator())
        with pytest.raises(PermissionDenied):
            workflow.run_transition(project.approval_items.first(), "start_preparing", by=clerk)


class TestTheAuditTrail:
    def test_a_scripted_sequence_is_recorded_exactly(self, zone, alice, bob):
        project = ProjectFactory(zone=zone)
        checklist_generate(project=project, by=administrator())
        project.approval_items.exclude(approval_type__code="LX01").update(mode=Mode.NOT_APPLICABLE)
        lx01 = project.approval_items.get(approval_type__code="LX01")

        signed = move(project, "sign", officer=alice, supervisor=bob, comment="签约仪式", **SIGN)
        with pytest.raises(TransitionRefused):  # LX01 still open: not even asked
            workflow.request_transition(project, "mark_ready", by=alice)
        workflow.run_transition(lx01, "start_preparing", by=alice)
        workflow.run_transition(lx01, "accept", by=alice, accepted_on=dt.date(2025, 4, 8))
        workflow.run_transition(
            lx01,
            "approve",
            by=alice,
            approved_on=dt.date(2025, 4, 9),
            document_number="晋审批备〔2025〕8号",
        )
        too_early = workflow.request_transition(project, "mark_ready", by=alice)
        workflow.decide(too_early, by=bob, approve=False, comment="现场未平整")
        withdrawn = workflow.request_transition(project, "suspend", by=alice, reason="误操作")
        workflow.cancel_request(withdrawn, by=alice)
        ready = move(project, "mark_ready", officer=alice, supervisor=bob, comment="手续齐全")

        changes = [
            (c.transition, c.source, c.target, c.by, c.request, c.comment)
            for c in project.stage_changes.exclude(transition="").order_by("at", "id")
        ]
        assert changes == [
            ("sign", Stage.RESERVE, Stage.SIGNED, bob, signed, "签约仪式"),
            ("mark_ready", Stage.SIGNED, Stage.READY, bob, ready, "手续齐全"),
        ]
        statuses = [
            (c.transition, c.source, c.target, c.by)
            for c in lx01.status_changes.exclude(transition="").order_by("at", "id")
        ]
        assert statuses == [
            ("start_preparing", ItemStatus.NOT_STARTED, ItemStatus.PREPARING, alice),
            ("accept", ItemStatus.PREPARING, ItemStatus.ACCEPTED, alice),
            ("approve", ItemStatus.ACCEPTED, ItemStatus.APPROVED, alice),
        ]
        decisions = [
            (r.transition, r.status, r.requested_by, r.decided_by)
            for r in project.stage_requests.order_by("requested_at", "id")
        ]
        assert decisions == [
            ("sign", RequestStatus.APPROVED, alice, bob),
            ("mark_ready", RequestStatus.REJECTED, alice, bob),
            ("suspend", RequestStatus.CANCELLED, alice, alice),
            ("mark_ready", RequestStatus.APPROVED, alice, bob),
        ]
        # The field history holds one version per stage change, by the person who approved it.
        stages = list(
            project.history.order_by("history_date", "history_id").values_list("stage", flat=True)
        )
        assert stages == [Stage.RESERVE, Stage.SIGNED, Stage.READY]

    def test_records_cannot_be_changed_or_deleted_through_the_admin(
        self, client, project, alice, bob, superuser
    ):
        move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        record = project.stage_changes.get(transition="sign")
        client.force_login(superuser)
        change = reverse("admin:approvals_stagechange_change", args=[record.pk])
        assert client.post(change, {"comment": "改写", "by": alice.pk}).status_code == 403
        delete = reverse("admin:approvals_stagechange_delete", args=[record.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:approvals_stagechange_add")).status_code == 403
        request_page = reverse("admin:approvals_stagerequest_change", args=[record.request.pk])
        assert client.post(request_page, {"status": "rejected"}).status_code == 403
        record.refresh_from_db()
        assert (record.comment, record.by) == ("", bob)


class TestEvidenceDocuments:
    def test_a_document_of_an_accepted_type_is_kept(self, project, alice):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=[SimpleUploadedFile("协议.pdf", b"%PDF")], **SIGN
        )
        assert [a.name for a in pending.attachments.all()] == ["协议.pdf"]

    def test_an_unaccepted_type_is_refused_by_name_and_nothing_is_asked(self, project, alice):
        with pytest.raises(TransitionRefused, match="“run.exe”：不接受此类文件"):
            workflow.request_transition(
                project,
                "sign",
                by=alice,
                attachments=[SimpleUploadedFile("run.exe", b"MZ")],
                **SIGN,
            )
        assert not project.stage_requests.exists()

    def test_a_too_large_document_is_refused(self, project, alice, settings):
        settings.EVIDENCE_FILE_MAX_MB = 1
        big = SimpleUploadedFile("现场照片.jpg", b"x" * (1024 * 1024 + 1))
        with pytest.raises(TransitionRefused, match="超过 1 MB"):
            workflow.request_transition(project, "sign", by=alice, attachments=[big], **SIGN)


def test_a_statistician_is_refused_for_who_it_is_not_for_what_it_typed(project, stan):
    with pytest.raises(PermissionDenied):
        workflow.request_transition(
            project, "sign", by=stan, attachments=documents()
        )  # no agreement date either


def test_the_services_take_their_arguments_as_the_issue_names_them(project, alice, bob):
    """request_transition(project, transition, by, **evidence); decide(stage_request, by, approve, comment)."""
    pending = workflow.request_transition(
        project, "sign", alice, agreement_date=dt.date(2025, 4, 7), attachments=documents()
    )
    workflow.decide(pending, bob, True, "同意")
    project.refresh_from_db()
    assert (project.stage, pending.decision_comment) == (Stage.SIGNED, "同意")
