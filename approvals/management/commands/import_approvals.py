"""python manage.py import_approvals FILE [--user NAME] [--dry-run]: an approval progress
table, all or nothing."""

from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand, import_arguments
from approvals.models import ImportKind
from approvals.spreadsheets import command


class Command(DeskCommand):
    help = gettext_lazy(
        "Import an approval progress table (前期手续办理进度表: .xlsx, .xls or .csv)."
    )

    def add_arguments(self, parser) -> None:
        import_arguments(parser)

    def handle(self, *args, file, user, dry_run, **options) -> None:
        command.run(self, ImportKind.APPROVAL_TABLE, file, user=user, dry_run=dry_run)
