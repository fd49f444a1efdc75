"""The zone dashboard on the admin index: the figures of ``reports`` for what the person sees
(its zones; the projects a leader follows; every zone for an administrator), narrowed to one
zone by choice, with the charts' data, the open problems and the investment completed against
plan this year (``investment``). A constant number of queries whatever the number of projects:
each figure is an aggregate.

``board()`` gives plain data (values, labels, links, the charts' JSON): the admin index's
context (``projectdesk/unfold.py``), which templates/admin/approvals/dashboard.html only shows;
nothing is read from the database while it renders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals.access import permissions
from approvals.cases import compliance
from approvals.cases.colours import Colour, MilestoneColours
from approvals.figures import compliance as compliance_figures
from approvals.figures import investment, registry, reports
from approvals.figures.links import changelist_url
from approvals.figures.reports import Selection, percent
from approvals.models import (
    FORWARD_STAGES,
    UNSOLVED,
    Category,
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


def cached_figures(selection: Selection, user) -> dict:
    """The dashboard's aggregates over what ``user`` sees, kept per state of the data (at
    100,000 projects they take 0.3–0.5 s; the colour counts, read from an index, stay live)."""
    return reports.kept(
        "dashboard",
        selection,
        user,
        lambda: {
            "stages": reports.by_stage(selection, user),
            "rounds": reports.sanpi_rounds(selection, user),
            "conversion": registry.get("conversion").figures(selection, user),
            "readiness": registry.get("readiness").figures(selection, user),
            "months": reports.per_month(selection, user),
            "problems": registry.get("problems").figures(selection, user),
            "investment": investment.latest_this_year(selection, user),
        },
    )


def zone_choices(user, wanted: str) -> list[ZoneChoice]:
    """The zones ``user`` sees, the one asked for (``?zone=``, if it is one of them) selected."""
    return [
        ZoneChoice(pk, name, str(pk) == wanted)
        for pk, name in permissions.zones_visible(user)
        .order_by("city", "name")
        .values_list("pk", "name")
    ]


def board(user, zone_asked: str = "") -> Board | None:
    """The dashboard of ``user`` (None: no figures for it), narrowed to the zone whose primary
    key is ``zone_asked`` if that is one of its zones."""
    if not permissions.may_see_figures(user):
        return None
    zones = zone_choices(user, zone_asked)
    zone = next((z for z in zones if z.selected), None)
    selection = Selection(zones=(zone.pk,) if zone else ())
    figures = cached_figures(selection, user)
    stages, rounds = figures["stages"], figures["rounds"]
    rates = rate_tiles(figures["conversion"], figures["readiness"])
    colours = colour_tiles(reports.colour_counts(selection, user), zone)
    drawn = charts(stages, figures["months"], rounds[-ROUNDS_CHARTED:])
    return Board(
        zones,
        stages,
        latest_round(rounds),
        rates,
        colours,
        problems=problem_tiles(figures["problems"], zone),
        compliance=compliance_tiles(
            compliance_figures.started_before_permits(selection, user), zone
        ),
        investment=[{**row, "rate_shown": percent(row["rate"])} for row in figures["investment"]],
        chart_json={name: json.dumps(data, ensure_ascii=False) for name, data in drawn.items()},
        chart_options={name: json.dumps(CHART_OPTIONS[name]) for name in drawn},
    )


def latest_round(rounds: list[dict]) -> dict | None:
    """The newest round of 三个一批, with a row per category as the table shows them."""
    if not rounds:
        return None
    latest = dict(rounds[-1])
    latest["rows"] = [{"label": str(c.label), **latest["categories"][c.value]} for c in Category]
    return latest


def rate_tiles(conversion: dict, readiness: dict) -> list[Tile]:
    """The conversion rates (开工率, 投产率, 达效率) and the readiness to start works."""
    return [
        Tile(
            "start_rate",
            _("Start rate (开工率)"),
            percent(conversion["start_rate"]),
            _("%(started)d of %(signed)d signed have started works") % conversion,
        ),
        Tile(
            "production_rate",
            _("Production rate (投产率)"),
            percent(conversion["production_rate"]),
            _("%(producing)d of %(started)d started are in production") % conversion,
        ),
        Tile(
            "output_rate",
            _("Output rate (达效率)"),
            percent(conversion["output_rate"]),
            _("%(actual)s of %(expected)s (100m yuan) expected, %(count)d at capacity")
            % {
                "actual": conversion["actual_output_yi"],
                "expected": conversion["expected_output_yi"],
                "count": conversion["at_capacity"],
            },
        ),
        Tile(
            "readiness",
            _("Ready to start works (具备开工条件率)"),
            percent(readiness["rate"]),
            _(
                "%(ready)d of %(projects)d projects signed or ready; items settled %(settled)d / %(items)d"
            )
            % readiness,
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
