"""A real Celery worker process, fed through the embedded file-system broker and through Redis."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from tests.factories import ProjectFactory
from tests.services import database_url, worker_command

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def start_worker(queue: str, env: dict) -> subprocess.Popen:
    environment = {
        **os.environ,
        **env,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    return subprocess.Popen(
        worker_command(queue, "--loglevel=WARNING"),
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def ask_health(client: Celery, worker: subprocess.Popen, queue: str) -> dict:
    try:
        result = client.send_task("approvals.tasks.health_check", queue=queue)
        return result.get(timeout=60)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        print(output)


def test_a_worker_answers_through_the_file_system_broker(tmp_path: Path):
    ProjectFactory.create_batch(3)
    queue = f"test-{uuid.uuid4().hex}"
    broker = tmp_path / "celery-broker"
    folders = {
        "data_folder_in": broker / "out",
        "data_folder_out": broker / "out",
        "processed_folder": broker / "processed",
        "control_folder": broker / "control",
    }
    for folder in [*folders.values(), broker / "results"]:
        folder.mkdir(parents=True, exist_ok=True)
    worker = start_worker(queue, {"REDIS_URL": "", "PROJECTDESK_VAR_DIR": str(tmp_path)})
    client = Celery(
        broker="filesystem://", backend=f"file://{broker / 'results'}", set_as_current=False
    )
    client.conf.broker_transport_options = {k: str(v) for k, v in folders.items()}

    answer = ask_health(client, worker, queue)

    assert answer == {"database": connection.vendor, "projects": 3}


@pytest.mark.services
def test_a_worker_answers_through_redis(redis_url: str):
    ProjectFactory.create_batch(2)
    queue = f"test-{uuid.uuid4().hex}"
    worker = start_worker(queue, {"REDIS_URL": redis_url})
    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)

    answer = ask_health(client, worker, queue)

    assert answer == {"database": connection.vendor, "projects": 2}


def test_check_worker_says_when_no_worker_answers():
    from django.core.management import CommandError, call_command

    queue = f"nobody-listens-{uuid.uuid4().hex}"
    with pytest.raises(CommandError, match="1 秒内没有后台任务进程应答"):
        call_command("check_worker", "--timeout", "1", "--queue", queue)


# --- progress seen from another process while a worker imports (issue 17) --------------------


def list_of(rows: int) -> bytes:
    from tests.project_lists import row, workbook

    return workbook(*(row(n, f"批量项目{n}") for n in range(1, rows + 1)))


def import_job(kind: str, rows: int, by):
    """A large list received and its preview or import queued for the worker (after the
    commit, as the page does)."""
    from approvals.spreadsheets import imports
    from tests.project_lists import received

    record = received(list_of(rows), by)
    return record, imports.start_in_worker(record, kind)


def watch(job, until, timeout: float = 120) -> list[tuple[str, int, int | None]]:
    """(status, done, total) of ``job`` as a page of this process reads it, until ``until``
    holds or the time is out."""
    import time

    from approvals.jobs import services as jobs
    from approvals.models import Job

    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        read = jobs.live(Job.objects.get(pk=job.pk))
        seen.append((read.status, read.done, read.total))
        if until(read):
            break
        time.sleep(0.02)
    return seen


def test_a_workers_import_progress_is_read_by_another_process_as_it_goes(
    zone, stan, settings, tmp_path
):
    """On the configured services: SQLite and the file-based cache under VAR_DIR by default,
    PostgreSQL and Redis in CI. The preview runs in its transaction, rolled back at its end."""
    from approvals.models import JobStatus, Project

    settings.MEDIA_ROOT = tmp_path / "media"
    progress = settings.CACHES["progress"]["BACKEND"].rsplit(".", 1)[-1]
    assert progress == ("RedisCache" if settings.REDIS_URL else "FileBasedCache")
    record, job = import_job("import_preview", 1500, stan)
    worker = start_worker(
        settings.CELERY_TASK_DEFAULT_QUEUE,
        {"SPREADSHEET_CHUNK_ROWS": "10", "MEDIA_ROOT": str(tmp_path / "media")},
    )
    try:
        seen = watch(job, lambda read: read.status in (JobStatus.DONE, JobStatus.FAILED))
    finally:
        worker.terminate()
        print(worker.communicate(timeout=30)[0])
    running = [(done, total) for status, done, total in seen if status == JobStatus.RUNNING]
    moving = {done for done, total in running if 0 < done < total}
    assert len(moving) >= 3, seen[-5:]  # several steps seen while it ran
    assert [done for done, _total in running] == sorted(done for done, _total in running)
    assert seen[-1] == (JobStatus.DONE, 1500, 1500)
    assert not Project.objects.exists()  # a preview
