"""``/healthz`` for the load balancer: can this process reach the database and the broker?

Answered by a middleware placed first, before Django's SecurityMiddleware: the balancer probes
each backend over plain HTTP, often with its address as the Host, so the probe must pass by the
SSL redirect and the ALLOWED_HOSTS check; it needs no session, no language and no login either.
Each check has a short timeout, so a hung service makes the answer 503 within seconds instead of
holding the probe; a broker that failed is remembered for a few seconds, so that a burst of
probes does not wait for it again each time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

PATH = "/healthz"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# A broker that failed is remembered for so many seconds: the probes of a burst (a balancer
# asks every few seconds, several balancers at once) answer 503 from it instead of each waiting
# for the broker again. Only failures: a broker that answers is asked every time.
REMEMBER_FAILURE = 5.0
_now = time.monotonic
_broker_failures: dict[str, tuple[float, str]] = {}  # broker URL -> (until, kind of error)


class Remembered(Exception):
    """The broker failed less than REMEMBER_FAILURE seconds ago, with this kind of error."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def forget() -> None:
    _broker_failures.clear()


def check_broker() -> None:
    """Reach the broker through Celery's own connection settings (kombu): Redis answers a PING;
    the embedded file-system broker only needs its folders. One attempt, each socket operation
    bounded by BROKER_TIMEOUT (kombu would wait 2 s and try again, and a Redis that accepts and
    never answers would hold the probe for as long as its socket timeout)."""
    from projectdesk.celery import app

    url = str(app.conf.broker_write_url)
    until, kind = _broker_failures.get(url, (0.0, ""))
    if _now() < until:
        raise Remembered(kind)
    timeout = settings.BROKER_TIMEOUT
    bounded = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    try:
        with app.connection_for_write(
            connect_timeout=timeout,
            transport_options=bounded if url.startswith(("redis://", "rediss://")) else None,
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            client = getattr(conn.default_channel, "client", None)
            if client is not None:  # Redis
                client.ping()
    except Exception as error:
        _broker_failures[url] = (_now() + REMEMBER_FAILURE, type(error).__name__)
        raise
    _broker_failures.pop(url, None)


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "broker": check_broker}


def run_checks() -> tuple[bool, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.monotonic()
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure is the answer
            # The kind of error only: its message may name hosts and users.
            results[name] = {"ok": False, "error": type(error).__name__}
            if isinstance(error, Remembered):
                results[name].update(error=error.kind, remembered=True)
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return all(r["ok"] for r in results.values()), results


def healthz(request: HttpRequest) -> HttpResponse:
    healthy, checks = run_checks()
    response = JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
