"""The home of which figures are plausible for a zone's project (guide section 12, "Implausible
figures are caught before they are saved"). A total investment of 1,000亿元 or more is not a
zone project's — most often 万元 typed under an 亿元 header, which stored 35000 as 3.5万亿 — and
is refused; 200亿 to 1,000亿, or below 100万元, is possible but rare and is only pointed out. The
list import (``spreadsheets.project_rows``) and the project form (``admin.projects``) both ask
``investment_doubt``; each names the unit the figure was read in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from approvals.core import units

#: The bounds, in 万元 as amounts are stored: 1,000亿元 refused, 200亿元 and 100万元 doubted.
REFUSED_FROM = units.wan(1000, "亿元")
LARGE_FROM = units.wan(200, "亿元")
SMALL_BELOW = units.wan(100, "万元")


@dataclass(frozen=True)
class Doubt:
    """What is wrong with a figure: ``refused`` (an error, nothing is saved) or a warning."""

    refused: bool
    message: str


def investment_doubt(wan: Decimal | None, unit: str = "万元") -> Doubt | None:
    """What to say of a total investment of ``wan`` 万元 that was read in ``unit`` (the
    column's or the field's), or None when it is plausible (or not given)."""
    if wan is None:
        return None
    written = {"value": units.in_unit(wan, unit), "unit": unit}
    if wan >= REFUSED_FROM:
        if unit == "亿元":
            message = _(
                "Total investment %(value)s %(unit)s is not plausible: were 万元 written in the "
                "亿元 column?"
            )
        else:
            message = _(
                "Total investment %(value)s %(unit)s is not plausible: a zone project does not "
                "reach 1,000亿元. Check the unit."
            )
        return Doubt(True, message % written)
    if wan >= LARGE_FROM:
        return Doubt(
            False,
            _(
                "Total investment %(value)s %(unit)s is 200亿元 or more, rare for a zone "
                "project: check the figure and its unit."
            )
            % written,
        )
    if wan < SMALL_BELOW:
        return Doubt(
            False,
            _(
                "Total investment %(value)s %(unit)s is below 100万元, small for a zone project: "
                "check the figure and its unit."
            )
            % written,
        )
    return None
