"""Rounds as events, the decision side (guide section 12): a stage request opened by a 三个一批
list is decided by the zone's supervisors like any request, and its approval catches the
project up to the stage the list names, each stage passed recorded, the gates that did not hold
recorded instead of refusing, and the compliance flag 开工时前期手续未办结 set when works
started before the permits."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.urls import reverse

from approvals.cases import compliance
from approvals.cases.case_file import case_file
from approvals.checklist.services import checklist_generate
from approvals.models import (
    ImportKind,
    Milestone,
    Mode,
    Project,
    RequestStatus,
    SpreadsheetImport,
    Stage,
    StageChange,
    StageRequest,
    TransitionRefused,
)
from approvals.spreadsheets import imports
from approvals.stages import workflow
from tests.factories import ListRequestFactory, ProjectFactory, ZoneRoleFactory
from tests.figures.test_dashboard import tile
from tests.flows import administrator, move
from tests.project_lists import ROUND_1, received, row, workbook
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

    def test_nobody_asks_for_or_runs_the_catch_up_by_hand(self, signed, alice, bob):
        with pytest.raises(TransitionRefused):
            workflow.request_transition(signed, "catch_up", by=alice)
        with pytest.raises(TransitionRefused):
            workflow.run_transition(signed, "catch_up", by=bob)
        assert Project.objects.get(pk=signed.pk).stage == Stage.SIGNED

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


class TestCreatedByAList:
    def test_a_past_start_round_flags_the_caught_up_project_and_none_it_created(
        self, signed, stan, bob
    ):
        """Importing a past 开工一批 round creates its new projects at 已开工 without a flag,
        though nothing of their checklist is settled; the stored project it catches up over a
        failed gate is flagged (guide section 12: the flag is set only by a catch-up)."""
        data = workbook(
            row(1, "甲新建开工项目", category="开工"),
            row(2, "乙新建开工项目", category="开工"),
            row(3, signed.name, enterprise="", category="开工"),
        )
        report = imports.apply(received(data, by=stan, spec=ROUND_1), data)
        assert report.applied
        created = Project.objects.filter(name__in=["甲新建开工项目", "乙新建开工项目"])
        checklist_generate(project=created.get(name="乙新建开工项目"), by=administrator())
        (listed,) = StageRequest.objects.filter(kind="list", status=RequestStatus.PENDING)
        assert listed.project_id == signed.pk

        workflow.decide(listed, by=bob, approve=True)

        fresh = {p.name: p for p in Project.objects.filter(zone=signed.zone)}
        for name in ("甲新建开工项目", "乙新建开工项目"):
            project = fresh[name]
            assert project.stage == Stage.UNDER_CONSTRUCTION
            assert compliance.starts_before_permits(project)  # no checklist, or items open
            assert project.started_before_permits_on is None
            assert not compliance.flagged(project)
        caught_up = fresh[signed.name]
        assert caught_up.stage == Stage.UNDER_CONSTRUCTION
        assert caught_up.started_before_permits_on == TODAY
        assert list(compliance.flagged_projects().values_list("pk", flat=True)) == [signed.pk]


PROJECTS = reverse("admin:approvals_project_changelist")


def project_page(client, project) -> str:
    response = client.get(reverse("admin:approvals_project_change", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


def compliance_note(html: str) -> str:
    found = re.search(r'<p id="case-compliance"[^>]*>(.*?)</p>', html, re.S)
    assert found, "no compliance flag on the case file"
    return found.group(1)


def listed(client, **query) -> str:
    return client.get(PROJECTS, query).content.decode()


class TestTheFlag:
    def test_the_supervisor_sees_it_the_list_finds_it_the_dashboard_counts_it(
        self, signed, stan, bob, zone, as_user
    ):
        open_items = signed.start_blockers().count()
        unflagged = ProjectFactory(zone=zone, name="未补录的项目")
        workflow.decide(ListRequestFactory(project=signed, requested_by=stan), by=bob, approve=True)
        client = as_user(bob)

        history = client.get(  # the stage history's tab, fetched when opened
            reverse("admin:approvals_project_change", args=[signed.pk]), {"case_tab": "records"}
        ).content.decode()
        assert "据清单补录" in history and "开工时仍有" in history  # the stage history
        assert compliance_note(project_page(client, signed)) == (
            f"⚠ 开工时前期手续未办结（2025年6月10日 补录开工时 {open_items} 项未办结；"
            f"仍有 {open_items} 项未办结）"
        )
        assert "case-compliance" not in project_page(client, unflagged)
        flagged_list = listed(client, compliance="started_before_permits")
        assert signed.name in flagged_list
        assert unflagged.name not in flagged_list
        assert signed.name in listed(client, compliance="still_open")
        assert signed.name not in listed(client, compliance="settled_since")
        html = client.get(reverse("admin:index")).content.decode()
        assert tile(html, "started_before_permits") == "1 个"
        link = re.search(r'id="tile-started_before_permits" href="([^"]+)"', html).group(1)
        assert signed.name in client.get(link.replace("&amp;", "&")).content.decode()

    def test_settled_later_it_keeps_the_flag_and_the_case_file_says_settled(
        self, signed, stan, bob, alice, as_user
    ):
        open_items = signed.start_blockers().count()
        workflow.decide(ListRequestFactory(project=signed, requested_by=stan), by=bob, approve=True)

        for item in signed.start_blockers():
            workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason="本项目不涉及")

        project = Project.objects.get(pk=signed.pk)
        assert project.started_before_permits_on == TODAY  # a historical fact: kept
        flag = case_file(project).started_before_permits
        assert (flag.open_then, flag.open_now, flag.settled) == (open_items, 0, True)
        client = as_user(bob)
        assert compliance_note(project_page(client, project)) == (
            f"⚠ 开工时前期手续未办结（2025年6月10日 补录开工时 {open_items} 项未办结；现已全部办结）"
        )
        assert project.name in listed(client, compliance="started_before_permits")
        assert project.name in listed(client, compliance="settled_since")
        assert project.name not in listed(client, compliance="still_open")


REQUESTS = reverse("admin:approvals_stagerequest_changelist")


@pytest.fixture
def the_list(stan, settings, tmp_path):
    """The list the import read, kept with its record."""
    settings.MEDIA_ROOT = tmp_path / "media"
    record = SpreadsheetImport(
        token="l" * 32, kind=ImportKind.PROJECT_LIST, file_name="第1批三个一批.xlsx", by=stan
    )
    record.file.save("list.xlsx", ContentFile(b"the list's bytes"), save=False)
    record.save()
    return record


def from_list_block(html: str, stage_request) -> str:
    found = re.search(
        rf'<div class="from-list[^"]*" id="from-list-{stage_request.pk}">(.*?)</div>', html, re.S
    )
    assert found, "the request is not shown as from a list"
    return re.sub(r"\s+", " ", found.group(1))


class TestTheDecisionPages:
    def test_the_request_page_says_where_it_came_from_and_what_approval_records(
        self, project, alice, bob, stan, charlie, the_list, as_user
    ):
        move(project, "sign", officer=alice, supervisor=bob, agreement_date=dt.date(2025, 3, 1))
        listed = ListRequestFactory(project=project, requested_by=stan, spreadsheet_import=the_list)
        client = as_user(bob)

        html = client.get(reverse("admin:approvals_stagerequest_change", args=[listed.pk]))
        block = from_list_block(html.content.decode(), listed)

        assert "来自清单" in block
        assert "2025年第1批 · 开工一批" in block
        assert "第2批三个一批.xlsx 开工 第5行" in block
        assert "2025-04-07" in block
        assert "批准后将记录：无审批清单；开工时前期手续未办结" in block
        download = reverse("admin:approvals_stagerequest_list_file", args=[listed.pk])
        assert f'href="{download}">第1批三个一批.xlsx</a>' in block
        response = client.get(download)
        assert b"".join(response.streaming_content) == b"the list's bytes"
        assert as_user(charlie).get(download).status_code == 404  # another zone's request

    def test_the_bulk_page_shows_each_request_from_a_list(
        self, zone, project, alice, bob, stan, as_user
    ):
        move(project, "sign", officer=alice, supervisor=bob, agreement_date=dt.date(2025, 3, 1))
        no_enterprise = ProjectFactory(zone=zone, enterprise=None)
        starting = ListRequestFactory(project=project, requested_by=stan)
        signing = ListRequestFactory(project=no_enterprise, target=Stage.SIGNED, requested_by=stan)

        page = as_user(bob).post(
            REQUESTS,
            {"action": "approve_selected", "_selected_action": [starting.pk, signing.pk]},
        )

        html = page.content.decode()
        assert "批准后将记录：无审批清单；开工时前期手续未办结" in from_list_block(html, starting)
        block = from_list_block(html, signing)
        assert "签约一批" in block
        assert "批准后将记录：无投资主体" in block
