"""Starting background jobs and reporting their progress (``models.Job``).

A job is a row first and a Celery task second: the row exists as soon as the person's change
is committed, the task is queued only after that commit (so the worker never looks for a row
that is not there yet), and the task reports its progress on the row as it goes.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Job, JobKind, JobStatus


def recount_deadlines(*, by=None) -> Job:
    """Queue a recount of every stored deadline (the holiday calendar changed). A recount that
    has not started yet will read the newest calendar, so no second one is queued behind it."""
    waiting = Job.objects.filter(kind=JobKind.RECOUNT_DEADLINES, status=JobStatus.QUEUED).first()
    if waiting is not None:
        return waiting
    job = Job.objects.create(kind=JobKind.RECOUNT_DEADLINES, created_by=by)

    def queue() -> None:
        from .tasks import recount_deadlines as task

        task.delay(job.pk)

    transaction.on_commit(queue)
    return job


def claim(job_id: int) -> Job | None:
    """The worker takes a queued job; None when another worker (or a retry) already has it."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    return Job.objects.get(pk=job_id) if claimed else None


def report(job: Job, done: int, total: int | None) -> None:
    Job.objects.filter(pk=job.pk).update(done=done, total=total)


def finish(job: Job, message: str, *, failed: bool = False) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED if failed else JobStatus.DONE,
        message=message,
        finished_at=timezone.now(),
    )


def unfinished(kind: str) -> Job | None:
    return Job.objects.unfinished().filter(kind=kind).order_by("created_at").first()
