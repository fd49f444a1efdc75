"""An import as people go through it: the file is received and kept, previewed (nothing
written), then applied on confirmation, each step checked again. Large files go to the worker
(``jobs``), which reports its progress on the page; the page and the commands call the same
functions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.access import permissions
from approvals.audit import services as audit
from approvals.jobs import services as jobs
from approvals.models import AuditKind, ImportKind, ImportStatus, Job, JobKind, SpreadsheetImport
from approvals.spreadsheets import approval_table, monthly_table, project_list
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.reading import SpreadsheetRefused, count_rows


def receive(
    kind: str,
    data: bytes,
    file_name: str,
    *,
    by,
    source: str,
    year: int | None = None,
    round: int | None = None,
    event_date: dt.date | None = None,
    keep_file: bool = True,
) -> SpreadsheetImport:
    """Record an uploaded file (and keep it for the confirmation). Raises ``PermissionDenied``
    when ``by`` may import nowhere, ``SpreadsheetRefused`` when the file cannot be read."""
    if by is not None and not permissions.may_import_somewhere(by):
        raise PermissionDenied(_("You may not import spreadsheets."))
    rows = count_rows(data, file_name)  # refuses what is too big or no workbook, first
    record = SpreadsheetImport(
        token=secrets.token_hex(16),
        kind=kind,
        file_name=Path(file_name).name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        batch_year=year,
        batch_round=round,
        event_date=event_date,
        by=by,
        source=source[:200],
        rows=rows,
    )
    if keep_file:
        record.file.save(record.file_name, ContentFile(data), save=False)
    record.save()
    return record


def data_of(record: SpreadsheetImport) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


def in_worker(record: SpreadsheetImport) -> bool:
    return (record.rows or 0) > settings.SPREADSHEET_WORKER_ROWS


def _run(record: SpreadsheetImport, data: bytes, *, dry_run: bool, progress=None) -> Report:
    if record.kind == ImportKind.PROJECT_LIST:
        spec = None  # a portfolio (重点项目清单): no round
        if record.batch_year is not None:
            spec = project_list.BatchSpec(record.batch_year, record.batch_round, record.event_date)
        return project_list.run(
            data,
            record.file_name,
            spec,
            by=record.by,
            record=record,
            dry_run=dry_run,
            progress=progress,
        )
    module = monthly_table if record.kind == ImportKind.MONTHLY_TABLE else approval_table
    return module.run(
        data, record.file_name, by=record.by, record=record, dry_run=dry_run, progress=progress
    )


def preview(record: SpreadsheetImport, data: bytes | None = None, progress=None) -> Report:
    report = _run(
        record, data if data is not None else data_of(record), dry_run=True, progress=progress
    )
    earlier = same_file_imported(record)
    if earlier is not None:
        report.notes.append(
            _("The same file was imported on %(when)s by %(who)s.")
            % {
                "when": timezone.localtime(earlier.applied_at).strftime("%Y-%m-%d %H:%M"),
                "who": earlier.by or earlier.source,
            }
        )
    record.report = report.to_json()
    record.status = ImportStatus.PREVIEWED if report.ok else ImportStatus.REFUSED
    record.save(update_fields=["report", "status"])
    return report


def apply(record: SpreadsheetImport, data: bytes | None = None, progress=None) -> Report:
    """Compare again and write, all or nothing (what the preview showed may have changed).
    The import's row is locked for the while: a second confirmation waits, then finds it
    done. A refused file leaves nothing of itself (its module rolls back every chunk); the
    record is marked refused afterwards, outside that transaction, with its rows, so that
    nothing the rollback undid (a new round) is pointed at."""
    with transaction.atomic():
        record = SpreadsheetImport.objects.select_for_update().get(pk=record.pk)
        if record.status == ImportStatus.APPLIED:
            return Report.from_json(record.report)
        report = _run(
            record, data if data is not None else data_of(record), dry_run=False, progress=progress
        )
        if report.applied:
            _applied(record, report)
            return report
    record.report = report.to_json()
    record.status = ImportStatus.REFUSED
    SpreadsheetImport.objects.filter(pk=record.pk).exclude(status=ImportStatus.APPLIED).update(
        report=record.report, status=record.status
    )
    return report


def _applied(record: SpreadsheetImport, report: Report) -> None:
    record.report = report.to_json()
    record.status = ImportStatus.APPLIED
    record.applied_at = timezone.now()
    if record.kind == ImportKind.PROJECT_LIST and record.batch_year is not None:
        from approvals.models import Batch

        record.batch = Batch.objects.filter(
            year=record.batch_year, round=record.batch_round
        ).first()
    record.save(update_fields=["report", "status", "applied_at", "batch"])
    # audited in the import's transaction (approvals/audit/services.py)
    audit.record(
        AuditKind.IMPORT,
        user=record.by,
        obj=record,
        import_kind=record.kind,
        file=record.file_name,
        sha256=record.sha256,
    )


def same_file_imported(record: SpreadsheetImport) -> SpreadsheetImport | None:
    return (
        SpreadsheetImport.objects.filter(
            sha256=record.sha256, kind=record.kind, status=ImportStatus.APPLIED
        )
        .exclude(pk=record.pk)
        .order_by("-applied_at")
        .first()
    )


def start_in_worker(record: SpreadsheetImport, kind: str) -> Job:
    """Queue the preview or the import of a large file, once: a job of this import still
    waiting or running is the one the page follows."""
    with transaction.atomic():
        SpreadsheetImport.objects.select_for_update().get(pk=record.pk)
        waiting = Job.objects.unfinished().filter(payload__import=record.pk).first()
        return waiting or jobs.start(kind, by=record.by, payload={"import": record.pk})


def run_job(job: Job) -> None:
    """The worker's side of ``start_in_worker``."""
    record = SpreadsheetImport.objects.get(pk=job.payload["import"])

    def progress(done: int, total: int | None) -> None:
        jobs.report(job, done, total or record.rows)

    action = preview if job.kind == JobKind.IMPORT_PREVIEW else apply
    try:
        report = action(record, progress=progress)
    except SpreadsheetRefused as refused:
        jobs.finish(job, str(refused), failed=True)
        return
    jobs.report(job, report.rows, report.rows)  # the rows read, of the rows the file spans
    jobs.finish(job, report.summary(), result={"import": record.token})
