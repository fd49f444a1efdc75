"""The scan read and recorded a chunk of subjects at a time (issue 21) makes the reminders the
scan held in one list made (``scan_before``, the code of commit 8693639): on a desk with every
kind of subject — late milestones (the officer's, the supervisors' and the leader's steps),
approval items with their own 经办人, task nodes, problems, a project at risk whose start is
also late — and reminders already sent on earlier days, one subject per chunk."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    Reminder,
    Stage,
    Step,
    TaskNode,
)
from approvals.reminders import outbox
from approvals.reminders import scan as chunked
from approvals.reminders import services as reminders
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from tests.reminders import scan_before
from zones.models import Role

D = dt.date(2025, 6, 10)  # a Tuesday, a working day of the official calendar
FIELDS = ("subject_type_id", "subject_id", "project_id", "step", "recipient_id", "period")
TEXT = ("day", "title", "body", "link")


def ago(days: int) -> dt.date:
    return D - dt.timedelta(days=days)


def accepted_item(project, code: str, deadline: dt.date, officer=None) -> ApprovalItem:
    return ApprovalItem.objects.create(
        project=project,
        approval_type=ApprovalType.objects.get(code=code),
        mode=Mode.APPROVAL,
        status=ItemStatus.ACCEPTED,
        accepted_on=deadline - dt.timedelta(days=20),
        deadline=deadline,
        officer=officer,
    )


@pytest.fixture
def desk(catalogue, zone, other_zone, alice, bob, lily, charlie):
    olivia = UserFactory(username="olivia")
    ZoneRoleFactory(user=olivia, zone=zone, role=Role.OFFICER)
    sam = UserFactory(username="sam")
    ZoneRoleFactory(user=sam, zone=other_zone, role=Role.SUPERVISOR)
    p1 = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    Milestone.objects.create(project=p1, stage=Stage.READY, planned_date=ago(3))
    accepted_item(p1, "LX08", ago(5), officer=olivia)
    TaskNode.objects.create(project=p1, name="完成土地摘牌", planned_date=ago(12))
    p2 = ProjectFactory(zone=zone, officer=olivia, leader=lily)
    Milestone.objects.create(project=p2, stage=Stage.SIGNED, planned_date=ago(10))
    accepted_item(p2, "LX03", ago(30))
    Problem.objects.create(project=p2, description="用地指标未落实", deadline=ago(45))
    p3 = ProjectFactory(zone=zone, officer=None, leader=lily)  # the supervisors follow it
    Milestone.objects.create(project=p3, stage=Stage.SIGNED, planned_date=ago(40))
    Problem.objects.create(project=p3, description="环评批复待取得", deadline=ago(2))
    p4 = ProjectFactory(zone=other_zone, stage=Stage.SIGNED, officer=charlie, leader=lily)
    ApprovalItem.objects.create(project=p4, approval_type=ApprovalType.objects.get(code="LX03"))
    Milestone.objects.create(project=p4, stage=Stage.UNDER_CONSTRUCTION, planned_date=ago(9))
    TaskNode.objects.create(project=p4, name="施工许可", planned_date=ago(70))
    p5 = ProjectFactory(zone=other_zone, stage=Stage.SIGNED, officer=charlie)
    ApprovalItem.objects.create(project=p5, approval_type=ApprovalType.objects.get(code="LX03"))
    Milestone.objects.create(
        project=p5, stage=Stage.UNDER_CONSTRUCTION, planned_date=D + dt.timedelta(days=2)
    )
    closed = ProjectFactory(zone=zone, officer=alice)
    Milestone.objects.create(project=closed, stage=Stage.SIGNED, planned_date=ago(20))
    type(closed).objects.filter(pk=closed.pk).update(stage=Stage.WITHDRAWN)
    # What earlier days' scans sent: some again due (a new period), some heard of already.
    with time_machine.travel(dt.datetime(2025, 6, 3, 9, tzinfo=dt.UTC), tick=False):
        reminders.record(reminders.scan(ago(7)))
    assert Reminder.objects.exists()


def as_rows(found) -> list[tuple]:
    return sorted(tuple(getattr(r, f) for f in FIELDS + TEXT) for r in found)


@time_machine.travel(dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC), tick=False)
def test_the_chunked_scan_records_what_the_whole_scan_did(desk, monkeypatch):
    before = scan_before.scan(D)
    steps = {r.step for r in before.reminders}
    assert steps == {Step.OFFICER, Step.SUPERVISOR, Step.LEADER, Step.AT_RISK}, steps
    kinds = {r.subject_type.model for r in before.reminders}
    assert kinds == {"milestone", "approvalitem", "tasknode", "problem"}, kinds
    expected = as_rows(outbox.new_reminders(before.reminders))
    assert expected, "something new today"

    monkeypatch.setattr(chunked, "CHUNK", 1)
    found = chunked.Scan(D)
    parts = list(chunked.chunks(found))
    assert len(parts) > 4, "a chunk per subject"
    assert as_rows(r for part in parts for r in part) == as_rows(before.reminders)
    assert found.at_risk == before.at_risk

    known = set(Reminder.objects.values_list("pk", flat=True))
    made = outbox.record(iter(parts))
    recorded = Reminder.objects.exclude(pk__in=known)
    assert sorted(tuple(getattr(r, f) for f in FIELDS + TEXT) for r in recorded) == expected
    assert sum(made.values()) == len(expected)
    assert outbox.record(chunked.chunks(chunked.Scan(D))) == {}, "nothing twice"


@time_machine.travel(dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC), tick=False)
def test_the_daily_job_records_what_the_whole_scan_did(desk, monkeypatch):
    before = scan_before.scan(D)
    expected = as_rows(outbox.new_reminders(before.reminders))
    monkeypatch.setattr(chunked, "CHUNK", 2)
    known = set(Reminder.objects.values_list("pk", flat=True))
    outcome = reminders.run(D)
    recorded = Reminder.objects.exclude(pk__in=known)
    assert sorted(tuple(getattr(r, f) for f in FIELDS + TEXT) for r in recorded) == expected
    assert sum(outcome.new.values()) == len(expected)
    assert outcome.found == Counter(r.step for r in before.reminders)


@time_machine.travel(dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC), tick=False)
def test_recorded_reminders_wait_in_the_outbox_as_a_saved_one_does(desk):
    """The outbox writes the scan's tuples with plain SQL (COPY on PostgreSQL): every other
    column as ``Reminder``'s defaults make it, read back fresh — pending, by email, due now."""
    known = set(Reminder.objects.values_list("pk", flat=True))
    assert sum(outbox.record(chunked.chunks(chunked.Scan(D))).values())
    saved = Reminder(subject_id=0, project_id=0, step=Step.OFFICER, recipient_id=0, period=0)
    columns = (
        "status",
        "email_status",
        "attempts",
        "next_attempt_at",
        "claimed_until",
        "last_error",
        "created_at",
        "delivered_at",
        "sent_at",
        "read_at",
    )
    recorded = Reminder.objects.exclude(pk__in=known).values_list(*columns)
    assert set(recorded) == {tuple(getattr(saved, c) for c in columns)}


@pytest.mark.django_db(transaction=True)
@time_machine.travel(dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC), tick=False)
def test_on_postgresql_a_second_connection_records_what_one_did(postgres, desk, monkeypatch):
    """Outside a transaction on PostgreSQL the chunks are recorded in a thread, on a connection
    of its own, while the scan reads the next (``outbox._record_beside``): the same rows as
    recorded one after the other, and nothing twice."""
    before = scan_before.scan(D)
    expected = as_rows(outbox.new_reminders(before.reminders))
    monkeypatch.setattr(chunked, "CHUNK", 1)
    threads = set()
    record_each = outbox._record_each

    def seen(chunks):
        threads.add(threading.current_thread().name)
        return record_each(chunks)

    monkeypatch.setattr(outbox, "_record_each", seen)
    known = set(Reminder.objects.values_list("pk", flat=True))
    made = outbox.record(chunked.chunks(chunked.Scan(D)))
    assert threads == {"reminder-outbox"}
    recorded = Reminder.objects.exclude(pk__in=known)
    assert sorted(tuple(getattr(r, f) for f in FIELDS + TEXT) for r in recorded) == expected
    assert sum(made.values()) == len(expected)
    assert outbox.record(chunked.chunks(chunked.Scan(D))) == {}, "nothing twice"


@pytest.mark.django_db(transaction=True)
@time_machine.travel(dt.datetime(2025, 6, 10, 9, tzinfo=dt.UTC), tick=False)
def test_a_failure_recording_beside_the_scan_stops_it_and_is_raised(postgres, desk, monkeypatch):
    monkeypatch.setattr(chunked, "CHUNK", 1)
    tried = []

    def failing(found):
        tried.append(found)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(outbox, "insert_new", failing)
    threads = threading.active_count()
    with pytest.raises(RuntimeError, match="the disk is full"):
        outbox.record(chunked.chunks(chunked.Scan(D)))
    assert len(tried) == 1, "nothing recorded after the failure"
    assert threading.active_count() == threads, "the recording thread ended"
