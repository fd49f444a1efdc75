"""Celery tasks: thin, taking ids, doing their work through the service modules."""

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext, override

from . import jobs
from .checklist import recompute_deadlines
from .models import Project


@shared_task(ignore_result=False)
def health_check() -> dict:
    """A worker that answers has reached the broker and the database: ``./desk run`` waits for it."""
    return {"database": connection.vendor, "projects": Project.objects.count()}


@shared_task
def recount_deadlines(job_id: int) -> None:
    job = jobs.claim(job_id)
    if job is None:
        return  # done already, or taken by another worker
    try:
        changed = recompute_deadlines(progress=lambda done, total: jobs.report(job, done, total))
    except Exception as error:
        jobs.finish(job, repr(error), failed=True)
        raise
    with override(settings.LANGUAGE_CODE):
        jobs.finish(job, gettext("%(count)d deadlines changed.") % {"count": changed})
