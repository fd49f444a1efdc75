"""How values read on the pages, one home each (domain guide, section 12: "dates written one way
(2026-12-06) in tables and 2026年12月6日 in sentences"): the time zone people read times in, a
day in a table or a list, a day in a sentence. Tables, lists, filters, exports and the case
file's fields call ``day`` (the admin's own date display agrees: ``projectdesk/formats``);
messages, the import preview's per-row text, reminders and the dashboard's sentences call
``day_in_words``. Investment in 亿元 reads through ``units.shown_yi``."""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, formats, timezone

#: A day in a table or a list: 2026-12-06 (sorts as text, one width in a column).
TABLE_DAY = "Y-m-d"
#: A day in a sentence, as Chinese prose writes it: 2026年12月6日 (no leading zeros).
SENTENCE_DAY = "Y年n月j日"


def local_time(value: dt.datetime | None) -> str:
    """A stored (UTC) moment as people in the zones read it: Asia/Shanghai, to the minute."""
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def _as_day(value: dt.date | dt.datetime) -> dt.date:
    # A moment is read on the day it was in Asia/Shanghai, not in UTC.
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def day(value: dt.date | dt.datetime | None, empty: str = "—") -> str:
    """A day in a table, a list, a filter or an export's text: 2026-12-06 (``empty`` for none)."""
    if value is None:
        return empty
    return dateformat.format(_as_day(value), TABLE_DAY)


def day_in_words(value: dt.date | dt.datetime | None, empty: str = "—") -> str:
    """A day in a sentence: 2026年12月6日 (``empty`` for none)."""
    if value is None:
        return empty
    return dateformat.format(_as_day(value), SENTENCE_DAY)


#: The ends of a full sentence, and what may trail a clause (stripped before joining, so that
#: two messages never meet as "。；" or "；；").
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", ".")
_CLAUSE_TRAIL = "；;，,、 \n"


def sentences(parts) -> str:
    """Messages (reasons a change is refused, a form's errors, gates) as one text: a full
    sentence is kept with its own "。" and the next follows it directly, clauses without an end
    are joined by "；", and the text ends with "。" when one of them was a full sentence:
    "…可执行于：已投产。" and "已有待审批的申请：…" read "…可执行于：已投产。已有待审批的申请：…。",
    never "…已投产。；已有…". Empty parts are left out."""
    clauses = [str(part).strip().rstrip(_CLAUSE_TRAIL) for part in parts]
    clauses = [clause for clause in clauses if clause]
    if not clauses:
        return ""
    text = clauses[0]
    for clause in clauses[1:]:
        text += clause if text.endswith(_SENTENCE_ENDS) else "；" + clause
    full = any(clause.endswith(_SENTENCE_ENDS) for clause in clauses)
    return text + "。" if full and not text.endswith(_SENTENCE_ENDS) else text
