"""Problems (堵点, guide sections 10 and 11) as the services run them: the status machine, 销号
confirmed by a supervisor who did not resolve it, escalation, service records whose follow-up
opens a problem, and the reminder ladder reaching the right people for problems and task nodes
past their dates — the milestones' ladder, not a copy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from approvals.casework import problems
from approvals.models import (
    Problem,
    ProblemCategory,
    ProblemChange,
    ProblemSource,
    ProblemStatus,
    Reminder,
    ServiceKind,
    ServiceRecord,
    Stage,
    Step,
    TaskNode,
    TransitionRefused,
)
from approvals.reminders import services as reminders
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from zones.models import Role

D = dt.date


@pytest.fixture
def dora(zone):
    """A second supervisor of the zone: the four eyes when bob resolved."""
    user = UserFactory(username="dora", first_name="朵拉")
    ZoneRoleFactory(user=user, zone=zone, role=Role.SUPERVISOR)
    return user


@pytest.fixture
def land(project, alice):
    return problems.problem_add(
        project=project,
        by=alice,
        description="土地指标未落实",
        category=ProblemCategory.LAND,
        department="自然资源局",
        deadline=timezone.localdate() + dt.timedelta(days=20),
    )


def fresh(problem: Problem) -> Problem:
    return Problem.objects.get(pk=problem.pk)


def resolve(problem, by, text="已协调调整用地指标"):
    return problems.problem_transition(
        problem, "resolve", by=by, resolution=text, resolved_on=timezone.localdate()
    )


class TestTheStatusMachine:
    def test_it_opens_starts_resolves_and_closes_with_every_step_recorded(self, land, alice, bob):
        assert fresh(land).status == ProblemStatus.OPEN
        problems.problem_transition(land, "start", by=alice)
        assert fresh(land).status == ProblemStatus.IN_PROGRESS
        resolve(land, alice)
        resolved = fresh(land)
        assert resolved.status == ProblemStatus.RESOLVED
        assert resolved.resolution == "已协调调整用地指标"
        assert resolved.resolved_on == timezone.localdate()
        assert resolved.resolved_by == alice
        problems.problem_transition(land, "close", by=bob, comment="核实已解决")
        closed = fresh(land)
        assert closed.status == ProblemStatus.CLOSED
        assert closed.closed_by == bob and closed.closed_at is not None
        steps = list(
            ProblemChange.objects.filter(problem=land)
            .order_by("at", "id")
            .values_list("source", "target", "by__username")
        )
        assert steps == [
            ("", "open", "alice"),
            ("open", "in_progress", "alice"),
            ("in_progress", "resolved", "alice"),
            ("resolved", "closed", "bob"),
        ]
        assert ProblemChange.objects.get(problem=land, target="closed").comment == "核实已解决"

    def test_it_needs_a_resolution_and_a_date_not_in_the_future(self, land, alice):
        with pytest.raises(TransitionRefused):
            problems.problem_transition(
                land, "resolve", by=alice, resolution="  ", resolved_on=timezone.localdate()
            )
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        with pytest.raises(TransitionRefused, match="晚于今天"):
            problems.problem_transition(
                land, "resolve", by=alice, resolution="已解决", resolved_on=tomorrow
            )
        assert fresh(land).status == ProblemStatus.OPEN
        assert fresh(land).resolution == ""
        assert ProblemChange.objects.filter(problem=land).count() == 1  # its creation only

    def test_it_cannot_close_what_is_not_resolved(self, land, bob):
        with pytest.raises(TransitionRefused):
            problems.problem_transition(land, "close", by=bob)
        assert fresh(land).status == ProblemStatus.OPEN

    def test_a_supervisor_sends_a_resolution_back_with_a_reason(self, land, alice, bob):
        resolve(land, alice)
        with pytest.raises(TransitionRefused):
            problems.problem_transition(land, "reopen", by=bob, reason="")
        assert fresh(land).status == ProblemStatus.RESOLVED
        problems.problem_transition(land, "reopen", by=bob, reason="企业反映仍未拿到指标")
        back = fresh(land)
        assert back.status == ProblemStatus.IN_PROGRESS
        assert back.resolution == "" and back.resolved_by is None
        record = ProblemChange.objects.get(problem=land, target="in_progress")
        assert record.by == bob and record.evidence["reason"] == "企业反映仍未拿到指标"

    def test_a_resolved_problem_resolved_again_after_being_sent_back_names_the_new_resolver(
        self, land, alice, bob, dora
    ):
        resolve(land, alice)
        problems.problem_transition(land, "reopen", by=bob, reason="未解决")
        resolve(land, bob, "分管领导协调解决")
        assert fresh(land).resolved_by == bob
        with pytest.raises(PermissionDenied):
            problems.problem_transition(land, "close", by=bob)
        problems.problem_transition(land, "close", by=dora)
        assert fresh(land).status == ProblemStatus.CLOSED


class TestClosingUnderFourEyes:
    def test_an_officer_may_resolve_but_never_close(self, land, alice):
        resolve(land, alice)
        with pytest.raises(PermissionDenied):
            problems.problem_transition(land, "close", by=alice)
        assert fresh(land).status == ProblemStatus.RESOLVED

    def test_the_supervisor_who_resolved_it_may_not_close_it(self, land, bob, dora):
        resolve(land, bob)
        with pytest.raises(PermissionDenied, match="自己解决"):
            problems.problem_transition(land, "close", by=bob)
        assert fresh(land).status == ProblemStatus.RESOLVED
        options = {o.name: o for o in problems.problem_options(fresh(land), bob)}
        assert not options["close"].allowed
        assert any("另一位科室负责人" in r for r in options["close"].reasons)
        problems.problem_transition(land, "close", by=dora)
        assert fresh(land).closed_by == dora

    def test_a_supervisor_of_another_zone_may_not_close_it(self, land, alice, other_zone):
        resolve(land, alice)
        elsewhere = UserFactory(username="eve")
        ZoneRoleFactory(user=elsewhere, zone=other_zone, role=Role.SUPERVISOR)
        with pytest.raises(PermissionDenied):
            problems.problem_transition(land, "close", by=elsewhere)
        assert fresh(land).status == ProblemStatus.RESOLVED

    def test_the_closing_queue_leaves_out_ones_own_resolutions(
        self, project, land, alice, bob, dora
    ):
        resolve(land, bob)
        second = problems.problem_add(project=project, by=alice, description="用电增容未批复")
        resolve(second, alice)
        assert list(Problem.objects.awaiting_closing(bob)) == [second]
        assert set(Problem.objects.awaiting_closing(dora)) == {land, second}
        assert list(Problem.objects.awaiting_closing(alice)) == []


class TestWhoMayReportAndWork:
    def test_an_officer_of_another_zone_may_not_report_or_work(self, project, land, charlie):
        with pytest.raises(PermissionDenied):
            problems.problem_add(project=project, by=charlie, description="用工短缺")
        with pytest.raises(PermissionDenied):
            problems.problem_transition(land, "start", by=charlie)
        assert fresh(land).status == ProblemStatus.OPEN
        assert Problem.objects.filter(project=project).count() == 1

    def test_a_statistician_and_a_leader_read_but_do_not_work(self, project, land, stan, lily):
        project.leader = lily
        project.save()
        for person in (stan, lily):
            assert list(Problem.objects.visible_to(person)) == [land]
            with pytest.raises(PermissionDenied):
                problems.problem_transition(land, "start", by=person)
        assert list(Problem.objects.visible_to(UserFactory(username="nobody"))) == []

    def test_the_same_text_is_the_same_problem(self, project, land, alice):
        with pytest.raises(TransitionRefused, match="已记录此问题"):
            problems.problem_add(project=project, by=alice, description=" 土地指标 未落实 ")
        assert Problem.objects.filter(project=project).count() == 1

    def test_the_person_responsible_is_someone_of_the_zone(self, project, alice, charlie, bob):
        with pytest.raises(TransitionRefused, match="不是该项目所在开发区的代办员"):
            problems.problem_add(
                project=project, by=alice, description="环境容量不足", responsible=charlie
            )
        problem = problems.problem_add(
            project=project, by=alice, description="环境容量不足", responsible=bob
        )
        assert fresh(problem).responsible == bob


class TestEscalation:
    def test_a_supervisor_escalates_by_hand_and_an_officer_may_not(self, land, alice, bob):
        with pytest.raises(PermissionDenied):
            problems.problem_transition(land, "escalate", by=alice, reason="需领导协调")
        problems.problem_transition(land, "escalate", by=bob, reason="需领导协调")
        escalated = fresh(land)
        assert escalated.status == ProblemStatus.ESCALATED
        assert escalated.escalated_on == timezone.localdate()
        resolve(land, alice)  # an escalated problem is still worked off and resolved
        assert fresh(land).status == ProblemStatus.RESOLVED

    def test_the_scan_escalates_a_red_problem_once_recorded_without_a_person(self, project, alice):
        today = timezone.localdate()
        red = problems.problem_add(
            project=project,
            by=alice,
            description="资金缺口",
            deadline=today - dt.timedelta(days=31),
            reported_on=today - dt.timedelta(days=60),
        )
        yellow = problems.problem_add(
            project=project,
            by=alice,
            description="用工短缺",
            deadline=today - dt.timedelta(days=30),
            reported_on=today - dt.timedelta(days=60),
        )
        assert problems.escalate_red(today) == [red.pk]
        assert fresh(red).status == ProblemStatus.ESCALATED
        assert fresh(yellow).status == ProblemStatus.OPEN
        record = ProblemChange.objects.get(problem=red, target="escalated")
        assert record.by is None and "31" in record.evidence["reason"]
        assert problems.escalate_red(today) == []  # once


class TestServiceRecords:
    def test_a_follow_up_opens_a_problem_in_the_same_step(self, project, alice):
        record, problem = problems.service_record_add(
            project=project,
            by=alice,
            day=D(2025, 5, 6),
            kind=ServiceKind.ON_SITE,
            participants="艾丽；企业负责人；供电公司",
            done="现场协调用电接入",
            follow_up=problems.FollowUp(
                description="双回路供电接入需省电力公司批复",
                category=ProblemCategory.ENERGY,
                department="供电公司",
                deadline=D(2025, 6, 6),
            ),
        )
        stored = Problem.objects.get(service_record=record)
        assert stored == problem
        assert stored.source == ProblemSource.SERVICE
        assert stored.reported_on == D(2025, 5, 6)
        assert stored.category == ProblemCategory.ENERGY and stored.created_by == alice
        assert ServiceRecord.objects.get(pk=record.pk).recorded_by == alice

    def test_a_refused_follow_up_saves_neither(self, project, land, alice):
        with pytest.raises(TransitionRefused):
            problems.service_record_add(
                project=project,
                by=alice,
                day=D(2025, 5, 6),
                participants="艾丽",
                done="走访",
                follow_up=problems.FollowUp(description="土地指标未落实"),  # already recorded
            )
        assert ServiceRecord.objects.count() == 0

    def test_an_officer_of_another_zone_records_nothing(self, project, charlie):
        with pytest.raises(PermissionDenied):
            problems.service_record_add(
                project=project, by=charlie, day=D(2025, 5, 6), participants="查理", done="走访"
            )
        assert ServiceRecord.objects.count() == 0

    def test_a_visit_in_the_future_is_refused(self, project, alice):
        with pytest.raises(TransitionRefused):
            problems.service_record_add(
                project=project,
                by=alice,
                day=timezone.localdate() + dt.timedelta(days=2),
                participants="艾丽",
                done="走访",
            )
        assert ServiceRecord.objects.count() == 0


# --- the ladder ---------------------------------------------------------------------------------

DUE = D(2025, 6, 2)  # a Monday; 3 June is the first day late, both working days


@pytest.fixture
def late_problem(zone, alice, bob, lily, dora):
    """A problem of a signed project of alice's, followed by lily, handed to 自然资源局 with dora
    responsible, due 2 June 2025; bob and dora supervise the zone."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    return Problem.objects.create(
        project=project,
        description="土地摘牌延期",
        department="自然资源局",
        deadline=DUE,
        reported_on=D(2025, 5, 1),
        responsible=dora,
    )


def ladder_on(day: dt.date, model) -> list[tuple[str, str, int]]:
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(model)
    return sorted(
        (r.step, r.recipient.username, r.period)
        for r in reminders.scan(day).reminders
        if r.subject_type_id == kind.id
    )


class TestProblemsClimbTheLadder:
    def test_the_person_responsible_hears_first_then_the_supervisors_then_the_leader(
        self, late_problem
    ):
        assert ladder_on(DUE, Problem) == []
        assert ladder_on(D(2025, 6, 3), Problem) == [(Step.OFFICER, "dora", 0)]
        assert ladder_on(D(2025, 6, 10), Problem) == [
            (Step.OFFICER, "dora", 1),
            (Step.SUPERVISOR, "bob", 0),
            (Step.SUPERVISOR, "dora", 0),
        ]
        # red: more than 30 days late (3 July is day 31)
        assert (Step.LEADER, "lily", 0) in ladder_on(D(2025, 7, 3), Problem)
        assert (Step.LEADER, "lily", 0) not in ladder_on(D(2025, 7, 2), Problem)

    def test_without_a_person_responsible_the_projects_officer_hears(self, late_problem):
        Problem.objects.filter(pk=late_problem.pk).update(responsible=None)
        assert ladder_on(D(2025, 6, 3), Problem) == [(Step.OFFICER, "alice", 0)]

    def test_a_resolved_problem_is_quiet(self, late_problem):
        Problem.objects.filter(pk=late_problem.pk).update(status=ProblemStatus.RESOLVED)
        assert ladder_on(D(2025, 6, 10), Problem) == []

    def test_the_daily_run_reminds_once_escalates_when_red_and_links_the_problem(
        self, late_problem, monkeypatch
    ):
        day = D(2025, 7, 3)
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)
        reminders.run(day)
        reminders.run(day)  # again: nothing twice
        leader = Reminder.objects.get(subject_id=late_problem.pk, step=Step.LEADER)
        assert leader.recipient.username == "lily"
        assert leader.link.endswith(f"/approvals/problem/{late_problem.pk}/change/")
        assert "土地摘牌延期" in leader.title
        assert Reminder.objects.filter(subject_id=late_problem.pk, step=Step.LEADER).count() == 1
        assert fresh(late_problem).status == ProblemStatus.ESCALATED

    def test_nothing_on_a_holiday(self, late_problem):
        assert reminders.scan(D(2025, 10, 1)).reminders == []


class TestTaskNodesClimbTheLadder:
    def test_a_late_node_reaches_the_officer_supervisor_and_leader(self, zone, alice, bob, lily):
        project = ProjectFactory(
            zone=zone, stage=Stage.UNDER_CONSTRUCTION, officer=alice, leader=lily
        )
        node = TaskNode.objects.create(project=project, name="主体封顶", planned_date=DUE)
        TaskNode.objects.create(
            project=project, name="设备安装", planned_date=D(2025, 5, 1), actual_date=D(2025, 5, 2)
        )
        assert ladder_on(D(2025, 6, 3), TaskNode) == [(Step.OFFICER, "alice", 0)]
        assert ladder_on(D(2025, 6, 10), TaskNode) == [
            (Step.OFFICER, "alice", 1),
            (Step.SUPERVISOR, "bob", 0),
        ]
        on_red = ladder_on(D(2025, 7, 3), TaskNode)
        assert (Step.LEADER, "lily", 0) in on_red
        found = [r for r in reminders.scan(D(2025, 7, 3)).reminders if r.subject_id == node.pk]
        assert all("主体封顶" in r.title for r in found)

    def test_a_node_of_a_suspended_or_withdrawn_project_is_quiet(self, zone, alice):
        for stage in (Stage.SUSPENDED, Stage.WITHDRAWN):
            project = ProjectFactory(zone=zone, stage=stage, officer=alice)
            TaskNode.objects.create(project=project, name="试生产", planned_date=DUE)
        assert ladder_on(D(2025, 6, 10), TaskNode) == []


def test_a_service_record_edited_later_keeps_its_history(project, alice, bob, as_user):
    from django.urls import reverse

    record, _ = problems.service_record_add(
        project=project, by=alice, day=D(2025, 5, 6), participants="艾丽", done="走访"
    )
    record.done = "走访，协调供电"
    record._history_user = bob
    record.save()
    versions = list(record.history.order_by("history_id").values_list("done", "history_user"))
    assert versions == [("走访", alice.pk), ("走访，协调供电", bob.pk)]
    page = as_user(alice).get(reverse("admin:approvals_servicerecord_history", args=[record.pk]))
    assert page.status_code == 200
