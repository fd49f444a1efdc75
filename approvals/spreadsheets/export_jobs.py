"""Exports too large to write inside a web request: the page hands the worker the ids of the
projects it would have exported, the worker writes the file with its progress, and the page
offers it for download to the person who asked."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import jobs
from ..models import Job, JobKind, Project
from . import exports, writing

EXPORT_DIR = "exports"


def file_name(kind: str, file_format: str) -> str:
    title = "周调度表" if kind == "dispatch" else "项目清单"
    return f"{title}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def content(kind: str, queryset: QuerySet, file_format: str, progress=None) -> bytes:
    """The file's bytes: the project list (through the export resource) or the dispatch table."""
    if kind == "dispatch":
        table = exports.dispatch_table(queryset)
        table.rows = _counting(table.rows, progress)
        if file_format == "csv":
            return writing.csv_text(table).encode("utf-8")
        return writing.xlsx([table])
    dataset = exports.ProjectExportResource().export(queryset=queryset)
    if progress:
        progress(len(dataset), len(dataset))
    data = exports.EXPORT_FORMATS[file_format]().export_data(dataset)
    return data.encode("utf-8") if isinstance(data, str) else data


def _counting(rows, progress):
    for done, row in enumerate(rows, 1):
        if progress and done % 1000 == 0:
            progress(done, None)
        yield row


def start(kind: str, queryset: QuerySet, file_format: str, *, by) -> Job:
    ids = list(queryset.order_by().values_list("pk", flat=True))
    return jobs.start(
        JobKind.EXPORT,
        by=by,
        payload={"export": kind, "format": file_format, "ids": ids},
    )


def run_job(job: Job) -> None:
    payload = job.payload
    total = len(payload["ids"])
    queryset = Project.objects.filter(pk__in=payload["ids"])
    data = content(
        payload["export"],
        queryset,
        payload["format"],
        progress=lambda done, _total: jobs.report(job, done, total),
    )
    relative = f"{EXPORT_DIR}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{payload['format']}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    jobs.report(job, total, total)
    jobs.finish(
        job,
        _("%(count)d projects written.") % {"count": total},
        result={"file": relative, "name": file_name(payload["export"], payload["format"])},
    )


def path_of(job: Job) -> Path | None:
    relative = (job.result or {}).get("file")
    return Path(settings.MEDIA_ROOT) / relative if relative else None
