"""Run the benchmarks on a throw-away database and print the tables.

    .venv/bin/python benchmarks/run.py [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/run.py

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/run.py \
        --pages [--database pages100k] [pages.py's options]

``--pages`` runs benchmarks/pages.py instead (every page at 100,000 projects, issue 21; an hour
with "before" and a fresh build, so not part of the default run): the options after it go to
pages.py, a PostgreSQL URL is needed.

Without DATABASE_URL (or with an SQLite one) the database is a file in a temporary folder.
With a PostgreSQL URL only the server is used: the database ``projectdesk_bench`` is created
on it and dropped afterwards, so the database named in the URL is never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

BENCH_DATABASE = "projectdesk_bench"


@contextmanager
def throwaway_database(name: str = BENCH_DATABASE) -> Iterator[None]:
    """Point DATABASE_URL at a database made for this run, and remove it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="projectdesk-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        try:
            yield
        finally:
            shutil.rmtree(folder)
        return
    import psycopg

    def on_server(database: str) -> str:
        return urlsplit(url)._replace(path=f"/{database}").geturl()

    def maintenance(sql: str) -> None:
        with psycopg.connect(on_server("postgres"), autocommit=True) as server:
            server.execute(sql)

    maintenance(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # a crashed run's
    maintenance(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = on_server(name)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        maintenance(f"DROP DATABASE {name} WITH (FORCE)")


@contextmanager
def django_on_throwaway_database(name: str = BENCH_DATABASE) -> Iterator[None]:
    """``throwaway_database`` with Django started on the benchmarks' settings and the schema
    migrated: what every benchmark run as a script stands on."""
    with throwaway_database(name):
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        yield


@contextmanager
def measured_run(name: str = BENCH_DATABASE, *, load_at_end: bool = False) -> Iterator[None]:
    """A run on ``django_on_throwaway_database``: the thresholds' row made first (it is made on
    first use: made here, no measured page replays its INSERT) and the machine printed; after
    the run the CPU steal during it (and, with ``load_at_end``, the load average), then the
    total runtime."""
    started = time.perf_counter()
    with django_on_throwaway_database(name):
        from approvals.models import WarningSettings
        from benchmarks.common import cpu_times, machine, steal_since, table

        WarningSettings.get_solo()
        print(table("Machine", ["", ""], machine()), flush=True)
        cpu_at_start = cpu_times()
        yield
        print(f"\nCPU steal during the run: {steal_since(cpu_at_start)}")
        if load_at_end:
            print(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"\nTotal runtime: {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes (~1 minute)")
    parser.add_argument(
        "--pages", action="store_true", help="every page at 100,000 projects (benchmarks/pages.py)"
    )
    args, rest = parser.parse_known_args()
    if args.pages:
        pages = Path(__file__).resolve().parent / "pages.py"
        os.execv(sys.executable, [sys.executable, str(pages), *rest, *(["--quick"] * args.quick)])
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
