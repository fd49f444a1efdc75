"""A write that cannot get the database in time answers "系统繁忙，请稍后重试" (503, Retry-After),
never a bare 500.

"In time": SQLite's "database is locked" after SQLITE_TIMEOUT seconds; PostgreSQL's lock_timeout
and statement_timeout (settings, production block), a deadlock or a serialization failure, and
a server out of connections. Nothing is saved half-way because every write that can meet such an
error runs in a transaction that the error rolls back: the admin's add, change and delete views
and its list editing are atomic, and every other page writes through a service that opens one
(approvals.stages.workflow, problems, checklist, the imports). ATOMIC_REQUESTS is not used: with
SQLite's IMMEDIATE transactions (settings) it would take the file's write lock for every page,
reads included.

The middleware turns the view's error into the page; ``server_error`` (the 500 handler) does the
same for one raised later, e.g. by the session's save on the way out.
"""

from __future__ import annotations

import logging
import sqlite3
import sys

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

logger = logging.getLogger(__name__)

SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# lock_not_available (lock_timeout), query_canceled (statement_timeout), deadlock_detected,
# serialization_failure, too_many_connections.
POSTGRESQL_BUSY = {"55P03", "57014", "40P01", "40001", "53300"}


def is_busy(error: BaseException | None) -> bool:
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        return any(words in str(cause).lower() for words in SQLITE_BUSY)
    return getattr(cause, "sqlstate", None) in POSTGRESQL_BUSY


def busy_response() -> HttpResponse:
    # Rendered without the request: its context processors would ask the busy database.
    response = HttpResponse(render_to_string("busy.html"), status=503)
    response["Retry-After"] = str(settings.BUSY_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class BusyDatabaseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_busy(exception):
            return None
        logger.warning(
            "database busy: %s %s answered 503 (%s)", request.method, request.path, exception
        )
        return busy_response()


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler: a busy database met outside the view is still the busy page."""
    if is_busy(sys.exc_info()[1]):
        return busy_response()
    return defaults.server_error(request)
