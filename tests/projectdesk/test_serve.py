"""`./desk serve` as production runs it: gunicorn with DEBUG off on PostgreSQL and Redis, behind a
TLS-terminating proxy (played here by sending ``X-Forwarded-Proto: https``).

One test, one server: started on a free port against a PostgreSQL database made for it (dropped
after) and Redis, it must answer /healthz, send the security headers, log a person in, open the
admin index, serve static files with hashed names, pass ``check --deploy`` with the same
environment, refuse what production must not run without, and stop with everything it started.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

from tests.conftest import _reachable, service_unavailable
from tests.projectdesk.test_desk_run import alive, command_line, free_port, living_in_session
from tests.projectdesk.test_health import RedisServer
from tests.projectdesk.test_reliability import (
    CELERY_GAVE_UP_AFTER,
    SHORT_RETRY,
    retries_seen,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.services]

BASE = Path(__file__).resolve().parents[2]
DESK = BASE / "desk"
VENV = Path(sys.executable).parent.parent
START_TIMEOUT = 50  # seconds until /healthz answers 200 (checks, migrations, collectstatic)
STOP_TIMEOUT = 40  # seconds for ./desk serve to end after TERM (its own limit is 30 s)
PASSWORD = "Serve-test-pass-2026"

MAKE_OFFICER = f"""
from django.contrib.auth import get_user_model
from zones.models import Role, Zone, ZoneRole
zone = Zone.objects.create(name="部署测试开发区", city="晋中市")
user = get_user_model().objects.create_user("serve-officer", password="{PASSWORD}", is_staff=True)
ZoneRole.objects.create(user=user, zone=zone, role=Role.OFFICER)
"""

REQUEUE_SCHEDULED = """
import time
from django_celery_beat.models import PeriodicTask
from projectdesk.celery import REQUEUE_ENTRY
entry = PeriodicTask.objects.filter(name=REQUEUE_ENTRY, task="approvals.tasks.requeue_jobs")
for _ in range(40):
    if entry.filter(enabled=True, interval__every=60, interval__period="seconds").exists():
        break
    time.sleep(0.5)
print(entry.filter(enabled=True).exists())
"""


def services() -> tuple[str, str]:
    """The PostgreSQL server (a URL of its maintenance database) and the Redis URL to use."""
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        database = "postgres://postgres@127.0.0.1:5432/postgres"
    redis = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/5"
    if not (_reachable(database, 5432) and _reachable(redis, 6379)):
        service_unavailable(
            f"./desk serve needs PostgreSQL ({urlparse(database).netloc}) and Redis "
            f"({urlparse(redis).netloc}); one of them does not answer"
        )
    return database, redis


@pytest.fixture
def served_database() -> str:
    """A database of its own on the PostgreSQL server, dropped after the test."""
    import psycopg

    server, _ = services()
    name = f"serve_test_{os.getpid()}_{secrets.token_hex(3)}"
    maintenance = urlparse(server)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlparse(server)._replace(path=f"/{name}").geturl()
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Served:
    def __init__(self, environment: dict, port: int, log: Path):
        self.env, self.port, self.log = environment, port, log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["bash", str(DESK), "serve"],
                cwd=BASE,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.session = self.process.pid
        self.cookies: dict[str, str] = {}

    def output(self) -> str:
        return "\n--- ./desk serve output ---\n" + self.log.read_text(errors="replace")[-6000:]

    def request(self, method: str, path: str, *, https=True, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        sent = {"Host": f"localhost:{self.port}", **(headers or {})}
        if https:  # as the TLS-terminating proxy forwards it
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        connection.close()
        return response

    def wait_healthy(self) -> dict:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"./desk serve ended ({self.process.returncode})" + self.output())
            try:
                response = self.request("GET", "/healthz", https=False)
            except OSError:
                time.sleep(0.3)
                continue
            if response.status == 200:
                return response
            time.sleep(0.3)
        pytest.fail(f"/healthz did not answer 200 within {START_TIMEOUT} s" + self.output())

    def stop(self) -> int:
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"./desk serve still runs {STOP_TIMEOUT} s after TERM" + self.output())

    def kill_everything(self) -> None:
        try:
            os.killpg(self.session, signal.SIGKILL)
        except OSError:
            pass
        self.process.wait(timeout=10)


def production_environment(database: str, redis: str, tmp_path: Path, port: int) -> dict:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "PYTHONPATH")
        and not k.startswith(("PYTEST", "SECURE_", "SESSION_", "CSRF_"))
    }
    environment.update(
        DATABASE_URL=database,
        REDIS_URL=redis,
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="localhost,127.0.0.1",
        BIND=f"127.0.0.1:{port}",
        WORKERS="1",
        WEB_CONCURRENCY="2",
        PROJECTDESK_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        VENV=str(VENV),
        STOP_TIMEOUT="20",
    )
    return environment


def manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV / "bin" / "python"), "manage.py", *args],
        cwd=BASE,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_runs_production_behind_the_proxy(served_database, tmp_path):
    _, redis = services()
    port = free_port()
    environment = production_environment(served_database, redis, tmp_path, port)
    served = Served(environment, port, tmp_path / "serve.log")
    try:
        health = served.wait_healthy()
        assert '"database": {"ok": true' in health.text and '"broker": {"ok": true' in health.text

        # Plain HTTP (not through the proxy) is sent to HTTPS.
        plain = served.request("GET", "/admin/login/", https=False)
        assert plain.status == 301
        assert plain.getheader("Location") == f"https://localhost:{port}/admin/login/"

        login = served.request("GET", "/admin/login/")
        assert login.status == 200
        headers = login.headers
        assert (
            headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        )
        csp = headers["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self' 'unsafe-eval'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ):
            assert directive in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        csrf_cookie = next(c for c in headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
        assert "Secure" in csrf_cookie

        # Static files: collected with hashed names and served by whitenoise, cached for ever.
        stylesheet = re.search(r'href="(/static/unfold/css/styles\.[0-9a-f]{12}\.css)"', login.text)
        assert stylesheet, "the stylesheet has no hashed name"
        css = served.request("GET", stylesheet.group(1))
        assert css.status == 200 and "immutable" in css.getheader("Cache-Control", "")

        # A person of that database logs in through the proxy and opens the admin index.
        made = manage(environment, "shell", "--no-imports", "-c", MAKE_OFFICER)
        assert made.returncode == 0, made.stderr
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        form = urlencode(
            {"username": "serve-officer", "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        posted = served.request(
            "POST",
            "/admin/login/?next=/admin/",
            body=form,
            headers={"Referer": f"https://localhost:{port}/admin/login/"},
        )
        assert posted.status == 302, posted.text[:2000]
        assert posted.getheader("Location") == "/admin/"
        session_cookie = next(
            c for c in posted.headers.get_all("Set-Cookie") if c.startswith("sessionid=")
        )
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
        index = served.request("GET", "/admin/")
        assert index.status == 200
        assert 'id="dashboard"' in index.text
        assert "serve-officer" in index.text  # the header names who is logged in

        # The served settings pass Django's deployment checks, warnings included.
        checked = manage(environment, "check", "--deploy", "--fail-level", "WARNING")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "System check identified no issues (0 silenced)." in checked.stdout

        # The one beat wrote its entry that sends waiting jobs again into the schedule.
        scheduled = manage(environment, "shell", "--no-imports", "-c", REQUEUE_SCHEDULED)
        assert scheduled.stdout.strip() == "True", scheduled.stdout + scheduled.stderr

        # Everything it started stops with it.
        started = {pid: command_line(pid) for pid in living_in_session(served.session)}
        assert any("gunicorn" in line for line in started.values()), started
        assert sum("celery" in line and " beat" in line for line in started.values()) == 1
        assert served.stop() == 143, served.output()  # ended by TERM, as `./desk run`
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in started):
            time.sleep(0.2)
        left = {pid: line for pid, line in started.items() if alive(pid)}
        assert not left, f"still running after ./desk serve ended: {left}" + served.output()
    finally:
        served.kill_everything()


@pytest.mark.parametrize(
    "change, refusal",
    [
        ({"DATABASE_URL": "sqlite:///var/x.sqlite3"}, "DATABASE_URL 必须指向 PostgreSQL"),
        ({"DATABASE_URL": ""}, "未设置 DATABASE_URL"),
        ({"REDIS_URL": ""}, "未设置 REDIS_URL"),
        ({"SECRET_KEY": ""}, "未设置 SECRET_KEY"),
        ({"SECRET_KEY": "change-me-to-a-long-random-string"}, "SECRET_KEY 不是真正的密钥"),
        ({"ALLOWED_HOSTS": ""}, "未设置 ALLOWED_HOSTS"),
    ],
)
def test_serve_refuses_to_start_without_what_production_needs(tmp_path, change, refusal):
    environment = production_environment(
        "postgres://postgres@127.0.0.1:5432/unused", "redis://127.0.0.1:6379/5", tmp_path, 1
    )
    environment.update(change)
    result = subprocess.run(
        ["bash", str(DESK), "serve"],
        cwd=BASE,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert f"./desk serve 拒绝启动：{refusal}" in result.stderr
    assert not (tmp_path / "static").exists()  # nothing was started


START_JOB = """
from django.db import transaction
from approvals.jobs import services as jobs
from approvals.models import JobKind
with transaction.atomic():
    job = jobs.start(JobKind.RECOUNT_DEADLINES)
print(job.pk)
"""

JOB_STATUS = "from approvals.models import Job; print(Job.objects.get(pk={pk}).status)"


def pid_in(pidfile: Path) -> int | None:
    """The living process a Celery pid file names, if any."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def test_serve_keeps_the_site_up_while_redis_is_away_longer_than_the_retries(
    served_database, tmp_path
):
    """Issue 17, finding 15: Redis away for longer than Celery's hundred attempts (46 minutes at
    its pace, seconds here) once ended the worker, and ./desk serve stopped gunicorn with it."""
    services()
    redis = RedisServer(tmp_path)
    redis.start()
    port = free_port()
    environment = production_environment(served_database, redis.url, tmp_path, port)
    environment["BROKER_RETRY_INTERVAL_MAX"] = SHORT_RETRY
    served = Served(environment, port, tmp_path / "serve.log")
    var = tmp_path / "var"
    try:
        served.wait_healthy()
        worker, beat = wait_for(
            lambda: (
                (w := pid_in(var / "serve-worker.pid"))
                and (b := pid_in(var / "serve-beat.pid"))
                and (w, b)
            ),
            60,
            "the worker's and the beat's pid files",
            served.log,
        )
        wait_for(
            lambda: " ready." in served.log.read_text(errors="replace"),
            60,
            "worker ready",
            served.log,
        )

        redis.stop()  # while the worker is connected
        # Longer than the old limit of attempts: the worker still tries, the site still answers.
        wait_for(
            lambda: (
                served.process.poll() is not None
                or retries_seen(served.log) > CELERY_GAVE_UP_AFTER + 20
            ),
            120,
            "more than a hundred attempts",
            served.log,
        )
        assert served.process.poll() is None, "./desk serve ended" + served.output()
        assert alive(worker) and alive(beat), served.output()
        assert served.request("GET", "/admin/login/").status == 200
        started = time.monotonic()
        health = served.request("GET", "/healthz", https=False)
        assert time.monotonic() - started < 1.5
        assert health.status == 503
        assert '"database": {"ok": true' in health.text and '"broker": {"ok": false' in health.text

        # A job started meanwhile waits in the database.
        made = manage(environment, "shell", "--no-imports", "-c", START_JOB)
        assert made.returncode == 0, made.stderr
        job = int(made.stdout.split()[-1])
        status = manage(environment, "shell", "--no-imports", "-c", JOB_STATUS.format(pk=job))
        assert status.stdout.strip() == "queued", status.stdout + status.stderr

        # A worker or a beat that dies anyway (out of memory, a crash) is started again, and
        # the site stays up.
        os.kill(worker, signal.SIGKILL)
        os.kill(beat, signal.SIGKILL)
        wait_for(
            lambda: (
                served.process.poll() is not None
                or (
                    pid_in(var / "serve-worker.pid") not in (None, worker)
                    and pid_in(var / "serve-beat.pid") not in (None, beat)
                )
            ),
            60,
            "a new worker and beat",
            served.log,
        )
        assert served.process.poll() is None, "./desk serve ended" + served.output()
        assert served.request("GET", "/admin/login/").status == 200

        # Redis is back: healthy again, and the waiting job runs.
        redis.start()
        served.wait_healthy()

        def job_done():
            done = manage(environment, "shell", "--no-imports", "-c", JOB_STATUS.format(pk=job))
            return done.stdout.strip() == "done"

        wait_for(job_done, 90, "the waiting job run", served.log)

        running = {pid: command_line(pid) for pid in living_in_session(served.session)}
        assert sum("celery" in line and " beat" in line for line in running.values()) == 1
        assert served.stop() == 143, served.output()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in running):
            time.sleep(0.2)
        left = {pid: line for pid, line in running.items() if alive(pid)}
        assert not left, f"still running after ./desk serve ended: {left}" + served.output()
    finally:
        served.kill_everything()
        redis.stop()
