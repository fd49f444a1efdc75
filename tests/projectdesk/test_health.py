"""/healthz, for the load balancer: the database and the broker, each checked, quickly; no login,
no session, no SSL redirect, any Host."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from projectdesk import health
from projectdesk.celery import app
from tests.conftest import service_unavailable

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port nothing listens on: bound for a moment by us, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BROKER_KEYS = (
    "broker_url",
    "broker_read_url",
    "broker_write_url",
    "broker_transport",
    "broker_transport_options",
)


def _set(values: dict) -> None:
    """Celery reads a setting under its prefixed name first (CELERY_BROKER_TRANSPORT_OPTIONS of
    the Django settings), so a change goes in under that name, or it would not be seen."""
    app.conf.update({f"{app.namespace}_{key.upper()}": value for key, value in values.items()})


def use_broker(url: str, options: dict) -> dict:
    """Point the app at another broker (Celery copies the URL into several keys at start and
    keeps connections in pools); returns what was there, for put_back(saved)."""
    saved = {key: app.conf[key] for key in BROKER_KEYS}
    _set(
        {
            "broker_url": url,
            "broker_read_url": url,
            "broker_write_url": url,
            "broker_transport": None,
            "broker_transport_options": options,
        }
    )
    _forget_connections()
    return saved


def put_back(saved: dict) -> None:
    _set(saved)
    _forget_connections()


@pytest.fixture
def broker_away():
    """The app's broker is a Redis server that is not there (a closed port)."""
    saved = use_broker(f"redis://127.0.0.1:{closed_port()}/0", {"socket_connect_timeout": 2})
    yield
    put_back(saved)


class RedisServer:
    """A Redis server of the test's own on a free port, stopped and started again by the test
    (never the shared one): nothing saved to disk, its files in the test's folder."""

    def __init__(self, folder: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server is not installed: no Redis of our own to stop")
        self.command = [
            binary,
            "--port",
            str(closed_port()),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ]
        self.port = int(self.command[2])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = folder / "redis-server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return
            except OSError:
                assert self.process.poll() is None, self.log.read_text()
                time.sleep(0.1)
        pytest.fail("our redis-server did not answer within 15 s\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _forget_connections() -> None:
    """Celery keeps a pool of broker connections and producers, and /healthz remembers a broker
    that failed for a few seconds; the next use makes new ones and asks again."""
    app._pool = None
    app.amqp._producer_pool = None
    health.forget()


def test_it_answers_200_with_each_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert response["Cache-Control"] == "no-store"


def test_it_needs_no_login_sets_no_cookie_and_is_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True  # production: everything else goes to https://
    settings.ALLOWED_HOSTS = ["desk.example.org"]  # the balancer asks by the backend's address
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert not response.cookies
    assert client.get("/admin/login/", HTTP_HOST="desk.example.org").status_code == 301


def test_a_broker_out_of_reach_is_503_within_seconds(client, broker_away):
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["error"]  # the kind of error, never its message
    assert "127.0.0.1" not in response.content.decode()


def test_a_database_that_does_not_answer_is_503(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": response.json()["checks"]["database"]["ms"],
    }
    assert response.json()["checks"]["broker"]["ok"] is True


def probe(client) -> tuple[float, object]:
    started = time.monotonic()
    response = client.get("/healthz")
    return time.monotonic() - started, response


def test_a_broker_that_refuses_is_503_at_once(client, broker_away):
    """Redis stopped: the port refuses. Each probe once waited two seconds (a second attempt
    after kombu's pause), holding a web worker each time."""
    for _ in range(5):
        took, response = probe(client)
        assert response.status_code == 503
        assert response.json()["checks"]["broker"]["ok"] is False
        assert took < 0.5, f"/healthz took {took:.2f} s with the broker refusing"


class SilentServer:
    """A server that accepts connections and never answers (a hung Redis, a half-open link),
    closing each after `hold` seconds so that a client without a timeout is not held for ever."""

    def __init__(self, hold: float = 10):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(50)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.hold, self.done = hold, threading.Event()
        self.thread = threading.Thread(target=self.serve)

    def serve(self) -> None:
        held: list[tuple[socket.socket, float]] = []
        while not self.done.is_set():
            try:
                held.append((self.socket.accept()[0], time.monotonic()))
            except TimeoutError:
                pass
            for accepted, since in list(held):
                if time.monotonic() - since > self.hold:
                    accepted.close()
                    held.remove((accepted, since))
        for accepted, _ in held:
            accepted.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(5)
        self.socket.close()


def test_a_broker_that_does_not_answer_is_503_within_its_timeout_and_a_burst_waits_once(
    client, settings
):
    settings.BROKER_TIMEOUT = 0.5
    with SilentServer() as server:
        saved = use_broker(f"redis://127.0.0.1:{server.port}/0", {})
        try:
            took, response = probe(client)
            assert response.status_code == 503
            assert took < settings.BROKER_TIMEOUT + 1, f"the first probe took {took:.2f} s"
            # The probes that follow within seconds answer at once from what the first saw.
            for _ in range(5):
                took, response = probe(client)
                assert response.status_code == 503
                assert response.json()["checks"]["broker"]["ok"] is False
                assert took < 0.2, f"a later probe took {took:.2f} s"
        finally:
            put_back(saved)
    # Answered again as soon as the broker is back (another URL here: the real one).
    assert client.get("/healthz").status_code == 200


@pytest.mark.slow
@pytest.mark.services
def test_a_failing_broker_is_remembered_for_seconds_only(client, own_redis, monkeypatch):
    """Redis stopped and started again: a burst of probes meanwhile asks it once; a few seconds
    later the broker is asked again and the answer is 200."""
    saved = use_broker(own_redis.url, {})
    try:
        assert client.get("/healthz").status_code == 200
        own_redis.stop()
        assert client.get("/healthz").status_code == 503
        own_redis.start()
        remembered = client.get("/healthz")
        assert remembered.status_code == 503
        assert remembered.json()["checks"]["broker"]["remembered"] is True
        later = time.monotonic() + health.REMEMBER_FAILURE + 0.1
        monkeypatch.setattr(health, "_now", lambda: later)
        assert client.get("/healthz").status_code == 200
    finally:
        put_back(saved)
