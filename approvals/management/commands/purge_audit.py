"""``manage.py purge_audit --before YYYY-MM-DD``: the one way audit records go.

Deletes the security audit log's records older than the date, which may not be later than
``AUDIT_RETENTION_DAYS`` (at least 183: six months) before today; a younger date is refused and
nothing goes. The database refuses every DELETE of audit rows (issue 17: triggers of migration
0020) but inside :func:`~approvals.audit.models.audit_purge_switch`, the one switch they
recognise, which this command alone opens; the purge records itself in the log, in the same
transaction, so that the records go only with the record of their going.

In production the application's database role holds only SELECT and INSERT on the log (README,
Production): run this command with the owner's ``DATABASE_URL``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.audit import services as audit
from approvals.audit.models import audit_purge_switch
from approvals.management.base import DeskCommand, Once
from approvals.models import AuditEvent, AuditKind


class Command(DeskCommand):
    help = gettext_lazy(
        "Delete security audit records older than --before (at least the retention period)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--before", required=True, action=Once, metavar=gettext_lazy("DATE"), help="YYYY-MM-DD"
        )

    def handle(self, *args, before: str, **options) -> None:
        try:
            day = dt.date.fromisoformat(before)
        except ValueError as error:
            raise CommandError(
                _("--before “%(value)s” is not a date (YYYY-MM-DD).") % {"value": before}
            ) from error
        days = settings.AUDIT_RETENTION_DAYS
        latest = timezone.localdate() - dt.timedelta(days=days)
        if day > latest:
            raise CommandError(
                _("Audit records are kept %(days)d days: --before may be %(latest)s at the latest.")
                % {"days": days, "latest": latest}
            )
        cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        try:
            deleted = self._purge(day, cutoff)
        except DatabaseError as error:
            # The application's role may not delete audit rows (README, Production: the
            # database roles); that is the design working, not a crash to print as a traceback.
            raise CommandError(
                _(
                    "The database refused the purge (%(error)s). Run purge_audit with the "
                    "DATABASE_URL of the role that owns the tables, not the application's "
                    "(README, Production: the database roles). Nothing was deleted."
                )
                % {"error": str(error).strip()}
            ) from error
        self.stdout.write(
            _("%(count)d audit records before %(day)s deleted.") % {"count": deleted, "day": day}
        )

    def _purge(self, day: dt.date, cutoff: dt.datetime) -> int:
        with transaction.atomic():
            # A queryset delete (AuditEvent.delete refuses single rows); nothing listens to the
            # log's own delete signals, so it is one statement, let through by the switch.
            with audit_purge_switch():
                deleted, __ = AuditEvent.objects.filter(at__lt=cutoff).delete()
            audit.record(
                AuditKind.DELETION,
                obj="security audit log",
                username="manage.py purge_audit",
                before=day.isoformat(),
                deleted=deleted,
            )
        return deleted
