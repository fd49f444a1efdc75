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

from .factories import ProjectFactory
from .services import database_url, worker_command

pytestmark = pytest.mark.django_db(transaction=True)


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
    with pytest.raises(CommandError, match="no Celery worker answered"):
        call_command("check_worker", "--timeout", "1", "--queue", queue)
