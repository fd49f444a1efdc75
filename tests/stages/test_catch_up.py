"""Rounds as events, the decision side (guide section 12): a stage request opened by a 三个一批
list is decided by the zone's supervisors like any request, and its approval catches the
project up to the stage the list names, each stage passed recorded, the gates that did not hold
recorded instead of refusing, and the compliance flag 开工时前期手续未办结 set when works
started before the permits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from approvals.checklist.services import checklist_generate
from approvals.models import (
    Milestone,
    Project,
    RequestStatus,
    Stage,
    StageChange,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ListRequestFactory, ProjectFactory, ZoneRoleFactory
from tests.flows import administrator, move
from zones.models import Role

EVENT = dt.date(2025, 4, 7)  # the round's event date (BatchFactory)
TODAY = dt.date(2025, 6, 10)  # the day the supervisor decides (the catch-up day)
NOW = dt.datetime(2025, 6, 10, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed(project, alice, bob):
    """大恒 signed by hand on 1 March, its checklist generated: before-works items open."""
    move(project, "sign", officer=alice, supervisor=bob, agreement_date=dt.date(2025, 3, 1))
    checklist_generate(project=project, by=administrator())
    assert project.start_blockers().exists()
    return project


def changes_of(stage_request: StageRequest) -> list[StageChange]:
    return list(StageChange.objects.filter(request=stage_request).order_by("at", "pk"))


def milestone(project: Project, stage: str) -> Milestone | None:
    return Milestone.objects.filter(project=project, stage=stage).first()


class TestTheCatchUp:
    def test_signed_to_under_construction_passes_ready_and_records_each_change(
        self, signed, stan, bob
    ):
        open_items = signed.start_blockers().count()
        listed = ListRequestFactory(project=signed, requested_by=stan)

        workflow.decide(listed, by=bob, approve=True, comment="按第2批清单补录")

        project = Project.objects.get(pk=signed.pk)
        assert project.stage == Stage.UNDER_CONSTRUCTION
        ready, started = changes_of(listed)
        assert (ready.source, ready.target) == (Stage.SIGNED, Stage.READY)
        assert (started.source, started.target) == (Stage.READY, Stage.UNDER_CONSTRUCTION)
        for change in (ready, started):
            assert (change.by, change.at, change.comment) == (bob, NOW, "按第2批清单补录")
            assert change.transition == "catch_up"
        # the gates of 具备开工条件 that did not hold, recorded on the change they concerned
        assert [g["gate"] for g in ready.gates_not_held] == ["start_approvals_settled"]
        assert started.gates_not_held == [
            {
                "gate": "started_before_permits",
                "message": f"开工时仍有 {open_items} 项开工前审批事项未办结。",
                "open_items": open_items,
            }
        ]
        # ready passed without a date, works started on the event date
        assert milestone(project, Stage.READY) is None
        assert milestone(project, Stage.UNDER_CONSTRUCTION).actual_date == EVENT
        assert project.started_before_permits_on == TODAY
        listed.refresh_from_db()
        assert (listed.status, listed.decided_by) == (RequestStatus.APPROVED, bob)

    def test_reserve_to_signed_without_an_enterprise_records_the_gate(self, zone, stan, bob):
        project = ProjectFactory(zone=zone, enterprise=None)
        listed = ListRequestFactory(project=project, target=Stage.SIGNED, requested_by=stan)

        workflow.decide(listed, by=bob, approve=True)

        project.refresh_from_db()
        assert project.stage == Stage.SIGNED
        (signing,) = changes_of(listed)
        assert signing.gates_not_held == [
            {"gate": "has_enterprise", "message": "未记录项目单位（投资主体）。"}
        ]
        assert milestone(project, Stage.SIGNED).actual_date == EVENT
        assert project.started_before_permits_on is None  # no works started

    def test_a_start_with_every_item_settled_is_not_flagged(self, signed, stan, bob):
        signed.approval_items.update(mode="commitment")
        listed = ListRequestFactory(project=signed, requested_by=stan)

        workflow.decide(listed, by=bob, approve=True)

        project = Project.objects.get(pk=signed.pk)
        assert project.stage == Stage.UNDER_CONSTRUCTION
        assert [c.gates_not_held for c in changes_of(listed)] == [[], []]
        assert project.started_before_permits_on is None

    def test_a_start_without_a_checklist_is_flagged(self, project, alice, bob, stan):
        move(project, "sign", officer=alice, supervisor=bob, agreement_date=dt.date(2025, 3, 1))
        listed = ListRequestFactory(project=project, requested_by=stan)

        workflow.decide(listed, by=bob, approve=True)

        project.refresh_from_db()
        ready, started = changes_of(listed)
        assert [g["gate"] for g in ready.gates_not_held] == ["has_checklist"]
        assert started.gates_not_held[0]["open_items"] is None
        assert project.started_before_permits_on == TODAY


class TestWhoDecides:
    def test_the_importer_cannot_decide_its_own_list_request(self, signed, zone):
        importer = ZoneRoleFactory(zone=zone, role=Role.SUPERVISOR).user  # a supervisor imported
        listed = ListRequestFactory(project=signed, requested_by=importer)

        with pytest.raises(PermissionDenied):
            workflow.decide(listed, by=importer, approve=True)

        assert Project.objects.get(pk=signed.pk).stage == Stage.SIGNED
        assert StageRequest.objects.get(pk=listed.pk).status == RequestStatus.PENDING

    def test_the_statistician_who_imported_may_not_ask_by_hand_nor_decide(self, signed, stan):
        listed = ListRequestFactory(project=signed, requested_by=stan)
        with pytest.raises(PermissionDenied):
            workflow.request_transition(signed, "mark_ready", by=stan)
        with pytest.raises(PermissionDenied):
            workflow.decide(listed, by=stan, approve=True)

    def test_several_are_approved_at_once(self, zone, stan, bob):
        projects = [ProjectFactory(zone=zone, enterprise=None) for _ in range(3)]
        requests = [
            ListRequestFactory(project=p, target=Stage.SIGNED, requested_by=stan) for p in projects
        ]

        decisions = workflow.decide_many(requests, by=bob, approve=True, comment="批量补录")

        assert [d.done for d in decisions] == [True, True, True]
        for project, listed in zip(projects, requests, strict=True):
            project.refresh_from_db()
            assert project.stage == Stage.SIGNED
            (signing,) = changes_of(listed)
            assert (signing.by, signing.transition, signing.comment) == (
                bob,
                "catch_up",
                "批量补录",
            )
            assert [g["gate"] for g in signing.gates_not_held] == ["has_enterprise"]
            assert milestone(project, Stage.SIGNED).actual_date == EVENT


class TestRefusals:
    def test_a_rejection_needs_a_reason_and_a_rejected_one_stays_rejected(self, signed, stan, bob):
        listed = ListRequestFactory(project=signed, requested_by=stan)
        with pytest.raises(TransitionRefused):
            workflow.decide(listed, by=bob, approve=False)

        workflow.decide(listed, by=bob, approve=False, comment="开工时间有误，请核实")
        with pytest.raises(TransitionRefused):
            workflow.decide(listed, by=bob, approve=True)

        listed.refresh_from_db()
        assert (listed.status, listed.decision_comment) == (
            RequestStatus.REJECTED,
            "开工时间有误，请核实",
        )
        project = Project.objects.get(pk=signed.pk)
        assert (project.stage, project.started_before_permits_on) == (Stage.SIGNED, None)
        assert not StageChange.objects.filter(request=listed).exists()

    def test_a_project_that_moved_past_the_target_meanwhile_is_not_changed(
        self, signed, alice, bob, stan
    ):
        """Refused, nothing changes, the request stays open for a rejection with a reason."""
        signed.approval_items.update(mode="commitment")
        move(signed, "mark_ready", officer=alice, supervisor=bob)  # by hand, after the import
        listed = ListRequestFactory(project=signed, target=Stage.SIGNED, requested_by=stan)
        before = StageChange.objects.filter(project=signed).count()

        with pytest.raises(TransitionRefused, match="已处于“具备开工条件”"):
            workflow.decide(listed, by=bob, approve=True)

        project = Project.objects.get(pk=signed.pk)
        assert project.stage == Stage.READY
        assert StageChange.objects.filter(project=signed).count() == before
        assert StageRequest.objects.get(pk=listed.pk).status == RequestStatus.PENDING
        assert milestone(project, Stage.SIGNED).actual_date == dt.date(2025, 3, 1)
