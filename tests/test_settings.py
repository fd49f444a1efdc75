"""Settings from the environment: safe defaults, and a clear error where one is unsafe."""

import os
import subprocess
import sys

from django.conf import settings

PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG)"
)


def run_with(env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="projectdesk.settings")
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_missing_secret_key_without_debug_is_a_clear_startup_error():
    result = run_with({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_nothing_set_but_debug_means_sqlite_and_a_serverless_broker():
    result = run_with({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://", "True"]


def test_debug_is_off_unless_asked_for():
    result = run_with({"SECRET_KEY": "x" * 50})
    assert result.stdout.split()[-1] == "False"


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    result = run_with(
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/projectdesk",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
        }
    )
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/3",
        "False",
    ]


def test_a_malformed_debug_value_fails_loudly():
    result = run_with({"DEBUG": "perhaps", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a yes/no value" in result.stderr


CONNECTION_PARAMETERS = (
    "import django; django.setup(); from django.db import connection; "
    "p = connection.get_connection_params(); "
    "print(p.get('timeout'), p.get('connect_timeout'), repr(p.get('options')))"
)


def connection_parameters_with(env: dict) -> list[str]:
    """What the default connection would be opened with (nothing is connected)."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="projectdesk.settings")
    result = subprocess.run(
        [sys.executable, "-c", CONNECTION_PARAMETERS],
        env=clean,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split(" ", 2)


def test_sqlite_waits_sqlite_timeout_seconds_for_the_write_lock():
    assert connection_parameters_with({"DEBUG": "1"})[0] == "20"
    assert connection_parameters_with({"DEBUG": "1", "SQLITE_TIMEOUT": "3"})[0] == "3"


def test_sqlite_timeout_wins_over_one_in_the_database_url():
    parameters = connection_parameters_with(
        {"DEBUG": "1", "SQLITE_TIMEOUT": "4", "DATABASE_URL": "sqlite:////tmp/x.sqlite3?timeout=9"}
    )
    assert parameters[0] == "4"


def test_postgresql_connects_with_jit_off_and_bounded_waits():
    url = "postgres://postgres@127.0.0.1:5432/projectdesk"
    assert connection_parameters_with({"SECRET_KEY": "x" * 50, "DATABASE_URL": url}) == [
        "None",
        "5",
        "'-c jit=off -c lock_timeout=5s -c statement_timeout=30s'",
    ]
    assert (
        connection_parameters_with(
            {"DEBUG": "1", "DATABASE_URL": url, "DATABASE_LOCK_TIMEOUT": "2s"}
        )[2]
        == "'-c jit=off -c lock_timeout=2s -c statement_timeout=0'"
    )
