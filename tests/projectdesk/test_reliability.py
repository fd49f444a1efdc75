"""What a person meets when the database or the broker is not there in time.

A write that cannot get the database answers "系统繁忙，请稍后重试" (503, Retry-After) and saves
nothing half-way; a broker out of reach does not fail the request, and the job it would have
queued stays queued in the database until the broker is back, then runs once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from approvals.jobs import services as jobs
from approvals.models import Job, JobKind, JobStatus, Milestone, Stage
from projectdesk.celery import REQUEUE_ENTRY, app
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory
from tests.projectdesk import test_health
from tests.projectdesk.test_health import _forget_connections, closed_port, put_back, use_broker
from tests.services import database_url, stop_worker, worker_command

# The broker out of reach (a closed port): pytest takes a module's fixtures from its names.
broker_away = test_health.broker_away
own_redis = test_health.own_redis

pytestmark = pytest.mark.django_db(transaction=True)

DISPATCH = reverse("admin:approvals_project_dispatch")


def change_url(project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


# --- a busy database -----------------------------------------------------------------------


class LockHolder:
    """Another connection holding what the request must write: on SQLite the file's write lock
    (so the request's transaction cannot begin), on PostgreSQL the row of one milestone (so the
    request has already updated the project when it waits for that row, and must undo it)."""

    def __init__(self, milestone: Milestone):
        self.milestone = milestone
        self.held = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self.hold)

    def hold(self) -> None:
        if connection.vendor == "sqlite":
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
            other.execute("BEGIN IMMEDIATE")
            self.held.set()
            self.release.wait(30)
            other.rollback()
            other.close()
            return
        import psycopg

        with psycopg.connect(database_url()) as other:
            other.execute(
                "SELECT id FROM approvals_milestone WHERE id = %s FOR UPDATE", [self.milestone.pk]
            )
            self.held.set()
            self.release.wait(30)
            other.rollback()

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


@pytest.fixture
def short_waits():
    """The production waits (SQLite 20 s, PostgreSQL's lock_timeout 5 s), made short."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA busy_timeout = 300")
        else:
            cursor.execute("SET lock_timeout = '300ms'")
    yield
    connection.close()  # the next test's connection has the settings' waits again


def test_a_write_that_cannot_get_the_database_is_a_busy_page_and_saves_nothing(
    client, alice, zone, short_waits
):
    project = ProjectFactory(zone=zone, officer=alice, name="晋中锂电池项目")
    start = Milestone.objects.get_or_create(project=project, stage=Stage.UNDER_CONSTRUCTION)[0]
    client.force_login(alice)
    url = change_url(project)
    data = change_form_data(client, url, name="改了名字的项目")
    prefix = next(k for k in data if k.endswith("-0-id") and data[k] == start.pk)[: -len("-0-id")]
    data[f"{prefix}-0-planned_date"] = "2026-03-01"

    with LockHolder(start):
        response = client.post(url, data)

    assert response.status_code == 503
    assert response["Retry-After"] == str(settings.BUSY_RETRY_AFTER)
    assert "系统繁忙，请稍后重试" in response.content.decode()
    project.refresh_from_db()
    start.refresh_from_db()
    assert (project.name, start.planned_date) == ("晋中锂电池项目", None)  # nothing half-way
    # The same form, the database free again: saved.
    assert client.post(url, data).status_code == 302
    project.refresh_from_db()
    assert project.name == "改了名字的项目"


# --- the broker out of reach ---------------------------------------------------------------


@pytest.fixture
def big_exports(settings, tmp_path):
    """Every export goes to the worker; its files in a folder of the test."""
    settings.SPREADSHEET_WORKER_ROWS = 0
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_request_succeeds_without_the_broker_and_its_job_stays_queued(
    client, alice, zone, big_exports, broker_away
):
    ProjectFactory(zone=zone, officer=alice)
    client.force_login(alice)
    started = time.monotonic()
    response = client.get(DISPATCH)
    assert time.monotonic() - started < 10  # BROKER_TIMEOUT and one retry, not for ever
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:approvals_job_change", args=[job.pk])
    assert (job.kind, job.status, job.created_by) == (JobKind.EXPORT, JobStatus.QUEUED, alice)
    assert client.get(response["Location"]).status_code == 200  # its page, waiting


def test_requeue_sends_the_jobs_waiting_longer_than_a_minute(celery_inline, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    waiting = Job.objects.create(
        kind=JobKind.RECOUNT_DEADLINES, created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    young = Job.objects.create(kind=JobKind.RECOUNT_DEADLINES)
    done = Job.objects.create(
        kind=JobKind.RECOUNT_DEADLINES,
        status=JobStatus.DONE,
        created_at=timezone.now() - dt.timedelta(minutes=5),
    )

    assert jobs.requeue() == 1  # the worker (eager here) runs it

    statuses = dict(Job.objects.values_list("pk", "status"))
    assert statuses == {
        waiting.pk: JobStatus.DONE,
        young.pk: JobStatus.QUEUED,
        done.pk: JobStatus.DONE,
    }


def test_requeue_stops_while_the_broker_is_away(broker_away):
    old = timezone.now() - dt.timedelta(minutes=3)
    for _ in range(3):
        Job.objects.create(kind=JobKind.RECOUNT_DEADLINES, created_at=old)
    started = time.monotonic()
    assert jobs.requeue() == 0
    assert time.monotonic() - started < 10  # gave up at the first, not once per job
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}


def test_a_job_sent_twice_runs_once(celery_inline):
    from approvals.tasks import run_job

    job = Job.objects.create(kind=JobKind.RECOUNT_DEADLINES)
    run_job.delay(job.pk)
    finished = Job.objects.get(pk=job.pk).finished_at
    run_job.delay(job.pk)  # the beat's copy, arriving late
    job.refresh_from_db()
    assert (job.status, job.finished_at) == (JobStatus.DONE, finished)


def test_the_beat_sends_waiting_jobs_every_minute():
    entry = app.conf.beat_schedule[REQUEUE_ENTRY]
    assert entry["task"] == "approvals.tasks.requeue_jobs"
    assert entry["schedule"] == 60.0
    assert "approvals.tasks.requeue_jobs" in app.tasks


@pytest.mark.slow
@pytest.mark.services
def test_a_job_queued_while_redis_was_away_runs_once_when_a_worker_is_back(
    client, alice, zone, big_exports, redis_url, tmp_path
):
    ProjectFactory(zone=zone, officer=alice, name="晋中光伏项目")
    client.force_login(alice)
    saved = use_broker(f"redis://127.0.0.1:{closed_port()}/0", {"socket_connect_timeout": 2})
    try:
        assert client.get(DISPATCH).status_code == 302  # Redis away: the request still succeeds
    finally:
        put_back(saved)
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED

    # Redis is back and a worker starts: it sends the waiting job again and runs it, once.
    worker = start_worker(redis_url, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                break
            time.sleep(0.3)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert job.status == JobStatus.DONE, output
    assert job.done == job.total == 1
    assert (tmp_path / "media").exists()


def start_worker(redis_url: str, tmp_path) -> subprocess.Popen:
    """A worker of the test settings on Redis. Its tasks go by default to the queue named after
    its own pid (tests/settings.py), so it listens there: ``exec`` keeps the shell's pid."""
    command = " ".join(worker_command("projectdesk-test-$$", "--loglevel=INFO"))
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PROJECTDESK_VAR_DIR": str(tmp_path / f"var-{uuid.uuid4().hex[:6]}"),
    }
    return subprocess.Popen(
        ["sh", "-c", f"exec {command}"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_busy_database_met_outside_the_view_is_the_busy_page_too(rf):
    """E.g. the session saved on the way out: Django's 500 handler runs inside the except."""
    from django.db import OperationalError

    from projectdesk.busy import server_error

    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as cause:
            raise OperationalError("database is locked") from cause
    except OperationalError:
        busy = server_error(rf.get("/admin/"))
    try:
        raise OperationalError("no such table: approvals_project")
    except OperationalError:
        broken = server_error(rf.get("/admin/"))
    assert busy.status_code == 503 and "系统繁忙，请稍后重试" in busy.content.decode()
    assert broken.status_code == 500


# --- Redis away longer than Celery's retries (issue 17, finding 15) ------------------------

# Celery's worker gave up after 100 attempts to reach the broker (about 46 minutes at its pace
# of 2, 4, ... 30 s) and exited; the worker must try again for as long as Redis is away.
CELERY_GAVE_UP_AFTER = 100
SHORT_RETRY = "0.05"  # BROKER_RETRY_INTERVAL_MAX: a hundred attempts take seconds, not 46 minutes
RETRY_LINE = re.compile(r"Trying again .*?\((\d+)/")


def retries_seen(log: Path) -> int:
    """The highest attempt number the worker logged while the broker was away."""
    return max((int(n) for n in RETRY_LINE.findall(log.read_text(errors="replace"))), default=0)


def wait_for(condition, seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log else ""
    pytest.fail(f"{what}: not within {seconds} s\n{tail}")


@pytest.mark.slow
@pytest.mark.services
def test_a_worker_outlives_a_broker_away_longer_than_celery_s_retries(
    client, alice, zone, big_exports, own_redis, tmp_path
):
    ProjectFactory(zone=zone, officer=alice, name="晋中氢能项目")
    client.force_login(alice)
    queue = app.conf.task_default_queue  # this test process sends its jobs there
    log = tmp_path / "worker.log"
    environment = {
        **os.environ,
        "REDIS_URL": own_redis.url,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PROJECTDESK_VAR_DIR": str(tmp_path / "var"),
        "BROKER_RETRY_INTERVAL_MAX": SHORT_RETRY,
    }
    with log.open("wb") as output:
        worker = subprocess.Popen(
            worker_command(queue, "--loglevel=INFO"),
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    saved = use_broker(own_redis.url, {"socket_connect_timeout": 2})
    try:
        wait_for(lambda: " ready." in log.read_text(errors="replace"), 90, "worker ready", log)
        own_redis.stop()  # Redis goes away while the worker is connected

        # Longer than Celery's hundred attempts, the worker is still there, trying again.
        wait_for(
            lambda: worker.poll() is not None or retries_seen(log) > CELERY_GAVE_UP_AFTER + 20,
            120,
            "more than a hundred attempts",
            log,
        )
        assert worker.poll() is None, "the worker ended\n" + log.read_text()[-4000:]

        # Meanwhile a person's request succeeds and its job waits in the database.
        assert client.get(DISPATCH).status_code == 302
        job = Job.objects.get()
        assert job.status == JobStatus.QUEUED

        # Redis comes back: the same worker connects again, and the job sent again (the beat's
        # minute, played here) runs, once.
        own_redis.start()
        _forget_connections()
        sent = wait_for(lambda: jobs.requeue(waiting_longer_than=dt.timedelta(0)), 30, "sent")
        assert sent == 1

        def finished():
            job.refresh_from_db()
            return job.status not in (JobStatus.QUEUED, JobStatus.RUNNING)

        wait_for(finished, 90, "the waiting job run", log)
        assert job.status == JobStatus.DONE, log.read_text()[-4000:]
        assert worker.poll() is None  # the worker that waited is the one that ran it
        assert log.read_text().count("run_job[") >= 1
    finally:
        put_back(saved)
        stop_worker(worker)
