"""Long work a person waits for (a deadline recount, later big imports and exports), run by the
Celery worker: the row is the job's progress, which the pages show while it runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    RECOUNT_DEADLINES = "recount_deadlines", _("Recounting the approval deadlines")
    IMPORT_PREVIEW = "import_preview", _("Checking a spreadsheet")
    IMPORT_APPLY = "import_apply", _("Importing a spreadsheet")
    EXPORT = "export", _("Writing a spreadsheet")
    BULLETIN = "bulletin", _("Writing a supervision bulletin")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobQuerySet(models.QuerySet["Job"]):
    def unfinished(self) -> JobQuerySet:
        return self.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=JobKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    payload = models.JSONField(_("what to do"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    #: Until when the worker that claimed the job holds it (``jobs.LEASE``, renewed as it
    #: reports progress). A worker killed mid-job leaves it running; once the lease has run
    #: out the job is sent again, once (``jobs.requeue``).
    lease_until = models.DateTimeField(_("held until"), null=True, blank=True)
    #: How many times a worker claimed it: the claim's number is the lease's token, so that a
    #: worker that lost its lease can no longer report or finish the job.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list, newest first or by kind (issue 21; tests/admin/test_sort_indexes.py).
            models.Index(fields=["created_at", "id"], name="job_created_id"),
            models.Index(fields=["kind", "id"], name="job_kind_id"),
            # Pages ask "is a job of this kind still running?" on every load.
            models.Index(
                fields=["kind"],
                name="job_unfinished",
                condition=models.Q(status__in=["queued", "running"]),
            ),
            # The beat's minute looks for running jobs whose lease ran out.
            models.Index(
                fields=["lease_until"],
                name="job_running_lease",
                condition=models.Q(status="running"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.done / self.total))
