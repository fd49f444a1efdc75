"""What a hostile spreadsheet costs the process that reads it (issue 17, finding 14).

Each file is read in a child process of its own, as an import reads it: ``count_rows`` (what
the upload page calls first), then every sheet with a 三个一批 header and every row below it.
The parent takes the child's peak resident memory from ``os.wait4`` (its own ``ru_maxrss``,
not the largest of all children) and the wall time from start to the answer; the child also
reports its resident memory just before reading, so the cost of the read itself shows.
A child may take at most ``--limit-gb`` of address space: a reader that tries to take more
fails (a MemoryError or an abort) instead of taking the machine.

    .venv/bin/python benchmarks/spreadsheet_bombs.py [--normal] [--limit-gb 8]

``--normal`` also reads two generated lists of 10,000 and 100,000 rows (what must still read).
Each file is read twice in the same run: by python-calamine alone (the plain library way; for an
ordinary list, the floor) and our way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
try:
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


def measure(path: Path, name: str, limit: int, way: str = "ours") -> dict:
    """Read ``path`` as ``name`` in a child, our way (``reading``, as an import does) or the
    plain library's (``plain``: python-calamine alone); its peak RSS (MB), time (s), answer."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings", "RUST_BACKTRACE": "0"}
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
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    result = {"peak_mb": usage.ru_maxrss / 1024, "wall_s": seconds, "exit": child.returncode}
    if child.returncode == 0:
        told = json.loads(out)
        result.update(
            answer=told["answer"],
            read_s=told["seconds"],
            before_mb=told["before_kb"] / 1024,
        )
    else:
        result.update(answer=f"died ({child.returncode}): {stderr.strip()[-200:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--normal", action="store_true", help="also read two ordinary lists")
    parser.add_argument("--limit-gb", type=float, default=8)
    args = parser.parse_args()
    from tests.spreadsheet_files import long_rows_bomb, wide_sheets_bomb, xls_bomb

    files = [
        ("three sheets of 3,300 × 15,000", "清单.xlsx", wide_sheets_bomb()),
        ("56,000 rows without references", "清单.xlsx", long_rows_bomb()),
        (".xls, two sheets of 65,536 × 256", "进度表.xls", xls_bomb()),
    ]
    folder = Path(tempfile.mkdtemp(prefix="projectdesk-bombs-"))
    if args.normal:
        from benchmarks.import_bench import write_list

        for rows in (10_000, 100_000):
            path = folder / f"list{rows}.xlsx"
            write_list(path, rows)
            files.append((f"an ordinary list of {rows:,} rows", "清单.xlsx", path.read_bytes()))
    limit = int(args.limit_gb * 1024**3)
    print(f"child processes limited to {args.limit_gb:g} GB of address space")
    print(
        f"{'file':<36} {'size':>8} {'way':>6} {'peak RSS':>9} {'at start':>9} {'read':>7}  answer"
    )
    for label, name, data in files:
        path = folder / f"{abs(hash(label))}-{name}"
        path.write_bytes(data)
        # Side by side in one run: python-calamine alone (the plain library way, and the floor
        # for an ordinary list), then ours, which refuses a bomb before calamine builds it.
        for way in ("plain", "ours"):
            r = measure(path, name, limit, way)
            print(
                f"{label:<36} {len(data) / 1024:>6.1f}kB {way:>6} {r['peak_mb']:>7.0f}MB "
                f"{r.get('before_mb', 0):>7.0f}MB {r.get('read_s', r['wall_s']):>6.2f}s  "
                f"{r['answer'][:100]}"
            )
        path.unlink()
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
