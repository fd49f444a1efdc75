"""The dashboard's figures kept per zone (``ZoneFigures``): one row per zone, counted by the
worker after every change to the zone and read by every visit (``approvals/figures/kept.py``
counts, composes and reads them; ``approvals/figures/changes.py`` marks a zone changed).

Kept in a table, not in the cache: the web's processes and the worker share the database, but
not the default cache (a memory of its own in each process on the embedded default); the kept
figures survive a restart, so that a first visit after a deploy does not count every zone; the
time they were counted is a column the page shows ("截至 HH:MM"); and the worker's write is a
conditional update that an older count loses to a newer one, on SQLite and PostgreSQL alike.

The investment report's sums per zone and month are a column of the same row
(``ZoneFigures.investment``), not a table of their own: they change with the same changes (a
monthly row imported, edited or deleted marks its zone), so they share its version, its
recount by the worker, its conditional update and its time; a table of their own would
repeat all four. A zone's sums are a few dozen months, read whole (issue 21: the report
counted afresh took 2.9–3.5 s at 100,000 projects; benchmarks/README.md section 14).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zones.models import Zone


class ZoneFigures(models.Model):
    """One zone's figures as last counted, and how far behind the zone's changes they are.

    ``version`` counts the changes committed in the zone (each transaction that changed it adds
    one, after its commit); ``counted_version`` is the version the kept figures were counted
    at. While ``version`` is ahead, a recount is queued or running: the page says "更新中" and
    shows the kept figures meanwhile."""

    zone = models.OneToOneField(
        Zone,
        verbose_name=_("zone"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_version = models.PositiveBigIntegerField(_("counted at version"), default=0)
    version = models.PositiveBigIntegerField(_("version"), default=0)
    #: The investment report's sums of the zone (``investment.zone_changes``, encoded by
    #: ``investment.kept_form``): per month with monthly rows, [projects, plan, in the month,
    #: cumulative] in cents, the changes the month makes, every year. Counted with the figures,
    #: at the same version; None for a zone not counted since they were added.
    investment = models.JSONField(_("investment sums per month"), null=True, blank=True)
    #: When a recount was last sent to the worker: a visit sends it again when it has waited
    #: longer than a minute (its message lost, or the broker away when it was sent).
    queued_at = models.DateTimeField(_("recount queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("figures of a zone")
        verbose_name_plural = _("figures of the zones")

    def __str__(self) -> str:
        return f"{self.zone_id} @ {self.counted_version}/{self.version}"

    @property
    def updating(self) -> bool:
        """A change is committed that the kept figures do not count yet."""
        return self.version > self.counted_version
