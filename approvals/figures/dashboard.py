"""The zone dashboard on the admin index: the figures of ``reports`` for what the person sees
(its zones; the projects a leader follows; every zone for an administrator), narrowed to one
zone by choice, with the charts' data, the open problems and the investment completed against
plan this year (``investment``). The figures are those kept per zone and composed
(``kept``: counted by the worker after every change, shown with the time they were counted and
"更新中" while a recount runs); the rates are of the projects signed in the last twelve months,
and say so. A constant number of queries whatever the number of projects.

``board()`` gives plain data (values, labels, links, the charts' JSON): the admin index's
context (``projectdesk/unfold.py``), which templates/admin/approvals/dashboard.html only shows;
nothing is read from the database while it renders."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals.access import permissions
from approvals.cases import compliance
from approvals.cases.colours import Colour, MilestoneColours
from approvals.checklist.models import ChecklistProgress
from approvals.core import units
from approvals.core.display import day_in_words
from approvals.figures import compliance as compliance_figures
from approvals.figures import kept, reports
from approvals.figures.links import changelist_url
from approvals.figures.reports import Selection, percent
from approvals.models import (
    FORWARD_STAGES,
    UNSOLVED,
    Category,
    Project,
    Stage,
)

#: How many rounds the side-by-side chart shows (the newest).
ROUNDS_CHARTED = 6
_COUNT_AXIS = {"beginAtZero": True, "ticks": {"precision": 0}}
_BARS = {
    "animation": False,
    "responsive": True,
    "maintainAspectRatio": False,
    "plugins": {"legend": {"display": True, "position": "bottom"}},
    "scales": {"x": {"grid": {"display": False}}, "y": _COUNT_AXIS},
}
CHART_OPTIONS = {
    "funnel": {
        **_BARS,
        "indexAxis": "y",
        "plugins": {"legend": {"display": False}},
        "scales": {"x": _COUNT_AXIS, "y": {"grid": {"display": False}}},
    },
    "monthly": _BARS,
    "rounds": _BARS,
}
#: The colours of the charts' series: the admin theme's own variables where it has them.
SERIES = {
    Category.SIGN: "#2563eb",
    Category.START: "#f59e0b",
    Category.PRODUCE: "#16a34a",
}


@dataclass
class Tile:
    """One figure with its label, what it is out of, and where to see the projects behind it."""

    key: str
    label: str
    value: str
    note: str = ""
    url: str = ""
    colour: str = ""


@dataclass
class ZoneChoice:
    """A zone the person may narrow the dashboard to."""

    pk: int
    name: str
    selected: bool = False


@dataclass
class Board:
    zones: list[ZoneChoice]
    stages: list[dict]
    latest: dict | None
    rates: list[Tile]
    colours: list[Tile]
    problems: list[Tile] = field(default_factory=list)
    compliance: list[Tile] = field(default_factory=list)
    investment: list[dict] = field(default_factory=list)
    #: The charts' data as the admin theme's chart component reads it (Chart.js JSON), and
    #: their options (the theme's defaults draw thin, overlapping sparkline bars: these are
    #: read with axes, whole numbers and a legend).
    chart_json: dict[str, str] = field(default_factory=dict)
    chart_options: dict[str, str] = field(default_factory=dict)
    #: Whom the rates count and over which days, in words.
    period: str = ""
    #: "截至 HH:MM": when the figures shown were counted (the oldest of the zones').
    as_of: str = ""
    #: A change is committed that the figures shown do not count yet ("更新中").
    updating: bool = False
    #: Projects of no zone, which the zones' figures leave out (administrators' board).
    unzoned: str = ""


def zone_choices(user, wanted: str) -> list[ZoneChoice]:
    """The zones ``user`` sees, the one asked for (``?zone=``, if it is one of them) selected."""
    return [
        ZoneChoice(pk, name, str(pk) == wanted)
        for pk, name in permissions.zones_visible(user)
        .order_by("city", "name")
        .values_list("pk", "name")
    ]


def board(user, zone_asked: str = "", *, now: dt.datetime | None = None) -> Board | None:
    """The dashboard of ``user`` (None: no figures for it), narrowed to the zone whose primary
    key is ``zone_asked`` if that is one of its zones: the figures kept per zone, composed
    (``kept.for_board``), with the time they were counted and whether a recount is under way;
    the colour counts live."""
    if not permissions.may_see_figures(user):
        return None
    now = now or timezone.now()
    zones = zone_choices(user, zone_asked)
    zone = next((z for z in zones if z.selected), None)
    shown = [zone] if zone else zones
    whole = permissions.zones_seen_whole(user)
    found = kept.for_board(
        [z.pk for z in shown if whole is None or z.pk in whole],
        [z.pk for z in shown if whole is not None and z.pk not in whole],
        user=user,
        names={z.pk: z.name for z in zones},
        now=now,
    )
    figures = found.figures
    unzoned = ""
    if whole is None and zone is None:  # sees every project: those of no zone are not counted
        count = Project.objects.filter(zone__isnull=True).count()
        if count:
            unzoned = _(
                "%(count)d projects without a zone are in no zone's figures (the reports page "
                "counts them)."
            ) % {"count": count}
    stages, rounds = figures["stages"], figures["rounds"]
    cohort = reports.cohort_words(kept.rates_period(timezone.localdate(now)))
    rates = rate_tiles(figures["conversion"], figures["readiness"], cohort)
    selection = Selection(zones=(zone.pk,) if zone else ())
    colours = colour_tiles(reports.colour_counts(selection, user), zone)
    drawn = charts(stages, figures["months"], rounds[-ROUNDS_CHARTED:])
    return Board(
        zones,
        [{**row, "investment_shown": units.shown_yi(row["investment_yi"])} for row in stages],
        latest_round(rounds),
        rates,
        colours,
        problems=problem_tiles(figures["problems"], zone),
        compliance=compliance_tiles(
            compliance_figures.started_before_permits(selection, user), zone
        ),
        investment=[
            {
                **row,
                "rate_shown": percent(row["rate"]),
                "completed_year_shown": units.shown(row["completed_year_wan"]),
                "annual_plan_shown": units.shown(row["annual_plan_wan"]),
            }
            for row in figures["investment"]
        ],
        chart_json={name: json.dumps(data, ensure_ascii=False) for name, data in drawn.items()},
        chart_options={name: json.dumps(CHART_OPTIONS[name]) for name in drawn},
        period=_("Rates of the projects %(cohort)s (%(start)s to %(end)s).")
        % {
            "cohort": cohort,
            "start": day_in_words(kept.rates_period(timezone.localdate(now)).date_from),
            "end": day_in_words(timezone.localdate(now)),
        },
        as_of=as_of_words(found.as_of, now),
        updating=found.updating,
        unzoned=unzoned,
    )


def as_of_words(as_of: dt.datetime | None, now: dt.datetime) -> str:
    """ "截至 HH:MM" (Asia/Shanghai), with the date when it is not today's."""
    if as_of is None:
        return ""
    local = timezone.localtime(as_of)
    shown = f"{local:%H:%M}"
    if local.date() != timezone.localdate(now):
        shown = f"{local:%Y-%m-%d %H:%M}"
    return _("as of %(time)s") % {"time": shown}


def latest_round(rounds: list[dict]) -> dict | None:
    """The newest round of 三个一批, with a row per category as the table shows them."""
    if not rounds:
        return None
    latest = dict(rounds[-1])
    latest["rows"] = [
        {
            "label": str(c.label),
            **latest["categories"][c.value],
            "investment_shown": units.shown_yi(latest["categories"][c.value]["investment_yi"]),
        }
        for c in Category
    ]
    latest["investment_shown"] = units.shown_yi(latest["investment_yi"])
    return latest


def rate_tiles(conversion: dict, readiness: dict, cohort: str) -> list[Tile]:
    """The conversion rates (开工率, 投产率, 达效率), each saying its cohort in words (``cohort``,
    e.g. "signed in the last 12 months"), and the readiness to start works with the items of
    those projects by kind (guide section 12, "figures say what they count")."""
    return [
        Tile(
            "start_rate",
            _("Start rate (开工率)"),
            percent(conversion["start_rate"]),
            _("of the %(signed)d projects %(cohort)s, %(started)d have started works")
            % {**conversion, "cohort": cohort},
        ),
        Tile(
            "production_rate",
            _("Production rate (投产率)"),
            percent(conversion["production_rate"]),
            _(
                "of the %(started)d projects %(cohort)s that have started works, "
                "%(producing)d are in production"
            )
            % {**conversion, "cohort": cohort},
        ),
        Tile(
            "output_rate",
            _("Output rate (达效率)"),
            percent(conversion["output_rate"]),
            _(
                "the %(count)d projects %(cohort)s at design capacity produce %(actual)s of "
                "the %(expected)s (100m yuan) a year expected"
            )
            % {
                "actual": units.shown_yi(conversion["actual_output_yi"]),
                "expected": units.shown_yi(conversion["expected_output_yi"]),
                "count": conversion["at_capacity"],
                "cohort": cohort,
            },
        ),
        Tile(
            "readiness",
            _("Ready to start works (具备开工条件率)"),
            percent(readiness["rate"]),
            _(
                "of the %(projects)d projects signed or ready now, %(ready)d are ready to "
                "start works; their approval items: %(progress)s"
            )
            % {**readiness, "progress": ChecklistProgress.of(readiness["progress"])},
        ),
    ]


def colour_tiles(counts: dict, zone: ZoneChoice | None) -> list[Tile]:
    """How many projects are red, yellow and at risk, each linking to the project list
    filtered so."""
    return [
        Tile(
            colour.value,
            str(colour.label),
            str(counts[colour.value]),
            url=changelist_url(
                "approvals.project", colour=colour.value, zone__id__exact=zone and zone.pk
            ),
            colour=colour.ink,
        )
        for colour in (Colour.RED, Colour.YELLOW, Colour.AT_RISK)
    ]


def problem_tiles(figures: dict, zone: ZoneChoice | None) -> list[Tile]:
    """Unsolved problems and the red ones among them, each linking to the problem list
    filtered so (the standard admin's lookups: status, deadline, the project's zone)."""
    unsolved = ",".join(UNSOLVED)
    zone_pk = zone and zone.pk
    red_before = MilestoneColours.on(timezone.localdate()).red_before
    try:
        links = {
            "problems_unsolved": changelist_url(
                "approvals.problem", status__in=unsolved, project__zone__id__exact=zone_pk
            ),
            # problem_filter(RED): unsolved, deadline before the red threshold's day
            "problems_red": changelist_url(
                "approvals.problem",
                status__in=unsolved,
                deadline__lt=red_before.isoformat(),
                project__zone__id__exact=zone_pk,
            ),
        }
    except NoReverseMatch:  # the problem pages are not installed: the figures without a link
        links = {"problems_unsolved": "", "problems_red": ""}
    return [
        Tile(
            "problems_unsolved",
            _("Unsolved problems (堵点)"),
            str(figures["unsolved"]),
            _("%(yellow)d yellow; %(resolved)d resolved, %(closed)d of them closed") % figures,
            url=links["problems_unsolved"],
        ),
        Tile(
            "problems_red",
            _("Red problems"),
            str(figures["red"]),
            _("unsolved, more than the red threshold past their deadline"),
            url=links["problems_red"],
            colour=Colour.RED.ink,
        ),
    ]


def compliance_tiles(counts: dict[str, int], zone: ZoneChoice | None) -> list[Tile]:
    """开工时前期手续未办结 N 个, linking to the project list filtered so."""
    parameter, flagged, _still_open, _settled = compliance.FILTER
    return [
        Tile(
            "started_before_permits",
            str(compliance.LABEL),
            ngettext("%(count)d project", "%(count)d projects", counts["flagged"])
            % {"count": counts["flagged"]},
            _("%(count)d of them with items still open") % {"count": counts["still_open"]},
            url=changelist_url(
                "approvals.project", **{parameter: flagged}, zone__id__exact=zone and zone.pk
            ),
            colour=Colour.RED.ink if counts["still_open"] else "",
        )
    ]


def charts(stages: list[dict], months: dict, batches: list[dict]) -> dict[str, dict]:
    """Chart.js data for the stage funnel, starts and productions per month and
    the latest rounds side by side."""
    forward = [row for row in stages if row["stage"] in FORWARD_STAGES]
    # A funnel: how many have reached each stage (are at it or beyond it).
    reached = [sum(row["count"] for row in forward[i:]) for i in range(len(forward))]
    funnel = {
        "labels": [row["label"] for row in forward],
        "datasets": [
            {
                "label": _("projects that reached the stage"),
                "data": reached,
                "backgroundColor": "#2563eb",
            }
        ],
    }
    monthly = {
        "labels": months["months"],
        "datasets": [
            {
                "label": str(Stage.UNDER_CONSTRUCTION.label),
                "data": months["starts"],
                "backgroundColor": SERIES[Category.START],
            },
            {
                "label": str(Stage.IN_PRODUCTION.label),
                "data": months["productions"],
                "backgroundColor": SERIES[Category.PRODUCE],
            },
        ],
    }
    rounds = {
        "labels": [batch["label"] for batch in batches],
        "datasets": [
            {
                "label": str(category.label),
                "data": [batch["categories"][category.value]["count"] for batch in batches],
                "backgroundColor": SERIES[category],
            }
            for category in Category
        ],
    }
    return {"funnel": funnel, "monthly": monthly, "rounds": rounds}
