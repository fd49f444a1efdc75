"""python manage.py import_monthly FILE [--user NAME] [--dry-run]: a monthly progress table
(月调度表), all or nothing."""

from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand, import_arguments
from approvals.models import ImportKind
from approvals.spreadsheets import command


class Command(DeskCommand):
    help = gettext_lazy("Import a monthly progress table (月调度表: .xlsx, .xls or .csv).")

    def add_arguments(self, parser) -> None:
        import_arguments(parser)

    def handle(self, *args, file, user, dry_run, **options) -> None:
        command.run(self, ImportKind.MONTHLY_TABLE, file, user=user, dry_run=dry_run)
