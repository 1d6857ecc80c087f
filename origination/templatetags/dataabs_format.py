"""Template filters that write figures as origination.formatting does, for every page.

    {% load dataabs_format %}
    {{ deal.target_size|money }}          1,234,567.50
    {{ tranche.coupon|percent }}          2.04 %       (a fraction; None -> —)
    {{ share|percent:1 }}                 66.7 %
    {{ summary.average_pct|percent_number }}   2.13 %  (already a percentage)
    {{ spread|rate_bp }}                  45 bp
    {{ total|cny_scaled }}                2.49 bn CNY / 24.90 亿元
    {{ deal.issue_date|date_display }}    2025-03-20
    {{ event.created_at|datetime_display }}            2025-03-20 14:05 (local time)
    {{ event.created_at|datetime_display:"seconds" }}  2025-03-20 14:05:09

A filter never breaks a page: a value that is not a number (or a date) renders as "", as Django's own filters do;
None renders "—".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from origination import formatting

register = template.Library()

_NOT_A_NUMBER = (TypeError, ValueError, ArithmeticError)


def _number(value: Any) -> Any:
    """An empty string (a missing template variable) is None; any other value goes to the formatter as it is."""
    return None if value == "" else value


@register.filter
def money(value: Any, digits: int = 2) -> str:
    try:
        return formatting.money(_number(value), int(digits))
    except _NOT_A_NUMBER:
        return ""


@register.filter
def percent(value: Any, digits: int = 2) -> str:
    try:
        return formatting.percent(_number(value), int(digits))
    except _NOT_A_NUMBER:
        return ""


@register.filter
def percent_number(value: Any, digits: int = 2) -> str:
    try:
        return formatting.percent_number(_number(value), int(digits))
    except _NOT_A_NUMBER:
        return ""


@register.filter
def rate_bp(value: Any, digits: int = 0) -> str:
    try:
        return formatting.rate_bp(_number(value), int(digits))
    except _NOT_A_NUMBER:
        return ""


@register.filter
def cny_scaled(value: Any) -> str:
    try:
        return formatting.cny_scaled(_number(value))
    except _NOT_A_NUMBER:
        return ""


@register.filter
def date_display(value: Any) -> str:
    if value is None or value == "":
        return formatting.MISSING
    return formatting.date_display(value) if isinstance(value, dt.date) else ""


@register.filter
def datetime_display(value: Any, seconds: str = "") -> str:
    if value is None or value == "":
        return formatting.MISSING
    return formatting.datetime_display(value, seconds=bool(seconds)) if isinstance(value, dt.date) else ""
