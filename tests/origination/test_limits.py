"""The ranges module itself, the model validation built from it, and the importers that share it (docs/limits.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from deals import market_csv
from deals.models import Deal
from origination import revenue_import
from origination.limits import MONEY_MAX, MONEY_MAX_DIGITS, MONEY_RANGE, money_ok
from origination.models import DataAsset
from tests.factories import DataAssetFactory, DealFactory


def test_money_max_round_trips_through_a_float():
    """SQLite stores a decimal as an 8-byte float: the largest amount must come back as it went in."""
    assert Decimal(format(float(MONEY_MAX), ".15g")) == MONEY_MAX
    assert len(MONEY_MAX.as_tuple().digits) == MONEY_MAX_DIGITS
    assert DataAsset._meta.get_field("book_value").max_digits == MONEY_MAX_DIGITS


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), (str(MONEY_MAX), True), ("10000000000000.00", False), ("-0.01", False), ("1.001", False),
     ("NaN", False), ("Infinity", False), ("1e309", False)],
)  # fmt: skip
def test_money_ok(value, ok):
    assert money_ok(Decimal(value)) is ok


@pytest.mark.django_db
def test_model_validation_names_the_field_out_of_range():
    asset = DataAssetFactory()
    asset.book_value = MONEY_MAX + Decimal("0.01")
    with pytest.raises(ValidationError) as caught:
        asset.full_clean()
    assert set(caught.value.message_dict) == {"book_value"}
    deal = DealFactory()
    deal.tenor_months = 601
    deal.target_size = MONEY_MAX
    with pytest.raises(ValidationError) as caught:
        deal.full_clean()
    assert set(caught.value.message_dict) == {"tenor_months"}
    assert Deal._meta.get_field("tenor_months").validators[-1].limit_value == 600


def test_revenue_cells_use_the_money_range():
    assert revenue_import._parse_amount(str(MONEY_MAX)) == MONEY_MAX
    with translation.override("zh-hans"), pytest.raises(revenue_import._CellError, match="不得超过"):
        revenue_import._parse_amount("10000000000000")
    with pytest.raises(revenue_import._CellError, match="at most 9,999,999,999,999.99 CNY"):
        revenue_import._parse_amount("10000000000000")
    assert MONEY_RANGE.contains(MONEY_MAX)


def test_market_upload_refuses_what_the_model_refuses():
    """A rate parameter one step past the model's range is refused by the CSV reader too (no float-y bypass)."""
    from deals.models import MarketParameters

    field = MarketParameters._meta.get_field("liquidity_premium")
    low, high = (v.limit_value for v in field._validators[:2])
    step = Decimal(1).scaleb(-field.decimal_places)
    assert (low, high) == (Decimal("-0.05"), Decimal("0.5"))  # docs/limits.md
    assert market_csv._value_of(market_csv.PARAMETER, "liquidity_premium", str(high)) == high
    for outside in (high + step, low - step):
        with pytest.raises(market_csv.CellError, match="outside the accepted range"):
            market_csv._value_of(market_csv.PARAMETER, "liquidity_premium", str(outside))
