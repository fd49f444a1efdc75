"""One cell at a time: amounts with their units, dates in every form the zones write, the words
of categories, stages and approval statuses, and names as people type them. Each parser returns
the value or raises ``CellError`` saying what is wrong, in the user's words."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from approvals.core import units
from approvals.core.dates import EARLIEST, LATEST, parse_partial_date
from approvals.models import Category, ItemStatus, Mode, Stage
from approvals.spreadsheets.reading import is_blank
from zones.models import normalise_name

#: Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_AMOUNT = Decimal("999999999999.99")  # what the 14-digit, 2-decimal columns hold


class CellError(ValueError):
    """A cell that cannot be understood; the message says why."""


def text(value: Any) -> str:
    """A cell as text, trimmed: numbers without a trailing .0, dates as ISO dates."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def name_key(value: Any) -> str:
    """Project and enterprise names match after folding full-width characters and dropping
    spaces: "（一期）" and "(一期)" are one project."""
    return normalise_name(str(value or ""))


def display_name(value: Any) -> str:
    """A name as stored: trimmed, runs of spaces made one, full-width brackets kept as written."""
    return " ".join(str(value or "").split())


def amount(value: Any, header_unit: str = "") -> Decimal | None:
    """An amount in 万元, from a number in the header's unit or a text carrying its own
    ("2000万元", "1.5亿元", "1,234.5"); none when the cell is empty."""
    if is_blank(value):
        return None
    unit = header_unit or "万元"
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        written = unicodedata.normalize("NFKC", str(value)).replace(",", "").replace(" ", "")
        match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)(亿元|万元|元|亿|万)?", written)
        if not match:
            raise CellError(_("“%(value)s” is not an amount.") % {"value": value})
        number = Decimal(match.group(1))
        if match.group(2):
            unit = {"亿": "亿元", "万": "万元"}.get(match.group(2), match.group(2))
    if number < 0:
        raise CellError(_("%(value)s is negative: amounts are not.") % {"value": text(value)})
    try:
        result = units.wan(number, unit)
    except InvalidOperation as error:
        raise CellError(_("“%(value)s” is not an amount.") % {"value": value}) from error
    if result > MAX_AMOUNT:
        raise CellError(_("%(value)s is too large an amount.") % {"value": value})
    return result


def date(value: Any) -> tuple[dt.date, bool] | None:
    """A date and whether only its month was given (then the end of that month): a real Excel
    date, its serial number, or any text form of ``dates.parse_partial_date``."""
    if is_blank(value):
        return None
    month_only = False
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        day, month_only = _date_from_number(value)
    else:
        parsed = parse_partial_date(str(value))
        if parsed is None:
            raise CellError(_("“%(value)s” is not a date.") % {"value": value})
        day, precision = parsed
        month_only = precision != "day"
    if not EARLIEST <= day <= LATEST:
        raise CellError(
            _("%(value)s is outside the dates accepted (%(earliest)s to %(latest)s).")
            % {"value": day, "earliest": EARLIEST, "latest": LATEST}
        )
    return day, month_only


def _date_from_number(value: float) -> tuple[dt.date, bool]:
    """A number in a date column: what people typed that Excel kept as a number — a year
    (2025), a year and month (2025.03: Excel drops the trailing zero of 2025.10, so two digits
    are read as written), a date without separators (20250315) — or a date's serial number."""
    if float(value).is_integer() and EARLIEST.year <= value <= LATEST.year:
        return dt.date(int(value), 12, 31), True
    if EARLIEST.year <= value < LATEST.year + 1:
        year = int(value)
        month = round((value - year) * 100)
        if 1 <= month <= 12:
            return dt.date(year, month, calendar.monthrange(year, month)[1]), True
    if float(value).is_integer() and 19_900_101 <= value <= 21_001_231:
        written = str(int(value))
        try:
            return dt.date(int(written[:4]), int(written[4:6]), int(written[6:])), False
        except ValueError:
            pass
    if not 1 <= value <= 2_958_465 or EARLIEST.year <= value < LATEST.year + 1:
        raise CellError(_("%(value)s is not a date.") % {"value": value})
    return EXCEL_EPOCH + dt.timedelta(days=int(value)), False


def _word(value: Any) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value or "")))


CATEGORY_WORDS = {
    **{w: Category.SIGN for w in ("签约", "签约一批", "签约项目", "sign")},
    **{w: Category.START for w in ("开工", "开工一批", "开工项目", "start")},
    **{w: Category.PRODUCE for w in ("投产", "投产一批", "投产项目", "produce")},
}


def category(value: Any) -> str:
    word = _word(value)
    if word not in CATEGORY_WORDS:
        raise CellError(
            _("“%(value)s” is not a category: write 签约, 开工 or 投产.") % {"value": value}
        )
    return CATEGORY_WORDS[word]


STAGE_WORDS = {
    "储备": Stage.RESERVE,
    "洽谈": Stage.RESERVE,
    "在谈": Stage.RESERVE,
    "已签约": Stage.SIGNED,
    "签约": Stage.SIGNED,
    "具备开工条件": Stage.READY,
    "在建": Stage.UNDER_CONSTRUCTION,
    "已开工": Stage.UNDER_CONSTRUCTION,
    "开工": Stage.UNDER_CONSTRUCTION,
    "已投产": Stage.IN_PRODUCTION,
    "投产": Stage.IN_PRODUCTION,
    "达产达效": Stage.AT_CAPACITY,
    "已达产": Stage.AT_CAPACITY,
    "停缓建": Stage.SUSPENDED,
    "停建": Stage.SUSPENDED,
    "缓建": Stage.SUSPENDED,
    **{s.value: s.value for s in Stage},
}


@cache
def _stage_words(language: str | None) -> dict[str, str]:
    """The words above and the desk's labels in one language (made once: a 10,000-row list
    asks 10,000 times)."""
    return {**{_word(str(s.label)): s.value for s in Stage}, **STAGE_WORDS}


def stage(value: Any) -> str:
    """A stage as lists write it, or as the desk names it (an exported list reads back in)."""
    word = _word(value)
    known = _stage_words(get_language())
    if word not in known:
        raise CellError(
            _(
                "“%(value)s” is not a stage: write 储备, 洽谈, 已签约, 具备开工条件, 在建, 已投产, 达产达效 or 停缓建."
            )
            % {"value": value}
        )
    return known[word]


#: An approval progress cell (guide sections 8.2 and 11): (mode, status or None).
ITEM_WORDS = {
    "已办结": (Mode.APPROVAL, ItemStatus.APPROVED),
    "办结": (Mode.APPROVAL, ItemStatus.APPROVED),
    "已批复": (Mode.APPROVAL, ItemStatus.APPROVED),
    "办理中": (Mode.APPROVAL, ItemStatus.PREPARING),
    "已受理": (Mode.APPROVAL, ItemStatus.ACCEPTED),
    "容缺受理": (Mode.APPROVAL, ItemStatus.ACCEPTED),
    "未启动": (Mode.APPROVAL, ItemStatus.NOT_STARTED),
    "承诺": (Mode.COMMITMENT, None),
    "承诺制": (Mode.COMMITMENT, None),
    "统一服务": (Mode.UNIFIED, None),
    "政府统一服务": (Mode.UNIFIED, None),
    "不涉及": (Mode.NOT_APPLICABLE, None),
    "/": (Mode.NOT_APPLICABLE, None),
    "-": (Mode.NOT_APPLICABLE, None),
    "—": (Mode.NOT_APPLICABLE, None),
    "——": (Mode.NOT_APPLICABLE, None),
    "－": (Mode.NOT_APPLICABLE, None),
}
_WORD_AND_DATE = re.compile(r"^(?P<word>[^\d]*?)[\s(（]*(?P<date>\d{4}.*?)[)）]?$")


def approval_cell(value: Any) -> tuple[str, str | None, dt.date | None, bool] | None:
    """(mode, status, date, provisional) for one cell of a progress table; None when empty. A
    date alone means approved on that date; a word may carry a date ("已受理（2025.3.1）")."""
    if is_blank(value):
        return None
    if isinstance(value, dt.date | int | float) and not isinstance(value, bool):
        day = date(value)
        return Mode.APPROVAL, ItemStatus.APPROVED, day[0] if day else None, False
    written = str(value).strip()
    word, day = _word(written), None
    match = _WORD_AND_DATE.match(unicodedata.normalize("NFKC", written))
    if match and match.group("date"):
        word = _word(match.group("word"))
        parsed = date(match.group("date").strip())
        day = parsed[0] if parsed else None
        if not word:
            return Mode.APPROVAL, ItemStatus.APPROVED, day, False
    if word not in ITEM_WORDS:
        raise CellError(
            _(
                "“%(value)s” is not a status: write a date, 已办结, 办理中, 已受理, 容缺受理, "
                "未启动, 承诺, 统一服务 or 不涉及."
            )
            % {"value": value}
        )
    mode, status = ITEM_WORDS[word]
    return mode, status, day, word == "容缺受理"
