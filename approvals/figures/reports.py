"""The figures a zone is judged by (domain guide sections 1, 9 and 11): the 三个一批 summary,
the conversion rates (开工率, 投产率, 达效率) and readiness (具备开工条件率), plus what the dashboard
draws beside them. One home for each figure: the dashboard, the reports page, its .xlsx
downloads and ``manage.py report`` all call these functions (the reports through
``approvals/figures/registry.py``, which names each report with its figures and its tables).

Every figure is over a ``Selection`` (zones, batches, a period) within what the person sees:
``permissions.scope`` decides which projects count, as everywhere else. A few aggregate queries
per figure, whatever the number of projects.

Decisions the guide leaves open, taken here:

* 三个一批 per batch counts every entry of that round. The cumulative figure ("since 2023, 5
  rounds, 319 projects …") counts a project once per category: one listed as 开工 in two rounds
  (re-listed because it had not started) is one start of works, with the investment of its
  latest listing. A project signed in one round and started in a later one counts in both.
* Conversion: the cohort is the projects listed as 签约 in the selected batches; with no batch
  named, also every project whose signing date falls in the period (any date, without one).
  开工 and 投产 are read from the actual dates now, 达效率 over the cohort's projects at design
  capacity. A batch named explicitly limits the cohort to its list.
* Readiness is a state of now: the period does not apply; batches named narrow it to the
  projects they list.

**Kept per zone.** Conversion and readiness are counts and sums over projects, and a project is
in one zone: they add up over zones. The worker keeps each zone's with the dashboard's figures
(``ZoneFigures.figures``, counted by ``kept.recount_zone``: conversion over the last twelve
months of the day it counted, readiness as it stands), and the reports page reads them when the
selection is of whole zones (``zones_kept``: no batch, a person whose scope is whole zones,
every zone counted at its version) and, for conversion, its period is the last twelve months of
the day they were counted (the page's default); else they are counted live. Counted live at
100,000 projects they took ~100 ms of the reports page counted afresh (the cohort's starts and
productions alone ~87 ms; benchmarks/README.md section 14).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from approvals.access import permissions
from approvals.cases.colours import Colour, MilestoneColours
from approvals.cases.lateness import colour_filter
from approvals.checklist import counters
from approvals.checklist.models import ChecklistProgress, ItemKind
from approvals.core import units
from approvals.core.display import day_in_words
from approvals.figures import changes
from approvals.figures.models import ZoneFigures
from approvals.figures.tables import Table
from approvals.models import (
    OPEN_STAGES,
    Batch,
    BatchEntry,
    Category,
    Milestone,
    Project,
    Stage,
)
from zones.models import Zone

T = TypeVar("T")
#: The stages counted by readiness (guide section 9).
READINESS_STAGES = (Stage.SIGNED, Stage.READY)


#: How long the reports page keeps figures at most. Every change made through the desk (a
#: stage, a milestone, an item, a project's facts, an import) raises the versions of the zones
#: it touched (``changes``), which is in the key: the figures are counted again at once. Writes
#: that bypass the desk (a raw UPDATE) show within this time.
FIGURES_SECONDS = 600


def kept(name: str, selection: Selection, user, count: Callable[[], T]) -> T:
    """``count()``, computed once for a state of the selection's zones (their versions), a
    person's scope, a selection, a day and a language, and kept in the cache (the reports
    page; the dashboard reads the figures kept per zone, ``kept.py``)."""
    state = ":".join(
        [
            str(changes.version_of(selection.zones or None)),
            permissions.scope_key(user) if user is not None else "command",
            repr(dataclasses.astuple(selection)),
            timezone.localdate().isoformat(),
            get_language() or "",
        ]
    )
    key = f"figures:{name}:{hashlib.sha256(state.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = count()
        cache.set(key, found, FIGURES_SECONDS)
    return found


def yi(amount: Decimal | None) -> float:
    """万元 as 亿元 (``units.yi``, exact), as a number the charts' JSON takes."""
    return float(units.yi(amount or 0))


def rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    """A fraction (None when there is nothing to divide by)."""
    if not whole:
        return None
    return round(float(Decimal(part) / Decimal(whole)), 6)


def percent(fraction: float | None) -> str:
    """How pages show a rate: a percentage to one decimal."""
    return "—" if fraction is None else f"{fraction * 100:.1f} %"


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which projects and batches a figure is over. Empty means "all" (of what one sees)."""

    zones: tuple[int, ...] = ()
    batches: tuple[int, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def projects(self, user=None) -> QuerySet[Project]:
        """The projects counted: those ``user`` sees (all for the command line), in the zones."""
        projects = Project.objects.all()
        if user is not None:
            projects = permissions.scope(projects, user, permissions.VIEW)
        if self.zones:
            projects = projects.filter(zone_id__in=self.zones)
        return projects

    def rows_of_projects(self, rows: QuerySet, user=None) -> QuerySet:
        """``rows`` (with a ``project``) of the projects counted; unfiltered when that is
        every project, so that the plan reads the rows alone."""
        if not self.zones and (user is None or permissions.is_administrator(user)):
            return rows
        return rows.filter(project__in=self.projects(user).values("pk"))

    def batch_queryset(self) -> QuerySet[Batch]:
        """The batches named, else those held in the period, else every one."""
        batches = Batch.objects.all()
        if self.batches:
            return batches.filter(pk__in=self.batches)
        if self.date_from:
            batches = batches.filter(event_date__gte=self.date_from)
        if self.date_to:
            batches = batches.filter(event_date__lte=self.date_to)
        return batches

    def entries(self, user=None) -> QuerySet[BatchEntry]:
        return self.rows_of_projects(
            BatchEntry.objects.filter(batch__in=self.batch_queryset()), user
        )


@dataclasses.dataclass(frozen=True)
class KeptZones:
    """What the worker kept of the zones of a selection (``zones_kept``)."""

    #: zone → the part of its kept figures asked for, every zone of the selection
    parts: dict[int, Any]
    #: over every project (an administrator, the command line, no zone chosen): the projects of
    #: no zone, which no zone keeps, are to be counted live beside them
    everything: bool


def zones_kept(
    selection: Selection, user=None, *, part: str, day: dt.date | None = None
) -> KeptZones | None:
    """``part`` of the kept figures of the selection's zones (a column of ``ZoneFigures`` or a
    key of its figures, as a lookup: ``"investment"``, ``"figures__readiness"``; the database
    reads that part out, not the whole figures), or None when the selection is not theirs:
    batches named (a batch lists some projects of a zone), a person who does not see whole
    zones (a leader following projects, ``sees_whole_zones``), or a zone whose part is missing
    or behind its changes (a recount queued or running; a zone never counted, or counted
    before the part was kept); with ``day``, also when a zone's figures were counted on another
    day (their period and colours are of the day counted)."""
    if selection.batches or (user is not None and not permissions.sees_whole_zones(user)):
        return None
    whole = None if user is None else permissions.zones_seen_whole(user)
    wanted = set(selection.zones) if selection.zones else None
    everything = wanted is None and whole is None
    if everything:
        zones = set(Zone.objects.values_list("pk", flat=True))
    elif wanted is None or whole is None:
        zones = wanted if whole is None else whole
    else:
        zones = wanted & whole
    rows = ZoneFigures.objects.all() if everything else ZoneFigures.objects.filter(pk__in=zones)
    found = {
        zone: value
        for zone, value, counted_day, version, counted in rows.values_list(
            "pk", part, "figures__day", "version", "counted_version"
        )
        if zone in zones
        and value is not None
        and version == counted
        and (day is None or counted_day == day.isoformat())
    }
    if set(found) != zones:
        return None
    return KeptZones(found, everything)


def kept_parts(
    selection: Selection, user=None, *, part: str, of_no_zone, day: dt.date | None = None
) -> list | None:
    """``zones_kept``'s parts as a list to add up, with ``of_no_zone()`` (the same part counted
    live over the projects of no zone) beside them when the selection is every project; None
    when the kept figures do not serve."""
    found = zones_kept(selection, user, part=part, day=day)
    if found is None:
        return None
    parts = list(found.parts.values())
    if found.everything:
        parts.append(of_no_zone())
    return parts


def default_period(selection: Selection, today: dt.date | None = None) -> bool:
    """Whether the selection's period is the last twelve months up to ``today`` (the reports
    page's and the dashboard's, which the worker keeps per zone)."""
    today = today or timezone.localdate()
    return (selection.date_from, selection.date_to) == last_twelve_months(today)


def added_yi(values) -> float:
    """Amounts in 亿元 of several zones added (each exact to 6 decimals: 万元 to 2)."""
    return round(sum(values), 6)


def _categories(rows) -> dict:
    found = {c.value: {"count": 0, "investment_yi": 0.0} for c in Category}
    for row in rows:
        found[row["category"]] = {"count": row["count"], "investment_yi": yi(row["investment"])}
    return found


def _totals(categories: dict) -> dict:
    return {
        "count": sum(c["count"] for c in categories.values()),
        "investment_yi": round(sum(c["investment_yi"] for c in categories.values()), 6),
    }


def sanpi_rounds(selection: Selection, user=None) -> list[dict]:
    """Each round: how many entries of each category at what investment (亿元), as reported.
    One grouped query; the dashboard needs no more than this."""
    per_batch: dict[int, list] = {}
    for row in (
        selection.entries(user)
        .values("batch_id", "category")
        .annotate(count=Count("pk"), investment=Sum("total_investment"))
        .order_by()
    ):
        per_batch.setdefault(row["batch_id"], []).append(row)
    batches = []
    for batch in selection.batch_queryset().order_by("year", "round"):
        if batch.pk not in per_batch and not selection.batches:
            continue  # a round that listed none of the projects counted
        categories = _categories(per_batch.get(batch.pk, []))
        batches.append(
            {
                "year": batch.year,
                "round": batch.round,
                "event_date": batch.event_date.isoformat(),
                "label": str(batch),
                "categories": categories,
                **_totals(categories),
            }
        )
    return batches


def sanpi(selection: Selection, user=None) -> dict:
    """三个一批: per category over the rounds (a project once per category, at its latest
    listing), and per round, how many projects at what investment (亿元), as reported."""
    entries = selection.entries(user)
    batches = sanpi_rounds(selection, user)
    later = BatchEntry.objects.filter(
        project=OuterRef("project"),
        category=OuterRef("category"),
        batch__in=selection.batch_queryset(),
    ).filter(
        Q(batch__year__gt=OuterRef("batch__year"))
        | Q(batch__year=OuterRef("batch__year"), batch__round__gt=OuterRef("batch__round"))
    )
    latest = (
        entries.filter(~Exists(later))
        .values("category")
        .annotate(count=Count("pk"), investment=Sum("total_investment"))
        .order_by()
    )
    categories = _categories(latest)
    return {
        "categories": categories,
        **_totals(categories),
        "rounds": len(batches),
        "batches": batches,
    }


def _cohort(selection: Selection, user=None) -> QuerySet[Project]:
    listed = BatchEntry.objects.filter(
        category=Category.SIGN, batch__in=selection.batch_queryset()
    ).values("project_id")
    wanted = Q(pk__in=listed)
    if not selection.batches:
        signed = Milestone.objects.filter(stage=Stage.SIGNED, actual_date__isnull=False)
        if selection.date_from:
            signed = signed.filter(actual_date__gte=selection.date_from)
        if selection.date_to:
            signed = signed.filter(actual_date__lte=selection.date_to)
        wanted |= Q(pk__in=signed.values("project_id"))
    return selection.projects(user).filter(wanted)


def _reached(stage: str, *, few: bool = False) -> Q:
    """Projects with an actual date for ``stage``: one set, read once from the partial index
    ``milestone_reached`` (a correlated EXISTS per project cost 0.2 s at 100,000 projects);
    for ``few`` projects (a zone's cohort, hundreds) an EXISTS per project through the unique
    (project, stage) index instead: the set is every zone's (49,000 projects started at
    100,000), read in 30–50 ms for each of the three figures that ask it
    (benchmarks/figures_recount.py)."""
    reached = Milestone.objects.filter(stage=stage, actual_date__isnull=False)
    if few:
        return Q(Exists(reached.filter(project=OuterRef("pk"))))
    return Q(pk__in=reached.values("project_id"))


def conversion(selection: Selection, user=None) -> dict:
    """开工率, 投产率, 达效率 of the cohort signed (guide section 11), with what they divide and
    the cohort in words (``cohort_words``): from the counts kept per zone when they serve
    (module docstring), else counted live."""
    counts = _kept_conversion(selection, user)
    if counts is None:
        counts = conversion_counts(selection, user)
    return {**conversion_rates(counts), **counts, "cohort": cohort_words(selection)}


def conversion_counts(selection: Selection, user=None, *, of_no_zone: bool = False) -> dict:
    """The figures of ``CONVERSION_COUNTS`` counted live (``of_no_zone``: over the projects of
    no zone only)."""
    at_capacity = Q(
        stage=Stage.AT_CAPACITY,
        expected_annual_output__isnull=False,
        actual_annual_output__isnull=False,
    )
    few = bool(selection.zones) or of_no_zone  # a zone's cohort: hundreds of projects
    started = _reached(Stage.UNDER_CONSTRUCTION, few=few)
    cohort = _cohort(selection, user)
    if of_no_zone:
        cohort = cohort.filter(zone__isnull=True)
    figures = cohort.aggregate(
        signed=Count("pk"),
        started_count=Count("pk", filter=started),
        producing_count=Count("pk", filter=started & _reached(Stage.IN_PRODUCTION, few=few)),
        at_capacity=Count("pk", filter=at_capacity),
        expected=Sum("expected_annual_output", filter=at_capacity),
        actual=Sum("actual_annual_output", filter=at_capacity),
    )
    return {
        "signed": figures["signed"],
        "started": figures["started_count"],
        "producing": figures["producing_count"],
        "at_capacity": figures["at_capacity"],
        "expected_output_yi": yi(figures["expected"]),
        "actual_output_yi": yi(figures["actual"]),
    }


def _kept_conversion(selection: Selection, user=None) -> dict | None:
    """The conversion counts added up from the zones' kept ones, when they serve: whole zones
    (``zones_kept``) and the period the worker keeps (``default_period``), counted today."""
    today = timezone.localdate()
    if not default_period(selection, today):
        return None
    parts = kept_parts(
        selection,
        user,
        part="figures__conversion",
        day=today,
        of_no_zone=lambda: conversion_counts(selection, user, of_no_zone=True),
    )
    return None if parts is None else added_conversion(parts)


def added_conversion(parts: list[dict]) -> dict:
    """The counts of ``CONVERSION_COUNTS`` of several zones added up."""
    return {
        key: (added_yi if key.endswith("_yi") else sum)(part[key] for part in parts)
        for key in CONVERSION_COUNTS
    }


#: The figures of ``conversion`` that add up over zones (the dashboard composes them).
CONVERSION_COUNTS = (
    "signed",
    "started",
    "producing",
    "at_capacity",
    "expected_output_yi",
    "actual_output_yi",
)


def conversion_rates(counts: dict) -> dict:
    """The three rates from the counts of ``CONVERSION_COUNTS``: 开工率 of the signed, 投产率 of
    those started, 达效率 of the output expected of those at design capacity."""
    return {
        "start_rate": rate(counts["started"], counts["signed"]),
        "production_rate": rate(counts["producing"], counts["started"]),
        "output_rate": rate(
            Decimal(str(counts["actual_output_yi"])), Decimal(str(counts["expected_output_yi"]))
        ),
    }


def last_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The dashboard's period (guide section 12): the twelve months up to ``today``, rolling —
    from the day after the same day a year before (after 28 February for 29 February)."""
    try:
        year_before = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_before = today.replace(year=today.year - 1, day=28)
    return year_before + dt.timedelta(days=1), today


def cohort_words(selection: Selection, today: dt.date | None = None) -> str:
    """Whom the conversion rates count, in words (guide section 12, "figures say what they
    count"): the projects signed in the last 12 months (the dashboard's period), in the period
    given, at any time, or listed as 签约 in the batches named."""
    if selection.batches:
        named = selection.batch_queryset().order_by("year", "round")
        return _("listed as 签约 in %(batches)s") % {"batches": "、".join(map(str, named))}
    start, end = selection.date_from, selection.date_to
    if start and (start, end) == last_twelve_months(today or timezone.localdate()):
        return _("signed in the last 12 months")
    if start and end:
        return _("signed from %(start)s to %(end)s") % {
            "start": day_in_words(start),
            "end": day_in_words(end),
        }
    if start:
        return _("signed since %(start)s") % {"start": day_in_words(start)}
    if end:
        return _("signed until %(end)s") % {"end": day_in_words(end)}
    return _("signed at any time")


def _readiness_candidates(selection: Selection, user=None) -> QuerySet[Project]:
    projects = selection.projects(user).filter(stage__in=READINESS_STAGES)
    if selection.batches:
        listed = BatchEntry.objects.filter(batch__in=selection.batch_queryset())
        projects = projects.filter(pk__in=listed.values("project_id"))
    return projects


def ready_projects(selection: Selection, user=None) -> QuerySet[Project]:
    """Ready to start works: the gate of ``mark_ready`` (a checklist, nothing open before
    works), among the projects readiness counts, by their checklist counters."""
    return _readiness_candidates(selection, user).filter(counters.READY)


def readiness(selection: Selection, user=None) -> dict:
    """具备开工条件率 among projects at ``signed`` or ``ready``, and their items by kind
    (``progress``: 已办结 · 承诺制 · 统一服务 · 不涉及 · 未办结; ``items``: those applicable, i.e.
    not 不涉及, and ``settled`` of them: approved, a commitment or a unified service). From the
    counts kept per zone when the selection is of whole zones (module docstring), else counted
    live (``readiness_counts``)."""
    counted = _kept_readiness(selection, user)
    if counted is None:
        counted = readiness_counts(selection, user)
    return {**counted, **readiness_rate(counted)}


def readiness_counts(selection: Selection, user=None, *, of_no_zone: bool = False) -> dict:
    """The figures of ``READINESS_COUNTS`` and ``progress`` counted live (``of_no_zone``: over
    the projects of no zone only). One aggregate over the candidates' checklist counters
    (``checklist.counters``) instead of grouping their items (840,000 at 100,000 projects;
    benchmarks/figures_recount.py)."""
    candidates = _readiness_candidates(selection, user)
    if of_no_zone:
        candidates = candidates.filter(zone__isnull=True)
    found = candidates.aggregate(
        projects=Count("pk"),
        ready=Count("pk", filter=counters.READY),
        projects_with_items=Count("pk", filter=counters.WITH_APPLICABLE_ITEMS),
        **{kind: Sum(field) for kind, field in counters.KIND_FIELDS.items()},
    )
    return {
        "projects": found["projects"],
        "ready": found["ready"],
        "projects_with_items": found["projects_with_items"],
        "progress": ChecklistProgress.of(
            {kind: found[kind] or 0 for kind in counters.KIND_FIELDS}
        ).counts,
    }


def _kept_readiness(selection: Selection, user=None) -> dict | None:
    """The readiness counts added up from the zones' kept ones, when the selection is of whole
    zones (``zones_kept``; a state of now: any period, any day counted)."""
    parts = kept_parts(
        selection,
        user,
        part="figures__readiness",
        of_no_zone=lambda: readiness_counts(selection, user, of_no_zone=True),
    )
    return None if parts is None else added_readiness(parts)


def added_readiness(parts: list[dict]) -> dict:
    """The counts of ``READINESS_COUNTS`` and ``progress`` of several zones added up."""
    counts = {key: sum(part[key] for part in parts) for key in READINESS_COUNTS}
    counts["progress"] = ChecklistProgress.of(
        {kind: sum(part["progress"].get(kind, 0) for part in parts) for kind in ItemKind.values}
    ).counts
    return counts


#: The figures of ``readiness`` that add up over zones (``progress`` too, kind by kind).
READINESS_COUNTS = ("projects", "ready", "projects_with_items")


def readiness_rate(counts: dict) -> dict:
    """The rate from the counts of ``READINESS_COUNTS`` and ``progress``, with the applicable
    items and the settled among them."""
    progress = ChecklistProgress.of(counts["progress"])
    applicable = progress.total - progress.counts[ItemKind.NOT_APPLICABLE]
    return {
        "rate": rate(counts["ready"], counts["projects"]),
        "items": applicable,
        "settled": progress.settled - progress.counts[ItemKind.NOT_APPLICABLE],
    }


# --- what only the dashboard draws -------------------------------------------------------


def by_stage(selection: Selection, user=None) -> list[dict]:
    """Projects and investment (亿元) per stage, in the order of the lifecycle."""
    rows = {
        row["stage"]: row
        for row in selection.projects(user)
        .values("stage")
        .annotate(count=Count("pk"), investment=Sum("total_investment"))
        .order_by()
    }
    return [
        {
            "stage": stage.value,
            "label": str(stage.label),
            "count": rows.get(stage.value, {}).get("count", 0),
            "investment_yi": yi(rows.get(stage.value, {}).get("investment")),
        }
        for stage in Stage
    ]


def months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    months = []
    year, month = today.year, today.month
    for _step in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def per_month(selection: Selection, user=None, *, months: int = 12, today=None) -> dict:
    """Starts of works and productions (actual dates) in each of the last ``months`` months."""
    first_days = months_back(today or timezone.localdate(), months)
    counts = {
        (row["stage"], row["month"]): row["count"]
        for row in selection.rows_of_projects(Milestone.objects.all(), user)
        .filter(
            stage__in=(Stage.UNDER_CONSTRUCTION, Stage.IN_PRODUCTION),
            actual_date__gte=first_days[0],
        )
        .annotate(month=TruncMonth("actual_date"))
        .values("stage", "month")
        # COUNT(*), not of the ids: the index ``milestone_reached`` holds every column read,
        # so PostgreSQL reads it alone (the rows' ids cost a heap visit each: 136 → 44 ms for
        # one zone at 100,000 projects)
        .annotate(count=Count("*"))
        .order_by()
    }

    def series(stage: str) -> list[int]:
        return [counts.get((stage, month), 0) for month in first_days]

    return {
        "months": [f"{m:%Y-%m}" for m in first_days],
        "starts": series(Stage.UNDER_CONSTRUCTION),
        "productions": series(Stage.IN_PRODUCTION),
    }


def colour_counts(selection: Selection, user=None, *, today=None) -> dict:
    """Open projects by their colour, the worst of their open dates: red, yellow, and those
    foreseen late (``lateness.colour_filter``, on the stored colour date)."""
    colours = MilestoneColours.on(today or timezone.localdate())
    # COUNT(*) over the open projects of one's zones: read from the index project_open_colour
    # alone (zone, colour date, at risk since), no project row (benchmarks/visibility.py).
    return (
        selection.projects(user)
        .filter(stage__in=OPEN_STAGES)
        .aggregate(
            **{
                colour.value: Count(Value(1), filter=colour_filter(colour, colours))
                for colour in (Colour.RED, Colour.YELLOW, Colour.AT_RISK)
            }
        )
    )


# --- the figures as tables: the reports page, its .xlsx downloads and the command line ------


def _shown(yi_amount: float | None) -> Decimal | None:
    """An amount of a table in 亿元 as it is read, two decimals (``units.yi_shown_number``): a
    number still, for the .xlsx downloads."""
    return units.yi_shown_number(yi_amount)


def _category_label(category: str) -> str:
    return str(Category(category).label)


def sanpi_tables(figures: dict) -> list[Table]:
    """``sanpi()`` as two tables: by category, and by batch."""
    by_category = [
        [_category_label(key), value["count"], _shown(value["investment_yi"])]
        for key, value in figures["categories"].items()
    ]
    by_category.append([_("Total"), figures["count"], _shown(figures["investment_yi"])])
    headers = [_("batch"), _("event date")]
    for category in Category:
        headers += [
            _("%(category)s: projects") % {"category": category.label},
            _("%(category)s: investment (100m yuan)") % {"category": category.label},
        ]
    headers += [_("projects"), _("investment (100m yuan)")]
    by_batch = []
    for batch in figures["batches"]:
        row = [batch["label"], batch["event_date"]]
        for category in Category:
            found = batch["categories"][category.value]
            row += [found["count"], _shown(found["investment_yi"])]
        by_batch.append([*row, batch["count"], _shown(batch["investment_yi"])])
    return [
        Table(
            "sanpi",
            _("三个一批 by category (%(rounds)d rounds; a project once per category)")
            % {"rounds": figures["rounds"]},
            [_("category"), _("projects"), _("investment (100m yuan)")],
            by_category,
            _("by category"),
        ),
        Table("sanpi_batches", _("三个一批 by batch"), headers, by_batch, _("by batch")),
    ]


def conversion_tables(figures: dict) -> list[Table]:
    """``conversion()`` as one table (rates as percentages)."""
    rows = [
        [_("projects %(cohort)s (the cohort)") % {"cohort": figures["cohort"]}, figures["signed"]],
        [_("started works"), figures["started"]],
        [_("start rate (开工率)"), percent(figures["start_rate"])],
        [_("in production (of those started)"), figures["producing"]],
        [_("production rate (投产率)"), percent(figures["production_rate"])],
        [_("at design capacity"), figures["at_capacity"]],
        [_("expected annual output (100m yuan)"), _shown(figures["expected_output_yi"])],
        [_("actual annual output (100m yuan)"), _shown(figures["actual_output_yi"])],
        [_("output rate (达效率)"), percent(figures["output_rate"])],
    ]
    return [Table("conversion", _("Conversion"), [_("figure"), _("value")], rows, _("Conversion"))]


def readiness_tables(figures: dict) -> list[Table]:
    """``readiness()`` as one table (the rate as a percentage)."""
    rows = [
        [_("projects signed or ready"), figures["projects"]],
        [_("ready to start works"), figures["ready"]],
        [_("readiness rate (具备开工条件率)"), percent(figures["rate"])],
        *(
            [_("their approval items: %(kind)s") % {"kind": label}, count]
            for label, count in ChecklistProgress.of(figures["progress"]).parts()
        ),
        [_("applicable approval items"), figures["items"]],
        [_("projects with applicable items"), figures["projects_with_items"]],
    ]
    title = _("Readiness to start works")
    return [Table("readiness", title, [_("figure"), _("value")], rows, title)]
