"""Run the benchmarks on a throw-away database and print the tables.

    .venv/bin/python benchmarks/run.py [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/run.py

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/run.py \
        --pages [--database pages100k] [pages.py's options]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/run.py \
        --api --database pages100k [api.py's options]
    .venv/bin/python benchmarks/run.py --channels [--quick] [channels.py's options]
    .venv/bin/python benchmarks/run.py --bulletin [--quick] [bulletin.py's options]

``--pages`` runs benchmarks/pages.py instead (every page at 100,000 projects, issue 21; an hour
with "before" and a fresh build, so not part of the default run): the options after it go to
pages.py, a PostgreSQL URL is needed. ``--api`` likewise runs benchmarks/api.py (the API's
project list page by page beside the admin's, issue 22) on pages.py's data. ``--channels`` runs
benchmarks/channels.py (the channels' outbox at a province's scale, issue 23; SQLite or
PostgreSQL). ``--bulletin`` runs benchmarks/bulletin.py (the 督办通报 of a zone of 5,000
projects and of a city of 100,000, issue 23; SQLite or PostgreSQL).

Without DATABASE_URL (or with an SQLite one) the database is a file in a temporary folder.
With a PostgreSQL URL only the server is used: the database ``projectdesk_bench`` is created
on it and dropped afterwards, so the database named in the URL is never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from benchmarks.databases import measured_run  # noqa: E402 - after the path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes (~1 minute)")
    parser.add_argument(
        "--pages", action="store_true", help="every page at 100,000 projects (benchmarks/pages.py)"
    )
    parser.add_argument(
        "--api",
        action="store_true",
        help="the API's project list beside the admin's at 100,000 projects (benchmarks/api.py)",
    )
    parser.add_argument(
        "--channels",
        action="store_true",
        help="the channels' outbox at a province's scale (benchmarks/channels.py)",
    )
    parser.add_argument(
        "--bulletin",
        action="store_true",
        help="the 督办通报 of a zone and of a city of 100,000 projects (benchmarks/bulletin.py)",
    )
    args, rest = parser.parse_known_args()
    alone = {
        "pages": "pages.py",
        "api": "api.py",
        "channels": "channels.py",
        "bulletin": "bulletin.py",
    }
    chosen = [script for flag, script in alone.items() if getattr(args, flag)]
    if chosen:
        script = Path(__file__).resolve().parent / chosen[0]
        os.execv(sys.executable, [sys.executable, str(script), *rest, *(["--quick"] * args.quick)])
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    with measured_run():
        from django.db import connection

        from benchmarks import (
            casework,
            changelist,
            colour_refresh,
            dashboard,
            import_bench,
            overdue,
            reminder_scan,
        )
        from benchmarks.common import make_people

        repeats = 3 if args.quick else 9
        sizes = (200_000,) if args.quick or connection.vendor != "sqlite" else (200_000, 1_000_000)
        people = make_people()
        print(changelist.run(repeats, people), flush=True)
        print(overdue.run(sizes, repeats, people), flush=True)
        imports = (10_000,) if args.quick else (10_000, 100_000)
        print(import_bench.run(imports), flush=True)
        print(reminder_scan.run(imports, repeats, people), flush=True)  # as many projects
        print(colour_refresh.run(imports, repeats, people), flush=True)  # as many again
        print(dashboard.run(args.quick, repeats), flush=True)
        print(casework.run(args.quick, repeats), flush=True)  # on the dashboard's data


if __name__ == "__main__":
    main()
