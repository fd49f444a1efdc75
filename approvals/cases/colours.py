"""The warning colours (红黄绿三色预警, guide section 6): one home for what each colour is called,
how it looks on a page and in a spreadsheet, and when a milestone or an approval item turns
yellow or red. The thresholds are the administrators' (``WarningSettings``); each rule exists
once for an object and once as a query on the stored date, and the two agree (tested)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from approvals.core.workdays import WorkingCalendar


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")
    AT_RISK = "at_risk", _("Foreseen delay")

    @property
    def ink(self) -> str:
        """For text on a page (a foreseen delay reads like yellow)."""
        return {"green": "#2e7d32", "yellow": "#b58900", "red": "#c62828", "at_risk": "#e65100"}[
            self.value
        ]

    @property
    def fill(self) -> str:
        """For a spreadsheet cell's background (light enough to print and read)."""
        return {"green": "C8E6C9", "yellow": "FFF59D", "red": "EF9A9A", "at_risk": "FFCC80"}[
            self.value
        ]


#: The colours of an approval item (a foreseen delay is a project's).
ITEM_COLOURS = [(c.value, c.label) for c in (Colour.GREEN, Colour.YELLOW, Colour.RED)]

#: Not a colour but a choice of the lists' colour filters: everything someone should look at,
#: yellow or worse (for projects, a foreseen delay too). The to-do list links to it.
ATTENTION = "attention"
MILESTONE_FILTER_CHOICES = [*Colour.choices, (ATTENTION, _("Yellow, red or foreseen delay"))]
ITEM_FILTER_CHOICES = [*ITEM_COLOURS, (ATTENTION, _("Yellow or red"))]


def badge(colour: str | None, note: str = "") -> str:
    """A coloured dot and the colour's name (and a note), or a dash."""
    if not colour:
        return "—"
    colour = Colour(colour)
    if note:
        return format_html(
            '<strong style="color:{}">●</strong> {} <span class="help">{}</span>',
            colour.ink,
            colour.label,
            note,
        )
    return format_html('<strong style="color:{}">●</strong> {}', colour.ink, colour.label)


def warnings():
    """The administrators' thresholds (one query; load it once per page or scan)."""
    from approvals.models import WarningSettings

    return WarningSettings.get_solo()


@dataclass(frozen=True)
class MilestoneColours:
    """The planned dates at which a milestone not yet reached changes colour, as of one day:
    yellow from some days before it is due, red when more than some days late."""

    today: dt.date
    yellow_from: dt.date  # planned on or before this: yellow (or red)
    red_before: dt.date  # planned before this: red

    @classmethod
    def on(cls, today: dt.date, settings=None) -> MilestoneColours:
        settings = settings or warnings()
        return cls(
            today,
            today + dt.timedelta(days=settings.milestone_yellow_within_days),
            today - dt.timedelta(days=settings.milestone_red_after_days),
        )

    def colour(self, planned: dt.date | None, *, at_risk: bool = False) -> Colour | None:
        """A milestone ahead of the project (one reached or passed has none)."""
        if planned is None:
            return Colour.AT_RISK if at_risk else None
        if self.days_red(planned) is not None:
            return Colour.RED
        if planned <= self.yellow_from:
            return Colour.YELLOW
        return Colour.AT_RISK if at_risk else Colour.GREEN

    def days_red(self, planned: dt.date | None) -> int | None:
        """How many days a milestone (task node, problem) planned on ``planned`` has been red
        — more than the red threshold late — as of ``today`` (0 on its first red day), or None
        while it is not red. ``colour()`` and the reminder ladder's leader step read it;
        ``filter(Colour.RED)`` is the same rule as a query."""
        if planned is None or planned >= self.red_before:
            return None
        return (self.red_before - planned).days - 1

    def filter(self, colour: str, field: str = "next_milestone_date", *, risk: bool = True) -> Q:
        """The same rule as ``colour()`` on projects annotated with their next milestone (or on
        any dated row through ``field``; ``risk=False`` for rows that have no foreseen delay:
        task nodes, problems)."""
        if not risk:
            if colour == ATTENTION:
                return self.filter(Colour.RED, field, risk=False) | self.filter(
                    Colour.YELLOW, field, risk=False
                )
            if colour == Colour.GREEN:
                return Q(**{f"{field}__gt": self.yellow_from})
            return self.filter(colour, field)
        at_risk = Q(at_risk_since__isnull=False)
        if colour == ATTENTION:
            return self.filter(Colour.RED, field) | self.filter(Colour.YELLOW, field) | at_risk
        if colour == Colour.RED:
            return Q(**{f"{field}__lt": self.red_before})
        if colour == Colour.YELLOW:
            return Q(**{f"{field}__gte": self.red_before, f"{field}__lte": self.yellow_from})
        if colour == Colour.AT_RISK:
            return at_risk & (
                Q(**{f"{field}__gt": self.yellow_from}) | Q(**{f"{field}__isnull": True})
            )
        return Q(**{f"{field}__gt": self.yellow_from}) & ~at_risk


@dataclass(frozen=True)
class ItemColours:
    """The deadlines at which a running approval item changes colour, as of one day, counted
    in working days."""

    yellow_from: dt.date  # deadline on or before this: yellow (or red)
    red_before: dt.date  # deadline before this: red

    @classmethod
    def on(cls, today: dt.date, calendar: WorkingCalendar, settings=None) -> ItemColours:
        settings = settings or warnings()
        return cls(
            yellow_from=calendar.add_working_days(today, settings.item_yellow_within_working_days),
            red_before=calendar.add_working_days(today, -settings.item_red_after_working_days),
        )

    def colour(self, item) -> Colour | None:
        from approvals.models import ItemStatus, Mode

        if item.mode != Mode.APPROVAL or item.status != ItemStatus.ACCEPTED or not item.deadline:
            return None
        if item.deadline < self.red_before:  # on a working day: from item_red_from(deadline)
            return Colour.RED
        if item.deadline <= self.yellow_from:
            return Colour.YELLOW
        return Colour.GREEN

    def filter(self, colour: str) -> Q:
        """The same rule as ``colour()``, as a query on the stored deadline."""
        from approvals.models import ItemStatus, Mode

        running = Q(mode=Mode.APPROVAL, status=ItemStatus.ACCEPTED, deadline__isnull=False)
        if colour == ATTENTION:
            return running & Q(deadline__lte=self.yellow_from)
        if colour == Colour.RED:
            return running & Q(deadline__lt=self.red_before)
        if colour == Colour.YELLOW:
            return running & Q(deadline__gte=self.red_before, deadline__lte=self.yellow_from)
        return running & Q(deadline__gt=self.yellow_from)


def item_red_from(deadline: dt.date, calendar: WorkingCalendar, settings=None) -> dt.date:
    """The first day a running item due on ``deadline`` is red: more than the red threshold
    of working days past it. On a working day this is ``ItemColours.colour``'s rule (its
    deadline before ``red_before``) told from the item's side, so the reminder ladder counts
    the days red from here (tested against each other on every working day of a year)."""
    settings = settings or warnings()
    return calendar.add_working_days(deadline, settings.item_red_after_working_days + 1)


# --- the rest of the progress list (三清单): task nodes and problems, by the milestones' rule ----


def task_node_colour(node, colours: MilestoneColours) -> Colour | None:
    """A task node not done yet is coloured by its planned date like a milestone."""
    if node.actual_date is not None:
        return None
    return colours.colour(node.planned_date)


def task_node_filter(colour: str, colours: MilestoneColours) -> Q:
    return Q(actual_date__isnull=True) & colours.filter(colour, "planned_date", risk=False)


def problem_colour(problem, colours: MilestoneColours) -> Colour | None:
    """An unsolved problem is coloured by its deadline like a milestone (none without one)."""
    from approvals.models import UNSOLVED

    if problem.status not in UNSOLVED or problem.deadline is None:
        return None
    return colours.colour(problem.deadline)


def problem_filter(colour: str, colours: MilestoneColours) -> Q:
    from approvals.models import UNSOLVED

    return Q(status__in=UNSOLVED, deadline__isnull=False) & colours.filter(
        colour, "deadline", risk=False
    )
