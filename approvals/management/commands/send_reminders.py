"""python manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]: the daily reminder scan on
demand, through the same code the scheduled task runs."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from approvals.models import Step
from approvals.reminders import services as reminders


class Command(BaseCommand):
    help = "Scan for late milestones, items and foreseen delays, and send the reminders due."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true", help="say what is due, send nothing")

    def handle(self, *args, date, dry_run, **options) -> None:
        try:
            outcome = reminders.run(date, dry_run=dry_run)
        except ValueError as error:  # a day to come
            raise CommandError(str(error)) from error
        if not outcome.working_day:
            self.stdout.write(f"{outcome.day}: not a working day: no reminders.")
            return
        verb = "would be new" if dry_run else "new"
        for step in Step:
            self.stdout.write(
                f"{outcome.day} {step.value:<10} due {outcome.found[step]:>5}  "
                f"{verb} {outcome.new[step]:>5}  sent {outcome.sent[step]:>5}"
            )
        total = sum(outcome.sent.values())
        self.stdout.write(
            f"{sum(outcome.new.values())} reminders {verb}, {total} sent"
            + (" (dry run: nothing saved or sent)." if dry_run else ".")
        )
