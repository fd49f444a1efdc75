"""The dashboard's figures kept per zone (guide section 12, "figures follow every change"): the
home of what one zone's figures are (``zone_figures``), of counting them again in the worker
(``recount``), of reading them for a visit (``for_board``) and of composing a board over
several zones from them (``compose``). Marking a zone changed is ``changes.py``; the row that
keeps them, with why it is a table, ``models.py``.

A visit reads the kept figures of its zones (one query) and shows them with the time they were
counted ("截至 HH:MM") and, while a change is committed that they do not count yet, "更新中":
nobody waits for a count, and the worker has counted the change within seconds. A zone never
counted is counted once, in the visit that first needs it (the board is never empty). Figures
counted on an earlier day are shown, "更新中", while the worker counts them for today (the
period of the rates, the months of the chart and the problems' colours are of today). A recount
sent more than a minute ago and not done (its message lost, the broker away) is sent again.

**Composing zones.** A board over several zones (a city's, the administrator's) adds up the
zones' figures. Every figure the dashboard shows is a count or a sum over projects, and a
project is in one zone, so they add: projects and investment per stage, per round and category,
the cohort signed and how many of it started, produce, are at capacity with their outputs, the
readiness counts and the items by kind, starts and productions per month, the problems by
status and colour, the investment plan and cumulative per zone. The rates are worked out after
adding (``reports.conversion_rates``, ``reports.readiness_rate``: the ratio of the sums, never a
mean of the zones' rates). Not additive, and how each is handled:

* the median days to resolve a problem: not on the dashboard; for the reports page the worker
  keeps the problems per days to resolve (over the rates' period), which add up, and the median
  of several zones is read from them (``casework.problems``);
* the investment's month: each zone is counted to its own latest month of the year; the board
  shows every zone at the latest of them (a zone behind carried into it with nothing in the
  month, the rule of ``investment.latest_this_year``), so the zones' rows are the same as
  counting them together;
* the investment report's months (the reports page): not composed from ``figures`` but from
  the changes per month kept beside them (``ZoneFigures.investment``, counted in the same
  recount), which add up (``investment.kept_changes``);
* the colour counts (red, yellow, at risk): read live on every visit from an index
  (``reports.colour_counts``), never kept.

**A person who sees part of a zone** (a leader following projects in a zone where it holds no
zone-wide role): that zone's kept figures are not theirs. Its own share of such a zone is counted
over its projects (a few) in the visit and kept in the cache under the zone's version, so that
it too follows every change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from approvals.access import permissions
from approvals.figures import casework, changes, investment, reports
from approvals.figures.models import ZoneFigures
from approvals.figures.reports import Selection
from approvals.models import Batch, Category, Stage
from zones.models import Zone

#: How long a sent recount may be waited for before a visit sends it again.
SEND_AGAIN_AFTER = dt.timedelta(minutes=1)
#: How long a person's own share of a zone is kept in the cache at most (the zone's version is
#: in the key: a change counts it again at once).
OWN_SECONDS = 600
#: The problems' figures the dashboard shows (all additive).
PROBLEM_COUNTS = ("total", "unsolved", "resolved", "closed", "red", "yellow")
#: The investment figures of a zone's latest month (the rate is the zone's own).
INVESTMENT_FIGURES = (
    "projects",
    "annual_plan_wan",
    "completed_month_wan",
    "completed_year_wan",
    "rate",
)


def rates_period(today: dt.date) -> Selection:
    """The period of the dashboard's rates: the last twelve months (``reports``)."""
    start, end = reports.last_twelve_months(today)
    return Selection(date_from=start, date_to=end)


def zone_figures(
    zone_id: int, *, today: dt.date, user=None, sums: investment.Sums | None = None
) -> dict:
    """One zone's figures as plain JSON (numbers and keys, no words: the page adds those in its
    language), every project of the zone, or those ``user`` sees there. ``sums``: the zone's
    investment changes just counted (``investment.zone_changes``), which give its latest
    month of the year without reading the rows again."""
    selection = Selection(zones=(zone_id,))
    period = rates_period(today)
    signed = dataclasses.replace(period, zones=(zone_id,))
    conversion = reports.conversion_counts(signed, user)
    readiness = reports.readiness_counts(selection, user)
    months = reports.per_month(selection, user, today=today)
    problems, of_period = casework.zone_problems(selection, user, period=signed, today=today)
    if sums is None:
        latest = investment.latest_this_year(selection, user, today)
    else:
        this_year = investment.this_year(selection, today)
        latest = investment.latest_per_zone(investment.from_changes(sums, this_year))
    return {
        "day": today.isoformat(),
        "stages": {
            row["stage"]: {"count": row["count"], "investment_yi": row["investment_yi"]}
            for row in reports.by_stage(selection, user)
        },
        "rounds": [
            {key: row[key] for key in ("year", "round", "event_date", "categories")}
            for row in reports.sanpi_rounds(selection, user)
        ],
        "conversion": conversion,
        "readiness": readiness,
        "months": {
            "starts": dict(zip(months["months"], months["starts"], strict=True)),
            "productions": dict(zip(months["months"], months["productions"], strict=True)),
        },
        "problems": {key: problems[key] for key in PROBLEM_COUNTS},
        # the reports page's problems (``casework._kept_problems``), over the rates' period
        "problems_of_period": of_period,
        "investment": (
            {"month": latest[0]["month"], **{k: latest[0][k] for k in INVESTMENT_FIGURES}}
            if latest
            else None
        ),
    }


# --- composing ---------------------------------------------------------------------------------


_added = reports.added_yi


def compose(parts: dict[int, dict], *, today: dt.date, names: dict[int, str]) -> dict:
    """The figures of the zones of ``parts`` (zone → ``zone_figures``) together, as the board
    reads them (the rules: module docstring)."""
    figures = list(parts.values())
    return {
        "stages": [
            {
                "stage": stage.value,
                "label": str(stage.label),
                "count": sum(f["stages"].get(stage.value, {}).get("count", 0) for f in figures),
                "investment_yi": _added(
                    f["stages"].get(stage.value, {}).get("investment_yi", 0) for f in figures
                ),
            }
            for stage in Stage
        ],
        "rounds": _rounds(figures),
        "conversion": _conversion(figures),
        "readiness": _readiness(figures),
        "months": _months(figures, today),
        "problems": {key: sum(f["problems"][key] for f in figures) for key in PROBLEM_COUNTS},
        "investment": _investment(parts, names),
    }


def _rounds(figures: list[dict]) -> list[dict]:
    rounds: dict[tuple[int, int], dict] = {}
    for part in figures:
        for row in part["rounds"]:
            merged = rounds.setdefault(
                (row["year"], row["round"]),
                {
                    "year": row["year"],
                    "round": row["round"],
                    "event_date": row["event_date"],
                    "categories": {c.value: {"count": 0, "investment_yi": 0.0} for c in Category},
                },
            )
            for category, found in row["categories"].items():
                merged["categories"][category]["count"] += found["count"]
                merged["categories"][category]["investment_yi"] = _added(
                    [merged["categories"][category]["investment_yi"], found["investment_yi"]]
                )
    composed = []
    for key in sorted(rounds):
        row = rounds[key]
        categories = row["categories"].values()
        composed.append(
            {
                **row,
                # the round's name as Batch names it, without reading the round
                "label": str(Batch(year=row["year"], round=row["round"])),
                "count": sum(c["count"] for c in categories),
                "investment_yi": _added(c["investment_yi"] for c in categories),
            }
        )
    return composed


def _conversion(figures: list[dict]) -> dict:
    counts = reports.added_conversion([f["conversion"] for f in figures])
    return {**reports.conversion_rates(counts), **counts}


def _readiness(figures: list[dict]) -> dict:
    counts = reports.added_readiness([f["readiness"] for f in figures])
    return {**counts, **reports.readiness_rate(counts)}


def _months(figures: list[dict], today: dt.date) -> dict:
    months = [f"{m:%Y-%m}" for m in reports.months_back(today, 12)]

    def series(name: str) -> list[int]:
        return [sum(f["months"][name].get(month, 0) for f in figures) for month in months]

    return {"months": months, "starts": series("starts"), "productions": series("productions")}


def _investment(parts: dict[int, dict], names: dict[int, str]) -> list[dict]:
    rows = {zone: f["investment"] for zone, f in parts.items() if f["investment"]}
    if not rows:
        return []
    latest = max(row["month"] for row in rows.values())
    return [
        {
            "zone_id": zone,
            "zone": names.get(zone, ""),
            **row,
            "month": latest,
            # a zone behind is carried into the latest month, with nothing in that month
            "completed_month_wan": row["completed_month_wan"] if row["month"] == latest else 0.0,
        }
        for zone, row in sorted(rows.items(), key=lambda item: names.get(item[0], ""))
    ]


# --- counting again (the worker) and reading (a visit) -----------------------------------------


def recount(zone_ids: list[int], *, now: dt.datetime | None = None) -> list[int]:
    """The worker's side of ``changes.mark``: count ``zone_ids`` again (those that still exist
    and are behind); the zones counted."""
    counted = []
    for zone in Zone.objects.filter(pk__in=zone_ids).order_by("pk").values_list("pk", flat=True):
        if recount_zone(zone, now=now) is not None:
            counted.append(zone)
    return counted


def _current(row: ZoneFigures, today: dt.date) -> bool:
    counted = row.counted_at
    return not row.updating and counted is not None and timezone.localdate(counted) == today


def recount_zone(zone_id: int, *, now: dt.datetime | None = None) -> ZoneFigures | None:
    """Count one zone's figures and keep them, unless they count every change already, today
    (None then). An older count finishing after a newer one keeps nothing: the update is
    conditional on the version it counted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    row, _created = ZoneFigures.objects.get_or_create(zone_id=zone_id)
    if _current(row, today):
        return None
    version = row.version
    sums = investment.zone_changes(zone_id)
    figures = zone_figures(zone_id, today=today, sums=sums)
    ZoneFigures.objects.filter(pk=zone_id, counted_version__lte=version).update(
        figures=figures,
        investment=investment.kept_form(sums),
        counted_version=version,
        counted_at=now,
    )
    row.refresh_from_db()
    return row


@dataclasses.dataclass
class Found:
    """What a visit shows: the figures composed, since when they are counted (the oldest of the
    zones'), and whether a recount is under way."""

    figures: dict
    as_of: dt.datetime | None
    updating: bool


def for_board(
    kept_zones: list[int],
    own_zones: list[int] = (),
    *,
    user=None,
    names: dict[int, str] | None = None,
    now: dt.datetime | None = None,
) -> Found:
    """The figures of ``kept_zones`` as kept (those never counted, counted now), with ``user``'s
    own share of ``own_zones`` (zones where it sees some projects only), composed. Recounts
    that are due (a new day) or lost (sent over a minute ago) are sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = {row.pk: row for row in ZoneFigures.objects.filter(pk__in=[*kept_zones, *own_zones])}
    for zone in kept_zones:
        if zone not in rows or rows[zone].counted_at is None:
            rows[zone] = recount_zone(zone, now=now) or ZoneFigures.objects.get(pk=zone)
    _send_due([rows[zone] for zone in kept_zones], now)
    parts = {zone: rows[zone].figures for zone in kept_zones}
    times = [rows[zone].counted_at for zone in kept_zones]
    for zone in own_zones:
        version = rows[zone].version if zone in rows else 0
        parts[zone], counted_at = _own_share(zone, user, version, now)
        times.append(counted_at)
    return Found(
        compose(parts, today=today, names=names or {}),
        min(times) if times else None,
        any(not _current(rows[zone], today) for zone in kept_zones),
    )


def _send_due(rows: list[ZoneFigures], now: dt.datetime) -> None:
    """Recounts a visit finds due: figures counted on an earlier day (their version goes up,
    once: the condition), and recounts sent more than ``SEND_AGAIN_AFTER`` ago and not done.
    Each sent by the one visit whose conditional update took it."""
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    waited = now - SEND_AGAIN_AFTER
    due = []
    for row in rows:
        this_row = ZoneFigures.objects.filter(pk=row.pk)
        if not row.updating and row.counted_at < start_of_day:
            taken = this_row.filter(version=row.version).update(
                version=row.version + 1, queued_at=now
            )
        elif row.updating and (row.queued_at is None or row.queued_at < waited):
            taken = this_row.filter(Q(queued_at=row.queued_at)).update(queued_at=now)
        else:
            continue
        if taken:
            row.version = max(row.version, row.counted_version + 1)
            due.append(row.pk)
    if due:
        changes.send(due)


def _own_share(zone: int, user, version: int, now: dt.datetime) -> tuple[dict, dt.datetime]:
    """``user``'s own projects of ``zone`` counted, kept in the cache under the zone's version
    (and the person's scope, the day): (figures, when counted)."""
    today = timezone.localdate(now)
    state = ":".join(
        [str(zone), str(version), permissions.scope_key(user), str(user.pk), today.isoformat()]
    )
    key = f"figures:own:{hashlib.sha256(state.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = (zone_figures(zone, today=today, user=user), now)
        cache.set(key, found, OWN_SECONDS)
    return found
