"""Reminders leaving the outbox (guide sections 6 and 11), with real processes and services:
a real worker whose embedded beat fires the scan from django-celery-beat's schedule, scans
racing each other on PostgreSQL, a worker that died holding a claim, and an email server that
fails before it works (or never does)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from approvals.models import (
    ApprovalItem,
    ApprovalType,
    CalendarDay,
    Delivery,
    EmailState,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    ProblemStatus,
    Reminder,
    Stage,
    Step,
)
from approvals.reminders import services as reminders
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory
from tests.services import at_once, database_url, machines_now, stop_worker, worker_command
from zones.models import Role

D = dt.date(2025, 6, 10)  # a Tuesday, a working day of the official calendar


def with_email(*people) -> None:
    for person in people:
        person.email = f"{person.username}@desk.cn"
        person.save()


def late_milestone(project, stage: str, days_late: int) -> Milestone:
    return Milestone.objects.create(
        project=project, stage=stage, planned_date=D - dt.timedelta(days=days_late)
    )


def key(r: Reminder) -> tuple:
    return (r.subject_type_id, r.subject_id, r.step, r.recipient_id, r.period)


def emails_for(r: Reminder) -> list:
    return [m for m in mail.outbox if m.subject == r.title and m.to == [r.recipient.email]]


# --- 1. a real worker with its beat --------------------------------------------------------

WORKER_SETTINGS = '''\
"""tests.settings with reminder emails written to files (tests.settings sets the locmem
backend, which no environment variable can override)."""
import os

from tests.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
'''


def start_worker_with_beat(tmp_path: Path, redis_url: str, mail_dir: Path):
    module = f"worker_settings_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(WORKER_SETTINGS)
    log = (tmp_path / "worker.log").open("w")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": module,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), str(django_settings.BASE_DIR), os.environ.get("PYTHONPATH", "")]
        ),
    }
    worker = subprocess.Popen(
        worker_command(
            django_settings.CELERY_TASK_DEFAULT_QUEUE,
            "--beat",
            "--hostname",
            f"reminders-{uuid.uuid4().hex[:8]}@%h",
            "--loglevel=INFO",
        ),
        cwd=django_settings.BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the embedded beat is a child process: one group to stop
    )
    return worker, log


def stop(worker: subprocess.Popen, log, log_path: Path) -> str:
    stop_worker(worker)
    try:  # a beat child left behind by a worker that did not stop it
        os.killpg(worker.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    log.close()
    output = log_path.read_text(errors="replace")
    print(output)
    return output


def machines_today() -> dt.date:
    """The worker's today: the machine's, even while this process travels in time (a test's
    frozen clock, or PROJECTDESK_TEST_TODAY in tests/conftest.py)."""
    return timezone.localdate(machines_now())


def scans_run(log_path: Path) -> int:
    text = log_path.read_text(errors="replace")
    return sum(
        "approvals.tasks.scan_reminders[" in line and "succeeded" in line
        for line in text.splitlines()
    )


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_scheduled_scan_and_delivers(
    tmp_path: Path, redis_url: str, catalogue, zone, alice, lily
):
    """The scheduled scan takes no day: it scans the worker's today, which the administrators'
    calendar makes a working day whatever day the suite runs on (a make-up working day), with a
    milestone three days late. Beside it, an entry of the scan naming a day of 2027 (written
    into the database past the admin's form, as an attacker with the schedule did, issue 17):
    the beat refuses to send it, and nothing of 2027 happens."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    today = machines_today()
    CalendarDay.objects.update_or_create(day=today, defaults={"kind": CalendarDay.Kind.WORKDAY})
    with_email(alice)
    project = ProjectFactory(zone=zone, officer=alice, name="晋中太行山新能源装备制造项目")
    start = Milestone.objects.create(
        project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=today - dt.timedelta(days=3)
    )
    in_2027 = ProjectFactory(zone=zone, officer=alice, leader=lily, name="晋中二〇二七年项目")
    Milestone.objects.create(project=in_2027, stage=Stage.SIGNED, planned_date=dt.date(2027, 5, 1))
    problem = Problem.objects.create(
        project=in_2027, description="用地指标未落实", deadline=dt.date(2027, 1, 1)
    )
    PeriodicTask.objects.update(enabled=False)  # the migration's own: they would not fire anyway
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    for name, kwargs in (("scan for the test", {}), ("forged scan", {"day": "2027-06-07"})):
        PeriodicTask.objects.create(
            name=f"{name} {uuid.uuid4().hex[:8]}",
            task="approvals.tasks.scan_reminders",
            interval=every_second,
            kwargs=json.dumps(kwargs),
            queue=django_settings.CELERY_TASK_DEFAULT_QUEUE,
        )
    mail_dir = tmp_path / "mail"
    log_path = tmp_path / "worker.log"

    worker, log = start_worker_with_beat(tmp_path, redis_url, mail_dir)
    try:
        deadline = time.monotonic() + 60
        sent = Reminder.objects.filter(recipient=alice, status=Delivery.SENT)
        while not sent.exists():
            assert worker.poll() is None, "the worker stopped"
            assert time.monotonic() < deadline, "no reminder was sent within 60 s"
            time.sleep(0.5)
        # Let the beat fire the scan a few more times: nothing new may come of it.
        more = time.monotonic() + 20
        while scans_run(log_path) < 4 and time.monotonic() < more:
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.5)
    finally:
        output = stop(worker, log, log_path)

    assert scans_run(log_path) >= 4, output
    assert "got an unexpected keyword argument 'day'" in output
    assert Reminder.objects.count() == 1
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN
    made = Reminder.objects.filter(recipient=alice)
    assert made.count() == 1
    reminder = made.get()
    assert (reminder.subject_id, reminder.step, reminder.period) == (start.pk, Step.OFFICER, 0)
    assert reminder.subject == start
    assert reminder.day == today
    assert reminder.delivered_at is not None  # in alice's inbox
    assert reminder in Reminder.objects.inbox(alice)
    assert (reminder.status, reminder.email_status, reminder.attempts) == (
        Delivery.SENT,
        EmailState.SENT,
        1,
    )
    files = sorted(mail_dir.iterdir())
    assert len(files) == 1, files
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == alice.email
    assert project.name in message["Subject"]
    assert project.name in message.get_content()


# --- 2. scans and deliveries racing on PostgreSQL ------------------------------------------


def person(zone, username: str, role: str):
    user = UserFactory(username=username)
    ZoneRoleFactory(user=user, zone=zone, role=role)
    return user


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
def many_late(postgres, catalogue, zone, alice, bob, lily):
    """Late milestones and items of several projects, for two officers, two supervisors and a
    leader, and a project heading for a late start."""
    olivia = person(zone, "olivia", Role.OFFICER)
    sam = person(zone, "sam", Role.SUPERVISOR)
    with_email(alice, bob, lily, olivia, sam)
    p1 = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    late_milestone(p1, Stage.READY, 3)
    accepted_item(p1, "LX08", D - dt.timedelta(days=5), officer=olivia)
    p2 = ProjectFactory(zone=zone, officer=olivia, leader=lily)
    late_milestone(p2, Stage.SIGNED, 10)
    accepted_item(p2, "LX03", D - dt.timedelta(days=30))
    p3 = ProjectFactory(zone=zone, officer=alice, leader=lily)
    late_milestone(p3, Stage.SIGNED, 40)
    p4 = ProjectFactory(zone=zone, stage=Stage.SIGNED, officer=alice, leader=lily)
    ApprovalItem.objects.create(project=p4, approval_type=ApprovalType.objects.get(code="LX03"))
    Milestone.objects.create(
        project=p4, stage=Stage.UNDER_CONSTRUCTION, planned_date=D + dt.timedelta(days=2)
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_scans_racing_on_postgresql_make_each_reminder_once(many_late):
    keys = {key(r) for r in reminders.scan(D).reminders}
    steps = {k[2] for k in keys}
    assert steps == {Step.OFFICER, Step.SUPERVISOR, Step.LEADER, Step.AT_RISK}, keys
    assert len(keys) >= 12

    for _round in range(5):
        Reminder.objects.all().delete()
        results = at_once([lambda: reminders.record(reminders.scan(D))] * 4)
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, errors
        assert Reminder.objects.count() == len(keys)
        assert {key(r) for r in Reminder.objects.all()} == keys

    for _round in range(5):
        Reminder.objects.update(  # all pending again, for two deliveries racing
            status=Delivery.PENDING,
            email_status=EmailState.PENDING,
            attempts=0,
            claimed_until=None,
            delivered_at=None,
            sent_at=None,
            next_attempt_at=timezone.now() - dt.timedelta(seconds=1),
        )
        mail.outbox.clear()
        results = at_once([reminders.deliver] * 2)
        errors = [r for r in results if isinstance(r, Exception)]
        assert not errors, errors
        assert sum(sum(sent.values()) for sent in results) == len(keys)
        made = list(Reminder.objects.select_related("recipient"))
        assert {(r.status, r.email_status, r.attempts) for r in made} == {
            (Delivery.SENT, EmailState.SENT, 1)
        }
        assert Counter((m.subject, tuple(m.to), m.body) for m in mail.outbox) == Counter(
            (
                r.title,
                (r.recipient.email,),
                f"{r.body}\n\n{django_settings.SITE_URL.rstrip('/')}{r.link}",
            )
            for r in made
        )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_racing_scans_report_each_new_reminder_once(many_late):
    for _round in range(5):
        Reminder.objects.all().delete()
        found = [reminders.scan(D) for _n in range(4)]
        results = at_once([lambda f=f: reminders.record(f) for f in found])
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(sum(new.values()) for new in results) == Reminder.objects.count()


# --- 3. a worker that died holding a claim -------------------------------------------------


@pytest.fixture
def ten_days_late(zone, alice, bob):
    """alice's project, 10 days late on D: alice (period 1) and bob (period 0) hear of it."""
    with_email(alice, bob)
    project = ProjectFactory(zone=zone, officer=alice)
    late_milestone(project, Stage.SIGNED, 10)
    return project


@pytest.mark.django_db
def test_a_worker_that_died_after_claiming_leaves_it_to_a_later_run(ten_days_late, alice, bob):
    reminders.record(reminders.scan(D))
    assert Reminder.objects.count() == 2
    held = Reminder.objects.get(recipient=alice)
    other = Reminder.objects.get(recipient=bob)
    now = timezone.now()

    assert reminders.claim(held.pk, now)  # ... and the worker dies
    assert not reminders.claim(held.pk, now)  # nobody else takes it meanwhile

    assert sum(reminders.deliver(now).values()) == 1
    held.refresh_from_db()
    other.refresh_from_db()
    assert (other.status, len(emails_for(other))) == (Delivery.SENT, 1)
    assert (held.status, held.delivered_at, emails_for(held)) == (Delivery.PENDING, None, [])

    assert sum(reminders.deliver(now + reminders.LEASE - dt.timedelta(seconds=1)).values()) == 0
    assert sum(reminders.deliver(now + reminders.LEASE + dt.timedelta(minutes=1)).values()) == 1
    held.refresh_from_db()
    assert (held.status, held.email_status, held.claimed_until) == (
        Delivery.SENT,
        EmailState.SENT,
        None,
    )
    assert held.delivered_at is not None
    assert len(emails_for(held)) == 1 and len(emails_for(other)) == 1
    assert len(mail.outbox) == 2


# --- 4. an email server that fails --------------------------------------------------------

#: What the flaky backend delivered, and how many times it was asked.
SENT: list = []
ASKED = Counter()


class FlakyBackend(BaseEmailBackend):
    """Fails the first time it is asked to send, then delivers into ``SENT``."""

    def send_messages(self, messages):
        ASKED["flaky"] += 1
        if ASKED["flaky"] == 1:
            raise ConnectionRefusedError("the SMTP server is down")
        SENT.extend(messages)
        return len(messages)


class AlwaysFailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        ASKED["failing"] += 1
        raise ConnectionRefusedError("the SMTP server is down")


@pytest.fixture
def email_server():
    SENT.clear()
    ASKED.clear()
    yield
    SENT.clear()
    ASKED.clear()


@pytest.mark.django_db
def test_a_failing_email_is_retried_with_backoff_and_sent_once(settings, email_server, zone, alice):
    settings.EMAIL_BACKEND = "tests.reminders.test_reminders_delivery.FlakyBackend"
    with_email(alice)
    project = ProjectFactory(zone=zone, officer=alice)
    late_milestone(project, Stage.SIGNED, 3)
    reminders.record(reminders.scan(D))
    reminder = Reminder.objects.get()
    now = timezone.now()

    assert reminders.deliver(now) == Counter()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.email_status, reminder.attempts) == (
        Delivery.PENDING,
        EmailState.PENDING,
        1,
    )
    assert "ConnectionRefusedError" in reminder.last_error
    assert reminder.next_attempt_at == now + reminders.backoff(1) > now
    assert reminder.claimed_until is None
    assert reminder.delivered_at == now  # in the inbox already
    assert reminder in Reminder.objects.inbox(alice)

    assert reminders.deliver(now) == Counter()  # not due yet
    assert reminders.deliver(reminder.next_attempt_at - dt.timedelta(seconds=1)) == Counter()
    assert ASKED["flaky"] == 1 and SENT == []

    retry = reminder.next_attempt_at
    assert reminders.deliver(retry) == Counter({Step.OFFICER: 1})
    reminder.refresh_from_db()
    assert (reminder.status, reminder.email_status, reminder.attempts, reminder.last_error) == (
        Delivery.SENT,
        EmailState.SENT,
        2,
        "",
    )
    assert (reminder.sent_at, reminder.delivered_at) == (retry, now)
    assert [(m.subject, m.to) for m in SENT] == [(reminder.title, [alice.email])]

    assert reminders.deliver(retry + dt.timedelta(days=2)) == Counter()
    assert len(SENT) == 1 and ASKED["flaky"] == 2


@pytest.mark.django_db
def test_an_email_failing_every_time_is_given_up_and_shown_failed_to_an_administrator(
    settings, email_server, zone, alice, bob, superuser, client
):
    settings.EMAIL_BACKEND = "tests.reminders.test_reminders_delivery.AlwaysFailingBackend"
    with_email(alice)  # bob has no address: his reminder is for the inbox only
    project = ProjectFactory(zone=zone, officer=alice)
    late_milestone(project, Stage.SIGNED, 10)
    reminders.record(reminders.scan(D))
    failing = Reminder.objects.get(recipient=alice)
    inbox_only = Reminder.objects.get(recipient=bob)

    at = timezone.now()
    waits = []
    for attempt in range(1, reminders.MAX_ATTEMPTS + 1):
        assert reminders.deliver(at) == (Counter({Step.SUPERVISOR: 1}) if attempt == 1 else {})
        failing.refresh_from_db()
        assert failing.attempts == attempt
        waits.append(failing.next_attempt_at - at)
        at = failing.next_attempt_at
        if attempt < reminders.MAX_ATTEMPTS:
            assert (failing.status, failing.email_status) == (Delivery.PENDING, EmailState.PENDING)
    assert waits[:-1] == [dt.timedelta(minutes=2**n) for n in range(1, reminders.MAX_ATTEMPTS)]
    assert (failing.status, failing.email_status) == (Delivery.FAILED, EmailState.FAILED)
    assert "ConnectionRefusedError" in failing.last_error
    assert failing.delivered_at is not None  # it stays in alice's inbox
    assert ASKED["failing"] == reminders.MAX_ATTEMPTS
    assert reminders.deliver(at + dt.timedelta(days=7)) == Counter()
    assert ASKED["failing"] == reminders.MAX_ATTEMPTS
    inbox_only.refresh_from_db()
    assert (inbox_only.status, inbox_only.email_status) == (Delivery.SENT, EmailState.NONE)

    client.force_login(superuser)
    page = client.get(reverse("admin:approvals_reminder_changelist"), {"status__exact": "failed"})
    assert page.status_code == 200
    content = page.content.decode()
    assert escape(failing.title) in content
    assert escape(inbox_only.title) not in content
    assert 'class="errornote"' in content
    assert page.context["cl"].result_count == 1
