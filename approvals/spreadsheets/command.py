"""What the import commands share: who acts, the progress bar, the summary and the exit."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db.models import Q
from tqdm import tqdm

from approvals.spreadsheets import imports
from approvals.spreadsheets.reading import SpreadsheetRefused


def acting_user(name: str | None):
    """``--user``: a login or a display name; without it the command acts with administrator
    rights (whoever runs manage.py already holds the database)."""
    if not name:
        return None
    users = get_user_model().objects.filter(Q(username=name) | Q(first_name=name), is_active=True)
    if users.count() != 1:
        raise CommandError(f"--user {name!r}: no single active user has that login or name.")
    return users.get()


def run(command, kind: str, path: str, *, user: str | None, dry_run: bool, **spec) -> None:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file.")
    by = acting_user(user)
    source = "command line: " + " ".join(sys.argv[1:])[:180]
    data = file.read_bytes()
    try:
        record = imports.receive(
            kind, data, file.name, by=by, source=source, keep_file=False, **spec
        )
    except SpreadsheetRefused as refused:
        raise CommandError(str(refused)) from refused
    bar = tqdm(
        total=record.rows, unit="rows", desc=file.name, file=command.stderr._out, leave=False
    )

    def progress(done: int, total: int | None) -> None:
        bar.total = total or record.rows
        bar.n = min(done, bar.total or done)
        bar.refresh()

    try:
        action = imports.preview if dry_run else imports.apply
        report = action(record, data, progress=progress)
    finally:
        bar.close()
    for issue in report.errors:
        command.stderr.write(str(issue))
    if report.error_count > len(report.errors):
        command.stderr.write(f"… {report.error_count - len(report.errors)} more")
    for issue in report.warnings:
        command.stdout.write(f"warning: {issue}")
    for note in report.notes:
        command.stdout.write(note)
    for what, count in report.tallies.items():
        command.stdout.write(f"{what}: {count}")
    if not report.ok:
        raise CommandError(report.summary())
    prefix = "dry run, nothing saved: " if dry_run else ""
    if report.changes_nothing:
        command.stdout.write(
            prefix + "this file changes nothing: every row is already as recorded."
        )
    command.stdout.write(prefix + report.summary())
