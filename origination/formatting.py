"""How pages and exports write numbers and dates for people: CNY amounts, percentages, basis points, large CNY
amounts in the unit of the reader's language, days and moments.

One place for every page, template filter (origination/templatetags/dataabs_format.py) and export that writes
a figure for a reader; machine-readable columns of CSV exports and API fields stay raw numbers.

Rules shared by every function here:

- Decimal in (int and float accepted: the engines pass floats, read through their shortest repr, so 0.1 is 0.1;
  a numeric string is read as a Decimal), str out.
- A missing value (None) is written "—" (MISSING), as the pages show it; so is a NaN or an infinite value.
- Rounding is half up (四舍五入), as financial documents round: 0.125 at two decimals is 0.13.
- A value that rounds to zero has no sign: never "-0.00 %".
- Numbers are written alike in every language (1,234,567.50): Chinese financial documents group by thousands
  with commas too. Only cny_scaled's unit depends on the language, taken from get_language().
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

MISSING = "—"

Number = Decimal | int | float | str

_YI = Decimal(10) ** 8  # 1 亿 = 100 million
_WAN = Decimal(10) ** 4  # 1 万 = 10 thousand
_BILLION = Decimal(10) ** 9
_MILLION = Decimal(10) ** 6


def _decimal(value: Number) -> Decimal | None:
    """The value as a Decimal; None for a NaN or an infinity (written as missing). TypeError for a non-number."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number to display")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, numbers.Integral):  # int, and numpy's integers
        number = Decimal(int(value))
    elif isinstance(value, numbers.Real):  # float, and numpy's floats
        as_float = float(value)
        if not math.isfinite(as_float):
            return None
        number = Decimal(repr(as_float))
    elif isinstance(value, str):
        number = Decimal(value.strip())  # InvalidOperation (an ArithmeticError) when it is not a number
    else:
        raise TypeError(f"{type(value).__name__} is not a number to display")
    return number if number.is_finite() else None


def _fixed(number: Decimal, digits: int, *, signed: bool = False) -> str:
    """`number` rounded half up to `digits` decimals, grouped by thousands, never '-0'."""
    rounded = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # -0.00 -> 0.00
    return f"{rounded:{'+' if signed else ''},.{digits}f}"


def money(value: Number | None, digits: int = 2) -> str:
    """An amount in CNY with thousands separators and two decimals, in every language: 1234567.5 -> '1,234,567.50'.

    Without the currency: the page's column head or sentence says CNY. `digits=0` writes whole yuan.
    """
    number = None if value is None else _decimal(value)
    return MISSING if number is None else _fixed(number, digits)


def percent(fraction: Number | None, digits: int = 2) -> str:
    """A fraction as a percentage: 0.0204 -> '2.04 %', percent(0.6667, 1) -> '66.7 %'; None -> '—'."""
    number = None if fraction is None else _decimal(fraction)
    return MISSING if number is None else f"{_fixed(number * 100, digits)} %"


def percent_number(value: Number | None, digits: int = 2) -> str:
    """A number that is already a percentage (the market summary's 2.13, the API's `*_pct`): 2.13 -> '2.13 %'."""
    number = None if value is None else _decimal(value)
    return MISSING if number is None else f"{_fixed(number, digits)} %"


def rate_bp(fraction: Number | None, digits: int = 0, *, signed: bool = False) -> str:
    """A rate or spread (a fraction) in basis points: 0.0045 -> '45 bp'; `signed` writes '+45 bp'."""
    number = None if fraction is None else _decimal(fraction)
    return MISSING if number is None else f"{_fixed(number * 10_000, digits, signed=signed)} bp"


def _is_chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def cny_scaled(amount: Number | None) -> str:
    """A large CNY amount in the unit market reports of the reader's language use, with two decimals.

    Chinese (zh-*): in 亿元 (10^8 CNY) when the amount is at least 1.00 亿元 once rounded to 0.01 亿元
    (|amount| >= 99,500,000 CNY), else in 万元 (10^4 CNY):
    2,490,000,000 -> '24.90 亿元', 249,000,000 -> '2.49 亿元', 12,345,678 -> '1,234.57 万元'.
    Every other language: in bn CNY (10^9) from 1.00 bn once rounded (|amount| >= 995,000,000 CNY), else in
    m CNY (10^6): 2,490,000,000 -> '2.49 bn CNY', 249,000,000 -> '249.00 m CNY'.
    The unit is chosen on the absolute value, so a negative amount reads like its opposite with a minus sign.
    """
    number = None if amount is None else _decimal(amount)
    if number is None:
        return MISSING
    if _is_chinese():
        large, small = _YI, _WAN
        large_text, small_text = _("%(amount)s hundred million CNY"), _("%(amount)s ten thousand CNY")
    else:
        large, small = _BILLION, _MILLION
        large_text, small_text = _("%(amount)s bn CNY"), _("%(amount)s m CNY")
    in_large = number / large
    if abs(in_large.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) >= 1:
        return large_text % {"amount": _fixed(in_large, 2)}
    return small_text % {"amount": _fixed(number / small, 2)}


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def date_display(value: dt.date | dt.datetime | None) -> str:
    """A day as the pages write it, '2025-03-20' in every language; a moment gives its day in local time."""
    if value is None:
        return MISSING
    day = _local(value).date() if isinstance(value, dt.datetime) else value
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def datetime_display(value: dt.datetime | dt.date | None, *, seconds: bool = False) -> str:
    """A moment in local time (settings.TIME_ZONE or the active one): '2025-03-20 14:05', with `seconds`
    '2025-03-20 14:05:09'; a plain day is written as date_display writes it."""
    if value is None:
        return MISSING
    if not isinstance(value, dt.datetime):
        return date_display(value)
    moment = _local(value)
    text = f"{date_display(moment)} {moment.hour:02d}:{moment.minute:02d}"
    return f"{text}:{moment.second:02d}" if seconds else text


def number(value: Number | None, digits: int = 2) -> str:
    """A plain number grouped by thousands with `digits` decimals: 1234.5 -> '1,234.50'; None -> '—'."""
    return money(value, digits)


def count(value: Number | None) -> str:
    """A count (paths, periods, rows) in whole units grouped by thousands: 200000 -> '200,000'."""
    return money(value, 0)


def multiple(value: Number | None, digits: int = 2) -> str:
    """A multiple or coverage ratio: 1.16 -> '1.16×'."""
    text = money(value, digits)
    return text if text == MISSING else f"{text}×"
