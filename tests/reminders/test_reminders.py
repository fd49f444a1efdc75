"""The escalation ladder on a frozen calendar (guide sections 6 and 11): who hears of a late
milestone or approval item, when, how often, and never twice; and foreseen lateness worked out
by hand across a holiday."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.checklist import foresight
from approvals.checklist.services import checklist_generate
from approvals.models import (
    Milestone,
    Mode,
    Problem,
    Project,
    Reminder,
    Stage,
    Step,
    TaskNode,
    WarningSettings,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory

D = dt.date
PLANNED = D(2025, 6, 2)  # a Monday; 3 June is the first day late, both working days


@pytest.fixture
def late(zone, alice, bob, lily):
    """A signed project of alice's, followed by lily, whose ready milestone is planned for
    2 June 2025; bob supervises the zone."""
    alice.email, bob.email, lily.email = "alice@desk.cn", "bob@desk.cn", "lily@desk.cn"
    for person in (alice, bob, lily):
        person.save()
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=PLANNED)
    return project


def steps_on(day: dt.date) -> list[tuple[str, str, int]]:
    return sorted(
        (r.step, r.recipient.username, r.period)
        for r in reminders.scan(day).reminders
        if r.step != Step.AT_RISK
    )


class TestTheLadder:
    def test_rules(self):
        rules = WarningSettings()  # the defaults: the guide's
        # (step, period, days since the period began)
        assert reminders.ladder(0, None, rules) == []
        assert reminders.ladder(1, None, rules) == [(Step.OFFICER, 0, 0)]
        assert reminders.ladder(7, None, rules) == [(Step.OFFICER, 0, 6)]
        assert reminders.ladder(8, None, rules) == [(Step.OFFICER, 1, 0), (Step.SUPERVISOR, 0, 0)]
        assert reminders.ladder(15, None, rules) == [
            (Step.OFFICER, 2, 0),
            (Step.SUPERVISOR, 1, 0),
        ]
        assert reminders.ladder(31, 0, rules) == [
            (Step.OFFICER, 4, 2),
            (Step.SUPERVISOR, 3, 2),
            (Step.LEADER, 0, 0),
        ]
        assert reminders.ladder(61, 30, rules)[-1] == (Step.LEADER, 1, 0)

    def test_day_0_nothing(self, late):
        assert steps_on(PLANNED) == []

    def test_day_1_the_officer(self, late):
        assert steps_on(D(2025, 6, 3)) == [(Step.OFFICER, "alice", 0)]

    def test_day_8_the_officer_again_and_the_supervisor(self, late):
        assert steps_on(D(2025, 6, 10)) == [
            (Step.OFFICER, "alice", 1),
            (Step.SUPERVISOR, "bob", 0),
        ]

    def test_the_red_day_the_leader(self, late):
        # planned 2 June, red after 30 days late: 3 July is day 31
        assert (Step.LEADER, "lily", 0) not in steps_on(D(2025, 7, 2))
        assert (Step.LEADER, "lily", 0) in steps_on(D(2025, 7, 3))

    def test_every_supervisor_of_the_zone_and_no_other_hears(self, late, zone, other_zone):
        second = UserFactory(username="sam")
        ZoneRoleFactory(user=second, zone=zone, role="supervisor")
        ZoneRoleFactory(user=UserFactory(username="far"), zone=other_zone, role="supervisor")
        supervisors = {r for s, r, _p in steps_on(D(2025, 6, 10)) if s == Step.SUPERVISOR}
        assert supervisors == {"bob", "sam"}

    def test_the_milestone_reached_in_between_stops_the_ladder(self, late):
        reminders.run(D(2025, 6, 3))
        Milestone.objects.filter(project=late).update(actual_date=D(2025, 6, 5))
        assert steps_on(D(2025, 6, 10)) == []

    def test_a_stage_passed_is_never_late(self, late):
        Project.objects.filter(pk=late.pk).update(stage=Stage.UNDER_CONSTRUCTION)
        assert steps_on(D(2025, 6, 10)) == []

    @pytest.mark.parametrize("stage", [Stage.SUSPENDED, Stage.WITHDRAWN, Stage.AT_CAPACITY])
    def test_a_suspended_withdrawn_or_finished_project_is_not_chased(self, late, alice, stage):
        checklist_generate(project=late, by=alice)
        lx08 = late.approval_items.get(approval_type__code="LX08")
        workflow.run_transition(lx08, "start_preparing", by=alice)
        workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2025, 5, 6))
        assert {r.subject_id for r in reminders.scan(D(2025, 6, 10)).reminders} >= {lx08.pk}
        Project.objects.filter(pk=late.pk).update(stage=stage, stage_before_suspension=Stage.SIGNED)
        assert reminders.scan(D(2025, 6, 10)).reminders == []

    def test_a_holiday_sends_nothing_and_the_next_working_day_catches_up(self, zone, alice, bob):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
        Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 9, 30))
        outcome = reminders.run(D(2025, 10, 1))  # National Day
        assert not outcome.working_day and not Reminder.objects.exists()
        # 9 October, the first working day after the holiday, is 9 days late: the officer's
        # second week, and the supervisors' first.
        assert steps_on(D(2025, 10, 9)) == [
            (Step.OFFICER, "alice", 1),
            (Step.SUPERVISOR, "bob", 0),
        ]

    def test_a_make_up_saturday_is_a_working_day(self, late):
        # 28 September 2025 (a Sunday) was a make-up working day
        assert reminders.scan(D(2025, 9, 28)).working_day
        assert not reminders.scan(D(2025, 10, 2)).working_day

    def test_thresholds_are_the_administrators(self, late):
        WarningSettings.objects.update_or_create(pk=1, defaults={"supervisor_after_days": 3})
        assert (Step.SUPERVISOR, "bob", 0) in steps_on(D(2025, 6, 5))


class TestLateItems:
    def test_a_late_item_climbs_the_same_ladder_by_its_deadline(self, late, alice):
        checklist_generate(project=late, by=alice)
        lx08 = late.approval_items.get(approval_type__code="LX08")  # 10 working days
        workflow.run_transition(lx08, "start_preparing", by=alice)
        workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2025, 5, 6))
        lx08.refresh_from_db()
        assert lx08.deadline == D(2025, 5, 20)
        found = [r for r in reminders.scan(D(2025, 5, 21)).reminders if r.subject_id == lx08.pk]
        assert [(r.step, r.recipient, r.period) for r in found] == [(Step.OFFICER, alice, 0)]
        assert "LX08" in found[0].title + found[0].body and str(lx08.pk) in found[0].link


class TestOnce:
    def test_the_scan_twice_makes_each_reminder_once(self, late):
        first = reminders.run(D(2025, 6, 10))
        again = reminders.run(D(2025, 6, 10))
        assert sum(first.new.values()) == 2 and sum(again.new.values()) == 0
        assert Reminder.objects.count() == 2
        assert len(mail.outbox) == 2  # alice and bob, once each

    def test_the_next_period_is_a_new_reminder(self, late):
        reminders.run(D(2025, 6, 3))
        reminders.run(D(2025, 6, 4))  # same period: nothing new
        reminders.run(D(2025, 6, 10))  # officer's second period, supervisor's first
        assert sorted(Reminder.objects.values_list("step", "period")) == [
            (Step.OFFICER, 0),
            (Step.OFFICER, 1),
            (Step.SUPERVISOR, 0),
        ]

    def test_a_person_without_email_gets_the_inbox_only(self, late, alice):
        alice.email = ""
        alice.save()
        reminders.run(D(2025, 6, 3))
        reminder = Reminder.objects.get()
        assert (reminder.status, reminder.email_status) == ("sent", "none")
        assert reminder.delivered_at is not None and mail.outbox == []

    def test_the_email_names_the_case_and_links_to_it(self, late):
        reminders.run(D(2025, 6, 3))
        (email,) = mail.outbox
        assert late.name in email.subject and f"/admin/approvals/project/{late.pk}/" in email.body


class TestTheScanScales:
    def test_its_queries_do_not_grow_with_projects(self, zone, alice, bob):
        def queries_with(count: int) -> int:
            for _ in range(count):
                project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
                Milestone.objects.create(project=project, stage=Stage.READY, planned_date=PLANNED)
            reminders.scan(D(2025, 6, 10))  # first-run reads (thresholds, calendar) cached
            with CaptureQueriesContext(connection) as captured:
                found = reminders.scan(D(2025, 6, 10))
            assert found.reminders
            return len(captured)

        assert queries_with(3) == queries_with(30)

    def test_it_reads_late_milestones_items_nodes_and_problems_by_their_partial_indexes(self, late):
        """The statements the scan sends can use ``milestone_open_due``,
        ``approval_item_running_due``, ``task_node_open_due`` and ``problem_unsolved_due``:
        SQLite's plan names them; PostgreSQL, told not to scan tables (its choice on a handful
        of rows), takes them, which it can only if the WHERE implies the index's condition."""
        checklist_generate(project=late, by=late.officer)
        lx08 = late.approval_items.get(approval_type__code="LX08")
        workflow.run_transition(lx08, "start_preparing", by=late.officer)
        workflow.run_transition(lx08, "accept", by=late.officer, accepted_on=D(2025, 5, 6))
        TaskNode.objects.create(project=late, name="完成土地摘牌", planned_date=PLANNED)
        Problem.objects.create(project=late, description="用地指标未落实", deadline=PLANNED)
        with CaptureQueriesContext(connection) as captured:
            found = reminders.scan(D(2025, 6, 10))
        assert {r.subject_type.model for r in found.reminders} == {
            "milestone",
            "approvalitem",
            "tasknode",
            "problem",
        }
        sent = [q["sql"] for q in captured.captured_queries]
        # the ids of the late milestones, items, nodes and problems (their rows are then read
        # by id, a chunk at a time: ``scan.chunks``)
        milestones = [
            q for q in sent if '"actual_date" IS NULL' in q and "approvals_tasknode" not in q
        ]
        items = [q for q in sent if 'FROM "approvals_approvalitem"' in q and '"deadline" <' in q]
        nodes = [q for q in sent if '"approvals_tasknode"."actual_date" IS NULL' in q]
        problems = [q for q in sent if 'FROM "approvals_problem"' in q and '"deadline" <' in q]
        assert len(milestones) == 1 and len(items) == 1, sent
        assert len(nodes) == 1 and len(problems) == 1, sent
        explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL enable_seqscan = off")

            def plan(sql: str) -> str:
                cursor.execute(explain + sql)
                return " ".join(str(c) for row in cursor.fetchall() for c in row)

            for sql in milestones:
                assert "milestone_open_due" in plan(sql), (sql, plan(sql))
            assert "approval_item_running_due" in plan(items[0]), plan(items[0])
            assert "task_node_open_due" in plan(nodes[0]), plan(nodes[0])
            assert "problem_unsolved_due" in plan(problems[0]), plan(problems[0])


class TestTheCommand:
    def test_it_says_what_it_claimed_and_sent_per_step(self, late):
        out = io.StringIO()
        call_command("send_reminders", "--date", "2025-06-10", stdout=out)
        text = out.getvalue()
        assert "代办员：逾期" in text and "新增 2 条提醒，已发送 2 条。" in text
        out = io.StringIO()
        call_command("send_reminders", "--date", "2025-06-10", "--dry-run", stdout=out)
        assert "将新增 0 条提醒；试运行：未保存、未发送任何内容。" in out.getvalue()

    def test_on_a_holiday_it_says_so(self, late):
        out = io.StringIO()
        call_command("send_reminders", "--date", "2025-10-03", stdout=out)
        assert "2025-10-03 不是工作日：没有提醒。" in out.getvalue()


class TestForeseenDelay:
    """Signed, a checklist whose before-works items are all settled but two; works planned to
    start on 15 October 2025. Worked out by hand on 29 September 2025 (a Monday)."""

    TODAY = D(2025, 9, 29)

    @pytest.fixture
    def signed(self, zone, alice):
        project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
        checklist_generate(project=project, by=alice)
        for item in project.start_blockers().exclude(approval_type__code__in=["LX08", "HP01"]):
            workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason="测试")
        Milestone.objects.create(
            project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2025, 10, 15)
        )
        return project

    def test_the_earliest_start_by_hand_across_national_day(self, signed, alice):
        # LX08 (10 working days), not yet accepted: 30 Sep, then 9, 10, 11 (a make-up Saturday),
        # 13, 14, 15, 16, 17, 20 October → 20 October. HP01 (60 calendar days), accepted on
        # 1 September: due 31 October, later, so it decides.
        hp01 = signed.approval_items.get(approval_type__code="HP01")
        workflow.run_transition(hp01, "start_preparing", by=alice)
        workflow.run_transition(hp01, "accept", by=alice, accepted_on=D(2025, 9, 1))
        start, item = foresight.foresee([signed.pk], self.TODAY)[signed.pk]
        assert (start, item) == (D(2025, 10, 31), hp01.pk)
        # Under an investor's commitment (承诺制) HP01 holds nothing up: LX08 decides.
        workflow.item_set_mode(signed.approval_items.get(pk=hp01.pk), Mode.COMMITMENT, by=alice)
        start, item = foresight.foresee([signed.pk], self.TODAY)[signed.pk]
        assert start == D(2025, 10, 20)
        assert item == signed.approval_items.get(approval_type__code="LX08").pk

    def test_it_is_at_risk_and_the_officer_is_warned_weekly(self, signed, alice):
        foresight.refresh(today=self.TODAY)
        signed.refresh_from_db()
        assert signed.at_risk_since == self.TODAY
        found = [r for r in reminders.scan(self.TODAY).reminders if r.step == Step.AT_RISK]
        assert [(r.recipient, r.period) for r in found] == [(alice, 0)]
        # Both open: HP01 (60 calendar days from 29 September) decides, 28 November.
        assert "2025年10月15日" in found[0].body and "2025年11月28日" in found[0].body
        assert "环境影响评价" in found[0].body

    def test_a_plan_on_the_earliest_start_is_not_at_risk(self, signed):
        Milestone.objects.filter(project=signed).update(planned_date=D(2025, 11, 28))
        foresight.refresh(today=self.TODAY)
        signed.refresh_from_db()
        assert signed.at_risk_since is None
        Milestone.objects.filter(project=signed).update(planned_date=D(2025, 11, 27))
        foresight.refresh(today=self.TODAY)
        signed.refresh_from_db()
        assert signed.at_risk_since == self.TODAY

    def test_a_plan_after_the_earliest_start_is_not_at_risk(self, signed):
        Milestone.objects.filter(project=signed).update(planned_date=D(2025, 11, 30))
        foresight.refresh(today=self.TODAY)
        signed.refresh_from_db()
        assert signed.at_risk_since is None

    def test_accepting_the_item_moves_the_date(self, signed, alice):
        hp01 = signed.approval_items.get(approval_type__code="HP01")
        workflow.item_set_mode(hp01, Mode.NOT_APPLICABLE, by=alice, reason="测试")
        foresight.refresh(today=self.TODAY)
        signed.refresh_from_db()
        assert signed.at_risk_since is not None  # LX08: 20 October, after the 15th
        lx08 = signed.approval_items.get(approval_type__code="LX08")
        workflow.run_transition(lx08, "start_preparing", by=alice)
        workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2025, 9, 1))
        start, _item = foresight.foresee([signed.pk], self.TODAY)[signed.pk]
        assert start == lx08.__class__.objects.get(pk=lx08.pk).deadline  # 15 September
        signed.refresh_from_db()
        assert signed.at_risk_since is None  # refreshed by the transition itself


@pytest.mark.django_db
class TestTheSchedule:
    """The default schedule is in the database (django-celery-beat), where administrators
    see and change it."""

    def test_the_scan_is_due_at_half_past_eight_beijing_time(self):
        from django_celery_beat.models import PeriodicTask

        task = PeriodicTask.objects.get(task="approvals.tasks.scan_reminders")
        assert task.enabled and task.crontab is not None
        schedule = task.crontab.schedule
        yesterday = dt.datetime(2025, 6, 9, 0, 30, tzinfo=dt.UTC)  # 08:30 in Beijing
        schedule.nowfun = lambda: dt.datetime(2025, 6, 10, 0, 15, tzinfo=dt.UTC)  # 08:15
        assert schedule.is_due(yesterday) == (False, 15 * 60)
        schedule.nowfun = lambda: dt.datetime(2025, 6, 10, 0, 30, tzinfo=dt.UTC)  # 08:30
        assert schedule.is_due(yesterday).is_due
        deliveries = PeriodicTask.objects.get(task="approvals.tasks.deliver_reminders")
        assert deliveries.enabled and (deliveries.interval.every, deliveries.interval.period) == (
            5,
            "minutes",
        )

    def test_an_administrator_changes_it_in_the_admin_and_staff_do_not_see_it(
        self, client, django_user_model, alice
    ):
        from django_celery_beat.models import CrontabSchedule, PeriodicTask

        task = PeriodicTask.objects.get(task="approvals.tasks.scan_reminders")
        url = reverse("admin:django_celery_beat_crontabschedule_change", args=[task.crontab_id])
        client.force_login(alice)
        assert (
            client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code
            == 403
        )
        admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
        client.force_login(admin)
        listing = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
        assert "每日逾期提醒扫描" in listing.content.decode()
        data = change_form_data(client, url, hour="9")
        assert client.post(url, data).status_code == 302
        assert CrontabSchedule.objects.get(pk=task.crontab_id).hour == "9"
