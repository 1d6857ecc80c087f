"""origination.formatting and its template filters: how every page writes money, percentages, basis points,
large CNY amounts (bn CNY in English, 亿元 / 万元 in Chinese) and dates.

Every expectation is worked out by hand in the comment or the id beside it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import numpy as np
import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from deals.choices import DealStatus
from deals.models import Deal, Tranche
from origination.formatting import (
    MISSING,
    cny_scaled,
    date_display,
    datetime_display,
    money,
    percent,
    percent_number,
    rate_bp,
)
from tests.factories import submittable_deal

# --- money --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567.5"), "1,234,567.50"),
        (Decimal("0"), "0.00"),
        (Decimal("999.995"), "1,000.00"),  # half up carries into the thousands
        (Decimal("0.125"), "0.13"),  # half up, not to the even 0.12
        (Decimal("-1234.5"), "-1,234.50"),
        (Decimal("-0.004"), "0.00"),  # never "-0.00"
        (1234567.5, "1,234,567.50"),  # a float from an engine
        (0.1 + 0.2, "0.30"),  # 0.30000000000000004: read through its repr, rounded
        (100, "100.00"),
        ("2500000.00", "2,500,000.00"),  # a JSON value stored as text
        (np.float64(0.5), "0.50"),
        (np.int64(7), "7.00"),
        (None, MISSING),
        (float("nan"), MISSING),
        (float("inf"), MISSING),
    ],
)
def test_money_has_thousands_separators_two_decimals_and_rounds_half_up(value, expected):
    assert money(value) == expected


def test_money_in_whole_yuan_and_alike_in_both_languages():
    assert money(Decimal("50000000.5"), digits=0) == "50,000,001"  # .5 rounds up
    with override("zh-hans"):
        assert money(Decimal("1234567.5")) == "1,234,567.50"


def test_money_refuses_what_is_not_a_number():
    with pytest.raises(TypeError):
        money(True)
    with pytest.raises(TypeError):
        money([1])
    with pytest.raises(ArithmeticError):
        money("twelve")


# --- percentages and basis points ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "digits", "expected"),
    [
        (Decimal("0.0204"), 2, "2.04 %"),
        (Decimal("0.021"), 2, "2.10 %"),
        (0.0204, 2, "2.04 %"),  # float: 2.04, not 2.0399999
        (Decimal("0.00125"), 2, "0.13 %"),  # 0.125 % half up
        (Decimal("2") / Decimal("3"), 1, "66.7 %"),
        (Decimal("1"), 1, "100.0 %"),
        (Decimal("12.5"), 2, "1,250.00 %"),
        (Decimal("-0.00001"), 2, "0.00 %"),  # -0.001 % rounds to zero: never "-0.00 %"
        (-0.00004, 2, "0.00 %"),
        (Decimal("-0.0204"), 2, "-2.04 %"),
        (Decimal("0"), 0, "0 %"),
        (None, 2, MISSING),
    ],
)
def test_percent_writes_a_fraction_as_a_percentage(fraction, digits, expected):
    assert percent(fraction, digits) == expected


def test_percent_number_takes_a_number_already_in_percent():
    assert percent_number(Decimal("2.13")) == "2.13 %"
    assert percent_number(Decimal("66.7"), 1) == "66.7 %"
    assert percent_number(Decimal("-0.001")) == "0.00 %"
    assert percent_number(None) == MISSING


@pytest.mark.parametrize(
    ("fraction", "kwargs", "expected"),
    [
        (0.0045, {}, "45 bp"),
        (Decimal("0.00455"), {}, "46 bp"),  # 45.5 half up
        (Decimal("0.00455"), {"digits": 1}, "45.5 bp"),
        (0.0026, {"signed": True}, "+26 bp"),
        (-0.0026, {"signed": True}, "-26 bp"),
        (-0.00001, {}, "0 bp"),  # -0.1 bp rounds to zero without a sign
        ("0.0050", {}, "50 bp"),
        (None, {}, MISSING),
    ],
)
def test_rate_bp_writes_a_fraction_in_basis_points(fraction, kwargs, expected):
    assert rate_bp(fraction, **kwargs) == expected


# --- large CNY amounts in the reader's unit -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "english", "chinese"),
    [
        # 2,490,000,000 = 2.49 × 10^9 = 24.9 × 10^8: the seven 2025 deals.
        (Decimal("2490000000"), "2.49 bn CNY", "24.90 亿元"),
        # 249,000,000 = 0.249 bn, so m CNY in English; 2.49 × 10^8 is 亿元 in Chinese.
        (Decimal("249000000"), "249.00 m CNY", "2.49 亿元"),
        # 12,345,678 = 12.345678 × 10^6 = 1,234.5678 × 10^4.
        (Decimal("12345678"), "12.35 m CNY", "1,234.57 万元"),
        # 99,499,999 = 0.99499999 亿, 0.99 once rounded: still 万元 (9,949.9999 万 -> 9,950.00).
        (Decimal("99499999"), "99.50 m CNY", "9,950.00 万元"),
        # 99,500,000 = 0.995 亿, 1.00 once rounded half up: 亿元, never "10,000.00 万元".
        (Decimal("99500000"), "99.50 m CNY", "1.00 亿元"),
        # 999,999,999 = 0.999999999 bn, 1.00 once rounded: bn CNY, never "1,000.00 m CNY".
        (Decimal("999999999"), "1.00 bn CNY", "10.00 亿元"),
        # 1,234,567,890,000 = 1,234.57 bn = 12,345.68 亿.
        (Decimal("1234567890000"), "1,234.57 bn CNY", "12,345.68 亿元"),
        (Decimal("30000"), "0.03 m CNY", "3.00 万元"),
        (Decimal("0"), "0.00 m CNY", "0.00 万元"),
        (Decimal("-2490000000"), "-2.49 bn CNY", "-24.90 亿元"),
        (2.49e9, "2.49 bn CNY", "24.90 亿元"),  # a float from an engine
        (None, MISSING, MISSING),
    ],
)
def test_cny_scaled_picks_the_unit_by_magnitude_in_the_readers_language(amount, english, chinese):
    with override("en"):
        assert cny_scaled(amount) == english
    with override("zh-hans"):
        assert cny_scaled(amount) == chinese


# --- dates --------------------------------------------------------------------------------------------------------


def test_dates_and_moments_are_written_in_local_time():
    # 2025-03-20 17:05:09 UTC is 2025-03-21 01:05:09 in Shanghai (UTC+8), the platform's time zone.
    moment = dt.datetime(2025, 3, 20, 17, 5, 9, tzinfo=dt.UTC)
    assert date_display(dt.date(2025, 3, 20)) == "2025-03-20"
    assert date_display(moment) == "2025-03-21"
    assert datetime_display(moment) == "2025-03-21 01:05"
    assert datetime_display(moment, seconds=True) == "2025-03-21 01:05:09"
    assert datetime_display(dt.date(2025, 3, 20)) == "2025-03-20"
    assert datetime_display(dt.datetime(2025, 3, 20, 9, 30)) == "2025-03-20 09:30"  # naive: as it is
    with timezone.override("UTC"):
        assert datetime_display(moment) == "2025-03-20 17:05"
    with override("zh-hans"):
        assert date_display(dt.date(2025, 3, 20)) == "2025-03-20"
    assert date_display(None) == datetime_display(None) == MISSING


# --- the template filters -----------------------------------------------------------------------------------------


def _render(source: str, **context) -> str:
    return Template("{% load dataabs_format %}" + source).render(Context(context))


def test_filters_render_as_the_functions_write():
    html = _render(
        "{{ size|money }}|{{ coupon|percent }}|{{ share|percent:1 }}|{{ avg|percent_number }}|{{ spread|rate_bp }}"
        "|{{ total|cny_scaled }}|{{ day|date_display }}|{{ at|datetime_display }}|{{ at|datetime_display:'seconds' }}",
        size=Decimal("1234567.5"),
        coupon=Decimal("0.0204"),
        share=Decimal("0.6667"),
        avg=Decimal("2.13"),
        spread=0.0045,
        total=Decimal("2490000000"),
        day=dt.date(2025, 3, 20),
        at=dt.datetime(2025, 3, 20, 6, 5, 9, tzinfo=dt.UTC),  # 14:05:09 in Shanghai
    )
    assert html == (
        "1,234,567.50|2.04 %|66.7 %|2.13 %|45 bp|2.49 bn CNY|2025-03-20|2025-03-20 14:05|2025-03-20 14:05:09"
    )


def test_filters_follow_the_active_language_for_the_unit_only():
    source = "{{ total|cny_scaled }} {{ small|cny_scaled }} {{ size|money }} {{ coupon|percent }}"
    values = {
        "total": Decimal("2490000000"),
        "small": Decimal("12345678"),
        "size": Decimal("1234567.5"),
        "coupon": Decimal("0.0204"),
    }
    with override("zh-hans"):
        assert _render(source, **values) == "24.90 亿元 1,234.57 万元 1,234,567.50 2.04 %"
    with override("en"):
        assert _render(source, **values) == "2.49 bn CNY 12.35 m CNY 1,234,567.50 2.04 %"


def test_filters_show_a_dash_for_none_and_nothing_for_what_is_not_a_number():
    html = _render(
        "[{{ none|money }}][{{ none|percent }}][{{ none|cny_scaled }}][{{ none|date_display }}]"
        "[{{ missing|percent }}][{{ word|money }}][{{ word|percent:1 }}][{{ word|date_display }}][{{ neg|percent }}]",
        none=None,
        word="soon",
        neg=Decimal("-0.00001"),
    )
    assert html == f"[{MISSING}][{MISSING}][{MISSING}][{MISSING}][{MISSING}][][][][0.00 %]"


# --- pages --------------------------------------------------------------------------------------------------------


def _issue(deal: Deal, issue_date: dt.date) -> Deal:
    """Mark the deal issued on `issue_date` (the market figures read only the status and the date)."""
    Deal.objects.filter(pk=deal.pk).update(status=DealStatus.ISSUED, issue_date=issue_date)
    return deal


@pytest.mark.django_db
def test_the_market_page_shows_yi_yuan_in_chinese_where_english_shows_bn_cny(client, user_a, investor_staff):
    # 1,200,000,000 + 45,000,000 = 1,245,000,000 CNY issued in 2025: 1.25 bn CNY (1.245 half up), 12.45 亿元.
    _issue(submittable_deal(user_a, size=Decimal("1200000000")), dt.date(2025, 3, 20))
    _issue(submittable_deal(user_a, size=Decimal("45000000")), dt.date(2025, 6, 30))
    client.force_login(investor_staff)
    english = client.get(reverse("market"), {"year": "2025"}).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/market/"})
    chinese = client.get(reverse("market"), {"year": "2025"}).content.decode()

    assert 'data-figure="total_issuance">1.25 bn CNY<' in english
    assert 'data-figure="total_issuance">12.45 亿元<' in chinese
    assert "亿元" not in english
    assert "bn CNY" not in chinese
    # The sizes in the tables are full amounts, alike in both languages.
    for html in (english, chinese):
        assert ">1,200,000,000.00<" in html
        assert ">45,000,000.00<" in html


@pytest.mark.django_db
def test_the_deal_page_writes_coupons_and_shares_through_the_filters(client, user_a):
    deal = submittable_deal(user_a, size=Decimal("300000000"))
    tranches = list(Tranche.objects.filter(deal=deal).order_by("payment_priority"))
    Tranche.objects.filter(pk=tranches[0].pk).update(coupon=Decimal("0.0215"))
    Tranche.objects.filter(pk=tranches[-1].pk).update(coupon=None)
    client.force_login(user_a)
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', html)
    assert "2.15 %" in cells  # the senior coupon
    assert MISSING in cells  # the subordinated class has no coupon
    for tranche in tranches:
        # Each class's share of the 300,000,000 deal, to 0.1 %.
        assert percent(tranche.size / deal.target_size, 1) in cells
    assert "300,000,000.00" in html
