"""How django-axes' rows read (``accounts.vendor_apps.LockoutConfig`` puts these in place of their
``__str__``): in Chinese, times in Asia/Shanghai to the minute. axes writes "Attempted Access:
2026-12-06 00:35:25.165757+00:00" — English, in UTC — and its change pages, their titles and
breadcrumbs, and the audit log's records of them show that text."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext


def _moment(value) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i") if value else "—"


def attempt(row) -> str:
    """An AccessAttempt: the failed logins counted for a name from an address."""
    return gettext("Failed logins of %(name)s from %(address)s, last at %(time)s") % {
        "name": row.username or "—",
        "address": row.ip_address or "—",
        "time": _moment(row.attempt_time),
    }


def failure(row) -> str:
    """An AccessFailureLog: one failed login, and whether it locked the name out."""
    text = gettext("Failed login of %(name)s from %(address)s at %(time)s") % {
        "name": row.username or "—",
        "address": row.ip_address or "—",
        "time": _moment(row.attempt_time),
    }
    return text + (gettext(" (locked out)") if row.locked_out else "")


def access(row) -> str:
    """An AccessLog: one login (axes keeps them only with AXES_DISABLE_ACCESS_LOG off)."""
    return gettext("Login of %(name)s at %(time)s") % {
        "name": row.username or "—",
        "time": _moment(row.attempt_time),
    }
