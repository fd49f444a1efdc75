"""What the worker does for a person (a large import or export, a recount): its progress while
it runs, then its result. A job's pages are for the person who started it."""

from __future__ import annotations

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.admin.base import ModelAdmin, NeverWritten
from approvals.audit import services as audit
from approvals.jobs import services as jobs
from approvals.models import AuditKind, Job, JobStatus, SpreadsheetImport
from approvals.spreadsheets import export_jobs


@admin.register(Job)
class JobAdmin(NeverWritten, ModelAdmin):
    change_form_template = "admin/approvals/job/change_form.html"
    list_display = ("kind", "status", "progress", "created_at", "finished_at", "message")
    list_filter = ("kind", "status")
    sortable_by = ("kind", "created_at")  # the rest filtered (issue 21)
    fields = (
        "kind",
        "status",
        "progress",
        "created_at",
        "started_at",
        "finished_at",
        "message",
        "outcome",
    )
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, obj: Job) -> str:
        obj = jobs.live(obj)
        if obj.total:
            return f"{obj.done} / {obj.total}（{obj.percent}%）"
        return str(obj.done) if obj.done else "—"

    @admin.display(description=_("result"))
    def outcome(self, obj: Job) -> str:
        if obj.status != JobStatus.DONE:
            return "—"
        if export_jobs.path_of(obj) is not None:
            url = reverse("admin:approvals_job_download", args=[obj.pk])
            return format_html('<a href="{}" id="job-download">{}</a>', url, obj.result["name"])
        token = (obj.result or {}).get("import")
        record = SpreadsheetImport.objects.filter(token=token).first() if token else None
        if record is not None:
            from approvals.admin.imports import preview_url

            return format_html('<a href="{}">{}</a>', preview_url(record), record.file_name)
        return "—"

    def get_queryset(self, request):
        return permissions.jobs(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        """With the progress its worker has reported (kept outside the row while it runs)."""
        return jobs.live(super().get_object(request, object_id, from_field))

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.may_see_job(request.user, obj)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="approvals_job_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id: str):
        job = self.get_object(request, object_id)
        target = export_jobs.path_of(job) if job is not None else None
        if target is None or not target.exists():
            raise Http404
        audit.record(AuditKind.EXPORT, request=request, obj=job, file=job.result["name"])
        return FileResponse(target.open("rb"), as_attachment=True, filename=job.result["name"])
