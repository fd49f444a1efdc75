"""A holiday entered or corrected moves the deadlines counted across it: the recount runs in the
worker after the change is committed, never inside the web request, and the pages say it is
running and how far it got."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.jobs import services as jobs
from approvals.models import CalendarDay, Job, JobKind, JobStatus
from approvals.stages import workflow

D = dt.date
ITEMS = reverse("admin:approvals_approvalitem_changelist")
CALENDAR_ADD = reverse("admin:approvals_calendarday_add")


@pytest.fixture
def into_2027(project, alice):
    """LX08 (10 working days) accepted on Monday 28 December 2026: due in 2027, which the
    published calendar does not cover yet, so it counts Monday to Friday."""
    return accepted_into_2027(project, alice)


def accepted_into_2027(project, alice):
    checklist_generate(project=project, by=alice)
    lx08 = project.approval_items.get(approval_type__code="LX08")
    with time_machine.travel(dt.datetime(2026, 12, 31, 10, 0, tzinfo=dt.UTC), tick=False):
        workflow.run_transition(lx08, "start_preparing", by=alice)
        workflow.run_transition(lx08, "accept", by=alice, accepted_on=D(2026, 12, 28))
    assert lx08.deadline == D(2027, 1, 11)
    return lx08


def add_new_year(client):
    return client.post(
        CALENDAR_ADD, {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}, follow=True
    )


def test_saving_a_holiday_queues_the_recount_instead_of_doing_it(
    as_user, superuser, into_2027, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = add_new_year(as_user(superuser)).content.decode()
    into_2027.refresh_from_db()
    assert into_2027.deadline == D(2027, 1, 11)  # not recounted inside the request
    assert len(queued) == 1
    job = Job.objects.get()
    assert (job.kind, job.status, job.created_by) == (
        JobKind.RECOUNT_DEADLINES,
        JobStatus.QUEUED,
        None,
    )
    assert "正在由后台重新计算" in page


def test_the_worker_recounts_and_the_job_says_what_changed(
    superuser, into_2027, celery_inline, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    into_2027.refresh_from_db()
    assert (into_2027.deadline, into_2027.deadline_uncovered_years) == (D(2027, 1, 12), "")
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.DONE, 1, 1)
    assert "1" in job.message and job.finished_at is not None


def test_the_pages_show_a_recount_in_progress(as_user, alice, into_2027):
    job = Job.objects.create(kind=JobKind.RECOUNT_DEADLINES, status=JobStatus.RUNNING)
    jobs.report(job, 200, 1500)
    page = as_user(alice).get(ITEMS).content.decode()
    assert "200" in page and "1500" in page and "重新计算" in page
    jobs.finish(job, "done")
    assert "重新计算" not in as_user(alice).get(ITEMS).content.decode()


def test_changes_made_before_the_recount_starts_share_one_job(
    superuser, into_2027, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY)
        CalendarDay.objects.create(day=D(2027, 1, 2), kind=CalendarDay.Kind.HOLIDAY)
    assert Job.objects.count() == 1 and len(queued) == 1


def test_a_job_runs_once_even_when_delivered_twice(into_2027, celery_inline):
    from approvals.tasks import run_job

    job = Job.objects.create(kind=JobKind.RECOUNT_DEADLINES)
    run_job(job.pk)
    run_job(job.pk)  # a retry, or a second worker
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.done == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recounts_after_the_commit(catalogue, project, alice):
    """Through the configured broker (the file-system one, or Redis in CI) to a worker process."""
    from django.conf import settings

    from tests.jobs.test_celery_worker import start_worker

    lx08 = accepted_into_2027(project, alice)

    worker = start_worker(settings.CELERY_TASK_DEFAULT_QUEUE, {})
    try:
        CalendarDay.objects.create(day=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Job.objects.filter(status=JobStatus.DONE).exists():
                break
            time.sleep(0.3)
        lx08.refresh_from_db()
        assert Job.objects.get().status == JobStatus.DONE
        assert lx08.deadline == D(2027, 1, 12)
    finally:
        worker.terminate()
        print(worker.communicate(timeout=30)[0])
