"""python manage.py bulletin [--zone NAME | --city NAME] [--week YYYY-MM-DD] --output FILE
[--keep]: a zone's or a city's 督办通报 (issue 23) as .docx, the same document the worker keeps
every week (``approvals.bulletins``). ``--week`` is any day of the week reported (default: the
last full week); without ``--keep`` nothing is written to the database."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.bulletins import content, services
from approvals.management.base import DeskCommand, Once, a_day
from zones.models import Zone


class Command(DeskCommand):
    help = gettext_lazy("Write a zone's or a city's weekly supervision bulletin (.docx).")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--zone",
            action=Once,
            metavar=gettext_lazy("ZONE"),
            help=gettext_lazy("official name or alias"),
        )
        parser.add_argument(
            "--city", action=Once, metavar=gettext_lazy("CITY"), help=gettext_lazy("a city")
        )
        parser.add_argument(
            "--week",
            type=a_day,
            action=Once,
            metavar=gettext_lazy("DATE"),
            help=gettext_lazy(
                "YYYY-MM-DD: any day of the week reported (default: the last full week)"
            ),
        )
        parser.add_argument(
            "--output",
            required=True,
            action=Once,
            metavar=gettext_lazy("FILE"),
            help=gettext_lazy("the .docx file to write"),
        )
        parser.add_argument(
            "--keep",
            action="store_true",
            help=gettext_lazy("also keep it for download on the reports page"),
        )

    def handle(self, *args, zone, city, week, output, keep, **options) -> None:
        if bool(zone) == bool(city):
            raise CommandError(
                _("Name one zone (--zone) or one city (--city). Zones: %(zones)s")
                % {"zones": "、".join(Zone.objects.order_by("name").values_list("name", flat=True))}
            )
        found = self._zone(zone) if zone else None
        if city and not Zone.objects.filter(city=city).exists():
            raise CommandError(
                _("No zone is in the city “%(city)s”. Cities: %(cities)s")
                % {"city": city, "cities": "、".join(services.cities_with_zones())}
            )
        week = content.monday_of(week or services.week_reported(timezone.localdate()))
        if keep:
            bulletin = services.make(zone=found, city=city, week=week, weekly=False)
            with bulletin.file.open("rb") as kept:
                data = kept.read()
        else:
            data = services.render(zone=found, city=city or "", week=week)
        try:
            with open(output, "wb") as file:
                file.write(data)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": output, "error": error.strerror}
            ) from error
        start, end = content.week_period(week)
        self.stdout.write(
            _("Bulletin of %(place)s for %(start)s to %(end)s written to %(file)s.")
            % {"place": found.name if found else city, "start": start, "end": end, "file": output}
        )

    def _zone(self, name: str) -> Zone:
        zone = Zone.objects.all().matching(name)
        if zone is None:
            raise CommandError(
                _("No zone is called “%(name)s” (official name or alias). Zones: %(zones)s")
                % {
                    "name": name,
                    "zones": "、".join(
                        Zone.objects.order_by("name").values_list("name", flat=True)
                    ),
                }
            )
        return zone
