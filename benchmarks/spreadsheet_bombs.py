"""What a hostile spreadsheet costs the process that reads it (issue 17, finding 14).

Each file is read in a child process of its own (``tests/child_reader.py``), as an import
reads it: ``count_rows`` (what the upload page calls first), then every sheet with a 三个一批
header and every row below it.
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
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--normal", action="store_true", help="also read two ordinary lists")
    parser.add_argument("--limit-gb", type=float, default=8)
    args = parser.parse_args()
    from tests.child_reader import read_in_child
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
            r = read_in_child(path, name, settings="benchmarks.settings", limit=limit, way=way)
            print(
                f"{label:<36} {len(data) / 1024:>6.1f}kB {way:>6} {r.peak_mb:>7.0f}MB "
                f"{r.before_mb or 0:>7.0f}MB {r.wall_s if r.read_s is None else r.read_s:>6.2f}s  "
                f"{r.answer[:100]}"
            )
        path.unlink()
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
