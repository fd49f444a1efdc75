"""What can run side by side in one import, measured (issue 21: where the list import's time
could overlap, and where it cannot):

- (a) python-calamine building a 10,000-row list's sheet in a thread while the main thread runs
  Python: does calamine let go of the GIL (the main thread's loop keeps its pace), and what does
  the pair cost against each alone;
- (b) SQLite inserting 60,000 rows (``executemany`` into a table with six indexes, as the first
  import writes six tables of 10,000 rows) in a thread, on the same connection object, while
  the main thread runs Python: the sqlite3 module releases the GIL inside each ``sqlite3_step``
  but takes it back to bind every row, so the writer waits for the main thread's GIL at every
  row (the "convoy" of CPython's GIL); shown with the default switch interval (5 ms) and a
  hundred times shorter one;
- (c) the same inserts in a second process with its own connection, beside the same Python:
  the overlap a process gives, which a thread cannot, but which one transaction cannot span
  (an import is all-or-nothing per file: its writes are one transaction on one connection).

Each figure is the median of the rounds; the Python is a plain arithmetic loop of the same
length each time (a stand-in for reading and planning rows, which also hold the GIL).

    .venv/bin/python benchmarks/overlap.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

ROWS = 60_000


def python_work(loops: int = 2_500_000) -> int:
    total = 0
    for number in range(loops):
        total += number * number % 7
    return total


def spin_rate(seconds: float, stop: threading.Event) -> float:
    """Loop turns per second of plain Python, for ``seconds`` or until ``stop`` is set (the
    same two checks every turn, alone or beside a thread)."""
    turns = 0
    started = time.perf_counter()
    end = started + seconds
    while time.perf_counter() < end and not stop.is_set():
        turns += 1
    return turns / (time.perf_counter() - started)


def calamine_load(data: bytes):
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_index(0).height


def _load_then_set(data: bytes, done: threading.Event) -> None:
    calamine_load(data)
    done.set()


def fresh_table(path: str) -> sqlite3.Connection:
    if os.path.exists(path):
        os.remove(path)
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    connection.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, code TEXT, zone INTEGER, "
        "investment REAL, stage TEXT, note TEXT)"
    )
    for column in ("name", "code", "zone", "investment", "stage", "note"):
        connection.execute(f"CREATE INDEX t_{column} ON t ({column}, id)")
    return connection


def rows() -> list[tuple]:
    return [
        (f"基准项目{n * 7919 % 10007:06d}", f"25{n:08d}", n % 20, n * 1.5, "在建", "x" * 40)
        for n in range(ROWS)
    ]


def write(connection: sqlite3.Connection, values: list[tuple]) -> None:
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO t (name, code, zone, investment, stage, note) VALUES (?, ?, ?, ?, ?, ?)",
        values,
    )
    connection.execute("COMMIT")


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def side_by_side_in_threads(background, *args) -> tuple[float, float]:
    """``background(*args)`` in a thread and ``python_work`` here: (wall of both, the
    background's own time)."""
    took: list[float] = []
    worker = threading.Thread(target=lambda: took.append(timed(background, *args)))
    started = time.perf_counter()
    worker.start()
    python_work()
    worker.join()
    return time.perf_counter() - started, took[0]


def _write_in_child(path: str, values: list[tuple]) -> None:
    write(fresh_table(path), values)


def side_by_side_in_processes(path: str, values: list[tuple]) -> float:
    started = time.perf_counter()
    child = multiprocessing.get_context("fork").Process(target=_write_in_child, args=(path, values))
    child.start()
    python_work()
    child.join()
    return time.perf_counter() - started


def run(rounds: int) -> str:
    from benchmarks.common import table
    from benchmarks.import_bench import write_list

    measured: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        measured.setdefault(name, []).append(seconds)

    loads = []
    with tempfile.TemporaryDirectory(prefix="projectdesk-overlap-") as folder:
        listed = Path(folder) / "list-10000.xlsx"
        write_list(listed, 10_000)
        data = listed.read_bytes()
        database = str(Path(folder) / "overlap.sqlite3")
        values = rows()
        calamine_load(data)  # the library loaded once before any round
        for number in range(rounds):
            loads.append(f"round {number + 1}: load {_load()}")
            print(loads[-1], file=sys.stderr, flush=True)
            note("python", timed(python_work))
            note("calamine", timed(calamine_load, data))
            rate_alone = spin_rate(0.2, threading.Event())
            loaded = threading.Event()
            worker = threading.Thread(target=_load_then_set, args=(data, loaded))
            worker.start()
            rate_during = spin_rate(60, loaded)
            worker.join()
            note("rate", rate_during / rate_alone)
            wall, _alone = side_by_side_in_threads(calamine_load, data)
            note("calamine+python threads", wall)
            note("write", timed(write, fresh_table(database), values))
            for interval in (0.005, 0.00005):
                sys.setswitchinterval(interval)
                try:
                    wall, own = side_by_side_in_threads(write, fresh_table(database), values)
                finally:
                    sys.setswitchinterval(0.005)
                note(f"write+python threads {interval}", wall)
                note(f"write in thread {interval}", own)
            note("write+python processes", side_by_side_in_processes(database, values))

    m = {name: median(values) for name, values in measured.items()}
    python, calamine, write_alone = m["python"], m["calamine"], m["write"]
    lines = [
        ("(a) python-calamine builds the sheet, alone", calamine, ""),
        ("(a) the Python, alone", python, ""),
        ("(a) both, calamine in a thread", m["calamine+python threads"], calamine + python),
        (
            "(a) the main thread's pace while calamine builds (share of its pace alone)",
            f"{m['rate']:.0%}",
            "",
        ),
        ("(b) SQLite writes 60,000 rows, alone", write_alone, ""),
        (
            "(b) both, the writes in a thread (switch interval 5 ms)",
            m["write+python threads 0.005"],
            write_alone + python,
        ),
        ("(b) the writes' own time in that thread", m["write in thread 0.005"], ""),
        (
            "(b) both, the writes in a thread (switch interval 0.05 ms)",
            m["write+python threads 5e-05"],
            write_alone + python,
        ),
        (
            "(c) both, the writes in a second process",
            m["write+python processes"],
            write_alone + python,
        ),
    ]
    rendered = table(
        f"What overlaps in one import, median of {rounds} rounds",
        ["", "s", "the two one after the other, s"],
        [
            (
                label,
                f"{value:.3f}" if isinstance(value, float) else value,
                f"{alone:.3f}" if alone else "",
            )
            for label, value, alone in lines
        ],
    )
    return "\n".join([rendered, "", *loads, f"load at the end: {_load()}"])


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()  # the table helper and the list's writer live beside the models
    print(run(rounds))
