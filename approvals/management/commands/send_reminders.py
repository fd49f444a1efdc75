"""python manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]: the daily reminder scan on
demand, through the same code the scheduled task runs."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand, Once, a_day
from approvals.models import Step
from approvals.reminders import services as reminders


class Command(DeskCommand):
    help = gettext_lazy(
        "Scan for late milestones, items and foreseen delays, and send the reminders due."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date",
            type=a_day,
            default=None,
            action=Once,
            metavar=gettext_lazy("DATE"),
            help=gettext_lazy("YYYY-MM-DD: a day a scan missed (default: today)"),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("say what is due; write and send nothing"),
        )

    def handle(self, *args, date, dry_run, **options) -> None:
        try:
            outcome = reminders.run(date, dry_run=dry_run)
        except ValueError as error:  # a day to come
            raise CommandError(str(error)) from error
        if not outcome.working_day:
            self.stdout.write(
                _("%(day)s is not a working day: no reminders.") % {"day": outcome.day}
            )
            return
        line = (
            _("%(day)s %(step)s: due %(due)d, would be new %(new)d, sent %(sent)d")
            if dry_run
            else _("%(day)s %(step)s: due %(due)d, new %(new)d, sent %(sent)d")
        )
        for step in Step:
            self.stdout.write(
                line
                % {
                    "day": outcome.day,
                    "step": step.label,
                    "due": outcome.found[step],
                    "new": outcome.new[step],
                    "sent": outcome.sent[step],
                }
            )
        counts = {"new": sum(outcome.new.values()), "sent": sum(outcome.sent.values())}
        self.stdout.write(
            _("%(new)d reminders would be new; dry run: nothing saved or sent.") % counts
            if dry_run
            else _("%(new)d reminders new, %(sent)d sent.") % counts
        )
