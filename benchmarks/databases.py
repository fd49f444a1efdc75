"""The throw-away database every benchmark runs on, and Django started on it: ``run.py`` and
each script run alone stand on these (kept apart from ``run.py``, which imports the scripts, so
that the scripts do not import it back)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

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
