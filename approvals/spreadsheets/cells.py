"""One cell at a time: amounts with their units, dates in every form the zones write (guide
section 12: "6月底", "下旬", "上半年", "三季度", …), project codes and the words for "no code yet",
the words of categories, stages and approval statuses, and names as people type them. Each parser
returns the value or raises ``CellError`` saying what is wrong, in the user's words."""

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

from approvals.cases.project_code import (
    CODE_PATTERN,
    NOT_A_CODE,
    is_project_code,
    normalise_project_code,
)
from approvals.core import units
from approvals.core.dates import EARLIEST, LATEST, end_of_month, parse_partial_date
from approvals.models import Category, ItemStatus, Mode, Stage
from approvals.spreadsheets.reading import is_blank
from zones.models import normalise_name

#: Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_AMOUNT = Decimal("999999999999.99")  # what the 14-digit, 2-decimal columns hold
#: The unit of an amount whose header names none ("总投资" rather than "总投资（亿元）").
DEFAULT_UNIT = "万元"


class CellError(ValueError):
    """A cell that cannot be understood; the message says why."""


def text(value: Any) -> str:
    """A cell as text, trimmed: numbers without a trailing .0, dates as ISO dates."""
    if type(value) is str:  # most cells: asked of 16 cells a row of a 三个一批 list
        return value.strip()
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


#: What 项目代码 cells say for a project whose code is not issued yet (guide section 12);
#: a cell of dashes or slashes alone ("/", "—", "——", "-") says the same.
NO_CODE = frozenset({"待赋码", "暂无", "无", "暂未赋码", "未赋码", "待定", "无代码", "暂无代码"})
_NO_CODE_MARKS = re.compile(r"[-/\\_~‐‑‒–—―−﹣]+")


def project_code(value: Any) -> str:
    """A 项目代码 cell as the code, normalised; "" for an empty cell or one saying the code is
    not issued yet. Raises ``CellError`` for anything else that is no code."""
    if type(value) is str and CODE_PATTERN.fullmatch(value):
        return value  # written as stored already: the usual cell
    word = _word(value if not is_blank(value) else "")
    if not word or word in NO_CODE or _NO_CODE_MARKS.fullmatch(word):
        return ""
    code = normalise_project_code(text(value))
    if not is_project_code(code):
        raise CellError(NOT_A_CODE % {"value": code})
    return code


def amount(value: Any, header_unit: str = "") -> Decimal | None:
    """An amount in 万元, from a number in the header's unit or a text carrying its own
    ("2000万元", "1.5亿元", "1,234.5"); none when the cell is empty."""
    return amount_read(value, header_unit)[0]


def amount_read(value: Any, header_unit: str = "") -> tuple[Decimal | None, str]:
    """``amount`` and the unit it was read in (the cell's own, else the header's): what a
    figure that cannot be right is quoted in."""
    unit = header_unit or DEFAULT_UNIT
    if is_blank(value):
        return None, unit
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
    return result, unit


def date(value: Any, year: int | None = None) -> tuple[dt.date, bool] | None:
    """A date and whether it is approximate (given by month, or by part of a month or of a
    year: then the end of that period, flagged like a month-only plan): a real Excel date, its
    serial number, any text form of ``dates.parse_partial_date``, or the forms zones write for
    a period ("2025年6月底", "6月下旬", "上半年", "年底", "三季度"). A month or a part of a year
    written without its year takes ``year`` (the round's); without one it is an error, and so is
    a year alone ("2025": which day of it?)."""
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
            day, month_only = _period(str(value), year)
        elif parsed[1] == "year":
            raise _year_alone(value)
        else:
            day, month_only = parsed[0], parsed[1] != "day"
    if not EARLIEST <= day <= LATEST:
        raise CellError(
            _("%(value)s is outside the dates accepted (%(earliest)s to %(latest)s).")
            % {"value": day, "earliest": EARLIEST, "latest": LATEST}
        )
    return day, month_only


def _year_alone(value: Any) -> CellError:
    return CellError(
        _(
            "“%(value)s” names only a year: write the month too (e.g. 2025年6月) or the part of the year (2025年底)."
        )
        % {"value": text(value)}
    )


#: The periods zones write instead of a day (guide section 12), with or without a year before
#: them: a month ("6月", "6月份"), its end ("6月底", "6月末"), a third of it ("6月上旬"), a day
#: without its year ("6月15日"), a half ("上半年"), the year's end ("年底", "年末", "年内"), a
#: quarter ("一季度", "第一季度", "1季度"); "…前" ("6月底前") is due at the same end.
_PERIOD = re.compile(
    r"(?:(?P<year>\d{4})[年./-]?)?"
    r"(?:(?P<month>\d{1,2})月(?:(?P<day>\d{1,2})日|(?P<part>份|底|末|上旬|中旬|下旬))?"
    r"|(?P<half>上半年|下半年)"
    r"|(?P<end>年底|年末|年内|底|末|内)"
    r"|第?(?P<quarter>[一二三四1-4])季度)"
    r"前?"
)
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
#: A third of a month: the day it is due by, or None for the month's last day.
_THIRDS = {"上旬": 10, "中旬": 20, "下旬": None}


def _period(value: str, year: int | None) -> tuple[dt.date, bool]:
    """A period as zones write it (``_PERIOD``) → (the day it ends, approximate). 上旬 and 中旬
    are due on the 10th and 20th, which are not the month's end a month-only plan is moved to
    when it is saved (``dates.plan_due``): they are stored as days."""
    match = _PERIOD.fullmatch(re.sub(r"\s", "", unicodedata.normalize("NFKC", value)))
    if match is None or (match["end"] in ("底", "末", "内") and match["year"] is None):
        raise CellError(_("“%(value)s” is not a date.") % {"value": value})
    if match["year"]:
        year = int(match["year"])
    elif year is None:
        raise CellError(
            _(
                "“%(value)s” names no year, and there is no round to take it from: write the "
                "year too (e.g. 2025年6月底)."
            )
            % {"value": value.strip()}
        )
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise CellError(_("“%(value)s” is not a date.") % {"value": value})
        if match["day"]:
            try:
                return dt.date(year, month, int(match["day"])), False
            except ValueError as error:
                raise CellError(_("“%(value)s” is not a date.") % {"value": value}) from error
        third = _THIRDS.get(match["part"] or "")
        if third is not None:
            return dt.date(year, month, third), False
        return end_of_month(dt.date(year, month, 1)), True
    if match["quarter"]:
        return end_of_month(dt.date(year, 3 * _QUARTERS[match["quarter"]], 1)), True
    if match["half"] == "上半年":
        return dt.date(year, 6, 30), True
    return dt.date(year, 12, 31), True


def _date_from_number(value: float) -> tuple[dt.date, bool]:
    """A number in a date column: what people typed that Excel kept as a number — a year
    (2025: an error, which day of it?), a year and month (2025.03: Excel drops the trailing zero of 2025.10, so two digits
    are read as written), a date without separators (20250315) — or a date's serial number."""
    if float(value).is_integer() and EARLIEST.year <= value <= LATEST.year:
        raise _year_alone(value)
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


def offered(words) -> str:
    """The words a template offers, as an error message lists them: what a person is told to
    write is what the drop-down list holds."""
    return "、".join(words)


def _word(value: Any) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(value or "")))


#: Each category's words. The first is the one a blank template offers in its drop-down list
#: (``blanks``); the others are read as well.
CATEGORY_NAMES = {
    Category.SIGN: ("签约一批", "签约", "签约项目", "sign"),
    Category.START: ("开工一批", "开工", "开工项目", "start"),
    Category.PRODUCE: ("投产一批", "投产", "投产项目", "produce"),
}
CATEGORY_WORDS = {word: value for value, words in CATEGORY_NAMES.items() for word in words}
CATEGORY_OFFERED = tuple(words[0] for words in CATEGORY_NAMES.values())


def category(value: Any) -> str:
    word = _word(value)
    if word not in CATEGORY_WORDS:
        raise CellError(
            _("“%(value)s” is not a category: write one of %(words)s.")
            % {"value": value, "words": offered(CATEGORY_OFFERED)}
        )
    return CATEGORY_WORDS[word]


#: The stage words of guide section 8.1, which a blank template offers in its drop-down list
#: (``blanks``), in the order of the stages. A list does not withdraw a project: none is
#: offered for that (the desk's label is still read, below).
STAGE_OFFERED = {
    "储备": Stage.RESERVE,
    "洽谈": Stage.RESERVE,
    "已签约": Stage.SIGNED,
    "具备开工条件": Stage.READY,
    "在建": Stage.UNDER_CONSTRUCTION,
    "已投产": Stage.IN_PRODUCTION,
    "达产达效": Stage.AT_CAPACITY,
    "停缓建": Stage.SUSPENDED,
}
STAGE_WORDS = {
    **STAGE_OFFERED,
    "在谈": Stage.RESERVE,
    "签约": Stage.SIGNED,
    "已开工": Stage.UNDER_CONSTRUCTION,
    "开工": Stage.UNDER_CONSTRUCTION,
    "投产": Stage.IN_PRODUCTION,
    "已达产": Stage.AT_CAPACITY,
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
            _("“%(value)s” is not a stage: write one of %(words)s.")
            % {"value": value, "words": offered(STAGE_OFFERED)}
        )
    return known[word]


#: An approval progress cell's words (guide sections 8.2 and 11): (mode, status or None). The
#: first ones, one for each thing a cell can say, are what a blank template offers in its
#: drop-down list (``blanks``); the others are read as well.
ITEM_OFFERED = {
    "已办结": (Mode.APPROVAL, ItemStatus.APPROVED),
    "办理中": (Mode.APPROVAL, ItemStatus.PREPARING),
    "已受理": (Mode.APPROVAL, ItemStatus.ACCEPTED),
    "容缺受理": (Mode.APPROVAL, ItemStatus.ACCEPTED),  # accepted provisionally
    "未启动": (Mode.APPROVAL, ItemStatus.NOT_STARTED),
    "承诺制": (Mode.COMMITMENT, None),
    "统一服务": (Mode.UNIFIED, None),
    "不涉及": (Mode.NOT_APPLICABLE, None),
}
ITEM_WORDS = {
    **ITEM_OFFERED,
    "办结": (Mode.APPROVAL, ItemStatus.APPROVED),
    "已批复": (Mode.APPROVAL, ItemStatus.APPROVED),
    "承诺": (Mode.COMMITMENT, None),
    "政府统一服务": (Mode.UNIFIED, None),
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
            _("“%(value)s” is not a status: write a date or one of %(words)s.")
            % {"value": value, "words": offered(ITEM_OFFERED)}
        )
    mode, status = ITEM_WORDS[word]
    return mode, status, day, word == "容缺受理"
