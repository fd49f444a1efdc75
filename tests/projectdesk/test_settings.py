"""Settings from the environment: safe defaults, and a clear error where one is unsafe."""

import ast
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import global_settings, settings

import projectdesk.settings

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


# --- the settings package (issue 18) ---
PACKAGE = Path(projectdesk.settings.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
# What changes a dict or list in place: a setting changed after its assignment is assigned twice.
IN_PLACE = {"update", "setdefault", "append", "extend", "insert", "pop", "remove", "clear"}


def written_names(node: ast.AST):
    """The names an assignment target writes: CACHES["progress"] = ... writes CACHES."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from written_names(element)
    elif isinstance(node, ast.Starred | ast.Subscript | ast.Attribute):
        yield from written_names(node.value)


def settings_written(module: Path) -> list[str]:
    """Each setting (an upper-case name) the module assigns or changes in place, once for each
    place that does it (an if and its else count apart)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names.extend(written_names(target))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            names.extend(written_names(node.target))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in IN_PLACE
        ):
            names.extend(written_names(node.func.value))
    return [name for name in names if name.isupper()]


def test_each_setting_is_assigned_once_in_the_whole_package():
    places = Counter(name for module in MODULES for name in settings_written(module))
    assert settings_written(PACKAGE / "desk.py"), "the check reads nothing"
    assert {name: n for name, n in places.items() if n > 1} == {}


def test_the_environment_has_one_reader():
    readers = [m.name for m in MODULES if "environ.Env(" in m.read_text(encoding="utf-8")]
    assert readers == ["environment.py"]


# Prefixes of the settings the libraries read (django-axes, Celery, django-csp, django-otp, ...).
LIBRARIES = (
    "AXES_",
    "CELERY_",
    "CONTENT_SECURITY_POLICY",
    "OTP_",
    "REST_FRAMEWORK",
    "SIMPLE_HISTORY_",
    "SOLO_",
    "SPECTACULAR_",
)
# Django's settings: those with a default, two that have none, and django-unfold's one.
DJANGO = {name for name in dir(global_settings) if name.isupper()} | {
    "ROOT_URLCONF",
    "EMAIL_FILE_PATH",
    "UNFOLD",
}


def test_the_desks_own_knobs_are_all_in_desk_py():
    """base, security and worker set Django's and the libraries' settings only; desk.py none."""
    elsewhere = {
        module.name: [
            name
            for name in settings_written(module)
            if name not in DJANGO and not name.startswith(LIBRARIES + ("_",))
        ]
        for module in MODULES
        if module.name not in {"desk.py", "environment.py"}
    }
    assert elsewhere == {"__init__.py": [], "base.py": [], "security.py": [], "worker.py": []}
    assert [name for name in settings_written(PACKAGE / "desk.py") if name in DJANGO] == []


def test_each_desk_knob_says_what_it_does_on_the_line_above():
    desk = PACKAGE / "desk.py"
    lines = desk.read_text(encoding="utf-8").splitlines()
    knobs = [
        node
        for node in ast.parse("\n".join(lines)).body
        if isinstance(node, ast.Assign) and node.targets[0].id.isupper()
    ]
    assert len(knobs) > 30
    silent = [k.targets[0].id for k in knobs if not lines[k.lineno - 2].startswith("# ")]
    assert silent == []


@pytest.mark.django_db
def test_the_database_checks_say_nothing_a_newcomer_reads_in_english():
    """`./desk run` migrates SQLite: the colour counts' covering index (PostgreSQL keeps its
    INCLUDE columns, SQLite cannot) made Django print models.W040 in English there. Silenced on
    SQLite only; on PostgreSQL nothing is silenced."""
    from django.core import checks

    found = [m for m in checks.run_checks(databases=["default"]) if not m.is_silenced()]
    assert found == []
    sqlite = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.SILENCED_SYSTEM_CHECKS == (["models.W040"] if sqlite else [])
