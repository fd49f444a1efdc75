"""Which zones' figures a change touched, told to the worker once the change is committed
(guide section 12, "figures follow every change"): the home of marking a zone changed.

Every write the figures read announces the zones (or the projects) it touched: the model
signals for rows saved one by one (a stage decision, an edit, a problem, a checklist;
``approvals/signals.py``), and the imports for what they write in bulk (which no signal sees:
``project_list``, ``approval_table``, ``monthly_table``). ``changed()`` gathers them until the
transaction commits (``transaction.on_commit``: a rolled-back change marks nothing); then, in
one step, each zone's ``version`` goes up by one and the worker is asked to count the zones
again (``approvals.tasks.recount_figures``), the touched zones only, once per transaction.

The version is also the cache key of the figures the reports page keeps (``version_of``):
equal versions, equal data, per zone, so that a change in one zone leaves another's figures
kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from celery import current_app
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from approvals.core import bulk
from approvals.figures.models import ZoneFigures
from approvals.models import Project
from zones.models import Zone

logger = logging.getLogger(__name__)

#: The Celery task that counts zones again (``approvals.tasks.recount_figures``, its name
#: pinned there; found by name: the tasks module is the entry layer above this one).
RECOUNT = "approvals.tasks.recount_figures"


class _Gathered:
    """The changes one transaction announced so far."""

    def __init__(self) -> None:
        self.zones: set[int] = set()
        self.projects: set[int] = set()
        self.everywhere = False

    def take(self) -> tuple[set[int], set[int], bool]:
        taken = (self.zones, self.projects, self.everywhere)
        self.zones, self.projects, self.everywhere = set(), set(), False
        return taken


def _flusher(gathered: _Gathered) -> Callable[[], None]:
    """An on-commit callback telling what its transaction gathered: the first to run takes it
    all, the others find nothing. (A function: Django names a failing callback by its
    ``__qualname__``.)"""

    def tell_figures_changed() -> None:
        zones, projects, everywhere = gathered.take()
        if zones or projects or everywhere:
            _flush(zones, projects, everywhere)

    tell_figures_changed.gathered = gathered
    return tell_figures_changed


def changed(
    *, zones: Iterable[int] = (), projects: Iterable[int] = (), everywhere: bool = False
) -> None:
    """The figures of ``zones``, of the zones of ``projects``, or of every zone, change with
    the current transaction: once it commits, their versions go up and the worker counts them
    again (at once when no transaction is open)."""
    connection = transaction.get_connection()
    gathered = None
    if connection.in_atomic_block:
        # What the transaction gathered so far, found on its callbacks (Django's list of
        # (savepoints, callback, robust)). A callback per call, sharing it: any of them runs
        # it, after the last write announced — a test's capture of the callbacks registered
        # since it began too. A rollback drops them with the rest; a savepoint rolled back
        # leaves what it announced gathered, at worst a zone counted once too often.
        gathered = next(
            (
                hook.gathered
                for _savepoints, hook, _robust in reversed(connection.run_on_commit)
                if isinstance(getattr(hook, "gathered", None), _Gathered)
            ),
            None,
        )
    gathered = gathered or _Gathered()
    gathered.zones.update(z for z in zones if z is not None)
    gathered.projects.update(p for p in projects if p is not None)
    gathered.everywhere = gathered.everywhere or everywhere
    transaction.on_commit(_flusher(gathered), robust=True)


def _flush(zones: set[int], projects: set[int], everywhere: bool) -> None:
    if everywhere:
        zones = set(Zone.objects.values_list("pk", flat=True))
    elif projects:
        zones = zones | set(
            Project.objects.filter(bulk.among("id", sorted(projects), Project))
            .order_by()
            .values_list("zone_id", flat=True)
            .distinct()
        )
    zones.discard(None)
    if zones:
        mark(sorted(zones))


def mark(zones: list[int]) -> None:
    """``zones`` changed (committed): their versions up by one, their recount sent."""
    ZoneFigures.objects.bulk_create(
        [ZoneFigures(zone_id=zone) for zone in zones], ignore_conflicts=True
    )
    ZoneFigures.objects.filter(pk__in=zones).update(
        version=F("version") + 1, queued_at=timezone.now()
    )
    send(zones)


def send(zones: list[int]) -> bool:
    """Ask the worker to count ``zones`` again; False when the broker cannot be reached (the
    next visit sends it again, ``kept.for_board``)."""
    try:
        current_app.tasks[RECOUNT].delay(list(zones))
    except (BrokerUnreachable, OSError) as error:
        logger.warning("figures of zones %s: the broker is out of reach (%s)", zones, error)
        return False
    return True


def version_of(zones: Iterable[int] | None = None) -> int:
    """How many changes ``zones`` (None: every zone) have seen: one number that goes up with
    each (versions only grow), for a cache key."""
    rows = ZoneFigures.objects.all()
    if zones is not None:
        rows = rows.filter(pk__in=list(zones))
    return rows.aggregate(total=Sum("version"))["total"] or 0
