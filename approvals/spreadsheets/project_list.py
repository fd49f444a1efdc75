"""Importing a quarterly 三个一批 project list (guide sections 8.1 and 11).

Set-based: the file is read once (``project_rows``); everything a row may touch (projects,
enterprises, people, milestones, the batch's entries) is fetched as plain rows in a few
queries; each row is compared in memory (``project_plan``); only what changed is written, new
rows with one prepared statement per table (``project_write``, through ``bulk``), in one
transaction. A row that cannot be understood is reported (sheet, row, column, reason) and then
nothing is written.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from approvals.core import bulk
from approvals.core.display import day_in_words
from approvals.figures import changes as figures_changes
from approvals.models import Batch, BatchEntry, Milestone, Project
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.people import People
from approvals.spreadsheets.project_plan import New, Plan, compare
from approvals.spreadsheets.project_rows import BatchSpec, Line, iter_lines
from approvals.spreadsheets.project_write import write
from zones.models import Enterprise

__all__ = ["BatchSpec", "New", "Plan", "run", "write"]


def _chunks(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(
    source, file_name: str, spec: BatchSpec | None, *, by, record, dry_run=False, progress=None
) -> Report:
    """Read, compare and (unless ``dry_run``) write, chunk by chunk, in one transaction: a row
    that cannot be understood anywhere in the file rolls back whatever was written before it,
    so that nothing of the file is saved. Rows are locked as they are compared: a preview taken
    earlier is compared again here. Without ``spec`` the list is the zones' portfolio (重点项目
    清单): no round, no category needed, no entries."""
    report = Report(file_name=file_name)
    with _heap_frozen(), transaction.atomic():
        batch = _batch(spec, report) if spec is not None else None
        if not dry_run:
            bulk.take_turn(bulk.IMPORTS)
        people = People()
        # what the file named so far: a project (→ its row), a code (→ its row), an
        # enterprise's key (→ the spelling it is made with)
        seen: dict[tuple, int | str] = {}
        # Dates written without their year ("6月底") are in the year of the round's event.
        year = batch.event_date.year if batch is not None else None
        lines = iter_lines(
            source, file_name, report, by=by, progress=progress, year=year, round_=spec is not None
        )
        statistics = bulk.Statistics(
            Project,
            Milestone,
            BatchEntry,
            Enterprise,
            # what ``compare`` looks rows up by
            columns={
                Project: ("code", "name_key", "zone"),
                Milestone: ("project",),
                BatchEntry: ("batch", "project"),
                Enterprise: ("name_key",),
            },
        )
        # Rows compared (and written) at a time: memory stays flat however long the list.
        for chunk in _chunks(lines, settings.SPREADSHEET_CHUNK_ROWS):
            if progress:
                progress(report.rows, None)
            if report.errors:
                continue  # read on: every row that cannot be understood is reported at once
            plan = Plan(report, batch, by_someone=by is not None)
            statistics.ready()
            result = compare(plan, chunk, people, seen, lock=not dry_run)
            if report.errors or dry_run:
                continue
            if batch is not None and batch.pk is None and not _created(batch, report):
                continue
            if result.writes_nothing:
                continue  # nothing changed: no write, no figures to count again
            if not _written(result, chunk, by, record, report):
                continue
            # the zones of the rows (a stored project matched is of its row's zone)
            figures_changes.changed(zones={line.zone.pk for line in chunk if line.zone})
            statistics.grew(len(result.new_projects))
        if dry_run or report.errors:
            transaction.set_rollback(True)
        else:
            report.applied = True
    return report


@contextmanager
def _heap_frozen() -> Iterator[None]:
    """The objects alive before the import (Django's, the app's: hundreds of thousands) left
    out of the garbage collector's full passes while it runs: the import makes a few
    hundred thousand short-lived objects, each pass over the old ones walked them all again,
    0.18 of 1.05 CPU s of re-importing a 10,000-row list (``benchmarks/import_bench.py``;
    0.04 s frozen). Cycles made during the import are still collected; the frozen objects
    return to the collector's care afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _written(result: Plan, chunk: list[Line], by, record, report: Report) -> bool:
    """Write the chunk, or report that someone saved one of the rows it creates meanwhile. The
    imports take turns (``bulk.take_turn``), but a person's save in the admin does not wait
    for them: on PostgreSQL a project or an enterprise added by hand while a list creating it
    was compared meets it at the insert. The chunk's writes are undone to their savepoint, and
    the whole file with them (the report has an error at each row whose project or enterprise
    was saved meanwhile, ``_saved_meanwhile``). On SQLite a writer waits for every other:
    there, such an error is no one's save but a fault of the import, and is raised."""
    try:
        with transaction.atomic():
            write(result, by=by, record=record)
    except IntegrityError:
        if connection.vendor != "postgresql":
            raise
        found = _saved_meanwhile(result, chunk)
        for line, column, what in found:
            report.error(
                *line.where,
                line.header(column),
                _(
                    "While this list was being imported, someone saved %(what)s, which this row "
                    "creates: nothing of the list was written. Preview this file again to "
                    "compare it with what was saved."
                )
                % {"what": what},
            )
        if not found:  # an entry or a milestone of a stored project, whose row is locked
            report.error(
                "",
                0,
                "",
                _(
                    "While this list was being imported, someone saved a project, an "
                    "enterprise or an entry it creates: nothing of the list was written. "
                    "Preview this file again to compare it with what was saved."
                ),
            )
        return False
    return True


def _saved_meanwhile(result: Plan, chunk: list[Line]) -> list[tuple[Line, str, str]]:
    """The chunk's rows whose new project (by its code, or its name in its zone) or new
    enterprise (by its name) is stored now: (row, the column, what was saved), read after
    the failed insert was undone. The stored projects the chunk changes were locked when it
    was compared: no one saves theirs meanwhile."""
    creating = {(p["zone_id"], p["name"]) for p in result.new_projects}
    codes = {p["code"] for p in result.new_projects if p.get("code")}
    taken_names = set(
        Project.objects.filter(
            zone_id__in={zone for zone, _name in creating},
            name__in={name for _zone, name in creating},
        ).values_list("zone_id", "name")
    )
    taken_codes = set(Project.objects.filter(code__in=codes).values_list("code", flat=True))
    taken_enterprises = set(
        Enterprise.objects.filter(name__in=list(result.new_enterprises)).values_list(
            "name", flat=True
        )
    )
    found = []
    for line in chunk:
        new = line.zone is not None and (line.zone.pk, line.name) in creating
        code = line.facts.get("code")
        if new and (line.zone.pk, line.name) in taken_names:
            found.append((line, "name", _("the project “%(name)s”") % {"name": line.name}))
        elif new and code in taken_codes:
            found.append((line, "code", _("the project code %(code)s") % {"code": code}))
        elif line.enterprise in taken_enterprises:
            taken_enterprises.discard(line.enterprise)  # named at the first row creating it
            found.append(
                (line, "enterprise", _("the enterprise “%(name)s”") % {"name": line.enterprise})
            )
    return found


def _created(batch: Batch, report: Report) -> bool:
    """Save the new round, or report that another import has just created it (two people
    confirming lists of the same new round at once: the second waits for the first's commit,
    then meets the unique round)."""
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        batch.pk = None
        report.error(
            "",
            0,
            "",
            _(
                "Batch %(batch)s was created by another import meanwhile: preview this file "
                "again to compare it with what that import wrote."
            )
            % {"batch": batch},
        )
        return False
    return True


def _batch(spec: BatchSpec, report: Report) -> Batch | None:
    batch = Batch.objects.filter(year=spec.year, round=spec.round).first()
    if batch is None:
        if spec.event_date is None:
            report.error(
                "",
                0,
                "",
                _("Batch %(year)d-%(round)d is new: give its event date.")
                % {"year": spec.year, "round": spec.round},
            )
            return None
        return Batch(year=spec.year, round=spec.round, event_date=spec.event_date)
    if spec.event_date and spec.event_date != batch.event_date:
        report.error(
            "",
            0,
            "",
            _("Batch %(batch)s was held on %(date)s, not on %(given)s.")
            % {
                "batch": batch,
                "date": day_in_words(batch.event_date),
                "given": day_in_words(spec.event_date),
            },
        )
    return batch
