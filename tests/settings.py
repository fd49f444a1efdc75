"""Test settings: the real settings with a fixed key; the database still comes from DATABASE_URL."""

import atexit
import os
import shutil
import tempfile
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")
# The channels' secrets (issue 23) encrypted with a fixed key of the tests' own (a Fernet key).
os.environ.setdefault("CHANNEL_SECRET_KEY", "dGVzdHMtb25seS1jaGFubmVsLWtleS0zMi1ieXRlcyE=")


def redis_database_of_worker(url: str, number: int) -> str:
    """REDIS_URL with its database number moved up by the xdist worker's number (gw0 keeps it)."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{base + number}").geturl()


# --- one xdist worker's own share of the services (issue 18) --------------------------------------
# `./desk test` runs the suite in pytest-xdist worker processes (PYTEST_XDIST_WORKER=gw0, gw1, ...).
# Each has its own test database (pytest-django suffixes its name with the worker's) and its own
# Celery queue (CELERY_TASK_DEFAULT_QUEUE below, named after its pid). What the project's settings
# read from the environment is made the worker's own here, before they read it: VAR_DIR, a
# temporary folder (the embedded file-system broker with its control messages and results, the
# progress cache, media, mail), and REDIS_URL, the next Redis database up per worker (the broker's
# bindings and control messages, results and the progress cache, whose keys are job ids that each
# worker's database gives out again). Both stay in the environment, so a process a test starts with
# it (a Celery worker of tests.settings, ./desk serve) shares its worker's; such a process finds
# PROJECTDESK_TEST_WORKER set and changes nothing. Redis has 16 databases unless configured: with
# REDIS_URL's database d, up to 16 - d workers.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("PROJECTDESK_TEST_WORKER") != _worker:
    os.environ["PROJECTDESK_TEST_WORKER"] = _worker
    _var = tempfile.mkdtemp(prefix=f"projectdesk-test-{_worker}-")
    atexit.register(shutil.rmtree, _var, ignore_errors=True)
    os.environ["PROJECTDESK_VAR_DIR"] = _var
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_database_of_worker(
            os.environ["REDIS_URL"], int(_worker.removeprefix("gw"))
        )

from projectdesk.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"

# A file, not memory, so that a real Celery worker process in a test can open the same database;
# one per test run, so that two runs on one machine do not flush each other's data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"projectdesk-test-{os.getpid()}.sqlite3")
    }

# Tasks the code queues go to a queue of this test process only (a run, or one xdist worker of
# it): a worker started by a test listens there, and no other worker on the same broker (another
# xdist worker's, a developer's ./desk run) takes them.
CELERY_TASK_DEFAULT_QUEUE = f"projectdesk-test-{os.getpid()}"

# Authentication controls (issue 12) stay out of the other tests' way:
# tests/accounts/test_authentication.py switches each on. No second factor; no lockout (which also
# refuses `authenticate()` without a request, as tests of commands call it).
REQUIRE_2FA = False
AXES_ENABLED = False

# The production block with DEBUG off, but for what a test process cannot have (issue 12): the
# test client and the live server speak plain HTTP with no proxy in front (the redirect is tested
# through gunicorn in tests/projectdesk/test_serve.py), and nothing ran collectstatic for
# whitenoise's manifest.
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = True  # from the apps' folders, as runserver

# --- audit and administrators (issue 12) ---
# The tests' superusers play the embedded demo's `admin` (DEBUG is off under pytest-django);
# tests/access/test_admin_roles.py turns this off to see a superuser flag grant nothing.
SUPERUSER_POWERS = True
