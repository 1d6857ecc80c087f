"""The market summary endpoint, computed from issued deals built here and checked against hand sums."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deals.choices import DealStatus
from deals.models import Tranche
from tests.factories import DealFactory, OriginatorFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _issued(ownership: str, deal_type: str, size: str, issued_on: dt.date | None, coupons: list[tuple[str, str]]):
    """An issued deal; `coupons` are (class, coupon) in payment order."""
    deal = DealFactory(
        originator=OriginatorFactory(ownership_type=ownership),
        deal_type=deal_type,
        target_size=Decimal(size),
        status=DealStatus.ISSUED if issued_on else DealStatus.PUBLISHED,
        issue_date=issued_on,
    )
    for priority, (tranche_class, coupon) in enumerate(coupons, start=1):
        Tranche.objects.create(
            deal=deal,
            name=f"T{priority}",
            tranche_class=tranche_class,
            size=Decimal(1),
            coupon=Decimal(coupon),
            payment_priority=priority,
        )
    return deal


@pytest.fixture
def market(db):
    # 2025: three issued deals.
    _issued(
        "central_soe",
        "licence_revenue",
        "500000000",
        dt.date(2025, 3, 1),
        [("senior", "0.0185"), ("mezzanine", "0.0300")],
    )
    _issued("private", "data_pledge", "300000000", dt.date(2025, 6, 1), [("senior", "0.0258")])
    # Its second senior tranche (priority 2) is not the one the market quotes.
    _issued("local_soe", "empowerment", "200000000", dt.date(2025, 9, 1), [("senior", "0.0220"), ("senior", "0.0500")])
    # 2024: one issued deal.
    _issued("private", "licence_revenue", "100000000", dt.date(2024, 12, 1), [("senior", "0.0300")])
    # Published but not issued: never counted.
    _issued("central_soe", "licence_revenue", "1000000000", None, [("senior", "0.0100")])  # fmt: skip


def test_market_summary_of_one_year(client_for, user_a, market):
    response = client_for(user_a).get("/api/market/summary/", {"year": 2025})
    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2025
    assert body["products_issued"] == 3
    # 500 + 300 + 200 million
    assert body["total_issuance_cny"] == "1000000000.00"
    assert body["total_issuance_bn_cny"] == "1.00"
    assert (body["data_asset_abs"], body["empowerment_abs"]) == (2, 1)
    # 2 SOE of 3 = 66.67 % -> 66.7
    assert (body["soe_initiated"], body["soe_initiated_pct"]) == (2, "66.7")
    # (1.85 + 2.58 + 2.20) / 3 = 2.21 %
    assert body["average_senior_coupon_pct"] == "2.21"


def test_market_summary_of_all_years(client_for, investor_staff, market):
    body = client_for(investor_staff).get("/api/market/summary/").json()
    assert body["year"] is None
    assert body["products_issued"] == 4
    assert body["total_issuance_cny"] == "1100000000.00"
    assert body["total_issuance_bn_cny"] == "1.10"
    assert (body["data_asset_abs"], body["empowerment_abs"]) == (3, 1)
    assert (body["soe_initiated"], body["soe_initiated_pct"]) == (2, "50.0")
    # (1.85 + 2.58 + 2.20 + 3.00) / 4 = 2.4075 % -> 2.41
    assert body["average_senior_coupon_pct"] == "2.41"
    assert body["by_year"] == [
        {"year": 2024, "products": 1, "total_cny": "100000000.00"},
        {"year": 2025, "products": 3, "total_cny": "1000000000.00"},
    ]


def test_market_summary_of_an_empty_year_has_no_average_coupon(client_for, arranger_user, market):
    body = client_for(arranger_user).get("/api/market/summary/", {"year": 2023}).json()
    assert (body["products_issued"], body["total_issuance_cny"], body["average_senior_coupon_pct"]) == (
        0,
        "0.00",
        None,
    )
    assert body["soe_initiated_pct"] == "0.0"


def test_a_malformed_year_is_a_400(client_for, user_a):
    body = assert_error(client_for(user_a).get("/api/market/summary/", {"year": "last"}), 400, "invalid")
    assert "year" in body["fields"]
