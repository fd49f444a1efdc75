"""A job's lease (issue 17): a worker killed mid-job (a time limit, out of memory, a deploy)
stops renewing it; once it has run out the job is sent again, once, by the paths that send
waiting jobs; a second lost lease fails it, and the pages stop waiting for it."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest
import time_machine
from django.urls import reverse

from approvals.jobs import services as jobs
from approvals.models import (
    ImportStatus,
    Job,
    JobKind,
    JobStatus,
    Project,
    SpreadsheetImport,
)
from approvals.spreadsheets import imports
from tests.jobs.test_celery_worker import import_job, start_worker, watch
from tests.project_lists import received
from tests.services import machines_now

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)  # a Friday
LATER = NOW + jobs.LEASE + dt.timedelta(seconds=1)


def claimed_by_a_worker_that_dies(kind: str = JobKind.RECOUNT_DEADLINES, **fields) -> Job:
    """A job a worker claimed at NOW and never reported on again."""
    with time_machine.travel(NOW, tick=False):
        job = Job.objects.create(kind=kind, **fields)
        return jobs.claim(job.pk)


def test_a_job_whose_lease_ran_out_is_sent_again_and_run_once(celery_inline):
    dead = claimed_by_a_worker_that_dies()

    with time_machine.travel(NOW + dt.timedelta(seconds=100), tick=False):
        assert jobs.requeue() == 0  # within its lease: still the first worker's
    with time_machine.travel(LATER, tick=False):
        assert jobs.requeue() == 1  # sent again (the worker, eager here, runs it)
        assert jobs.requeue() == 0  # and once

    job = Job.objects.get(pk=dead.pk)
    assert (job.status, job.attempts, job.lease_until) == (JobStatus.DONE, 2, None)
    # The first worker, had it been alive after all, ends nothing any more.
    assert jobs.finish(dead, "late", failed=True) is False
    job.refresh_from_db()
    assert (job.status, job.message) != (JobStatus.FAILED, "late")


def test_a_page_that_read_the_row_as_the_job_ended_shows_its_last_progress():
    """A page reads the row (still running), then the progress; the worker ends the job in
    between. The page shows the job's end, not 0 from the running row (seen once in a full run
    on a loaded machine: a bar that went back to 0 % at its end)."""
    job = claimed_by_a_worker_that_dies()
    with time_machine.travel(NOW + dt.timedelta(seconds=10), tick=False):
        jobs.report(job, 1500, 1500)
        read = Job.objects.get(pk=job.pk)
        assert jobs.finish(job, "done") is True
        shown = jobs.live(read)
    assert (shown.status, shown.done, shown.total) == (JobStatus.DONE, 1500, 1500)
    assert (Job.objects.get(pk=job.pk).status, Job.objects.get(pk=job.pk).done) == (
        JobStatus.DONE,
        1500,
    )


def test_a_worker_that_reports_keeps_its_job(celery_inline):
    job = claimed_by_a_worker_that_dies()
    with time_machine.travel(NOW + dt.timedelta(seconds=100), tick=False):
        jobs.report(job, 200, 1500)  # renewed until 100 s + the lease
    with time_machine.travel(LATER, tick=False):
        assert jobs.requeue() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    with time_machine.travel(LATER + dt.timedelta(seconds=100), tick=False):
        assert jobs.requeue() == 1


def test_a_second_lost_lease_fails_the_job_and_the_pages_stop_waiting(
    as_user, stan, zone, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    record = previewed_list(stan)
    dead = claimed_by_a_worker_that_dies(JobKind.IMPORT_APPLY, payload={"import": record.pk})
    with time_machine.travel(LATER, tick=False):
        assert jobs.release_expired() == ([dead.pk], [])
        assert jobs.claim(dead.pk) is not None  # the second worker, which dies too
    with time_machine.travel(LATER + jobs.LEASE + dt.timedelta(seconds=1), tick=False):
        assert jobs.release_expired() == ([], [dead.pk])

    job = Job.objects.get(pk=dead.pk)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 2)
    assert "两次中断" in job.message and job.finished_at is not None
    assert jobs.unfinished(JobKind.IMPORT_APPLY) is None
    preview = reverse("admin:approvals_project_spreadsheet_preview", args=[record.token])
    page = as_user(stan).get(preview).content.decode()
    assert "两次中断" in page and 'http-equiv="refresh"' not in page


def test_a_recount_whose_worker_died_twice_no_longer_shows_its_banner(as_user, alice):
    dead = claimed_by_a_worker_that_dies()
    with time_machine.travel(LATER, tick=False):
        jobs.release_expired()
        jobs.claim(dead.pk)
    items = reverse("admin:approvals_approvalitem_changelist")
    assert "重新计算" in as_user(alice).get(items).content.decode()
    with time_machine.travel(LATER + jobs.LEASE + dt.timedelta(seconds=1), tick=False):
        jobs.requeue()
    assert "重新计算" not in as_user(alice).get(items).content.decode()


def previewed_list(by) -> SpreadsheetImport:
    from tests.jobs.test_celery_worker import list_of

    record = received(list_of(3), by)
    imports.preview(record)
    return record


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_s_import_is_sent_again_after_its_lease_and_applied_once(
    zone, stan, settings, tmp_path
):
    """A real worker killed mid-import (SIGKILL, as the kernel's OOM killer or a hard time
    limit does), on the configured services (SQLite and files by default; PostgreSQL and
    Redis in CI): its transaction goes with it, the job stays running until its lease has
    run out, then the beat's path sends it again and a new worker applies the list, once."""
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = 1500
    record, job = import_job("import_apply", rows, stan)
    environment = {"SPREADSHEET_CHUNK_ROWS": "10", "MEDIA_ROOT": str(tmp_path / "media")}
    first = start_worker(settings.CELERY_TASK_DEFAULT_QUEUE, environment)
    try:
        seen = watch(job, lambda read: read.status == JobStatus.RUNNING and read.done >= 200)
        assert seen[-1][0] == JobStatus.RUNNING and seen[-1][1] >= 200, seen[-3:]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
        print(first.communicate(timeout=30)[0])
    time.sleep(1)  # the database has seen the connection go
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert not Project.objects.exists()  # its transaction went with it

    assert jobs.requeue() == 0  # the lease still holds
    # The lease was taken on the worker's clock, the machine's (this process may travel).
    with time_machine.travel(machines_now() + jobs.LEASE + dt.timedelta(seconds=5)):
        assert jobs.requeue() == 1
    second = start_worker(settings.CELERY_TASK_DEFAULT_QUEUE, environment)
    try:
        watch(job, lambda read: read.status in (JobStatus.DONE, JobStatus.FAILED), timeout=180)
    finally:
        second.terminate()
        print(second.communicate(timeout=30)[0])
    job.refresh_from_db()
    assert (job.status, job.attempts, job.done) == (JobStatus.DONE, 2, rows), job.message
    assert Project.objects.count() == rows
    record.refresh_from_db()
    assert record.status == ImportStatus.APPLIED
