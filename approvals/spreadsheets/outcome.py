"""What an import found and did, in the user's terms: every row it could not understand (sheet,
row as Excel numbers it, column, reason), warnings, counts, and a few rows of each kind with
their changes old → new. Kept small whatever the file's size, and storable as JSON (the worker
hands it to the page)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Rows of each kind shown in the preview; the counts cover them all.
SAMPLE_ROWS = 50
#: Warnings and errors kept in full; beyond this only their number (the page and the command
#: say how many more there are).
MAX_WARNINGS = 500
MAX_ERRORS = 1000


@dataclass
class Issue:
    sheet: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        from django.utils.translation import gettext as _

        where = (
            _("sheet “%(sheet)s”, row %(row)d") % {"sheet": self.sheet, "row": self.row}
            if self.row
            else _("sheet “%(sheet)s”") % {"sheet": self.sheet}
        )
        if self.column:
            where += _(", column “%(column)s”") % {"column": self.column}
        return _("%(where)s: %(reason)s") % {"where": where, "reason": self.reason}


@dataclass
class Report:
    file_name: str
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    warning_count: int = 0
    error_count: int = 0
    samples: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"created": [], "changed": [], "unchanged": []}
    )
    notes: list[str] = field(default_factory=list)  # about the file as a whole
    #: What the round does, counted: "new at stage 已开工" → 3, "catch-up requests to open" → 2
    tallies: dict[str, int] = field(default_factory=dict)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes_nothing(self) -> bool:
        return self.ok and not self.created and not self.changed

    def error(self, sheet: str, row: int, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Issue(sheet, row, column, str(reason)))

    def warn(self, sheet: str, row: int, column: str, reason) -> None:
        """A warning; ``reason`` is its text or a function making it, called only for a
        warning kept (a list may warn the same on each of 100,000 rows: 4% of a re-import's
        CPU translating a sentence nobody is shown)."""
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(
                Issue(sheet, row, column, str(reason() if callable(reason) else reason))
            )

    def count(self, kind: str, sheet: str, row: int, title: str, changes, outcome="") -> None:
        """Count a row as created / changed / unchanged, keeping the first few as samples.
        ``changes``: a list, or a function making it, called only for a row kept;
        ``outcome``: what the row does, in a sentence (what a round does to the project), or
        a function making it, likewise (a sentence with a day in words cost 0.2 ms a row)."""
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.samples[kind]) < SAMPLE_ROWS:
            if callable(changes):
                changes = changes()
            if callable(outcome):
                outcome = outcome()
            sample = {"sheet": sheet, "row": row, "title": title, "changes": changes}
            self.samples[kind].append({**sample, "outcome": outcome} if outcome else sample)

    def tally(self, what: str) -> None:
        if what:
            self.tallies[what] = self.tallies.get(what, 0) + 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        # As pairs: a jsonb object would come back in PostgreSQL's key order, not the order
        # the rows met them in (which the preview shows).
        data["tallies"] = [[what, count] for what, count in self.tallies.items()]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        data = dict(data)
        data["errors"] = [Issue(**i) for i in data.get("errors", [])]
        data["warnings"] = [Issue(**i) for i in data.get("warnings", [])]
        tallies = data.get("tallies") or {}
        data["tallies"] = dict(tallies.items() if isinstance(tallies, dict) else tallies)
        # PostgreSQL's jsonb keeps a dict's keys in its own order (by length, then bytes:
        # "changed" before "created"); the page shows new, changed, unchanged, in that order.
        samples = data.get("samples", {})
        data["samples"] = {k: samples.get(k, []) for k in ("created", "changed", "unchanged")}
        return cls(**data)

    def summary(self) -> str:
        """One line for a message or a command's output."""
        from django.utils.translation import gettext as _

        if self.errors:
            return _("%(count)d problems found; nothing was saved.") % {"count": self.error_count}
        return _(
            "%(created)d new, %(changed)d changed, %(unchanged)d unchanged, %(warnings)d warnings."
        ) % {
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "warnings": self.warning_count,
        }
