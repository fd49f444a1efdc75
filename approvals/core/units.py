"""Amounts of money: stored in 万元 (ten thousand yuan), read in 亿元 (a hundred million yuan).
The one home of the conversion, both ways: the project page (``Project.total_investment_yi``),
the figures (``figures/reports.py``), the exports and the spreadsheet import (``cells.amount``)
all call it.

**One rounding, decimal-exact.** A conversion is a shift of the decimal point by four places
(``Decimal.scaleb``), never a float and never a division, so it loses nothing; its result is then
rounded once, to the stored precision, half to even (``ROUND_HALF_EVEN``):

* The precision is the columns': amounts are stored in 万元 with two decimals (to the hundred
  yuan), which is 0.000001 亿元. So 万元 → 亿元 of a stored amount, or of a sum of stored
  amounts, is exact: six decimals hold every digit, and the rounding never changes a figure.
  Only a figure written with more digits than the columns hold is rounded — an import cell in
  元 ("12,345元" → 1.23 万元) or in 亿元 with more than six decimals.
* Half to even is GB/T 8170-2008's rule for rounding numbers (数值修约规则, "四舍六入五成双"),
  the one Chinese statistics rounds by; it does not bias a sum of many rounded amounts upwards.
  It is also what the import did before this module (Decimal's default), so no amount stored
  so far would be stored otherwise.

The 亿元 figure comes without trailing zeros and never in exponent form (50, 12.3456; not
50.000000 nor 5E+1), so that a page, a spreadsheet cell and a CSV file all show it as written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

#: The one rounding of every conversion (see above).
ROUNDING = ROUND_HALF_EVEN
#: The stored precision: 0.01 万元 (a hundred yuan) …
WAN_PLACES = Decimal("0.01")
#: … which is 0.000001 亿元.
YI_PLACES = Decimal("0.000001")
#: Powers of ten from a unit to 万元, the unit amounts are stored in.
TO_WAN = {"亿元": 4, "万元": 0, "元": -4}


def _decimal(value: Decimal | int | float | str) -> Decimal:
    # A float as it is written (1.5, not its binary expansion 1.5000000000000000000001…).
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def plain(amount: Decimal) -> Decimal:
    """``amount`` without trailing zeros and never in exponent form: 50, 12.3456."""
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.normalize()


def yi(wan: Decimal | int | float | None) -> Decimal | None:
    """万元 as 亿元 (None stays None): exact for any stored amount (see the module)."""
    if wan is None:
        return None
    return plain(_decimal(wan).scaleb(-4).quantize(YI_PLACES, rounding=ROUNDING))


def wan(number: Decimal | int | float | str, unit: str = "万元") -> Decimal:
    """``number`` in ``unit`` (亿元, 万元 or 元) as 万元 to the stored two decimals. Raises
    ``KeyError`` for another unit and ``decimal.InvalidOperation`` for a number too large to
    hold."""
    shifted = _decimal(number).scaleb(TO_WAN[unit])
    return shifted.quantize(WAN_PLACES, rounding=ROUNDING)


def in_unit(wan: Decimal | int | float, unit: str = "万元") -> Decimal:
    """An amount stored in 万元 as a number of ``unit`` (亿元, 万元 or 元), exact: the figure
    as it was written in a column of that unit."""
    return plain(_decimal(wan).scaleb(-TO_WAN[unit]))


#: Investment is read in 亿元 to two decimals everywhere it is shown (domain guide, section 12):
#: the project list, the case file, the dashboard, the reports and the three lists. The figure
#: stored or exported as data keeps every digit (``yi``); only what people read is rounded, once,
#: by the same rule as every conversion (``ROUNDING``).
SHOWN_PLACES = Decimal("0.01")


def yi_shown_number(yi_amount: Decimal | int | float | None) -> Decimal | None:
    """A figure already in 亿元 to the two decimals it is read in (a table cell that stays a
    number, e.g. in a report's .xlsx): 98.2 → Decimal("98.20")."""
    if yi_amount is None:
        return None
    return _decimal(yi_amount).quantize(SHOWN_PLACES, rounding=ROUNDING)


def shown_yi(yi_amount: Decimal | int | float | None, empty: str = "—") -> str:
    """A figure already in 亿元 as people read it: "98.20", "0.13" (``empty`` for none)."""
    number = yi_shown_number(yi_amount)
    return empty if number is None else f"{number:f}"


def shown(wan_amount: Decimal | int | float | None, empty: str = "—") -> str:
    """An amount stored in 万元 as people read it, in 亿元 to two decimals: 504410 → "50.44"."""
    return shown_yi(yi(wan_amount), empty)
