"""The province's 三个一批 event: each round (batch) lists projects being signed, starting works
and going into production, with the figures as the zone reported them in that list."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.cases.models.stages import Stage
from approvals.core import units
from approvals.core.display import day_in_words


def round_named(text: str) -> tuple[int, int] | None:
    """A round as people write it, YEAR-ROUND ("2025-2"), as (year, round); None if it is not
    one. The command line, the API's filters and its report selections read rounds so."""
    year, sep, number = text.strip().partition("-")
    if not sep or not year.isdigit() or not number.isdigit():
        return None
    return int(year), int(number)


class Category(models.TextChoices):
    SIGN = "sign", _("Signing (签约一批)")
    START = "start", _("Start of works (开工一批)")
    PRODUCE = "produce", _("Production (投产一批)")


#: The milestone a listed project is expected to pass (guide section 4).
CATEGORY_MILESTONE = {
    Category.SIGN: Stage.SIGNED,
    Category.START: Stage.UNDER_CONSTRUCTION,
    Category.PRODUCE: Stage.IN_PRODUCTION,
}


def round_label(year: int | None, number: int | None, event_date=None) -> str:
    """The one way a round of 三个一批 is named (domain guide, section 12), on every page, filter,
    export, report, the dashboard and the commands' output: "2026年第3批", never "2026-3".
    A round known only by its event's date reads "2025年4月7日的一批"; one known by neither, "—"."""
    if year is not None and number is not None:
        return _("%(year)d round %(round)d") % {"year": year, "round": number}
    if event_date is not None:
        return _("the round of %(day)s") % {"day": day_in_words(event_date)}
    return "—"


class Batch(models.Model):
    """One round of the event, installation-wide (guide section 11)."""

    year = models.PositiveSmallIntegerField(_("year"))
    round = models.PositiveSmallIntegerField(_("round"))
    event_date = models.DateField(_("event date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("三个一批 batch")
        verbose_name_plural = _("三个一批 batches")
        ordering = ["-year", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["year", "round"], name="batch_unique_round"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return round_label(self.year, self.round, self.event_date)


class BatchEntry(models.Model):
    """A project as one list reported it: reports sum these figures, whatever the project's
    own facts say now."""

    batch = models.ForeignKey(
        Batch,
        verbose_name=_("batch"),
        on_delete=models.CASCADE,
        related_name="entries",
        db_index=False,  # batch_entry_unique (batch, project) leads with it
    )
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="batch_entries",
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    name = models.CharField(_("name as reported"), max_length=200)
    enterprise = models.CharField(_("enterprise as reported"), max_length=200, blank=True)
    total_investment = models.DecimalField(
        _("total investment as reported (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    expected_annual_output = models.DecimalField(
        _("expected annual output as reported (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    content = models.TextField(_("construction content as reported"), blank=True)
    progress = models.TextField(_("progress as reported"), blank=True)
    problems = models.TextField(_("problems as reported"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("File, sheet and row it came from.")
    )

    class Meta:
        verbose_name = _("batch entry")
        verbose_name_plural = _("batch entries")
        ordering = ["batch", "project_id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "project"], name="batch_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.get_category_display()} · {self.name}"

    @property
    def investment_shown(self) -> str:
        """The total investment as the list reported it, read in 亿元 to two decimals."""
        return units.shown(self.total_investment)
