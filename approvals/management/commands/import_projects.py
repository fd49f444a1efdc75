"""python manage.py import_projects FILE [--batch YEAR-ROUND [--event-date YYYY-MM-DD]]
[--user NAME] [--dry-run]: a 三个一批 list of a round, or without --batch the zones' portfolio
(重点项目清单: no round, no category), all or nothing."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand, Once, a_day, a_round, import_arguments
from approvals.models import ImportKind
from approvals.spreadsheets import command


class Command(DeskCommand):
    help = gettext_lazy(
        "Import a quarterly 三个一批 project list (.xlsx, .xls or .csv) into a batch, or without "
        "--batch a portfolio (重点项目清单) without a round."
    )

    def add_arguments(self, parser) -> None:
        import_arguments(parser)
        # One list, one round: a second --batch is refused, not taken for the first.
        parser.add_argument(
            "--batch",
            type=a_round,
            default=None,
            action=Once,
            metavar=gettext_lazy("YEAR-ROUND"),
            help=gettext_lazy("YEAR-ROUND, e.g. 2025-1 (one); without it: no round"),
        )
        parser.add_argument(
            "--event-date",
            type=a_day,
            default=None,
            action=Once,
            metavar=gettext_lazy("DATE"),
            help=gettext_lazy("YYYY-MM-DD: the round's event (needed for a new round)"),
        )

    def handle(self, *args, file, batch, event_date, user, dry_run, **options) -> None:
        year, round_ = batch or (None, None)
        if batch is None and event_date is not None:
            raise CommandError(_("--event-date is the date of a round: give its --batch too."))
        command.run(
            self,
            ImportKind.PROJECT_LIST,
            file,
            user=user,
            dry_run=dry_run,
            year=year,
            round=round_,
            event_date=event_date,
        )
