"""Stage requests in the admin: asking with evidence documents, the supervisors' 待审批 queue,
deciding one or several, cancelling, and the field history that cannot be written back."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import RequestStatus, Stage, StageRequest, TransitionRefused
from approvals.stages import workflow
from tests.factories import ProjectFactory
from tests.flows import documents

SIGN = {"agreement_date": dt.date(2025, 4, 7)}
REQUESTS = reverse("admin:approvals_stagerequest_changelist")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00site photo"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def project_url(project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


def request_url(stage_request) -> str:
    return reverse("admin:approvals_stagerequest_change", args=[stage_request.pk])


class TestAsking:
    def test_an_officer_asks_with_an_evidence_document(self, as_user, alice, project):
        agreement = SimpleUploadedFile(
            "投资协议.pdf", b"%PDF-1.4 agreement", content_type="application/pdf"
        )
        response = as_user(alice).post(
            reverse("admin:approvals_project_request", args=[project.pk, "sign"]),
            {
                "sign-agreement_date": "2025-04-07",
                "sign-comment": "见协议",
                "sign-attachments": agreement,
            },
            follow=True,
        )
        assert "已申请签约" in response.content.decode()
        attachment = project.stage_requests.get().attachments.get()
        assert attachment.name == "投资协议.pdf"

    def test_the_document_is_served_only_to_people_who_see_the_request(
        self, as_user, alice, charlie, project
    ):
        pending = workflow.request_transition(
            project,
            "sign",
            by=alice,
            attachments=[SimpleUploadedFile("现场照片.jpg", JPEG)],
            **SIGN,
        )
        url = reverse(
            "admin:approvals_stagerequest_attachment",
            args=[pending.pk, pending.attachments.get().pk],
        )
        response = as_user(alice).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == JPEG
        assert as_user(charlie).get(url).status_code in (302, 404)


class TestTheQueue:
    def test_the_admin_index_counts_the_requests_awaiting_the_supervisor(
        self, as_user, alice, bob, zone
    ):
        for _ in range(2):
            workflow.request_transition(
                ProjectFactory(zone=zone), "sign", by=alice, attachments=documents(), **SIGN
            )
        workflow.request_transition(
            ProjectFactory(zone=zone), "sign", by=bob, attachments=documents(), **SIGN
        )  # bob's own
        page = as_user(bob).get(reverse("admin:index")).content.decode()
        assert "有2项阶段变更申请待您审批" in page

    def test_officers_get_no_queue_on_the_index(self, as_user, alice, project):
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        assert (
            'id="awaiting-decisions"'
            not in as_user(alice).get(reverse("admin:index")).content.decode()
        )

    def test_the_queue_lists_what_awaits_the_supervisor(
        self, as_user, alice, bob, charlie, zone, other_project
    ):
        mine = workflow.request_transition(
            ProjectFactory(zone=zone), "sign", by=alice, attachments=documents(), **SIGN
        )
        workflow.request_transition(
            ProjectFactory(zone=zone), "sign", by=bob, attachments=documents(), **SIGN
        )
        workflow.request_transition(
            other_project, "sign", by=charlie, attachments=documents(), **SIGN
        )
        response = as_user(bob).get(REQUESTS, {"queue": "awaiting"})
        assert list(response.context["cl"].result_list) == [mine]

    def test_a_supervisor_approves_on_the_request_page(self, as_user, alice, bob, project):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        client = as_user(bob)
        page = client.get(request_url(pending)).content.decode()
        assert 'id="approve-request"' in page and "签约日期" in page and "2025-04-07" in page
        response = client.post(
            reverse("admin:approvals_stagerequest_decide", args=[pending.pk]),
            {"decision": "approve", "comment": "同意"},
            follow=True,
        )
        assert "已批准" in response.content.decode()
        project.refresh_from_db()
        assert project.stage == Stage.SIGNED

    def test_the_requester_sees_no_decision_buttons_and_cannot_post_one(
        self, as_user, bob, project
    ):
        pending = workflow.request_transition(
            project, "sign", by=bob, attachments=documents(), **SIGN
        )
        client = as_user(bob)
        page = client.get(request_url(pending)).content.decode()
        assert 'id="approve-request"' not in page and 'id="cancel-request"' in page
        response = client.post(
            reverse("admin:approvals_stagerequest_decide", args=[pending.pk]),
            {"decision": "approve"},
        )
        assert response.status_code == 403
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_the_officer_cancels_from_the_project_page(self, as_user, alice, project):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        client = as_user(alice)
        assert 'id="cancel-request"' in client.get(project_url(project)).content.decode()
        response = client.post(
            reverse("admin:approvals_stagerequest_cancel", args=[pending.pk]),
            {"next": project_url(project)},
            follow=True,
        )
        assert "申请已撤销" in response.content.decode()
        pending.refresh_from_db()
        assert pending.status == RequestStatus.CANCELLED


class TestADecisionIsChosenAndARejectionSaysWhy:
    def decide(self, client, pending, data):
        url = reverse("admin:approvals_stagerequest_decide", args=[pending.pk])
        return client.post(url, data, follow=True)

    @pytest.mark.parametrize("data", [{}, {"comment": "看看"}, {"decision": "maybe"}])
    def test_a_post_without_a_choice_is_refused_not_taken_as_rejection(
        self, as_user, alice, bob, project, data
    ):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        page = self.decide(as_user(bob), pending, data).content.decode()
        assert re.search(r'<li class="error[ "][^>]*>\s*<div[^>]*>\s*审批: ', page)
        pending.refresh_from_db()
        assert (pending.status, pending.decided_by) == (RequestStatus.PENDING, None)

    def test_a_rejection_without_a_reason_is_refused(self, as_user, alice, bob, project):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        page = self.decide(as_user(bob), pending, {"decision": "reject", "comment": "  "})
        assert "驳回须说明理由" in page.content.decode()
        pending.refresh_from_db()
        assert pending.status == RequestStatus.PENDING

    def test_a_rejection_with_a_reason_is_recorded(self, as_user, alice, bob, project):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        self.decide(as_user(bob), pending, {"decision": "reject", "comment": "协议未盖章"})
        pending.refresh_from_db()
        assert (pending.status, pending.decision_comment, pending.decided_by) == (
            RequestStatus.REJECTED,
            "协议未盖章",
            bob,
        )

    def test_the_service_itself_refuses_a_silent_rejection(self, alice, bob, project):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        with pytest.raises(TransitionRefused, match="驳回须说明理由"):
            workflow.decide(pending, by=bob, approve=False)
        pending.refresh_from_db()
        assert pending.status == RequestStatus.PENDING

    def test_rejecting_several_without_a_reason_asks_for_one(self, as_user, alice, bob, zone):
        pending = [
            workflow.request_transition(
                ProjectFactory(zone=zone), "sign", by=alice, attachments=documents(), **SIGN
            )
            for _ in range(2)
        ]
        data = {
            "action": "reject_selected",
            "_selected_action": [p.pk for p in pending],
            "apply": "1",
            "comment": "",
        }
        page = as_user(bob).post(REQUESTS, data).content.decode()
        assert "驳回须说明理由" in page
        assert set(StageRequest.objects.values_list("status", flat=True)) == {"pending"}
        page = as_user(bob).post(REQUESTS, {**data, "comment": "材料不全"}, follow=True)
        assert set(StageRequest.objects.values_list("status", flat=True)) == {"rejected"}


class TestDecidingSeveral:
    def test_each_is_checked_on_its_own_and_failures_say_why(
        self, as_user, alice, bob, zone, charlie, other_project
    ):
        good = workflow.request_transition(
            ProjectFactory(zone=zone, name="甲项目"),
            "sign",
            by=alice,
            attachments=documents(),
            **SIGN,
        )
        own = workflow.request_transition(
            ProjectFactory(zone=zone, name="乙项目"),
            "sign",
            by=bob,
            attachments=documents(),
            **SIGN,
        )
        gone = workflow.request_transition(
            ProjectFactory(zone=zone, name="丙项目"),
            "sign",
            by=alice,
            attachments=documents(),
            **SIGN,
        )
        workflow.cancel_request(gone, by=alice)
        client = as_user(bob)
        selected = [good.pk, own.pk, gone.pk]

        confirm = client.post(
            REQUESTS, {"action": "approve_selected", "_selected_action": selected}
        )
        assert "每项申请单独审核" in confirm.content.decode()
        response = client.post(
            REQUESTS,
            {
                "action": "approve_selected",
                "_selected_action": selected,
                "apply": "1",
                "comment": "批量同意",
            },
            follow=True,
        )
        page = response.content.decode()
        assert "已审批1项申请" in page
        assert "未能审批：乙项目 · 签约 —— 任何人不得审批自己提交的申请。" in page
        assert "未能审批：丙项目 · 签约 —— 该申请已不在待审批状态" in page
        statuses = dict(StageRequest.objects.filter(pk__in=selected).values_list("pk", "status"))
        assert statuses == {good.pk: "approved", own.pk: "pending", gone.pk: "cancelled"}

    def test_officers_have_no_decision_actions(self, as_user, alice, project):
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        response = as_user(alice).get(REQUESTS)
        form = response.context["action_form"]
        actions = dict(form.fields["action"].choices) if form else {}
        assert "approve_selected" not in actions and "reject_selected" not in actions


class TestNoBackDoors:
    def test_the_history_shows_field_changes(self, as_user, alice, bob, project):
        from tests.admin_helpers import change_form_data
        from tests.flows import move

        client = as_user(alice)
        client.post(
            reverse("admin:approvals_project_change", args=[project.pk]),
            change_form_data(client, project_url(project), progress="已完成土地摘牌"),
        )
        move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        page = client.get(
            reverse("admin:approvals_project_history", args=[project.pk])
        ).content.decode()
        assert "已完成土地摘牌" in page
        assert "<td>艾丽（alice）</td>" in page and "<td>鲍勃（bob）</td>" in page

    def test_an_old_version_cannot_be_saved_back(self, as_user, alice, bob, superuser, project):
        from tests.flows import move

        first = project.history.earliest("history_date")
        move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        url = reverse("admin:approvals_project_simple_history", args=[project.pk, first.history_id])
        client = as_user(superuser)
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": project.name, "_save": "1"}).status_code == 403
        project.refresh_from_db()
        assert project.stage == Stage.SIGNED

    def test_a_hand_made_bulk_edit_of_the_list_changes_no_stage(self, as_user, superuser, project):
        client = as_user(superuser)
        client.post(
            reverse("admin:approvals_project_changelist"),
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": project.pk,
                "form-0-stage": Stage.AT_CAPACITY,
                "_save": "1",
            },
        )
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE


@pytest.mark.parametrize(
    "url",
    [REQUESTS, reverse("admin:approvals_stagechange_changelist")],
    ids=["requests", "stage changes"],
)
def test_the_request_and_audit_lists_run_the_same_queries_for_few_rows_as_for_many(
    as_user, alice, bob, zone, url
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.flows import move

    client = as_user(bob)

    def queries_with(projects: int) -> int:
        for _ in range(projects):
            project = ProjectFactory(zone=zone)
            move(project, "sign", officer=alice, supervisor=bob, **SIGN)
            workflow.request_transition(project, "suspend", by=alice, reason="资金未到位")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries_with(2) == queries_with(20)


def test_a_next_address_off_the_site_is_not_followed(as_user, alice, project):
    pending = workflow.request_transition(
        project, "sign", by=alice, attachments=documents(), **SIGN
    )
    response = as_user(alice).post(
        reverse("admin:approvals_stagerequest_cancel", args=[pending.pk]),
        {"next": "//evil.example/x"},
    )
    assert response["Location"] == request_url(pending)


def test_projects_and_items_cannot_be_deleted_in_the_admin(as_user, superuser, project):
    from approvals.checklist.services import checklist_generate

    checklist_generate(project=project, by=superuser)
    client = as_user(superuser)
    delete = reverse("admin:approvals_project_delete", args=[project.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    item = project.approval_items.first()
    delete_item = reverse("admin:approvals_approvalitem_delete", args=[item.pk])
    assert client.post(delete_item, {"post": "yes"}).status_code == 403
    assert project.approval_items.count() == 21
