"""python manage.py import_projects FILE [--batch YEAR-ROUND [--event-date YYYY-MM-DD]]
[--user NAME] [--dry-run]: a 三个一批 list of a round, or without --batch the zones' portfolio
(重点项目清单: no round, no category), all or nothing."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from approvals.models import ImportKind
from approvals.spreadsheets import command


def parse_batch(value: str) -> tuple[int, int]:
    try:
        year, round_ = (int(part) for part in value.split("-"))
    except ValueError as error:
        raise CommandError(f"--batch {value!r}: write YEAR-ROUND, e.g. 2025-1.") from error
    return year, round_


class Command(BaseCommand):
    help = (
        "Import a quarterly 三个一批 project list (.xlsx, .xls or .csv) into a batch, or without "
        "--batch a portfolio (重点项目清单) without a round."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--batch", default=None, help="YEAR-ROUND, e.g. 2025-1; without it: no round"
        )
        parser.add_argument("--event-date", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--user", default=None, help="login or name of who imports")
        parser.add_argument("--dry-run", action="store_true", help="check and say, save nothing")

    def handle(self, *args, file, batch: str, event_date, user, dry_run, **options) -> None:
        year = round_ = None
        if batch is not None:
            year, round_ = parse_batch(batch)
        elif event_date is not None:
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
