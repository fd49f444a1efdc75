"""Named people of the guide's roles, in two zones, and the real services.

alice is an officer of 晋中开发区, bob its supervisor, lily its leader and stan its statistician;
charlie is an officer of 祁县开发区 and must not see 晋中's projects.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest
from django.db import connection

from tests.factories import ProjectFactory, UserFactory, ZoneFactory, ZoneRoleFactory
from zones.models import Role

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_sessionstart(session) -> None:
    if REQUIRE_SERVICES and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("REQUIRE_SERVICES=1 needs DATABASE_URL pointing at PostgreSQL")


# --- the suite on another day ----------------------------------------------------------------
#: PROJECTDESK_TEST_TODAY=YYYY-MM-DD runs the session as if today were that day (a Saturday, an
#: official holiday: the suite must pass on any day), from 09:00 Beijing time, the clock
#: ticking. Tests that freeze their own clock still do (time-machine nests); processes a test
#: starts (workers, servers) keep the machine's clock.
TEST_TODAY = os.environ.get("PROJECTDESK_TEST_TODAY", "")
_travel = None


def pytest_configure(config) -> None:
    global _travel
    if not TEST_TODAY:
        return
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    try:
        day = dt.date.fromisoformat(TEST_TODAY)
    except ValueError as error:
        raise pytest.UsageError(f"PROJECTDESK_TEST_TODAY={TEST_TODAY!r}: not YYYY-MM-DD") from error
    nine = dt.datetime.combine(day, dt.time(9), tzinfo=ZoneInfo("Asia/Shanghai"))
    _travel = time_machine.travel(nine, tick=True)
    _travel.start()


def pytest_unconfigure(config) -> None:
    if _travel is not None:
        _travel.stop()


def pytest_report_header(config) -> str | None:
    if TEST_TODAY:
        return f"PROJECTDESK_TEST_TODAY: the session runs on {TEST_TODAY} (from 09:00 Beijing)"
    return None


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def service_unavailable(why: str):
    """Skip with the reason, or fail where the services are required (CI)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{why} (REQUIRE_SERVICES=1)")
    pytest.skip(why)


def documents_required_as_migrated(alias: str) -> None:
    """The documents each stage change needs, as migration 0031 writes them. Every hand request
    reads them, so a test after a transactional one (whose flush empties every table) finds
    them as any other test does, not a database where nothing is required."""
    import importlib

    from django.apps import apps

    from approvals.models import EvidenceRequirement

    if not EvidenceRequirement.objects.using(alias).exists():
        importlib.import_module("approvals.migrations.0031_required_documents").load(apps, None)


@pytest.fixture(autouse=True, scope="session")
def flush_through_the_audit_purge_switch():
    """A transactional test (``transactional_db``, ``live_server``) ends with a flush of every
    table — TRUNCATE on PostgreSQL, DELETE on SQLite — which the audit table's triggers refuse
    (issue 17). The flush's statements, and only they, run inside the one sanctioned switch;
    what the code under test may do on its connection is unchanged. After the flush the
    documents each stage change needs are written back (``documents_required_as_migrated``)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from approvals.audit.models import audit_purge_switch

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with audit_purge_switch(using=self.connection.alias):
            flush(self, sql_list)
        documents_required_as_migrated(self.connection.alias)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BaseDatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        service_unavailable("REDIS_URL is not set: no Redis server to test against")
    if not _reachable(url, 6379):
        service_unavailable(f"Redis at {url} does not answer")
    return url


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        service_unavailable("this test needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def catalogue(db) -> None:
    """The approval catalogue as its migration loads it. A transactional test ends with a
    flush of every table, so a test after another one would otherwise find it empty."""
    import importlib

    from django.apps import apps

    from approvals.models import ApprovalType

    importlib.import_module("approvals.migrations.0003_approval_catalogue").load(apps, None)
    assert ApprovalType.objects.filter(is_active=True).count() == 21


@pytest.fixture
def celery_inline():
    """Tasks queued by the code run at once, in this process. For tests of what a task does;
    that a real worker receives them through the broker is tested in
    tests/jobs/test_celery_worker.py."""
    from projectdesk.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def as_user(client):
    """The test client, logged in as the given person."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def cache_cleared():
    """Each test starts with an empty cache: on SQLite a rolled-back test gives its ids out
    again, so the dashboard's key of a later test (a state of the data named by its latest
    ids) could name an earlier test's figures; and django-solo keeps the warning thresholds
    there, which neither the rollback nor the flush between tests undoes, so every test reads
    the guide's defaults unless it sets its own."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def zone(db):
    return ZoneFactory(name="综改区晋中开发区", aliases="晋中开发区", city="晋中市")


@pytest.fixture
def other_zone(db):
    return ZoneFactory(name="祁县经济开发区", aliases="祁县经开区", city="晋中市")


def _person(username: str, name: str, zone, role: str):
    user = UserFactory(username=username, first_name=name)
    ZoneRoleFactory(user=user, zone=zone, role=role)
    return user


@pytest.fixture
def alice(zone):
    return _person("alice", "艾丽", zone, Role.OFFICER)


@pytest.fixture
def bob(zone):
    return _person("bob", "鲍勃", zone, Role.SUPERVISOR)


@pytest.fixture
def lily(zone):
    return _person("lily", "莉莉", zone, Role.LEADER)


@pytest.fixture
def stan(zone):
    return _person("stan", "斯坦", zone, Role.STATISTICIAN)


@pytest.fixture
def charlie(other_zone):
    return _person("charlie", "查理", other_zone, Role.OFFICER)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def project(zone):
    return ProjectFactory(zone=zone, name="大恒能源7GW光伏垂直一体化项目", total_investment=500000)


@pytest.fixture
def other_project(other_zone):
    return ProjectFactory(zone=other_zone, name="碳基新材料产业园项目")


@pytest.fixture
def never_read(monkeypatch):
    """Fails the test if the workbook reader is even started: refusals of a file come first."""
    from approvals.spreadsheets import reading

    class NotToBeOpened:
        @staticmethod
        def from_filelike(*args, **kwargs):
            raise AssertionError("the file was opened for reading before it was refused")

    monkeypatch.setattr(reading.python_calamine, "CalamineWorkbook", NotToBeOpened)
