"""The approval checklist of domain guide section 5: generation from the catalogue, the item
status machine, deadlines, colours, and the ready-to-start gate."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from approvals.cases.colours import Colour, ItemColours
from approvals.checklist.services import checklist_generate, proposed_mode
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Authorisation,
    CalendarDay,
    ItemStatus,
    ItemStatusChange,
    Mode,
    Project,
    Stage,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory
from tests.flows import administrator, move

D = dt.date


def item(project, code: str) -> ApprovalItem:
    return project.approval_items.get(approval_type__code=code)


def modes(project) -> dict[str, str]:
    return dict(project.approval_items.values_list("approval_type__code", "mode"))


@pytest.fixture
def checklist(project):
    checklist_generate(project=project, by=administrator())
    return project


class TestTheCatalogue:
    def test_a_new_database_has_the_21_items_of_the_guide(self, db):
        assert ApprovalType.objects.count() == 21
        hp03 = ApprovalType.objects.get(code="HP03")
        assert (hp03.name, hp03.agency, hp03.default_mode, hp03.time_limit, hp03.extension) == (
            "水土保持方案",
            "水利局",
            Mode.COMMITMENT,
            10,
            10,
        )
        assert ApprovalType.objects.get(code="SG03").short_name_list() == ["施工许可", "施工许可证"]
        assert set(
            ApprovalType.objects.filter(before_works=False).values_list("code", flat=True)
        ) == {"JG01", "JG02", "TC01", "TC02"}


class TestGeneratingTheChecklist:
    def test_items_are_proposed_by_their_default_mode(self, checklist):
        proposed = modes(checklist)
        assert len(proposed) == 21
        assert proposed["LX01"] == Mode.APPROVAL
        assert proposed["LX02"] == Mode.NOT_APPLICABLE  # a filed (备案) project needs no 核准
        assert proposed["LX04"] == Mode.UNIFIED
        assert proposed["HP02"] == Mode.COMMITMENT
        assert all(i.status == ItemStatus.NOT_STARTED for i in checklist.approval_items.all())

    def test_an_approval_project_gets_lx02_as_an_approval(self, zone):
        project = ProjectFactory(zone=zone, authorisation=Authorisation.APPROVAL)
        checklist_generate(project=project, by=administrator())
        assert modes(project)["LX02"] == Mode.APPROVAL

    def test_the_commitment_system_turns_committable_items_into_commitments(self, zone):
        project = ProjectFactory(zone=zone, is_commitment=True)
        checklist_generate(project=project, by=administrator())
        proposed = modes(project)
        assert proposed["HP01"] == proposed["HP05"] == proposed["SG02"] == Mode.COMMITMENT
        assert proposed["LX03"] == proposed["SG03"] == Mode.APPROVAL  # land and permit stay
        assert proposed["LX04"] == Mode.UNIFIED

    def test_running_it_again_adds_nothing(self, checklist):
        again = checklist_generate(project=checklist, by=administrator())
        assert (again.created, again.kept) == ([], 21)
        assert checklist.approval_items.count() == 21

    def test_running_it_again_keeps_recorded_work(self, checklist, alice):
        hp01 = item(checklist, "HP01")
        hp01.mode = Mode.NOT_APPLICABLE
        hp01.save()
        lx03 = item(checklist, "LX03")
        workflow.run_transition(lx03, "start_preparing", by=alice)
        workflow.run_transition(lx03, "accept", by=alice, accepted_on=D(2025, 9, 26))
        item(checklist, "LX07").delete()

        again = checklist_generate(project=checklist, by=administrator())

        assert [i.approval_type.code for i in again.created] == ["LX07"]
        assert item(checklist, "HP01").mode == Mode.NOT_APPLICABLE
        lx03.refresh_from_db()
        assert (lx03.status, lx03.accepted_on) == (ItemStatus.ACCEPTED, D(2025, 9, 26))

    def test_a_retired_catalogue_entry_is_not_proposed(self, project):
        ApprovalType.objects.filter(code="TC02").update(is_active=False)
        checklist_generate(project=project, by=administrator())
        assert "TC02" not in modes(project)

    def test_proposal_follows_an_edited_catalogue(self, project):
        hp05 = ApprovalType.objects.get(code="HP05")
        hp05.default_mode = Mode.NOT_APPLICABLE
        assert proposed_mode(hp05, project) == Mode.NOT_APPLICABLE


EVIDENCE = {
    "start_preparing": {},
    "accept": {"accepted_on": D(2025, 9, 26)},
    "approve": {"approved_on": D(2025, 10, 20), "document_number": "晋环审〔2025〕12号"},
    "refuse": {"reason": "不符合产业政策"},
    "withdraw": {"reason": "企业调整方案"},
    "reapply": {},
}
LEGAL = {
    (ItemStatus.NOT_STARTED, "start_preparing"): ItemStatus.PREPARING,
    (ItemStatus.PREPARING, "accept"): ItemStatus.ACCEPTED,
    (ItemStatus.ACCEPTED, "approve"): ItemStatus.APPROVED,
    (ItemStatus.ACCEPTED, "refuse"): ItemStatus.REFUSED,
    (ItemStatus.PREPARING, "withdraw"): ItemStatus.WITHDRAWN,
    (ItemStatus.ACCEPTED, "withdraw"): ItemStatus.WITHDRAWN,
    (ItemStatus.REFUSED, "reapply"): ItemStatus.PREPARING,
    (ItemStatus.WITHDRAWN, "reapply"): ItemStatus.PREPARING,
}


def item_at(project, status: str, code: str = "HP01") -> ApprovalItem:
    """An approval-mode item at ``status``, built as the import of a portfolio would."""
    approval_type = ApprovalType.objects.get(code=code)
    accepted = {"accepted_on": D(2025, 9, 20)} if status in (ItemStatus.ACCEPTED,) else {}
    return ApprovalItem.objects.create(
        project=project, approval_type=approval_type, mode=Mode.APPROVAL, status=status, **accepted
    )


class TestTheItemStatusMachine:
    @pytest.mark.parametrize(("status", "name"), sorted(LEGAL, key=str))
    def test_a_legal_change_moves_the_item_and_records_who(self, project, alice, status, name):
        subject = item_at(project, status)
        workflow.run_transition(subject, name, by=alice, comment="窗口办理", **EVIDENCE[name])
        subject.refresh_from_db()
        assert subject.status == LEGAL[(status, name)]
        record = subject.status_changes.get(transition=name)
        assert (record.source, record.target, record.by, record.comment) == (
            status,
            LEGAL[(status, name)],
            alice,
            "窗口办理",
        )

    @pytest.mark.parametrize(
        ("status", "name"),
        [(s, n) for s in ItemStatus for n in EVIDENCE if (s, n) not in LEGAL],
        ids=str,
    )
    def test_an_illegal_change_is_refused_and_changes_nothing(self, project, alice, status, name):
        subject = item_at(project, status)
        with pytest.raises(TransitionRefused):
            workflow.run_transition(subject, name, by=alice, **EVIDENCE[name])
        subject.refresh_from_db()
        assert subject.status == status
        assert ItemStatusChange.objects.filter(item=subject).exclude(transition="").count() == 0

    def test_the_whole_path_to_approval_records_each_step(self, checklist, alice):
        lx08 = item(checklist, "LX08")
        for name in ["start_preparing", "accept", "approve"]:
            workflow.run_transition(lx08, name, by=alice, **EVIDENCE[name])
        assert (lx08.status, lx08.approved_on, lx08.document_number) == (
            ItemStatus.APPROVED,
            D(2025, 10, 20),
            "晋环审〔2025〕12号",
        )
        assert [c.transition for c in lx08.status_changes.order_by("at", "id")] == [
            "",
            "start_preparing",
            "accept",
            "approve",
        ]

    def test_a_committed_item_has_no_procedure_to_run(self, checklist, alice):
        hp02 = item(checklist, "HP02")
        with pytest.raises(TransitionRefused, match="已视为办结"):
            workflow.run_transition(hp02, "start_preparing", by=alice)
        assert ApprovalItem.objects.settled().filter(pk=hp02.pk).exists()

    def test_acceptance_needs_its_date_and_it_may_not_be_in_the_future(self, project, alice):
        subject = item_at(project, ItemStatus.PREPARING)
        with pytest.raises(TransitionRefused, match="受理日期"):
            workflow.run_transition(subject, "accept", by=alice)
        with pytest.raises(TransitionRefused, match="未来"):
            workflow.run_transition(
                subject, "accept", by=alice, accepted_on=dt.date.today() + dt.timedelta(days=3)
            )
        subject.refresh_from_db()
        assert subject.status == ItemStatus.PREPARING

    def test_provisional_acceptance_needs_the_date_missing_documents_are_due(self, project, alice):
        subject = item_at(project, ItemStatus.PREPARING)
        with pytest.raises(TransitionRefused, match="补齐材料"):
            workflow.run_transition(
                subject, "accept", by=alice, accepted_on=D(2025, 9, 26), is_provisional=True
            )
        workflow.run_transition(
            subject,
            "accept",
            by=alice,
            accepted_on=D(2025, 9, 26),
            is_provisional=True,
            supplement_due=D(2025, 10, 15),
        )
        assert (subject.is_provisional, subject.supplement_due) == (True, D(2025, 10, 15))

    def test_approval_needs_a_document_number_and_a_date_after_acceptance(self, project, alice):
        subject = item_at(project, ItemStatus.ACCEPTED)
        with pytest.raises(TransitionRefused, match="文号"):
            workflow.run_transition(subject, "approve", by=alice, approved_on=D(2025, 10, 1))
        with pytest.raises(TransitionRefused, match="早于受理日期"):
            workflow.run_transition(
                subject, "approve", by=alice, approved_on=D(2025, 9, 1), document_number="X-1"
            )
        subject.refresh_from_db()
        assert subject.status == ItemStatus.ACCEPTED

    def test_the_status_cannot_be_assigned_directly(self, project):
        subject = item_at(project, ItemStatus.NOT_STARTED)
        with pytest.raises(AttributeError):
            subject.status = ItemStatus.APPROVED


class TestDeadlines:
    def test_acceptance_sets_the_deadline_in_working_days(self, checklist, alice):
        sg02 = item(checklist, "SG02")  # 消防设计审查, 15 working days
        workflow.run_transition(sg02, "start_preparing", by=alice)
        workflow.run_transition(sg02, "accept", by=alice, accepted_on=D(2025, 9, 26))
        assert sg02.deadline == D(2025, 10, 23)
        assert sg02.deadline_uncovered_years == ""

    def test_a_limit_in_calendar_days_counts_every_day(self, checklist, alice):
        lx06 = item(checklist, "LX06")  # 土地出让, 30 days
        workflow.run_transition(lx06, "start_preparing", by=alice)
        workflow.run_transition(lx06, "accept", by=alice, accepted_on=D(2025, 9, 26))
        assert lx06.deadline == D(2025, 10, 26)

    def test_an_extended_limit_adds_the_extension(self, zone, alice):
        project = ProjectFactory(zone=zone, authorisation=Authorisation.APPROVAL)
        checklist_generate(project=project, by=administrator())
        lx02 = item(project, "LX02")  # 项目核准, 20 working days (+10)
        workflow.run_transition(lx02, "start_preparing", by=alice)
        workflow.run_transition(lx02, "accept", by=alice, accepted_on=D(2025, 9, 26))
        assert lx02.deadline == CalendarDay.objects.calendar().add_working_days(D(2025, 9, 26), 20)
        lx02.extended = True
        lx02.save()
        assert lx02.deadline == CalendarDay.objects.calendar().add_working_days(D(2025, 9, 26), 30)

    @time_machine.travel(dt.datetime(2026, 12, 31, 10, 0), tick=False)
    def test_a_deadline_into_an_uncovered_year_warns_then_follows_entered_holidays(
        self, checklist, alice, celery_inline, django_capture_on_commit_callbacks
    ):
        lx08 = item(checklist, "LX08")  # 10 working days
        workflow.run_transition(lx08, "start_preparing", by=alice)
        workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2026, 12, 28))
        assert (lx08.deadline, lx08.deadline_uncovered_years) == (D(2027, 1, 11), "2027")

        with django_capture_on_commit_callbacks(execute=True):  # the recount runs after commit
            CalendarDay.objects.create(
                day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦"
            )

        lx08.refresh_from_db()
        assert (lx08.deadline, lx08.deadline_uncovered_years) == (D(2027, 1, 12), "")

    def test_withdrawing_the_application_and_applying_again_clears_the_dates(self, project, alice):
        subject = item_at(project, ItemStatus.ACCEPTED)
        workflow.run_transition(subject, "withdraw", by=alice, reason="补充材料")
        workflow.run_transition(subject, "reapply", by=alice)
        assert (subject.accepted_on, subject.deadline, subject.outcome_reason) == (None, None, "")


class TestColours:
    """Yellow within 3 working days of the deadline or past it; red more than 10 past."""

    TODAY = D(2025, 10, 23)  # a Thursday

    @pytest.fixture
    def bounds(self, db) -> ItemColours:
        return ItemColours.on(self.TODAY, CalendarDay.objects.calendar())

    @pytest.mark.parametrize(
        ("deadline", "colour"),
        [
            (D(2025, 10, 29), Colour.GREEN),  # 4 working days ahead
            (D(2025, 10, 28), Colour.YELLOW),  # 3 working days ahead
            (D(2025, 10, 23), Colour.YELLOW),  # due today
            (D(2025, 10, 10), Colour.YELLOW),  # 10 working days past (Sat 11 Oct was a make-up day)
            (D(2025, 10, 9), Colour.RED),  # 11 working days past
            (D(2025, 9, 30), Colour.RED),  # across the National Day holiday
        ],
    )
    def test_a_running_item_is_coloured_by_its_deadline(self, project, bounds, deadline, colour):
        subject = item_at(project, ItemStatus.ACCEPTED)
        ApprovalItem.objects.filter(pk=subject.pk).update(deadline=deadline)
        subject.refresh_from_db()
        assert bounds.colour(subject) == colour
        assert ApprovalItem.objects.filter(bounds.filter(colour)).get() == subject

    def test_settled_and_waiting_items_have_no_colour(self, checklist, bounds):
        assert {bounds.colour(i) for i in checklist.approval_items.all()} == {None}


class TestTheReadyToStartGate:
    def test_a_project_without_a_checklist_is_never_ready(self, zone, alice):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        with pytest.raises(TransitionRefused, match="尚未生成审批事项清单"):
            workflow.request_transition(project, "mark_ready", by=alice)
        assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED
        assert not StageRequest.objects.filter(project_id=project.pk).exists()

    def test_one_open_item_blocks_and_is_named(self, zone, alice):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.exclude(approval_type__code="LX03").update(mode=Mode.NOT_APPLICABLE)
        with pytest.raises(TransitionRefused) as refused:
            workflow.request_transition(project, "mark_ready", by=alice)
        assert refused.value.reasons == [
            "以下开工前审批事项尚未办结：LX03 用地预审与选址意见书（未启动）。"
        ]
        assert [i.approval_type.code for i in project.start_blockers()] == ["LX03"]

    def test_it_opens_when_every_before_works_item_is_settled(self, zone, alice, bob):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, is_commitment=True)
        checklist_generate(project=project, by=administrator())
        for open_item in project.start_blockers():
            workflow.run_transition(open_item, "start_preparing", by=alice)
            workflow.run_transition(open_item, "accept", by=alice, accepted_on=D(2025, 9, 1))
            workflow.run_transition(
                open_item, "approve", by=alice, approved_on=D(2025, 9, 20), document_number="文1"
            )
        # commitments and unified services count as settled; after-works items do not block
        assert item(project, "JG01").status == ItemStatus.NOT_STARTED
        move(project, "mark_ready", officer=alice, supervisor=bob)
        assert project.stage == Stage.READY

    def test_not_applicable_items_do_not_block(self, zone, alice, bob):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.filter(mode=Mode.APPROVAL).update(mode=Mode.NOT_APPLICABLE)
        move(project, "mark_ready", officer=alice, supervisor=bob)
        assert project.stage == Stage.READY

    @pytest.mark.parametrize(
        ("status", "steps", "label"),
        [
            (ItemStatus.PREPARING, ["start_preparing"], "准备材料"),
            (ItemStatus.ACCEPTED, ["start_preparing", "accept"], "已受理"),
        ],
        ids=["preparing", "accepted"],
    )
    def test_an_item_being_prepared_or_accepted_blocks(
        self, zone, alice, bob, status, steps, label
    ):
        """Applied for is not settled: only approved (or a settled mode) opens the gate."""
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.exclude(approval_type__code="LX03").update(mode=Mode.NOT_APPLICABLE)
        lx03 = item(project, "LX03")
        for name in steps:
            workflow.run_transition(lx03, name, by=alice, **EVIDENCE[name])
        assert item(project, "LX03").status == status
        with pytest.raises(TransitionRefused, match=f"LX03 用地预审与选址意见书（{label}"):
            workflow.request_transition(project, "mark_ready", by=alice)
        assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED
        assert not StageRequest.objects.filter(project_id=project.pk).exists()

    @pytest.mark.parametrize("status", [ItemStatus.PREPARING, ItemStatus.ACCEPTED])
    def test_an_item_reopened_after_the_request_blocks_the_decision(self, zone, alice, bob, status):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.update(mode=Mode.NOT_APPLICABLE)
        asked = workflow.request_transition(project, "mark_ready", by=alice)
        # Meanwhile LX03 turns out to apply, and is only applied for.
        project.approval_items.filter(approval_type__code="LX03").update(
            mode=Mode.APPROVAL, status=status
        )
        with pytest.raises(TransitionRefused, match="LX03"):
            workflow.decide(asked, by=bob, approve=True)
        assert Project.objects.get(pk=project.pk).stage == Stage.SIGNED

    def test_a_refused_item_still_blocks(self, zone, alice):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED)
        checklist_generate(project=project, by=administrator())
        project.approval_items.exclude(approval_type__code="HP01").update(mode=Mode.NOT_APPLICABLE)
        hp01 = item(project, "HP01")
        for name in ["start_preparing", "accept", "refuse"]:
            workflow.run_transition(hp01, name, by=alice, **EVIDENCE[name])
        with pytest.raises(TransitionRefused, match="HP01 环境影响评价审批（不予许可）"):
            workflow.request_transition(project, "mark_ready", by=alice)


class TestWhoMayWorkTheChecklist:
    def test_an_officer_of_another_zone_cannot_change_an_item(self, checklist, charlie):
        with pytest.raises(PermissionDenied):
            workflow.run_transition(item(checklist, "LX01"), "start_preparing", by=charlie)
        assert item(checklist, "LX01").status == ItemStatus.NOT_STARTED

    def test_a_statistician_cannot_change_an_item(self, checklist, stan):
        with pytest.raises(PermissionDenied):
            workflow.run_transition(item(checklist, "LX01"), "start_preparing", by=stan)

    def test_a_supervisor_of_the_zone_can(self, checklist, bob):
        workflow.run_transition(item(checklist, "LX01"), "start_preparing", by=bob)
        assert item(checklist, "LX01").status == ItemStatus.PREPARING

    def test_items_are_visible_only_in_ones_zones(self, checklist, other_project, alice, charlie):
        checklist_generate(project=other_project, by=administrator())
        assert set(ApprovalItem.objects.visible_to(alice).values_list("project", flat=True)) == {
            checklist.pk
        }
        assert set(ApprovalItem.objects.visible_to(charlie).values_list("project", flat=True)) == {
            other_project.pk
        }
