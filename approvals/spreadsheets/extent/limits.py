"""What every file may span, all its sheets together, and the refusal that says it may not:
the caps on rows and cells (``Extent``), the size of the upload, a CSV's lines and commas."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _


class SpreadsheetRefused(Exception):
    """The file as a whole cannot be read: nothing in it is looked at."""


def check_size(data: bytes, name: str) -> None:
    limit = settings.IMPORT_FILE_MAX_MB
    if len(data) > limit * 1024 * 1024:
        raise SpreadsheetRefused(
            _("“%(name)s” is larger than %(limit)d MB.") % {"name": name, "limit": limit}
        )
    if not data:
        raise SpreadsheetRefused(_("“%(name)s” is empty.") % {"name": name})


class Extent:
    """What a file spans, added up over all its sheets (and over every time a sheet is read:
    two sheets of a workbook may be one part read twice): refused as soon as the file as a whole
    passes ``IMPORT_MAX_ROWS`` rows or ``IMPORT_MAX_CELLS`` cells, before a reader is given
    the file (from what the file says, checked as a reader will read it) and again as its
    rows come (a second line, should the first have been misled)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows = 0
        self.cells = 0
        self.max_rows = settings.IMPORT_MAX_ROWS
        self.max_cells = settings.IMPORT_MAX_CELLS

    def check(self, sheet: str, rows: int, columns: int) -> None:
        """Refuse if the sheets counted so far and ``rows`` × ``columns`` more pass a cap."""
        if self.rows + rows > self.max_rows:
            self.too_many_rows(sheet, rows, self.rows + rows)
        if self.cells + rows * columns > self.max_cells:
            self.too_many_cells(sheet, rows, columns, self.cells + rows * columns)

    def too_many_rows(self, sheet: str, rows: int, total: int) -> NoReturn:
        raise SpreadsheetRefused(
            _(
                "“%(name)s”: at sheet “%(sheet)s” (%(rows)s rows) the file has %(total)s "
                "rows, more than the %(limit)s allowed: refused."
            )
            % {
                "name": self.name,
                "sheet": sheet,
                "rows": f"{rows:,}",
                "total": f"{total:,}",
                "limit": f"{self.max_rows:,}",
            }
        )

    def too_many_cells(self, sheet: str, rows: int, columns: int, total: int) -> NoReturn:
        raise SpreadsheetRefused(
            _(
                "“%(name)s”: at sheet “%(sheet)s” (%(rows)s rows × %(columns)s columns) "
                "the file spans %(cells)s cells, more than the %(limit)s allowed: refused."
            )
            % {
                "name": self.name,
                "sheet": sheet,
                "rows": f"{rows:,}",
                "columns": f"{columns:,}",
                "cells": f"{total:,}",
                "limit": f"{self.max_cells:,}",
            }
        )

    def add(self, sheet: str, rows: int, columns: int) -> None:
        self.check(sheet, rows, columns)
        self.rows += rows
        self.cells += rows * columns


def check_csv(text: str, name: str) -> None:
    """At most a row a line and a cell a comma: refused before the rows are split."""
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    extent = Extent(name)
    sheet = Path(name).stem.strip()
    if lines > extent.max_rows:
        extent.too_many_rows(sheet, lines, lines)
    cells = text.count(",") + lines
    if cells > extent.max_cells:
        extent.too_many_cells(sheet, lines, -(-cells // max(lines, 1)), cells)
