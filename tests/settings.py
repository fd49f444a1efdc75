"""Test settings: the real settings with a fixed key; the database still comes from DATABASE_URL."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key")

from projectdesk.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "zh-hans"

# A file, not memory, so that a real Celery worker process in a test can open the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-projectdesk.sqlite3")}  # noqa: F405
