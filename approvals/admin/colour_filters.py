"""The lists' filter by colour, one rule for the three lists that have it: the colour of today's
bounds, as ``?colour=`` with the choices of what is coloured. Each list says what its colour
is of: a project's open dates, the worst of them (or a foreseen delay), an approval item's deadline in working
days, an unsolved problem's deadline (the milestones' rule)."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.cases.colours import (
    ITEM_FILTER_CHOICES,
    MILESTONE_FILTER_CHOICES,
    MilestoneColours,
    problem_filter,
)
from approvals.cases.lateness import colour_filter
from approvals.checklist.services import colour_bounds


class ColourFilter(ABC, admin.SimpleListFilter):
    """A list by colour: ``colour_choices`` are what may be asked (not ``choices``: Django's
    filters build their links with a method of that name), ``condition`` the rows of one of them
    today."""

    title = _("colour")
    parameter_name = "colour"
    colour_choices: list[tuple[str, str]] = []

    def lookups(self, request, model_admin):
        return self.colour_choices

    def queryset(self, request, queryset):
        if self.value() in dict(self.colour_choices):
            return queryset.filter(self.condition(self.value(), timezone.localdate()))
        return queryset

    @abstractmethod
    def condition(self, colour: str, today: dt.date) -> Q:
        """The rows of ``colour`` today: each list's own rule (a subclass cannot leave it out)."""


class ProjectColourFilter(ColourFilter):
    """The project list by the project's colour: the worst of its open dates, or a foreseen
    delay (``lateness.colour_filter``, on the stored colour date)."""

    colour_choices = MILESTONE_FILTER_CHOICES

    def condition(self, colour: str, today: dt.date) -> Q:
        return colour_filter(colour, MilestoneColours.on(today))


class ItemColourFilter(ColourFilter):
    """Approval items by the colour of their deadline (working days, the holiday calendar)."""

    colour_choices = ITEM_FILTER_CHOICES

    def condition(self, colour: str, today: dt.date) -> Q:
        return colour_bounds(today).filter(colour)


class ProblemColourFilter(ColourFilter):
    """Unsolved problems by the colour of their deadline (the milestones' rule)."""

    colour_choices = ITEM_FILTER_CHOICES

    def condition(self, colour: str, today: dt.date) -> Q:
        return problem_filter(colour, MilestoneColours.on(today))
