"""Whether an uploaded spreadsheet may be read at all: its size, its container, and the rows and
cells it would span, all its sheets together (``IMPORT_MAX_ROWS``, ``IMPORT_MAX_CELLS``), found
out from the file's bytes *before* a reader is given it.

Hand-written, because a measurement says so (issue 17, finding 14; ``benchmarks/
spreadsheet_bombs.py``): python-calamine builds a sheet whole, from its first to its last used
row and column, and an .xls whole on opening, so a 2 kB workbook of three sheets each spanning
3,300 x 15,000 cells took 3.1 GB and 53 s, a 4 kB sheet of 56,000 rows without references 1.6 GB,
a 5.5 kB .xls 2.1 GB -- before any row reached Python, where no cap can act. No library bounds
that; the checks below read the file as calamine will read it (its cell places, its sector
chains) and refuse it first, in bounded memory (refused in under half a second, at about 84 MB
of the process's peak, Django included). ``reading`` counts the rows again as they come.

One module per concern: ``limits`` (the refusal, the caps over all sheets, the file's size, a
CSV's lines and commas), ``xlsx`` (the zip and the cell places of every part), ``compound``
(an .xls's container, its sector chains) and ``xls`` (the BIFF records of its sheets).
"""

from approvals.spreadsheets.extent.compound import OLE2
from approvals.spreadsheets.extent.limits import Extent, SpreadsheetRefused, check_csv, check_size
from approvals.spreadsheets.extent.xls import check_xls
from approvals.spreadsheets.extent.xlsx import check_xlsx, check_zip

__all__ = [
    "OLE2",
    "Extent",
    "SpreadsheetRefused",
    "check_csv",
    "check_size",
    "check_xls",
    "check_xlsx",
    "check_zip",
]
