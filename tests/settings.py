"""Test settings: the real settings with a fixed key; the database still comes from DATABASE_URL."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")

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

# Tasks the code queues go to a queue of this test run only: a worker started by a test listens
# there, and no other worker on the same broker (a developer's ./desk run) takes them.
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
