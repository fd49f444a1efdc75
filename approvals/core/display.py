"""How values read on the pages: one place for the time zone people read times in."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone


def local_time(value: dt.datetime | None) -> str:
    """A stored (UTC) moment as people in the zones read it: Asia/Shanghai, to the minute."""
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
