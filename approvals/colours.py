"""The warning colours (红黄绿三色预警, guide section 6): one home for what each colour is called,
how it looks on a page and in a spreadsheet, and when a milestone turns yellow or red."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _


class Colour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")

    @property
    def ink(self) -> str:
        """For text on a page."""
        return {"green": "#2e7d32", "yellow": "#b58900", "red": "#c62828"}[self.value]

    @property
    def fill(self) -> str:
        """For a spreadsheet cell's background (light enough to print and read)."""
        return {"green": "C8E6C9", "yellow": "FFF59D", "red": "EF9A9A"}[self.value]


def badge(colour: str | None) -> str:
    """A coloured dot and the colour's name, or a dash."""
    if not colour:
        return "—"
    colour = Colour(colour)
    return format_html('<strong style="color:{}">●</strong> {}', colour.ink, colour.label)


def milestone_colour(planned: dt.date | None, today: dt.date) -> Colour | None:
    """A milestone not yet reached: green until due within the yellow window, yellow from then
    until more than the red threshold late, red after that; none when it is not planned."""
    if planned is None:
        return None
    late = (today - planned).days
    if late > settings.MILESTONE_RED_AFTER_DAYS:
        return Colour.RED
    if late >= -settings.MILESTONE_YELLOW_WITHIN_DAYS:
        return Colour.YELLOW
    return Colour.GREEN
