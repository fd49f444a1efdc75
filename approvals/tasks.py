"""Celery tasks: thin, taking ids, doing their work through the service modules."""

from celery import shared_task
from django.db import connection

from .models import Project


@shared_task(ignore_result=False)
def health_check() -> dict:
    """A worker that answers has reached the broker and the database: ``./desk run`` waits for it."""
    return {"database": connection.vendor, "projects": Project.objects.count()}
