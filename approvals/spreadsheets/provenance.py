"""The home of where a project's stored facts came from, and of whether a later list may correct
them (guide section 12, "A later list corrects what an earlier import wrote").

Read from the project's history, which every import already writes (its change reason names
the import: ``SpreadsheetImport.label``, read back by ``import_named``): a fact's source is the
history row that last changed it. A row naming an import makes the fact that import's; any other
row (a person's edit, a row with no reason), or a stored value the last row does not hold (changed
outside history), makes it a person's. No table of its own: the history is asked once per chunk
of a list, for the projects whose stored facts differ from the list only (on a re-import of the
same list, none), and the imports it names once more.

A list may correct an import's fact when it is of the same round or a later one (by the round's
event date; an import without a round stands at the day it was applied), or when it has no
round itself (the zone's portfolio, as of today). A person's fact is never corrected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from approvals.core import bulk
from approvals.models import Project, SpreadsheetImport
from approvals.spreadsheets.models import import_named


@dataclass(frozen=True)
class Written:
    """The import that wrote a stored fact."""

    import_id: int
    file_name: str
    as_of: dt.date  # its round's event date, or the day it was applied (no round)


def same(old: Any, new: Any) -> bool:
    """Whether a stored fact and the list's are one (empty is empty; amounts by value)."""
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return old == new


def sources(projects: Iterable[dict], facts: tuple[str, ...]) -> dict[tuple[int, str], Written]:
    """(project id, fact) → the import that wrote the stored value, for the facts of
    ``projects`` (stored rows carrying ``facts``) that an import wrote and nobody changed since;
    a fact absent from the answer is a person's. Two queries, whatever the number of projects."""
    stored = {p["id"]: p for p in projects}
    if not stored:
        return {}
    history = Project.history.model
    rows = (
        history.objects.filter(bulk.among("id", list(stored), history))
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_change_reason", *facts)
    )
    last: dict[tuple[int, str], tuple[int | None, Any]] = {}  # → (import or None, value)
    before: dict[int, tuple] = {}
    for project_id, reason, *values in rows.iterator(chunk_size=2000):
        previous = before.get(project_id, (None,) * len(facts))
        named = import_named(reason)
        for fact, value, was in zip(facts, values, previous, strict=True):
            if (project_id, fact) not in last or not same(was, value):
                last[project_id, fact] = (named, value)
        before[project_id] = tuple(values)
    kept = {
        key: named
        for key, (named, value) in last.items()
        if named is not None and same(value, stored[key[0]][key[1]])
    }
    imports = _imports(set(kept.values()))
    return {key: imports[named] for key, named in kept.items() if named in imports}


def _imports(ids: set[int]) -> dict[int, Written]:
    found = SpreadsheetImport.objects.filter(pk__in=ids).values(
        "id", "file_name", "event_date", "batch__event_date", "applied_at", "created_at"
    )
    return {
        i["id"]: Written(
            i["id"],
            i["file_name"],
            i["batch__event_date"]
            or i["event_date"]
            or timezone.localdate(i["applied_at"] or i["created_at"]),
        )
        for i in found
    }


def may_correct(source: Written | None, as_of: dt.date | None) -> bool:
    """Whether a list of a round held on ``as_of`` (None: a list without a round) may replace a
    fact written by ``source`` (None: by a person)."""
    if source is None:
        return False
    return as_of is None or as_of >= source.as_of
