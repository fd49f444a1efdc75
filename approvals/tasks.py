"""Celery tasks: thin, taking ids, doing their work through the service modules.

Each task's name is pinned with ``name=`` (today's generated "approvals.tasks.<function>"): the
beat's stored schedule entries and queued messages name it, and must keep finding it when this
module moves (tests/jobs/test_task_names.py)."""

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext, override

from approvals.jobs import services as jobs
from approvals.models import JobKind, Project

#: The tasks a schedule entry (django-celery-beat, kept by the system administrator) may name.
#: None takes an argument from its entry: each runs for the moment it runs. ``requeue_jobs``
#: takes its wait from a worker starting (``projectdesk/celery.py``), never from the schedule.
#: Celery's own result cleanup is there because the beat writes its entry where results expire.
SCHEDULED_TASKS = (
    "approvals.tasks.scan_reminders",
    "approvals.tasks.deliver_reminders",
    "approvals.tasks.requeue_jobs",
    "approvals.tasks.weekly_bulletins",
    "celery.backend_cleanup",
)


@shared_task(name="approvals.tasks.health_check", ignore_result=False)
def health_check() -> dict:
    """A worker that answers has reached the broker and the database: ``./desk run`` waits for it."""
    return {"database": connection.vendor, "projects": Project.objects.count()}


@shared_task(name="approvals.tasks.run_job")
def run_job(job_id: int) -> None:
    """Run a queued job of any kind, once."""
    job = jobs.claim(job_id)
    if job is None:
        return  # done already, or taken by another worker
    with override(settings.LANGUAGE_CODE):
        try:
            if job.kind == JobKind.RECOUNT_DEADLINES:
                _recount(job)
            elif job.kind in (JobKind.IMPORT_PREVIEW, JobKind.IMPORT_APPLY):
                from approvals.spreadsheets import imports

                imports.run_job(job)
            elif job.kind == JobKind.EXPORT:
                from approvals.spreadsheets import export_jobs

                export_jobs.run_job(job)
            elif job.kind == JobKind.BULLETIN:
                from approvals.bulletins import services as bulletins

                bulletins.run_job(job)
        except Exception as error:
            jobs.finish(job, gettext("Failed: %(error)s") % {"error": error}, failed=True)
            raise


@shared_task(name="approvals.tasks.requeue_jobs")
def requeue_jobs(waiting_longer_than_seconds: float = 60) -> int:
    """Send again the jobs queued in the database that no worker has taken, and those whose
    worker died holding them (lease run out: once; failed the second time) -- the beat, every
    minute; each worker as it starts, for all of them."""
    import datetime as dt

    return jobs.requeue(waiting_longer_than=dt.timedelta(seconds=waiting_longer_than_seconds))


def _recount(job) -> None:
    from approvals.checklist.services import recompute_deadlines

    changed = recompute_deadlines(progress=lambda done, total: jobs.report(job, done, total))
    jobs.finish(job, gettext("%(count)d deadlines changed.") % {"count": changed})


@shared_task(name="approvals.tasks.scan_reminders")
def scan_reminders() -> dict:
    """The daily scan (beat at 08:30 on every day; it does nothing on a day off) and the
    delivery of what it found, for today. It takes no argument: a scan for another day is the
    operator's ``manage.py send_reminders --date``, never a schedule entry's (a message naming
    a day is refused by Celery, before anything runs, as a wrong call)."""
    from approvals.reminders import services as reminders

    with override(settings.LANGUAGE_CODE):
        outcome = reminders.run()
    return {"new": dict(outcome.new), "sent": dict(outcome.sent)}


@shared_task(name="approvals.tasks.deliver_reminders")
def deliver_reminders() -> dict:
    """Send what is due: reminders waiting for another attempt at their email, or left by a
    worker that died holding them; then the channels' (issue 23), queued and retried alike."""
    from approvals.reminders import services as reminders

    sent = reminders.deliver()
    return {"sent": dict(sent), "channels": dict(reminders.deliver_channels())}


@shared_task(name="approvals.tasks.recount_figures")
def recount_figures(zone_ids: list[int]) -> list[int]:
    """Count again the dashboard's figures of the zones a committed change touched (queued by
    ``approvals/figures/changes.py``), those only; the zones counted (none when another worker
    has counted them meanwhile)."""
    from approvals.figures import kept

    return kept.recount(zone_ids)


@shared_task(name="approvals.tasks.weekly_bulletins")
def weekly_bulletins() -> list[int]:
    """Every zone's and every city's 督办通报 of the week before, on the first working day of a
    week (the beat runs it every morning at 08:00; on any other day it does nothing, so that a
    holiday moves it: after the National Day holiday of 2026 it runs on Thursday 8 October).
    Made twice for a week, each keeps one row. Each is then sent to its zone's (or city's)
    group robots (``channels.delivery.announce_bulletin``: one dispatch per channel, retried
    like reminders; nothing on an offline deployment). The ids of the bulletins made."""
    from approvals.bulletins import services as bulletins
    from approvals.channels.delivery import announce_bulletin

    with override(settings.LANGUAGE_CODE):
        made = bulletins.make_weekly()
        for bulletin in made:
            announce_bulletin(bulletin)
    return [bulletin.pk for bulletin in made]
