"""Starting background jobs and reporting their progress (``models.Job``).

A job is a row first and a Celery task second: the row exists as soon as the person's change is
committed, the task is queued only after that commit (so the worker never looks for a row that
is not there yet), a worker claims the row before it acts (a retry or a second worker finds it
taken), and it reports its progress on the row as it goes.

The broker may be out of reach when a job is queued (Redis restarting, the network): the person's
request still succeeds, the job stays queued in the database, and it is sent again when the broker
is back -- by the beat every minute for jobs waiting longer than that (``requeue_jobs``) and by
each worker as it starts. A job sent twice still runs once: the worker claims its row first.

**Progress and the lease.** A job reports its progress while it works, often inside the very
transaction whose progress it reports (an import is all or nothing): an UPDATE of its row there
would be seen by nobody until the commit, and undone by a preview's rollback. So progress goes
to the ``progress`` cache (settings: Redis in production, files under VAR_DIR on the embedded
default -- another process reads both), and the row gets it when the job ends; the pages read it
through ``live``. Each report also renews the worker's lease: a worker killed mid-job (a time
limit, out of memory, a deploy) stops renewing it, and once it has run out the job is sent
again, once, by the same paths that send waiting jobs; a second lost lease fails the job.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app
from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnreachable

from approvals.models import Job, JobKind, JobStatus


def start(kind: str, *, by=None, payload: dict[str, Any] | None = None) -> Job:
    job = Job.objects.create(kind=kind, created_by=by, payload=payload or {})
    transaction.on_commit(lambda: _queue(job.pk))
    return job


logger = logging.getLogger(__name__)

# How long a queued job may wait for a worker before it is sent again.
REQUEUE_AFTER = dt.timedelta(minutes=1)
# How long a worker holds a job it claimed without reporting progress: above the longest step
# between two reports (a chunk of an import written, a foresight refresh), below the task's
# time limit, so that a killed worker's job is sent again within minutes.
LEASE = dt.timedelta(minutes=2)
# Claims of one job: the first, and one more after a worker died holding it.
ATTEMPTS = 2
#: The Celery task that runs a job (``approvals.tasks.run_job``, its name pinned there).
RUN_JOB = "approvals.tasks.run_job"

# How long the progress of a job is kept in the cache (the row has it once the job ends).
PROGRESS_KEPT = 24 * 3600


def _queue(job_id: int) -> bool:
    """Send the job to the worker; False when the broker cannot be reached (it stays queued).

    The task is found by its pinned name in the Celery app's registry, not imported: the tasks
    module is the entry layer above this one (it imports the services that run each kind)."""
    try:
        current_app.tasks[RUN_JOB].delay(job_id)
    except (BrokerUnreachable, OSError) as error:
        logger.warning("job %s stays queued: the broker is out of reach (%s)", job_id, error)
        return False
    return True


def requeue(
    *, waiting_longer_than: dt.timedelta = REQUEUE_AFTER, now: dt.datetime | None = None
) -> int:
    """Send again the jobs still queued after so long (their message lost, or never sent), and
    the jobs whose worker's lease ran out (``release_expired``); the number sent. Stops at the
    first that cannot be sent: the broker is still away."""
    now = now or timezone.now()
    release_expired(now=now)
    since = now - waiting_longer_than
    waiting = Job.objects.filter(status=JobStatus.QUEUED, created_at__lte=since)
    sent = 0
    for job_id in waiting.order_by("created_at", "pk").values_list("pk", flat=True):
        if not _queue(job_id):
            break
        sent += 1
    return sent


def release_expired(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Running jobs whose lease ran out (their worker died): queued again on their first
    claim, failed on their last. (queued again, failed) ids."""
    now = now or timezone.now()
    again: list[int] = []
    failed: list[int] = []
    for job in Job.objects.filter(status=JobStatus.RUNNING, lease_until__lt=now):
        seen = _seen(job)
        if seen is not None and seen["until"] > now.timestamp():
            continue  # still reporting: the row learns it at the end
        held = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
        if job.attempts < ATTEMPTS:
            if held.update(status=JobStatus.QUEUED, lease_until=None):
                logger.warning("job %s: its worker stopped holding it; sent again", job.pk)
                again.append(job.pk)
            continue
        message = _(
            "The worker stopped while running this job, twice (a time limit, lack of memory or "
            "a restart): it is not run again."
        )
        if held.update(status=JobStatus.FAILED, message=message, lease_until=None, finished_at=now):
            logger.error("job %s: its worker stopped holding it twice; failed", job.pk)
            failed.append(job.pk)
    return again, failed


def recount_deadlines(*, by=None) -> Job:
    """Queue a recount of every stored deadline (the holiday calendar changed). A recount that
    has not started yet will read the newest calendar, so no second one is queued behind it."""
    waiting = Job.objects.filter(kind=JobKind.RECOUNT_DEADLINES, status=JobStatus.QUEUED).first()
    return waiting or start(JobKind.RECOUNT_DEADLINES, by=by)


def claim(job_id: int) -> Job | None:
    """The worker takes a queued job; None when another worker (or a retry) already has it."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=now,
        lease_until=now + LEASE,
        attempts=F("attempts") + 1,
    )
    return Job.objects.get(pk=job_id) if claimed else None


def _key(job: Job) -> str:
    # The creation time too: several databases may share one cache (a staging copy, tests).
    return f"approvals:job:{job.pk}:{job.created_at.timestamp():.6f}"


def _seen(job: Job) -> dict | None:
    """What the worker holding ``job`` last reported, or None."""
    try:
        seen = caches["progress"].get(_key(job))
    except Exception:  # noqa: BLE001 - Redis away: the page shows the row, the lease the row's
        logger.warning("the progress of job %s cannot be read", job.pk, exc_info=True)
        return None
    return seen if seen and seen.get("attempt") == job.attempts else None


def report(job: Job, done: int, total: int | None) -> None:
    """Progress, told where other processes see it at once (not the job's row: see above),
    and the lease renewed."""
    job.done, job.total = done, total
    seen = {
        "attempt": job.attempts,
        "done": done,
        "total": total,
        "until": (timezone.now() + LEASE).timestamp(),
    }
    try:
        caches["progress"].set(_key(job), seen, timeout=PROGRESS_KEPT)
    except Exception:  # noqa: BLE001 - progress is worth no failed job
        logger.warning("the progress of job %s cannot be written", job.pk, exc_info=True)


def live(job: Job | None) -> Job | None:
    """``job`` with the progress its worker has reported so far (a page about to show it)."""
    if job is not None and job.status == JobStatus.RUNNING:
        seen = _seen(job)
        if seen is not None:
            job.done, job.total = seen["done"], seen["total"]
        else:
            # Nothing reported yet, or the job ended between the page's read of its row and
            # this one (``finish`` clears its progress): the row as it is now says which,
            # instead of the 0 % a running row still holds.
            ended = (
                Job.objects.filter(pk=job.pk)
                .exclude(status=JobStatus.RUNNING)
                .values("status", "done", "total", "message", "result", "finished_at")
                .first()
            )
            for name, value in (ended or {}).items():
                setattr(job, name, value)
    return job


def finish(job: Job, message: str, *, failed: bool = False, result: dict | None = None) -> bool:
    """The job's end, with its last progress, written by the worker that holds it (one that
    lost its lease writes nothing: the job was sent again). False when it did not hold it."""
    held = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts)
    ended = held.update(
        status=JobStatus.FAILED if failed else JobStatus.DONE,
        message=message,
        result=result or {},
        done=job.done,
        total=job.total,
        lease_until=None,
        finished_at=timezone.now(),
    )
    try:
        caches["progress"].delete(_key(job))
    except Exception:  # noqa: BLE001 - it expires by itself
        logger.warning("the progress of job %s stays in the cache", job.pk, exc_info=True)
    return bool(ended)


def unfinished(kind: str) -> Job | None:
    return live(Job.objects.unfinished().filter(kind=kind).order_by("created_at").first())
