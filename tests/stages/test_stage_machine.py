"""The project lifecycle of domain guide section 4: forward one step at a time, suspend and
resume to the stage left, withdraw from any open stage, gates, and refusals that change nothing.
Every change goes the way the guide says: alice (officer) asks, bob (supervisor) approves."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from approvals.checklist.services import checklist_generate
from approvals.models import (
    OPEN_STAGES,
    Milestone,
    Mode,
    Project,
    Stage,
    StageChange,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory
from tests.flows import administrator, documents, move

EVIDENCE = {
    "sign": {"agreement_date": dt.date(2025, 4, 7)},
    "mark_ready": {},
    "start_works": {"start_date": dt.date(2025, 6, 1)},
    "start_production": {"production_date": dt.date(2025, 10, 8)},
    "reach_capacity": {
        "capacity_date": dt.date(2026, 3, 1),
        "actual_annual_output": Decimal("80000"),
    },
    "suspend": {"reason": "资金未到位"},
    "resume": {},
    "withdraw": {"reason": "企业放弃投资"},
}

FORWARD = {
    (Stage.RESERVE, "sign"): Stage.SIGNED,
    (Stage.SIGNED, "mark_ready"): Stage.READY,
    (Stage.READY, "start_works"): Stage.UNDER_CONSTRUCTION,
    (Stage.UNDER_CONSTRUCTION, "start_production"): Stage.IN_PRODUCTION,
    (Stage.IN_PRODUCTION, "reach_capacity"): Stage.AT_CAPACITY,
}
LEGAL = {
    **FORWARD,
    **{(s, "suspend"): Stage.SUSPENDED for s in OPEN_STAGES},
    **{(s, "withdraw"): Stage.WITHDRAWN for s in [*OPEN_STAGES, Stage.SUSPENDED]},
    (Stage.SUSPENDED, "resume"): Stage.SIGNED,  # the stage the project below was suspended at
}
ALL_PAIRS = [(stage, name) for stage in Stage for name in EVIDENCE]


def project_at(zone, stage: Stage) -> Project:
    """A project at ``stage`` whose gates are open: a signed one has a settled checklist."""
    extra = {"stage_before_suspension": Stage.SIGNED} if stage == Stage.SUSPENDED else {}
    project = ProjectFactory(
        zone=zone, stage=stage, expected_annual_output=Decimal("90000"), **extra
    )
    if stage in (Stage.RESERVE, Stage.SIGNED):
        checklist_generate(project=project, by=administrator())
        project.approval_items.update(mode=Mode.NOT_APPLICABLE)
    return project


def assert_untouched(project, stage: str) -> None:
    """Read afresh: the refused request left the project at ``stage`` and asked nothing."""
    assert Project.objects.get(pk=project.pk).stage == stage
    assert not StageRequest.objects.filter(project_id=project.pk).exists()


@pytest.mark.parametrize(("stage", "name"), sorted(LEGAL, key=str))
def test_a_legal_transition_moves_the_project_and_records_who(zone, alice, bob, stage, name):
    project = project_at(zone, stage)

    stage_request = move(
        project, name, officer=alice, supervisor=bob, comment="现场核实", **EVIDENCE[name]
    )

    project.refresh_from_db()
    assert project.stage == LEGAL[(stage, name)]
    change = project.stage_changes.get(transition=name)
    assert (change.source, change.target, change.by, change.comment, change.request) == (
        stage,
        LEGAL[(stage, name)],
        bob,
        "现场核实",
        stage_request,
    )
    assert stage_request.requested_by == alice


@pytest.mark.parametrize(("stage", "name"), [p for p in ALL_PAIRS if p not in LEGAL], ids=str)
def test_an_illegal_transition_is_refused_and_changes_nothing(zone, alice, stage, name):
    project = project_at(zone, stage)
    changes_before = StageChange.objects.count()

    with pytest.raises(TransitionRefused) as refused:
        workflow.request_transition(
            project, name, by=alice, attachments=documents(), **EVIDENCE[name]
        )

    assert refused.value.reasons, "a refusal says why"
    project.refresh_from_db()
    assert project.stage == stage
    assert StageChange.objects.count() == changes_before
    assert not Milestone.objects.filter(project=project, actual_date__isnull=False).exists()


def test_forward_steps_go_one_at_a_time_from_reserve_to_capacity(zone, alice, bob):
    project = project_at(zone, Stage.RESERVE)
    for (_, name), target in FORWARD.items():
        move(project, name, officer=alice, supervisor=bob, **EVIDENCE[name])
        assert project.stage == target
    assert [c.transition for c in project.stage_changes.order_by("at", "id")] == [
        "",
        *[n for _, n in FORWARD],
    ]


def test_starting_works_is_refused_straight_from_signed(zone, alice):
    project = project_at(zone, Stage.SIGNED)
    with pytest.raises(TransitionRefused, match="具备开工条件"):
        workflow.request_transition(
            project, "start_works", by=alice, attachments=documents(), **EVIDENCE["start_works"]
        )
    assert_untouched(project, Stage.SIGNED)


@pytest.mark.parametrize("left", OPEN_STAGES)
def test_resume_returns_to_the_stage_the_project_left(zone, alice, bob, left):
    project = project_at(zone, left)
    move(project, "suspend", officer=alice, supervisor=bob, reason="环保督察停工")
    assert (project.stage, project.suspension_reason) == (Stage.SUSPENDED, "环保督察停工")

    move(project, "resume", officer=alice, supervisor=bob)

    project.refresh_from_db()
    assert project.stage == left
    assert project.suspension_reason == ""


@pytest.mark.parametrize("stage", [*OPEN_STAGES, Stage.SUSPENDED])
def test_withdraw_from_each_open_stage_keeps_the_reason(zone, alice, bob, stage):
    project = project_at(zone, stage)
    move(project, "withdraw", officer=alice, supervisor=bob, reason="企业放弃投资")
    project.refresh_from_db()
    assert (project.stage, project.withdrawal_reason) == (Stage.WITHDRAWN, "企业放弃投资")


class TestGates:
    def test_signing_needs_the_investor(self, zone, alice):
        project = ProjectFactory(zone=zone, enterprise=None)
        with pytest.raises(TransitionRefused, match="项目单位"):
            workflow.request_transition(
                project, "sign", by=alice, attachments=documents(), **EVIDENCE["sign"]
            )
        assert_untouched(project, Stage.RESERVE)

    def test_signing_needs_the_agreement_date(self, project, alice):
        with pytest.raises(TransitionRefused, match="签约日期"):
            workflow.request_transition(project, "sign", by=alice, attachments=documents())
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE
        assert project.stage_changes.count() == 1  # only its creation

    def test_an_actual_date_in_the_future_is_refused(self, zone, alice):
        project = project_at(zone, Stage.READY)
        tomorrow = dt.date.today() + dt.timedelta(days=2)
        with pytest.raises(TransitionRefused, match="未来"):
            workflow.request_transition(
                project, "start_works", by=alice, start_date=tomorrow, attachments=documents()
            )
        project.refresh_from_db()
        assert project.stage == Stage.READY

    def test_starting_works_records_the_actual_milestone_date(self, zone, alice, bob):
        project = project_at(zone, Stage.READY)
        Milestone.objects.create(
            project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=dt.date(2025, 5, 31)
        )
        move(project, "start_works", officer=alice, supervisor=bob, start_date=dt.date(2025, 6, 1))
        milestone = project.milestones.get(stage=Stage.UNDER_CONSTRUCTION)
        assert (milestone.planned_date, milestone.actual_date) == (
            dt.date(2025, 5, 31),
            dt.date(2025, 6, 1),
        )

    def test_capacity_needs_the_expected_output_to_compare_with(self, zone, alice):
        project = ProjectFactory(zone=zone, stage=Stage.IN_PRODUCTION, expected_annual_output=None)
        with pytest.raises(TransitionRefused, match="预计年产值"):
            workflow.request_transition(
                project, "reach_capacity", by=alice, **EVIDENCE["reach_capacity"]
            )

    def test_capacity_records_the_actual_output(self, zone, alice, bob):
        project = project_at(zone, Stage.IN_PRODUCTION)
        move(project, "reach_capacity", officer=alice, supervisor=bob, **EVIDENCE["reach_capacity"])
        project.refresh_from_db()
        assert project.actual_annual_output == Decimal("80000")

    def test_suspending_needs_a_reason(self, project, alice):
        with pytest.raises(TransitionRefused, match="原因"):
            workflow.request_transition(project, "suspend", by=alice, reason="  ")
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE


class TestTheStageFieldIsProtected:
    def test_assigning_the_stage_directly_is_refused(self, project):
        with pytest.raises(AttributeError):
            project.stage = Stage.AT_CAPACITY

    @pytest.mark.parametrize("who", ["alice", "bob", "superuser"])
    def test_nobody_runs_a_stage_change_directly(self, project, request, who):
        with pytest.raises(PermissionDenied):
            workflow.run_transition(
                project, "sign", by=request.getfixturevalue(who), **EVIDENCE["sign"]
            )
        project.refresh_from_db()
        assert project.stage == Stage.RESERVE

    def test_a_statistician_cannot_ask(self, project, stan):
        with pytest.raises(PermissionDenied):
            workflow.request_transition(
                project, "sign", by=stan, attachments=documents(), **EVIDENCE["sign"]
            )

    def test_an_officer_of_another_zone_cannot_ask(self, project, charlie):
        with pytest.raises(PermissionDenied):
            workflow.request_transition(
                project, "sign", by=charlie, attachments=documents(), **EVIDENCE["sign"]
            )


class TestWhyNot:
    def test_options_say_which_condition_fails(self, zone, alice):
        project = ProjectFactory(zone=zone, enterprise=None)
        options = {o.name: o for o in workflow.request_options(project, alice)}
        assert options["sign"].reasons == ["未记录项目单位（投资主体）。"]
        assert options["suspend"].allowed
        assert "可执行于" in options["start_works"].reasons[0]

    def test_options_tell_a_statistician_it_may_not(self, project, stan):
        options = {o.name: o for o in workflow.request_options(project, stan)}
        assert not any(o.allowed for o in options.values())
        assert "无权" in options["suspend"].reasons[0]
