"""Numbers in addresses and bodies nested without end answer 400 with the API's error body, never a 500.

Issue 9, point 8: `?data_asset=99999999999999999999999` and `?originator=-1.79e308` reached the database (SQLite
cannot bind such an int: 500), `/market/?year=0` built an impossible date, and a JSON body nested a hundred
thousand levels deep overflowed the parser's recursion. Each address below is asked by three roles with DEBUG on
and off (the debug page must never be what a caller gets).
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from deals.models import ValuationRun
from origination.filters import ID_MAX
from origination.parsers import MAX_DEPTH

from .world import build_world

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
# (address, the query parameter the error must name)
BAD_IDS = [
    (f"/api/data-assets/?originator={HUGE}", "originator"),
    ("/api/data-assets/?originator=-1.79e308", "originator"),
    ("/api/data-assets/?originator=-1.97e+134", "originator"),
    ("/api/data-assets/?originator=NaN", "originator"),
    (f"/api/data-rights/?data_asset={HUGE}", "data_asset"),
    ("/api/data-rights/?data_asset=0.0", "data_asset"),
    ("/api/data-rights/?data_asset=-5.2e+189", "data_asset"),
    (f"/api/revenue-imports/?data_asset={HUGE}", "data_asset"),
    ("/api/compliance-reviews/?deal=-1.3e+209", "deal"),
    (f"/api/valuation-runs/?deal={HUGE}", "deal"),
    ("/api/valuation-runs/?deal=1.5", "deal"),
    (f"/api/orders/?tranche={HUGE}", "tranche"),
    (f"/api/orders/?tranche__deal={ID_MAX + 1}", "tranche__deal"),
    ("/api/review-items/?review=-1e400", "review"),
    ("/api/review-evidence/?item=%EF%BC%91", "item"),  # a full-width digit one: not an ASCII id
]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _client(user) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_id_no_key_can_hold_is_a_400_naming_the_parameter(world, settings, debug):
    settings.DEBUG = debug
    for role in ("originator_a", "compliance", "investor_a"):
        client = _client(world.users[role])
        for address, parameter in BAD_IDS:
            response = client.get(address)
            assert response.status_code == 400, (role, address, response.status_code)
            body = response.json()
            assert body["code"] == "invalid", (role, address)
            assert "whole number from 1 to 9223372036854775807" in body["fields"][parameter][0], (role, address)


def test_the_largest_id_and_a_foreign_id_are_simply_not_found_in_the_list(world):
    """No oracle: a deal of another company filters like a deal that does not exist (both: nothing)."""
    foreign = world.deals["public_b"].pk
    assert ValuationRun.objects.filter(deal_id=foreign).exists()
    client = _client(world.users["originator_a"])
    for value in (foreign, ID_MAX):
        response = client.get(f"/api/valuation-runs/?deal={value}")
        assert response.status_code == 200
        assert response.json()["count"] == 0
    own = world.deals["public_a"].pk
    assert (
        client.get(f"/api/valuation-runs/?deal={own}").json()["count"]
        == ValuationRun.objects.filter(deal_id=own).count()
    )


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_object_address_with_a_huge_number_is_a_404_in_the_api_format(world, settings, debug):
    settings.DEBUG = debug
    client = _client(world.users["originator_a"])
    for method, address in (
        ("GET", f"/api/deals/{HUGE}/"),
        ("GET", f"/api/data-assets/{HUGE}/"),
        ("PATCH", f"/api/deals/{world.deals['draft_a'].pk}/tranches/{HUGE}/"),
        ("PATCH", f"/api/deals/{HUGE}/tranches/{HUGE}/"),
    ):
        response = client.generic(method, address, "{}", content_type="application/json")
        assert response.status_code == 404, (address, response.status_code)
        assert response.json()["code"] == "not_found"
    assert client.get(f"/deals/{HUGE}/").status_code == 404


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("year", ["0", "-1", HUGE, "1999", "2101", "20x5"])
def test_the_market_page_refuses_a_year_out_of_range_and_says_which(world, settings, debug, year):
    settings.DEBUG = debug
    client = _client(world.users["investor_a"])
    response = client.get(f"/market/?year={year}")
    assert response.status_code == 400
    assert "year: enter an issue year from 2000 to 2100" in response.content.decode()
    assert client.get("/api/market/summary/", {"year": year}).status_code == 400


def test_the_market_page_still_opens_on_a_year_and_on_all(world):
    client = _client(world.users["investor_a"])
    assert client.get("/market/?year=2026").status_code == 200
    assert client.get("/market/?year=all").status_code == 200


def test_the_market_page_says_it_in_chinese(world):
    client = _client(world.users["investor_a"])
    response = client.get("/market/?year=0", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "发行年份" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_a_body_nested_without_end_is_a_400_parse_error(world, settings, debug, depth):
    settings.DEBUG = debug
    client = _client(world.users["originator_a"])
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        response = client.generic("POST", "/api/deals/", body, content_type="application/json")
        assert response.status_code == 400, (depth, response.status_code)
        assert response.json()["code"] == "parse_error"
        assert f"nested more than {MAX_DEPTH} levels" in response.json()["detail"]
    deal = world.deals["draft_a"]
    response = client.generic(
        "PATCH", f"/api/deals/{deal.pk}/", "[" * depth + "]" * depth, content_type="application/json"
    )
    assert response.status_code == 400


def test_a_body_as_deep_as_the_limit_is_parsed(world):
    """The limit refuses only what no request of the API needs: MAX_DEPTH levels still reach the serializer."""
    client = _client(world.users["originator_a"])
    body = '{"name":' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    response = client.generic("POST", "/api/deals/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"  # the serializer's answer, not the parser's


def test_the_id_error_is_in_the_readers_language(world):
    client = _client(world.users["originator_a"])
    response = client.get(f"/api/data-assets/?originator={HUGE}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "请输入对象的编号" in response.json()["fields"]["originator"][0]


@pytest.mark.parametrize("digits", [20, 5_000])
def test_an_id_in_the_path_longer_than_any_key_is_a_404_not_a_crash(world, digits):
    """Python refuses to turn over 4,300 digits into an int: such an address must never reach int()."""
    client = _client(world.users["originator_a"])
    number = "9" * digits
    for address in (f"/api/deals/{number}/", f"/api/valuation-runs/latest/{number}/", f"/api/data-assets/{number}/"):
        response = client.get(address)
        assert response.status_code == 404, (address[:40], response.status_code)
        assert response.json()["code"] == "not_found"
    assert client.get(f"/market/?year={number}").status_code == 400


def test_a_curve_that_is_a_superscript_digit_is_ignored_on_the_market_data_page(world):
    client = _client(world.users["arranger"])
    assert client.get("/market-data/?curve=%C2%B2&curve=" + "9" * 5_000).status_code == 200
