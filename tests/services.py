"""What the tests against real services share: the test database as a URL another process can
open, the command line of a real Celery worker and its stop, and calls released together in
threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable

from django.db import connection


def database_url() -> str:
    """The test database as a URL the worker process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_command(queue: str, *options: str) -> list[str]:
    """A Celery worker of this project on one queue, on its own (no mingle, no gossip)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "projectdesk",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "--without-mingle",
        "--without-gossip",
        *options,
    ]


def stop_worker(worker: subprocess.Popen) -> None:
    """Ask the worker to stop (a warm shutdown: its job ends first); kill it after 30 s."""
    worker.terminate()
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released together; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - an error is a result under test
            results[index] = error
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung: a lock was never released"
    return results


def machines_now():
    """The clock of a real worker process a test starts: the machine's, even while this process
    travels in time (a test's frozen clock, or PROJECTDESK_TEST_TODAY in tests/conftest.py)."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    hatch = time_machine.escape_hatch
    if not hatch.is_travelling():
        return timezone.now()
    return hatch.datetime.datetime.now(dt.UTC)
