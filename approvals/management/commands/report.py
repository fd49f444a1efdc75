"""python manage.py report REPORT [--zone NAME] [--batch YEAR-ROUND ...] [--from DATE --to DATE]
[--json]: the figures of the dashboard and the reports page, for scripts; REPORT is the name of
one of ``approvals/figures/registry.py`` (``--help`` lists them). Over every project (the command line is an administrator's); rates
are fractions, investment of the monthly figures in 万元 (rules: approvals/figures/investment.py)."""

from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.figures import registry, reports
from approvals.management.base import DeskCommand, Once, a_day, a_round
from approvals.models import Batch
from zones.models import Zone


class Command(DeskCommand):
    help = gettext_lazy("Print the figures of a report (as JSON with --json).")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "report", choices=sorted(registry.names()), help=gettext_lazy("the report")
        )
        # Repeatable, and several values after one flag too: `--batch A --batch B` is
        # `--batch A B` (argparse's "extend"; with nargs="+" alone the last flag wins).
        parser.add_argument(
            "--zone",
            action="extend",
            nargs="+",
            default=[],
            metavar=gettext_lazy("ZONE"),
            help=gettext_lazy("official name or alias (repeatable)"),
        )
        parser.add_argument(
            "--batch",
            type=a_round,
            action="extend",
            nargs="+",
            default=[],
            metavar=gettext_lazy("YEAR-ROUND"),
            help=gettext_lazy("YEAR-ROUND, e.g. 2025-2 (repeatable)"),
        )
        parser.add_argument(
            "--from",
            dest="date_from",
            type=a_day,
            action=Once,
            metavar=gettext_lazy("DATE"),
            help="YYYY-MM-DD",
        )
        parser.add_argument(
            "--to",
            dest="date_to",
            type=a_day,
            action=Once,
            metavar=gettext_lazy("DATE"),
            help="YYYY-MM-DD",
        )
        parser.add_argument("--json", action="store_true", help=gettext_lazy("print JSON"))

    def handle(self, *args, report, zone, batch, date_from, date_to, json, **options) -> None:
        if date_from and date_to and date_from > date_to:
            raise CommandError(_("--from is after --to."))
        selection = reports.Selection(
            zones=tuple(dict.fromkeys(self._zone(name).pk for name in zone)),
            batches=tuple(dict.fromkeys(self._batch_id(value) for value in batch)),
            date_from=date_from,
            date_to=date_to,
        )
        figures = registry.get(report).figures(selection)
        if json:
            self.stdout.write(_json(figures))
        else:
            self.stdout.write(registry.as_text(report, figures), ending="")

    def _zone(self, name: str) -> Zone:
        zone = Zone.objects.all().matching(name)
        if zone is None:
            raise CommandError(
                _("No zone is called “%(name)s” (official name or alias).") % {"name": name}
            )
        return zone

    def _batch_id(self, value: tuple[int, int]) -> int:
        year, round_ = value
        found = Batch.objects.filter(year=year, round=round_).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(
                _("There is no batch %(batch)s.") % {"batch": Batch(year=year, round=round_)}
            )
        return found


def _json(figures: dict) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)
