"""/healthz, for the load balancer: the database and the broker, each checked, quickly; no login,
no session, no SSL redirect, any Host."""

from __future__ import annotations

import socket
import time

import pytest
from django.db import OperationalError, connection

from projectdesk.celery import app

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


def use_broker(url: str, options: dict) -> dict:
    """Point the app at another broker (Celery copies the URL into several keys at start and
    keeps connections in pools); returns what was there, for use_broker(**saved) back."""
    saved = {key: app.conf[key] for key in BROKER_KEYS}
    app.conf.update(
        broker_url=url,
        broker_read_url=url,
        broker_write_url=url,
        broker_transport=None,
        broker_transport_options=options,
    )
    _forget_connections()
    return saved


def put_back(saved: dict) -> None:
    app.conf.update(saved)
    _forget_connections()


@pytest.fixture
def broker_away():
    """The app's broker is a Redis server that is not there (a closed port)."""
    saved = use_broker(f"redis://127.0.0.1:{closed_port()}/0", {"socket_connect_timeout": 2})
    yield
    put_back(saved)


def _forget_connections() -> None:
    """Celery keeps a pool of broker connections and producers; the next use makes new ones."""
    app._pool = None
    app.amqp._producer_pool = None


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
