"""A spreadsheet read in a child process of its own, measured: what a file costs the process
that reads it (issue 17, finding 14). tests/spreadsheets/test_spreadsheet_bombs.py and
benchmarks/spreadsheet_bombs.py read with it.

The child reads the file as an import reads it -- ``count_rows`` (what the upload page calls
first), then every sheet with a 三个一批 header and every row below it -- or, ``way="plain"``,
with python-calamine alone (the library's own way: every sheet, every row). It may take at most
``limit`` bytes of address space: a reader that tries to take more fails (a MemoryError or an
abort) instead of taking the machine. The parent takes the child's own peak resident memory from
``os.wait4`` (not the largest of all children) and the wall time; the child reports its resident
memory just before reading, so the cost of the read itself shows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
import django
django.setup()
from pathlib import Path
from approvals.spreadsheets import project_rows, reading
data = Path(sys.argv[1]).read_bytes()
name = sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
rows = 0
if sys.argv[4] == "plain":  # the library's own way: python-calamine, every sheet, every row
    import io
    import python_calamine
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for sheet_name in book.sheet_names:
            for _row in book.get_sheet_by_name(sheet_name).iter_rows():
                rows += 1
        answer = f"read {rows} rows"
    except Exception as error:
        answer = f"failed: {error}"[:200]
    print(json.dumps({"answer": answer, "seconds": time.perf_counter() - started,
                      "before_kb": before}))
    sys.exit(0)
try:  # as an import reads a file: counted on upload, then every sheet and row
    reading.count_rows(data, name)
    for sheet, _others in reading.sheets_with_header(
        data, name, project_rows.HEADERS, reading.naming(*project_rows.REQUIRED)
    ):
        for _row in sheet.rows:
            rows += 1
    answer = f"read {rows} rows"
except reading.SpreadsheetRefused as refused:
    answer = f"refused: {refused}"
print(json.dumps({"answer": answer, "seconds": time.perf_counter() - started,
                  "before_kb": before}))
"""


@dataclass(frozen=True)
class Read:
    exit: int  # the child's exit code: 0 when it answered
    answer: str  # "read N rows", "refused: …", "failed: …" (plain) or "died (code): …"
    peak_mb: float  # the child's peak resident memory
    wall_s: float  # from starting the child to its end
    read_s: float | None  # from the start of the read to its answer (None: it died)
    before_mb: float | None  # its resident memory when the read began (Python, Django, reader)
    stderr: str


def read_in_child(path: Path, name: str, *, settings: str, limit: int, way: str = "ours") -> Read:
    """Read ``path`` as ``name`` in a child on Django ``settings``, ``way`` "ours" (``reading``,
    as an import does) or "plain" (python-calamine alone), within ``limit`` bytes."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "RUST_BACKTRACE": "0"}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), name, str(limit), way],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        out = child.stdout.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        wall_s = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    peak_mb = usage.ru_maxrss / 1024
    if code != 0:
        answer = f"died ({code}): {stderr.strip()[-200:]}"
        return Read(code, answer, peak_mb, wall_s, None, None, stderr)
    told = json.loads(out)
    before_mb = told["before_kb"] / 1024
    return Read(code, told["answer"], peak_mb, wall_s, told["seconds"], before_mb, stderr)
