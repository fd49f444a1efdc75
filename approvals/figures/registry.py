"""The reports, listed once: each with its name (the key of the reports page's sections and
downloads, and ``manage.py report``'s argument), its label, the function counting its figures
over a ``Selection`` within what a person sees (``figures(selection, user)``; every project
with no user, as on the command line) and the one turning those figures into tables.

The reports page, the ``report`` command and the dashboard read this list; adding a report is
adding an entry here (its figures and tables live beside the others', in ``reports``,
``casework`` or ``investment``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from approvals.figures import casework, investment, reports
from approvals.figures import tables as tables_module
from approvals.figures.tables import Table


@dataclass(frozen=True)
class Report:
    name: str
    label: str | Promise
    #: ``figures(selection, user=None)``: the report's figures (a dict of plain values).
    figures: Callable[..., dict]
    tables: Callable[[dict], list[Table]]


#: Every report, in the order the reports page shows them.
REPORTS: tuple[Report, ...] = (
    Report("sanpi", gettext_lazy("三个一批"), reports.sanpi, reports.sanpi_tables),
    Report("conversion", gettext_lazy("Conversion"), reports.conversion, reports.conversion_tables),
    Report(
        "readiness",
        gettext_lazy("Readiness to start works"),
        reports.readiness,
        reports.readiness_tables,
    ),
    Report(
        "problems", gettext_lazy("Problems (堵点)"), casework.problems, casework.problems_tables
    ),
    Report(
        "investment",
        gettext_lazy("Investment completed (月调度)"),
        investment.investment,
        investment.investment_tables,
    ),
)


def names() -> list[str]:
    return [report.name for report in REPORTS]


def get(name: str) -> Report:
    """The report called ``name`` (KeyError if there is none)."""
    for report in REPORTS:
        if report.name == name:
            return report
    raise KeyError(name)


def as_text(name: str, figures: dict) -> str:
    """The figures of the report ``name`` as its tables aligned for a terminal."""
    return tables_module.as_text(get(name).tables(figures))
