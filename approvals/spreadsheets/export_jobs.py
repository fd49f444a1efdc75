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

from approvals.jobs import services as jobs
from approvals.models import Job, JobKind, Project
from approvals.spreadsheets import exports, writing

EXPORT_DIR = "exports"
CHUNK = 2000


def file_name(kind: str, file_format: str) -> str:
    title = "周调度表" if kind == "dispatch" else "项目清单"
    return f"{title}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def content(kind: str, projects, file_format: str, fields: list[str] | None = None) -> bytes:
    """The file's bytes: the project list (through the export resource, with the columns
    chosen) or the dispatch table, of ``projects`` (a queryset, or projects in their order)."""
    if kind == "dispatch":
        table = exports.dispatch_table(projects)
        if file_format == "csv":
            return writing.csv_text(table).encode("utf-8")
        return writing.xlsx([table])
    dataset = exports.ProjectExportResource().export(queryset=projects, export_fields=fields)
    data = exports.EXPORT_FORMATS[file_format]().export_data(dataset)
    return data.encode("utf-8") if isinstance(data, str) else data


def start(
    kind: str, queryset: QuerySet, file_format: str, *, by, fields: list[str] | None = None
) -> Job:
    """Hand the worker what the page would have exported: the projects of the filtered list
    in its order (the dispatch table has an order of its own) and the columns chosen."""
    if kind == "dispatch":
        queryset = exports.dispatch_queryset(queryset)
    ids = list(queryset.values_list("pk", flat=True))
    return jobs.start(
        JobKind.EXPORT,
        by=by,
        payload={"export": kind, "format": file_format, "ids": ids, "fields": fields},
    )


def in_order(ids: list[int], prepare, progress=None):
    """The projects of ``ids`` in that order, fetched a chunk at a time (``prepare`` adds what
    the export reads to each chunk's query), reporting progress as they go."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = {p.pk: p for p in prepare(Project.objects.filter(pk__in=chunk))}
        yield from (found[pk] for pk in chunk if pk in found)
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))


def run_job(job: Job) -> None:
    payload = job.payload
    ids, kind = payload["ids"], payload["export"]
    prepare = exports.dispatch_queryset if kind == "dispatch" else exports.export_queryset
    projects = in_order(ids, prepare, lambda done, total: jobs.report(job, done, total))
    data = content(
        kind,
        list(projects) if kind == "dispatch" else projects,
        payload["format"],
        payload.get("fields"),
    )
    relative = f"{EXPORT_DIR}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{payload['format']}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    jobs.report(job, len(ids), len(ids))
    jobs.finish(
        job,
        _("%(count)d projects written.") % {"count": len(ids)},
        result={"file": relative, "name": file_name(kind, payload["format"])},
    )


def path_of(job: Job) -> Path | None:
    relative = (job.result or {}).get("file")
    return Path(settings.MEDIA_ROOT) / relative if relative else None
