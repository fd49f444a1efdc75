"""The documents a stage change needs (guide section 12, issue 19): kept by the administrators
per change (the agreement for 签约, the construction permit or a site photo for 开工, a production
photo for 投产); a request asked by hand without them is refused, naming what is missing, unless
the officer says why they are missing (容缺), which the supervisor reads on the request page and
on the page deciding several at once, beside each request's dates and documents."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    EvidenceRequirement,
    Mode,
    Project,
    RequestAttachment,
    RequestStatus,
    Stage,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory, administrator
from tests.flows import PDF, document, documents
from zones.models import AdminRole

BEIJING = ZoneInfo("Asia/Shanghai")
PRODUCTION = {"production_date": dt.date(2025, 5, 20)}
SIGN = {"agreement_date": dt.date(2025, 4, 7)}
REQUESTS = reverse("admin:approvals_stagerequest_changelist")
#: What 投产 needs, as migration 0031 writes it, and the refusal that names it.
PHOTO = "生产线运行照片或试生产报告"
REFUSED = f"“投产”须附材料：{PHOTO}。请上传材料，或填写容缺理由。"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def building(zone):
    """A project under construction, its production about to start."""
    return ProjectFactory(
        zone=zone, name="年产10万吨锂电正极材料项目", stage=Stage.UNDER_CONSTRUCTION
    )


def project_page(client, project) -> str:
    return client.get(reverse("admin:approvals_project_change", args=[project.pk])).content.decode()


def request_page(client, stage_request) -> str:
    url = reverse("admin:approvals_stagerequest_change", args=[stage_request.pk])
    return client.get(url).content.decode()


class TestTheRule:
    def test_a_request_without_the_document_is_refused_naming_it(self, alice, building):
        with pytest.raises(TransitionRefused) as refused:
            workflow.request_transition(building, "start_production", by=alice, **PRODUCTION)
        assert refused.value.reasons == [REFUSED]
        assert not StageRequest.objects.exists()
        assert Project.objects.get(pk=building.pk).stage == Stage.UNDER_CONSTRUCTION

    def test_with_the_document_it_is_asked(self, alice, building):
        asked = workflow.request_transition(
            building,
            "start_production",
            by=alice,
            attachments=documents("试生产报告.pdf"),
            **PRODUCTION,
        )
        stored = StageRequest.objects.get(pk=asked.pk)
        assert (stored.status, stored.documents_missing_reason) == (RequestStatus.PENDING, "")
        assert [a.name for a in stored.attachments.all()] == ["试生产报告.pdf"]

    def test_with_a_reason_it_is_asked_and_the_supervisor_reads_the_reason(
        self, as_user, alice, bob, building
    ):
        asked = workflow.request_transition(
            building,
            "start_production",
            by=alice,
            documents_missing_reason="照片由企业三日内补交",
            **PRODUCTION,
        )
        stored = StageRequest.objects.get(pk=asked.pk)
        assert stored.documents_missing_reason == "照片由企业三日内补交"
        assert not stored.attachments.exists()
        client = as_user(bob)
        assert "照片由企业三日内补交" in request_page(client, stored)
        pending = re.search(
            r'id="pending-missing-reason">(.*?)</div>', project_page(client, building)
        )
        assert (
            pending
            and "容缺理由" in pending.group(1)
            and "照片由企业三日内补交" in pending.group(1)
        )
        workflow.decide(stored, by=bob, approve=True)  # the supervisor's call, having read it
        assert Project.objects.get(pk=building.pk).stage == Stage.IN_PRODUCTION

    def test_a_reason_of_blanks_is_no_reason(self, alice, building):
        with pytest.raises(TransitionRefused) as refused:
            workflow.request_transition(
                building,
                "start_production",
                by=alice,
                documents_missing_reason=" \n ",
                **PRODUCTION,
            )
        assert refused.value.reasons == [REFUSED]

    def test_a_change_that_needs_no_document_goes_without(self, alice, building):
        asked = workflow.request_transition(building, "suspend", by=alice, reason="资金未到位")
        assert StageRequest.objects.get(pk=asked.pk).is_pending


#: The defaults migration 0031 writes (guide section 12): the changes a hand request may not go
#: without a document for, and what each needs.
DEFAULTS = {
    "sign": "签订的投资协议",
    "start_works": "施工许可证或开工现场照片",
    "start_production": PHOTO,
}
#: Per change: the stage it is asked from, its evidence, its name in a refusal, its target.
ASKED = {
    "sign": (Stage.RESERVE, SIGN, "签约", Stage.SIGNED),
    "start_works": (
        Stage.READY,
        {"start_date": dt.date(2025, 6, 1)},
        "开工",
        Stage.UNDER_CONSTRUCTION,
    ),
}
JUNE = dt.datetime(2025, 6, 11, 10, 0, tzinfo=BEIJING)


class TestTheDefaults:
    def test_the_migration_requires_the_agreement_the_permit_or_photo_and_the_production_photo(
        self, db
    ):
        required = dict(
            EvidenceRequirement.objects.filter(required=True).values_list("transition", "documents")
        )
        assert required == DEFAULTS
        for transition, needed in DEFAULTS.items():
            assert EvidenceRequirement.objects.documents_needed(transition) == needed
        for transition in ("mark_ready", "reach_capacity", "suspend", "resume", "withdraw"):
            assert EvidenceRequirement.objects.documents_needed(transition) == ""

    @pytest.mark.parametrize("transition", ["start_works", "sign"])
    def test_a_request_by_hand_without_a_document_is_refused_naming_it(
        self, alice, zone, transition
    ):
        stage, evidence, label, _target = ASKED[transition]
        project = ProjectFactory(zone=zone, stage=stage)
        with time_machine.travel(JUNE, tick=False), pytest.raises(TransitionRefused) as refused:
            workflow.request_transition(project, transition, by=alice, **evidence)
        assert refused.value.reasons == [
            f"“{label}”须附材料：{DEFAULTS[transition]}。请上传材料，或填写容缺理由。"
        ]
        assert not StageRequest.objects.exists()
        assert Project.objects.get(pk=project.pk).stage == stage

    @pytest.mark.parametrize("transition", ["start_works", "sign"])
    def test_with_a_reason_it_is_accepted_and_approved(self, alice, bob, zone, transition):
        stage, evidence, _label, target = ASKED[transition]
        project = ProjectFactory(zone=zone, stage=stage)
        with time_machine.travel(JUNE, tick=False):
            asked = workflow.request_transition(
                project,
                transition,
                by=alice,
                documents_missing_reason="材料由企业三日内补交",
                **evidence,
            )
            stored = StageRequest.objects.get(pk=asked.pk)
            assert (stored.status, stored.transition, stored.documents_missing_reason) == (
                RequestStatus.PENDING,
                transition,
                "材料由企业三日内补交",
            )
            assert not stored.attachments.exists()
            workflow.decide(stored, by=bob, approve=True)
        assert Project.objects.get(pk=project.pk).stage == target
        assert StageRequest.objects.get(pk=asked.pk).status == RequestStatus.APPROVED


class TestTheConfiguration:
    def test_what_the_administrator_keeps_is_what_the_rule_reads(self, as_user, alice, zone):
        client = as_user(administrator("keeper", AdminRole.SYSTEM))
        sign = EvidenceRequirement.objects.get(transition="sign")
        capacity = EvidenceRequirement.objects.get(transition="reach_capacity")
        change = "admin:approvals_evidencerequirement_change"
        response = client.post(reverse(change, args=[sign.pk]), {"documents": sign.documents})
        assert response.status_code == 302  # "required" unticked
        response = client.post(
            reverse(change, args=[capacity.pk]), {"documents": "近12个月纳税证明", "required": "on"}
        )
        assert response.status_code == 302
        assert EvidenceRequirement.objects.get(pk=sign.pk).required is False
        assert EvidenceRequirement.objects.get(pk=capacity.pk).required is True

        reserve = ProjectFactory(zone=zone)
        workflow.request_transition(reserve, "sign", by=alice, **SIGN)  # no longer needed
        producing = ProjectFactory(
            zone=zone, stage=Stage.IN_PRODUCTION, expected_annual_output=10000
        )
        with pytest.raises(TransitionRefused) as refused:
            workflow.request_transition(
                producing,
                "reach_capacity",
                by=alice,
                capacity_date=dt.date(2025, 5, 31),
                actual_annual_output=9800,
            )
        assert refused.value.reasons == [
            "“达产达效”须附材料：近12个月纳税证明。请上传材料，或填写容缺理由。"
        ]

    def test_a_required_change_names_its_documents(self, as_user, db):
        client = as_user(administrator("keeper", AdminRole.SYSTEM))
        resume = EvidenceRequirement.objects.get(transition="resume")
        url = reverse("admin:approvals_evidencerequirement_change", args=[resume.pk])
        response = client.post(url, {"documents": "", "required": "on"})
        assert response.status_code == 200 and "请写明所需材料" in response.content.decode()
        assert EvidenceRequirement.objects.get(pk=resume.pk).required is False

    def test_only_the_system_administrator_keeps_it(self, as_user, bob):
        sign = EvidenceRequirement.objects.get(transition="sign")
        url = reverse("admin:approvals_evidencerequirement_change", args=[sign.pk])
        response = as_user(bob).post(url, {"documents": "随便", "required": ""})
        assert response.status_code == 403
        assert EvidenceRequirement.objects.get(pk=sign.pk).required is True


class TestTheRequestForm:
    def test_it_says_what_is_required_and_asks_for_a_reason_only_there(
        self, as_user, alice, building
    ):
        page = project_page(as_user(alice), building)
        needs = re.search(r'id="needs-start_production">(.*?)</p>', page, re.S).group(1)
        assert "需附材料（必须提供）" in needs and PHOTO in needs
        assert 'name="start_production-documents_missing_reason"' in page
        assert 'name="suspend-documents_missing_reason"' not in page  # nothing required there

    def test_without_the_document_the_page_refuses_and_says_why(self, as_user, alice, building):
        url = reverse("admin:approvals_project_request", args=[building.pk, "start_production"])
        response = as_user(alice).post(
            url, {"start_production-production_date": "2025-05-20"}, follow=True
        )
        assert REFUSED in response.content.decode()
        assert not StageRequest.objects.exists()

    def test_a_reason_given_on_the_page_is_kept(self, as_user, alice, building):
        url = reverse("admin:approvals_project_request", args=[building.pk, "start_production"])
        as_user(alice).post(
            url,
            {
                "start_production-production_date": "2025-05-20",
                "start_production-documents_missing_reason": "企业照片尚未提供",
            },
        )
        assert StageRequest.objects.get().documents_missing_reason == "企业照片尚未提供"


class TestDecidingSeveral:
    def test_the_page_shows_each_requests_dates_documents_and_reason(
        self, as_user, alice, bob, zone, building
    ):
        with time_machine.travel(dt.datetime(2025, 6, 11, 10, 5, tzinfo=BEIJING), tick=False):
            signing = workflow.request_transition(
                ProjectFactory(zone=zone, name="甲项目"),
                "sign",
                by=alice,
                attachments=[document("投资协议.pdf"), document("补充协议.pdf")],
                **SIGN,
            )
        without = workflow.request_transition(
            building,
            "start_production",
            by=alice,
            documents_missing_reason="照片待补",
            **PRODUCTION,
        )
        client = as_user(bob)
        page = client.post(
            REQUESTS, {"action": "approve_selected", "_selected_action": [signing.pk, without.pk]}
        ).content.decode()
        first = re.search(rf'id="request-{signing.pk}">(.*?)</li>', page, re.S).group(1)
        assert "申请时间</strong>：2025-06-11 10:05" in first
        assert "签约日期</strong>：2025-04-07" in first
        links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', first)
        assert [name for _, name in links] == ["投资协议.pdf", "补充协议.pdf"]
        for url, _ in links:
            response = client.get(url)
            assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        second = re.search(rf'id="request-{without.pk}">(.*?)</li>', page, re.S).group(1)
        assert "实际投产日期</strong>：2025-05-20" in second
        assert "佐证材料</strong>：—" in second
        assert "容缺理由</strong>：照片待补" in second

    def test_it_sends_as_many_queries_for_three_requests_as_for_twelve(
        self, as_user, alice, bob, zone, catalogue
    ):
        client = as_user(bob)
        settled_kind = ApprovalType.objects.filter(before_works=True).first()

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            for n in range(count):
                if n % 2:  # a mark-ready request: what it rests on is read for it
                    project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
                    ApprovalItem.objects.create(
                        project=project, approval_type=settled_kind, mode=Mode.COMMITMENT
                    )
                    StageRequest.objects.create(
                        project=project, transition="mark_ready", requested_by=alice
                    )
                    continue
                asked = StageRequest.objects.create(
                    project=ProjectFactory(zone=zone),
                    transition="sign",
                    requested_by=alice,
                    evidence={"agreement_date": "2025-04-07"},
                )
                for name in ("投资协议.pdf", "补充协议.pdf"):
                    RequestAttachment.objects.create(
                        request=asked, name=name, file=ContentFile(PDF, name=name)
                    )
            selected = list(StageRequest.objects.values_list("pk", flat=True))
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    REQUESTS, {"action": "approve_selected", "_selected_action": selected}
                )
            assert len(response.context["requests"]) == count
            return len(captured)

        assert queries_for(3) == queries_for(12)
