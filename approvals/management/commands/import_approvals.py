"""python manage.py import_approvals FILE [--user NAME] [--dry-run]: an approval progress
table, all or nothing."""

from django.core.management.base import BaseCommand

from approvals.models import ImportKind
from approvals.spreadsheets import command


class Command(BaseCommand):
    help = "Import an approval progress table (前期手续办理进度表: .xlsx, .xls or .csv)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--user", default=None, help="login or name of who imports")
        parser.add_argument("--dry-run", action="store_true", help="check and say, save nothing")

    def handle(self, *args, file, user, dry_run, **options) -> None:
        command.run(self, ImportKind.APPROVAL_TABLE, file, user=user, dry_run=dry_run)
