"""Exports too large to write inside a web request: the page hands the worker the ids of the
projects it would have exported, the worker writes the file with its progress, and the page
offers it for download to the person who asked."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import BinaryIO

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


def ids_of(kind: str, queryset: QuerySet) -> list[int]:
    """The ids of what the page exports, in its order, read once: the list as scoped, filtered
    and sorted (the dispatch table has an order of its own). The rows are then read a chunk
    of ids at a time (``in_order``), never a page at an OFFSET: each OFFSET page re-ran the
    scoped join from the start (issue 21: 50 pages, 4.1 s of SQL for 5,000 projects)."""
    if kind == "dispatch":
        queryset = exports.dispatch_queryset(queryset)
    return list(queryset.values_list("pk", flat=True))


def write(
    kind: str,
    ids: list[int],
    file_format: str,
    out: BinaryIO,
    fields: list[str] | None = None,
    progress=None,
) -> None:
    """Write the file into ``out`` as the rows are read: the project list (the columns
    chosen) or the dispatch table of the projects ``ids``, in that order. Nothing holds more
    than a chunk of projects: .xlsx through XlsxWriter's constant-memory mode (a row at a
    time, ``writing.xlsx``), .csv a row at a time (benchmarks/export_bench.py measured both)."""
    prepare = exports.dispatch_queryset if kind == "dispatch" else exports.export_queryset
    projects = in_order(ids, prepare, progress)
    if kind == "dispatch":
        table = exports.dispatch_table(projects)
    else:
        table = exports.project_table(projects, fields)
    if file_format == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writing.csv_write(table, text)
        text.flush()
        text.detach()  # leave ``out`` open for its owner
    else:
        writing.xlsx([table], out)


def content(kind: str, ids: list[int], file_format: str, fields: list[str] | None = None) -> bytes:
    """The file's bytes (an export small enough for the request)."""
    buffer = io.BytesIO()
    write(kind, ids, file_format, buffer, fields)
    return buffer.getvalue()


def start(
    kind: str, ids: list[int], file_format: str, *, by, fields: list[str] | None = None
) -> Job:
    """Hand the worker what the page would have exported: the ids of the projects as
    ``ids_of`` read them, and the columns chosen."""
    return jobs.start(
        JobKind.EXPORT,
        by=by,
        payload={"export": kind, "format": file_format, "ids": ids, "fields": fields},
    )


def in_order(ids: list[int], prepare, progress=None):
    """The projects of ``ids`` in that order, fetched a chunk of ids at a time (``prepare``
    adds what the export reads to each chunk's query), reporting progress as they go."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = {p.pk: p for p in prepare(Project.objects.filter(pk__in=chunk))}
        yield from (found[pk] for pk in chunk if pk in found)
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))


def run_job(job: Job) -> None:
    payload = job.payload
    ids, kind = payload["ids"], payload["export"]
    relative = f"{EXPORT_DIR}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{payload['format']}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        write(
            kind,
            ids,
            payload["format"],
            out,
            payload.get("fields"),
            lambda done, total: jobs.report(job, done, total),
        )
    jobs.report(job, len(ids), len(ids))
    jobs.finish(
        job,
        _("%(count)d projects written.") % {"count": len(ids)},
        result={"file": relative, "name": file_name(kind, payload["format"])},
    )


def path_of(job: Job) -> Path | None:
    relative = (job.result or {}).get("file")
    return Path(settings.MEDIA_ROOT) / relative if relative else None
