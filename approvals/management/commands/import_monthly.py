"""python manage.py import_monthly FILE [--user NAME] [--dry-run]: a monthly progress table
(月调度表), all or nothing."""

from django.core.management.base import BaseCommand

from approvals.models import ImportKind
from approvals.spreadsheets import command


class Command(BaseCommand):
    help = "Import a monthly progress table (月调度表: .xlsx, .xls or .csv)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", default=None, help="login or name of who imports")
        parser.add_argument("--dry-run", action="store_true", help="check and say, save nothing")

    def handle(self, *args, file, user, dry_run, **options) -> None:
        command.run(self, ImportKind.MONTHLY_TABLE, file, user=user, dry_run=dry_run)
