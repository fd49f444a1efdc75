"""The dashboard's count of the compliance flag 开工时前期手续未办结 (guide section 12): how many
of the projects one sees carry it, and how many of those still have items open. Live (two
counts in one query over the flag's partial index), kept apart from the cached figures of
``reports``; the rules are ``approvals.cases.compliance``'s."""

from __future__ import annotations

from django.db.models import Count

from approvals.cases import compliance
from approvals.figures.reports import Selection


def started_before_permits(selection: Selection, user=None) -> dict[str, int]:
    """{"flagged": n, "still_open": m} over the projects of ``selection`` ``user`` sees."""
    return (
        selection.projects(user)
        .filter(compliance.FLAGGED)
        .aggregate(
            flagged=Count("pk"),
            still_open=Count("pk", filter=compliance.still_open_condition()),
        )
    )
