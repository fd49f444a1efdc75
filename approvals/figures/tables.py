"""A report's figures as tables: what the reports page shows, its .xlsx downloads write and
``manage.py report`` prints. The reports (``approvals/figures/registry.py``) each turn their
figures into a list of ``Table``; this module only holds the table and its text form."""

from __future__ import annotations

import dataclasses
import unicodedata


@dataclasses.dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list]
    sheet: str = ""  # the .xlsx sheet's name (31 characters at most)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def as_text(tables: list[Table]) -> str:
    """The tables aligned for a terminal (CJK characters are two columns wide)."""
    out = []
    for table in tables:
        cells = [[str(h) for h in table.headers]] + [
            ["—" if v is None else str(v) for v in row] for row in table.rows
        ]
        widths = [max(_width(row[i]) for row in cells) for i in range(len(table.headers))]
        out.append(str(table.title))
        for row in cells:
            out.append(
                "  ".join(
                    cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)
                ).rstrip()
            )
        out.append("")
    return "\n".join(out).rstrip() + "\n"
