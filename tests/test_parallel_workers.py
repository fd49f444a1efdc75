"""The suite runs in pytest-xdist workers (``./desk test``): each worker's settings give it a
Redis database and a VAR_DIR (file-system broker, progress cache, media) of its own, which the
processes its tests start share with it (tests/settings.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.settings import redis_database_of_worker

PRINT_SETTINGS = """
import json, os
import tests.settings as s
print(json.dumps({
    "var": str(s.VAR_DIR),
    "redis": s.REDIS_URL,
    "broker": s.CELERY_BROKER_URL,
    "broker_folders": sorted(str(v) for k, v in s.CELERY_BROKER_TRANSPORT_OPTIONS.items()
                             if k.endswith("folder") or k.startswith("data_folder")),
    "results": s.CELERY_RESULT_BACKEND,
    "progress": s.CACHES["progress"]["LOCATION"],
    "media": str(s.MEDIA_ROOT),
    "queue": s.CELERY_TASK_DEFAULT_QUEUE,
    "env": {k: os.environ.get(k) for k in ("REDIS_URL", "PROJECTDESK_VAR_DIR")},
}))
"""


def settings_of(**env: str) -> dict:
    """tests.settings as a fresh process with this environment reads them."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "REDIS_URL",
            "PROJECTDESK_VAR_DIR",
            "PYTEST_XDIST_WORKER",
            "PROJECTDESK_TEST_WORKER",
        }
    }
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_redis_database_moves_up_by_the_workers_number():
    assert redis_database_of_worker("redis://127.0.0.1:6379/3", 0) == "redis://127.0.0.1:6379/3"
    assert redis_database_of_worker("redis://127.0.0.1:6379/3", 2) == "redis://127.0.0.1:6379/5"
    assert redis_database_of_worker("redis://127.0.0.1:6379", 1) == "redis://127.0.0.1:6379/1"
    assert (
        redis_database_of_worker("redis://:pw@redis.lan:6380/0", 1)
        == "redis://:pw@redis.lan:6380/1"
    )


@pytest.mark.slow
def test_each_worker_has_a_redis_database_of_its_own():
    gw0 = settings_of(PYTEST_XDIST_WORKER="gw0", REDIS_URL="redis://127.0.0.1:6379/3")
    gw2 = settings_of(PYTEST_XDIST_WORKER="gw2", REDIS_URL="redis://127.0.0.1:6379/3")
    for seen, url in ((gw0, "redis://127.0.0.1:6379/3"), (gw2, "redis://127.0.0.1:6379/5")):
        # the broker, the results and the progress cache, and the processes a test starts
        assert seen["redis"] == seen["broker"] == seen["results"] == seen["progress"] == url
        assert seen["env"]["REDIS_URL"] == url


@pytest.mark.slow
def test_each_worker_has_a_var_folder_of_its_own_removed_at_its_end():
    gw0 = settings_of(PYTEST_XDIST_WORKER="gw0")
    gw1 = settings_of(PYTEST_XDIST_WORKER="gw1")
    assert gw0["broker"] == gw1["broker"] == "filesystem://"
    for seen, worker in ((gw0, "gw0"), (gw1, "gw1")):
        var = Path(seen["var"])
        assert var.name.startswith(f"projectdesk-test-{worker}-")
        assert seen["env"]["PROJECTDESK_VAR_DIR"] == seen["var"]
        assert seen["broker_folders"] and all(
            Path(folder).is_relative_to(var) for folder in seen["broker_folders"]
        )
        assert seen["results"] == f"file://{var / 'celery-broker' / 'results'}"
        assert Path(seen["progress"]).is_relative_to(var)
        assert Path(seen["media"]).is_relative_to(var)
        assert not var.exists()  # the worker removed it as it ended
    assert gw0["var"] != gw1["var"]
    assert gw0["queue"] != gw1["queue"]


@pytest.mark.slow
def test_a_process_a_test_starts_keeps_its_workers_share():
    """A Celery worker of tests.settings started by a test of gw1: it inherits the environment
    its worker set, and changes nothing of it."""
    seen = settings_of(
        PYTEST_XDIST_WORKER="gw1",
        PROJECTDESK_TEST_WORKER="gw1",
        PROJECTDESK_VAR_DIR="/tmp/projectdesk-test-gw1-abc",
        REDIS_URL="redis://127.0.0.1:6379/4",
    )
    assert seen["var"] == "/tmp/projectdesk-test-gw1-abc"
    assert seen["redis"] == seen["env"]["REDIS_URL"] == "redis://127.0.0.1:6379/4"


def test_this_session_runs_as_said(worker_id):
    """Serially nothing changes; in an xdist worker the broker folder is not the project's."""
    if worker_id == "master":
        assert os.environ.get("PROJECTDESK_TEST_WORKER") is None
        return
    assert os.environ["PROJECTDESK_TEST_WORKER"] == worker_id
    var = Path(settings.VAR_DIR)
    assert var.name.startswith(f"projectdesk-test-{worker_id}-") and var.exists()
    assert not var.is_relative_to(Path(settings.BASE_DIR))
