"""Starting background jobs and reporting their progress (``models.Job``).

A job is a row first and a Celery task second: the row exists as soon as the person's change is
committed, the task is queued only after that commit (so the worker never looks for a row that
is not there yet), a worker claims the row before it acts (a retry or a second worker finds it
taken), and it reports its progress on the row as it goes.

The broker may be out of reach when a job is queued (Redis restarting, the network): the person's
request still succeeds, the job stays queued in the database, and it is sent again when the broker
is back -- by the beat every minute for jobs waiting longer than that (``requeue_jobs``) and by
each worker as it starts. A job sent twice still runs once: the worker claims its row first.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from .models import Job, JobKind, JobStatus


def start(kind: str, *, by=None, payload: dict[str, Any] | None = None) -> Job:
    job = Job.objects.create(kind=kind, created_by=by, payload=payload or {})
    transaction.on_commit(lambda: _queue(job.pk))
    return job


logger = logging.getLogger(__name__)

# How long a queued job may wait for a worker before it is sent again.
REQUEUE_AFTER = dt.timedelta(minutes=1)


def _queue(job_id: int) -> bool:
    """Send the job to the worker; False when the broker cannot be reached (it stays queued)."""
    from .tasks import run_job

    try:
        run_job.delay(job_id)
    except (BrokerUnreachable, OSError) as error:
        logger.warning("job %s stays queued: the broker is out of reach (%s)", job_id, error)
        return False
    return True


def requeue(*, waiting_longer_than: dt.timedelta = REQUEUE_AFTER) -> int:
    """Send again the jobs still queued after so long (their message lost, or never sent); the
    number sent. Stops at the first that cannot be sent: the broker is still away."""
    since = timezone.now() - waiting_longer_than
    waiting = Job.objects.filter(status=JobStatus.QUEUED, created_at__lte=since)
    sent = 0
    for job_id in waiting.order_by("created_at", "pk").values_list("pk", flat=True):
        if not _queue(job_id):
            break
        sent += 1
    return sent


def recount_deadlines(*, by=None) -> Job:
    """Queue a recount of every stored deadline (the holiday calendar changed). A recount that
    has not started yet will read the newest calendar, so no second one is queued behind it."""
    waiting = Job.objects.filter(kind=JobKind.RECOUNT_DEADLINES, status=JobStatus.QUEUED).first()
    return waiting or start(JobKind.RECOUNT_DEADLINES, by=by)


def claim(job_id: int) -> Job | None:
    """The worker takes a queued job; None when another worker (or a retry) already has it."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    return Job.objects.get(pk=job_id) if claimed else None


def report(job: Job, done: int, total: int | None) -> None:
    Job.objects.filter(pk=job.pk).update(done=done, total=total)


def finish(job: Job, message: str, *, failed: bool = False, result: dict | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED if failed else JobStatus.DONE,
        message=message,
        result=result or {},
        finished_at=timezone.now(),
    )


def unfinished(kind: str) -> Job | None:
    return Job.objects.unfinished().filter(kind=kind).order_by("created_at").first()
