"""The reminder scan off its happy path (issue 17): a scan for an earlier day than the one a
project became at risk, a dry run that must write nothing at all, a day to come refused, two
threads inserting the same reminder into the outbox at once on SQLite, and the schedule that
was a back door (an entry of the scan with a day of 2027), its changes now audited.

The clock is frozen on Monday 29 September 2025, a working day; the Friday before, 26
September, was one too.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from approvals.checklist import foresight
from approvals.checklist.services import checklist_generate
from approvals.models import (
    AuditEvent,
    AuditKind,
    AuditResult,
    Milestone,
    Mode,
    Problem,
    ProblemStatus,
    Project,
    Reminder,
    Stage,
    Step,
    WarningSettings,
)
from approvals.reminders import outbox
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory, UserFactory
from tests.services import at_once
from zones.models import Administrator, AdminRole

D = dt.date
TODAY = D(2025, 9, 29)  # a Monday
FRIDAY = D(2025, 9, 26)  # the working day before
NOW = dt.datetime(2025, 9, 29, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen_day():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def heading_for_a_late_start(catalogue, zone, alice):
    """Signed, every before-works item settled but HP01 (60 calendar days, not applied for);
    works planned for 15 October 2025: at risk on any day of late September."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, name="晋中锂电隔膜项目")
    checklist_generate(project=project, by=alice)
    for item in project.start_blockers().exclude(approval_type__code="HP01"):
        workflow.item_set_mode(item, Mode.NOT_APPLICABLE, by=alice, reason="园区已统一办理")
    Milestone.objects.create(
        project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=D(2025, 10, 15)
    )
    return project


# --- a scan for an earlier day ------------------------------------------------------------


def test_a_scan_for_a_past_working_day_after_a_project_became_at_risk_today(
    heading_for_a_late_start, alice
):
    project = heading_for_a_late_start
    foresight.refresh()
    project.refresh_from_db()
    assert project.at_risk_since == TODAY

    outcome = reminders.run(FRIDAY)

    assert outcome.working_day and outcome.new == {Step.AT_RISK: 1}
    reminder = Reminder.objects.get()
    assert (reminder.recipient, reminder.step, reminder.period, reminder.day) == (
        alice,
        Step.AT_RISK,
        0,  # counted from Friday, the scan's day: it was at risk then too
        FRIDAY,
    )
    assert "2025年11月25日" in reminder.body  # HP01: 60 calendar days from Friday
    project.refresh_from_db()
    assert project.at_risk_since == TODAY  # what the lists read is today's, kept
    # Today's scan finds the same week: nothing new.
    assert reminders.run().new == {}
    assert Reminder.objects.count() == 1


def test_the_command_runs_for_a_past_day_and_refuses_a_day_to_come(heading_for_a_late_start):
    foresight.refresh()
    out = io.StringIO()
    call_command("send_reminders", "--date", FRIDAY.isoformat(), stdout=out)
    assert "新增 1 条提醒，已发送 1 条。" in out.getvalue()
    with pytest.raises(CommandError, match="2027-06-07 在今天（.*）之后"):
        call_command("send_reminders", "--date", "2027-06-07", stdout=io.StringIO())
    assert Reminder.objects.count() == 1


def test_a_project_at_risk_on_the_stored_day_is_counted_from_it(heading_for_a_late_start):
    """The weeks count from the day it was first found at risk when that is before the scan's."""
    project = heading_for_a_late_start
    Project.objects.filter(pk=project.pk).update(at_risk_since=D(2025, 9, 15))
    found = [r for r in reminders.scan(TODAY).reminders if r.step == Step.AT_RISK]
    assert [r.period for r in found] == [2]  # 14 days: the third week


# --- a dry run writes nothing ---------------------------------------------------------------


def every_table() -> dict[str, list[str]]:
    """Every row of every table of the database, as text, in a stable order."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if connection.vendor == "sqlite":
            tables.append("sqlite_sequence")
        dump = {}
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            dump[table] = sorted(repr(row) for row in cursor.fetchall())
    return dump


@pytest.fixture
def much_to_do(heading_for_a_late_start, zone, alice, bob, lily):
    """Everything a run writes: a project at risk not yet marked, one marked that no longer is,
    a late milestone (new reminders), a red problem (escalated); no thresholds row yet (the
    first read creates it)."""
    alice.email = "alice@desk.cn"
    alice.save()
    late = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    Milestone.objects.create(project=late, stage=Stage.READY, planned_date=D(2025, 8, 1))
    Project.objects.filter(pk=late.pk).update(at_risk_since=D(2025, 9, 1))  # not any more
    Problem.objects.create(project=late, description="用地指标未落实", deadline=D(2025, 7, 1))
    WarningSettings.objects.all().delete()
    assert heading_for_a_late_start.at_risk_since is None
    return late


@pytest.mark.parametrize("day", [None, FRIDAY])
def test_a_dry_run_leaves_every_table_as_it_was(much_to_do, day):
    before = every_table()
    args = ["--dry-run"] + (["--date", day.isoformat()] if day else [])
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    assert every_table() == before
    # It did find what a run would do, and a run does write it.
    assert "将新增 7 条提醒" in out.getvalue(), out.getvalue()
    reminders.run(day)
    after = every_table()
    assert after != before
    assert len(after["approvals_reminder"]) == 7
    assert Problem.objects.get().status == ProblemStatus.ESCALATED


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_writes_nothing_on_postgresql_either(postgres, much_to_do):
    """The same, outside any test transaction, where a write would commit."""
    before = every_table()
    out = io.StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "将新增 7 条提醒" in out.getvalue(), out.getvalue()
    assert every_table() == before


# --- the outbox on SQLite: two threads insert the same reminder -----------------------------


@pytest.mark.django_db(transaction=True)
def test_two_threads_inserting_the_same_reminders_make_each_once(catalogue, zone, alice, bob):
    """Both scans found the reminders new before either inserted (held at a barrier there):
    the outbox's unique key keeps one row each, and neither insert fails (``ON CONFLICT DO
    NOTHING``). On whichever database the suite runs; SQLite by default."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 9, 15))
    found = reminders.scan(TODAY)
    assert len(found.reminders) == 2  # alice (week 2) and bob (week 1)
    both_decided = threading.Barrier(2)
    insert_new = outbox.insert_new

    def held_then_inserted(found):
        both_decided.wait(timeout=30)
        return insert_new(found)

    outbox.insert_new = held_then_inserted
    try:
        results = at_once([lambda: reminders.record(reminders.scan(TODAY))] * 2)
    finally:
        outbox.insert_new = insert_new
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(sum(new.values()) for new in results) == 2
    assert sorted(Reminder.objects.values_list("step", "recipient__username", "period")) == [
        (Step.OFFICER, "alice", 1),
        (Step.SUPERVISOR, "bob", 0),
    ]


# --- the schedule is no back door -----------------------------------------------------------

TASKS = reverse("admin:django_celery_beat_periodictask_changelist")
ADD_TASK = reverse("admin:django_celery_beat_periodictask_add")


@pytest.fixture
def sysadmin(db):
    user = UserFactory(username="sys")
    Administrator.objects.create(user=user, role=AdminRole.SYSTEM)
    return user


@pytest.fixture
def in_2027(catalogue, zone, alice, bob, lily):
    """What a scan dated 2027 would act on: a milestone planned in May 2027 and a problem due
    on 1 January 2027 (red by June: escalated)."""
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2027, 5, 1))
    return Problem.objects.create(
        project=project, description="用地指标未落实", deadline=D(2027, 1, 1)
    )


def configuration_records():
    return AuditEvent.objects.filter(kind=AuditKind.CONFIGURATION).order_by("id")


def add_task_data(client, **changes) -> dict:
    scan = PeriodicTask.objects.get(task="approvals.tasks.scan_reminders")
    data = change_form_data(client, ADD_TASK, name="每日扫描（2027）", crontab=scan.crontab_id)
    data.update(changes)
    return data


def test_a_schedule_entry_naming_a_day_is_refused_in_chinese(as_user, sysadmin, in_2027):
    client = as_user(sysadmin)
    data = add_task_data(
        client, regtask="approvals.tasks.scan_reminders", kwargs='{"day": "2027-06-07"}'
    )
    page = client.post(ADD_TASK, data)
    assert page.status_code == 200  # the form again, with the error
    errors = page.context["adminform"].form.errors
    assert errors["kwargs"] == [
        "任务“approvals.tasks.scan_reminders”不接受参数：它总是按运行当时执行。"
        '请删除 {"day": "2027-06-07"}。'
    ]
    assert not PeriodicTask.objects.filter(name="每日扫描（2027）").exists()
    assert not configuration_records().exists()
    # Positional arguments likewise; and a task the schedule does not run.
    data = add_task_data(client, regtask="approvals.tasks.scan_reminders", args='["2027-06-07"]')
    assert "args" in client.post(ADD_TASK, data).context["adminform"].form.errors
    data = add_task_data(client, task="approvals.tasks.run_job", args="[1]")
    errors = client.post(ADD_TASK, data).context["adminform"].form.errors
    assert "不是计划任务可以运行的任务" in errors["task"][0]
    assert (
        PeriodicTask.objects.count() == 3
    )  # the migrations' three (scan, delivery, weekly bulletins)


def test_a_task_sent_a_day_anyway_refuses_it_and_does_nothing(in_2027, celery_inline):
    """A message naming a day (an entry written into the database directly, or before the
    rule): the task is called wrongly and nothing runs."""
    from approvals.tasks import scan_reminders

    with pytest.raises(TypeError, match="unexpected keyword argument 'day'"):
        scan_reminders.apply(kwargs={"day": "2027-06-07"})  # as a worker runs a message
    with pytest.raises(TypeError):
        scan_reminders.delay(day="2027-06-07")  # refused as it is sent
    assert not Reminder.objects.exists()
    in_2027.refresh_from_db()
    assert in_2027.status == ProblemStatus.OPEN
    assert scan_reminders.apply().successful()  # today's run: nothing of 2027 is late yet
    assert not Reminder.objects.exists()


def test_an_entry_added_changed_and_deleted_is_recorded(as_user, sysadmin):
    client = as_user(sysadmin)
    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    data = add_task_data(
        client,
        name="每小时发送待发提醒",
        regtask="approvals.tasks.deliver_reminders",
        crontab="",
        interval=every_hour.pk,
    )
    assert client.post(ADD_TASK, data).status_code == 302
    task = PeriodicTask.objects.get(name="每小时发送待发提醒")
    added = configuration_records().get()
    assert (added.user, added.username, added.source_address, added.result) == (
        sysadmin,
        "sys",
        "127.0.0.1",
        AuditResult.SUCCESS,
    )
    assert (added.object_type, added.object_id) == ("django_celery_beat.PeriodicTask", str(task.pk))
    assert added.detail["action"] == "added"
    assert added.detail["values"]["task"] == "approvals.tasks.deliver_reminders"
    assert added.detail["values"]["interval_id"] == every_hour.pk

    change = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    assert (
        client.post(change, change_form_data(client, change, description="重试邮件")).status_code
        == 302
    )
    changed = configuration_records().last()
    assert changed.detail == {"action": "changed", "changed": {"description": ["", "重试邮件"]}}

    # The list's actions change it by an UPDATE: recorded too.
    off = {"action": "disable_tasks", "_selected_action": [task.pk]}
    assert client.post(TASKS, off).status_code == 302
    assert PeriodicTask.objects.get(pk=task.pk).enabled is False
    assert configuration_records().last().detail == {
        "action": "changed",
        "changed": {"enabled": [True, False]},
    }

    # Deleting the interval deletes the task using it: both recorded.
    delete = reverse("admin:django_celery_beat_intervalschedule_delete", args=[every_hour.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()
    deleted = {
        (r.object_type, r.object_id)
        for r in configuration_records()
        if r.detail["action"] == "deleted"
    }
    assert deleted == {
        ("django_celery_beat.PeriodicTask", str(task.pk)),
        ("django_celery_beat.IntervalSchedule", str(every_hour.pk)),
    }
    assert {r.user for r in configuration_records()} == {sysadmin}


def test_the_daily_scans_time_changed_is_recorded(as_user, sysadmin):
    client = as_user(sysadmin)
    scan = PeriodicTask.objects.get(task="approvals.tasks.scan_reminders")
    url = reverse("admin:django_celery_beat_crontabschedule_change", args=[scan.crontab_id])
    assert client.post(url, change_form_data(client, url, hour="9")).status_code == 302
    record = configuration_records().get()
    assert (record.user, record.object_type, record.object_id) == (
        sysadmin,
        "django_celery_beat.CrontabSchedule",
        str(scan.crontab_id),
    )
    assert record.detail == {"action": "changed", "changed": {"hour": ["8", "9"]}}


def test_running_a_forged_entry_now_is_refused(as_user, sysadmin, in_2027, celery_inline):
    """An entry with a day, written into the database past the form: "run now" names it and
    runs nothing."""
    scan = PeriodicTask.objects.get(task="approvals.tasks.scan_reminders")
    forged = PeriodicTask.objects.create(
        name="伪造的扫描",
        task="approvals.tasks.scan_reminders",
        crontab=scan.crontab,
        kwargs='{"day": "2027-06-07"}',
    )
    client = as_user(sysadmin)
    page = client.post(TASKS, {"action": "run_tasks", "_selected_action": [forged.pk]}, follow=True)
    assert page.status_code == 200
    assert "伪造的扫描：任务“approvals.tasks.scan_reminders”不接受参数" in page.content.decode()
    assert not Reminder.objects.exists()
    in_2027.refresh_from_db()
    assert in_2027.status == ProblemStatus.OPEN
