"""The test settings with DEBUG off, as in production: DEBUG would record every query and slow
the very code being timed. The database comes from DATABASE_URL, which ``run.py`` points at its
throw-away database before Django starts."""

import os

os.environ.setdefault("SECRET_KEY", "benchmarks-only-secret-key")

from tests.settings import *  # noqa: E402,F403

DEBUG = False
ALLOWED_HOSTS = ["testserver"]  # the host django.test.Client sends
LOGGING = {"version": 1, "disable_existing_loggers": False}  # no request log lines in the tables
