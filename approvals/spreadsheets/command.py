"""What the import commands share: who acts, the progress bar, the summary and the exit."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
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
        raise CommandError(
            _("--user “%(name)s”: no single active user has that login or name.") % {"name": name}
        )
    return users.get()


def run(command, kind: str, path: str, *, user: str | None, dry_run: bool, **spec) -> None:
    """Import ``path`` (``dry_run``: check it and say what it would do, writing nothing at all:
    not even the import's own record, which the pages keep for a confirmation that a command
    never asks for)."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(_("%(path)s: no such file.") % {"path": path})
    if not dry_run:
        report = _run(command, kind, file, user=user, dry_run=False, **spec)
    else:
        with transaction.atomic():
            report = _run(command, kind, file, user=user, dry_run=True, **spec)
            transaction.set_rollback(True)
    _say(command, report, dry_run=dry_run)


def _run(command, kind: str, file: Path, *, user: str | None, dry_run: bool, **spec):
    by = acting_user(user)
    source = _("command line: %(arguments)s") % {"arguments": " ".join(sys.argv[1:])[:180]}
    data = file.read_bytes()
    try:
        record = imports.receive(
            kind, data, file.name, by=by, source=source, keep_file=False, **spec
        )
    except (SpreadsheetRefused, PermissionDenied) as refused:
        raise CommandError(str(refused)) from refused
    bar = tqdm(
        total=record.rows,
        unit=pgettext("progress bar unit", "rows"),
        desc=file.name,
        file=command.stderr._out,
        leave=False,
    )

    def progress(done: int, total: int | None) -> None:
        bar.total = total or record.rows
        bar.n = min(done, bar.total or done)
        bar.refresh()

    try:
        action = imports.preview if dry_run else imports.apply
        return action(record, data, progress=progress)
    finally:
        bar.close()


def _say(command, report, *, dry_run: bool) -> None:
    """The rows it cannot read (on standard error), the warnings, notes and counts, and the
    summary; exits 1 when a row cannot be read."""
    for issue in report.errors:
        command.stderr.write(str(issue))
    if report.error_count > len(report.errors):
        command.stderr.write(
            _("… and %(count)d more") % {"count": report.error_count - len(report.errors)}
        )
    for issue in report.warnings:
        command.stdout.write(_("warning: %(issue)s") % {"issue": issue})
    for note in report.notes:
        command.stdout.write(note)
    for what, count in report.tallies.items():
        command.stdout.write(_("%(what)s: %(count)d") % {"what": what, "count": count})
    if not report.ok:
        raise CommandError(report.summary())
    prefix = _("dry run, nothing saved: ") if dry_run else ""
    if report.changes_nothing:
        command.stdout.write(
            prefix + _("this file changes nothing: every row is already as recorded.")
        )
    command.stdout.write(prefix + report.summary())
