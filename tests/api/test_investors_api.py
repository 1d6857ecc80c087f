"""Investors and risk profiles through the API: each investor sees only itself and changes only its own limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from investors.models import RiskProfile
from tests.factories import InvestorFactory, RiskProfileFactory, investor_user

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_investor(db):
    other = InvestorFactory(name="Bold Private Fund", investor_type="private_fund")
    RiskProfileFactory(investor=other, risk_tolerance="C5")
    return other


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_investor_sees_only_its_own_institution_and_profile(client_for, investor_staff, investor, other_investor):
    client = client_for(investor_staff)
    investors = _results(client.get("/api/investors/"))
    assert [(i["name"], i["risk_tolerance"]) for i in investors] == [("Prudent Life Insurance", "C3")]
    assert_error(client.get(f"/api/investors/{other_investor.pk}/"), 404, "not_found")
    profiles = _results(client.get("/api/risk-profiles/"))
    assert [p["investor"] for p in profiles] == [investor.pk]
    assert_error(client.get(f"/api/risk-profiles/{other_investor.risk_profile.pk}/"), 404, "not_found")


@pytest.mark.parametrize("who", ["user_a", "compliance_user"])
def test_originators_and_compliance_see_no_investor(request, client_for, investor, who):
    client = client_for(request.getfixturevalue(who))
    assert _results(client.get("/api/investors/")) == []
    assert _results(client.get("/api/risk-profiles/")) == []
    assert_error(client.get(f"/api/investors/{investor.pk}/"), 404, "not_found")


def test_arranger_sees_every_investor(client_for, arranger_user, investor, other_investor):
    names = [i["name"] for i in _results(client_for(arranger_user).get("/api/investors/"))]
    assert names == ["Bold Private Fund", "Prudent Life Insurance"]


def test_investor_staff_change_their_mandate_limits(client_for, investor_staff, investor):
    profile = investor.risk_profile
    response = client_for(investor_staff).patch(
        f"/api/risk-profiles/{profile.pk}/",
        {
            "min_rating": "AAA",
            "max_tenor_months": 36,
            "min_coupon": "0.0190",
            "ticket_min": "10000000.00",
            "ticket_max": "200000000.00",
            "allowed_deal_types": ["licence_revenue", "empowerment"],
            "excluded_industries": ["Real estate"],
            "no_personal_info": True,
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["min_coupon"] == "0.0190"
    profile.refresh_from_db()
    assert (profile.min_rating, profile.max_tenor_months, profile.min_coupon) == ("AAA", 36, Decimal("0.0190"))
    assert (profile.ticket_min, profile.ticket_max) == (Decimal("10000000.00"), Decimal("200000000.00"))
    assert profile.allowed_deal_types == ["licence_revenue", "empowerment"]
    assert profile.excluded_industries == ["Real estate"]
    assert profile.no_personal_info is True


def test_the_scored_risk_tolerance_cannot_be_typed_in(client_for, investor_staff, investor):
    profile = investor.risk_profile
    response = client_for(investor_staff).patch(f"/api/risk-profiles/{profile.pk}/", {"risk_tolerance": "C5"})
    assert response.status_code == 200
    assert response.json()["risk_tolerance"] == "C3"
    profile.refresh_from_db()
    assert profile.risk_tolerance == "C3"


def test_a_ticket_range_upside_down_is_refused(client_for, investor_staff, investor):
    profile = investor.risk_profile
    response = client_for(investor_staff).patch(
        f"/api/risk-profiles/{profile.pk}/", {"ticket_min": "5000000", "ticket_max": "1000000"}
    )
    assert_error(response, 400, "invalid")
    profile.refresh_from_db()
    assert profile.ticket_min == Decimal("0")


def test_an_unknown_deal_type_in_the_mandate_is_refused(client_for, investor_staff, investor):
    response = client_for(investor_staff).patch(
        f"/api/risk-profiles/{investor.risk_profile.pk}/", {"allowed_deal_types": ["crypto"]}
    )
    body = assert_error(response, 400, "invalid")
    assert "allowed_deal_types" in body["fields"]


def test_nobody_else_changes_an_investors_limits(client_for, arranger_user, investor, other_investor):
    profile = investor.risk_profile
    assert_error(client_for(arranger_user).patch(f"/api/risk-profiles/{profile.pk}/", {"max_tenor_months": 1}), 403,
                 "forbidden")  # fmt: skip
    colleague_elsewhere = investor_user(other_investor, username="otto")
    assert_error(
        client_for(colleague_elsewhere).patch(f"/api/risk-profiles/{profile.pk}/", {"max_tenor_months": 1}),
        404,
        "not_found",
    )
    assert RiskProfile.objects.get(pk=profile.pk).max_tenor_months == 60


def test_risk_profiles_cannot_be_created_or_deleted_through_the_api(client_for, investor_staff, investor):
    client = client_for(investor_staff)
    assert_error(client.post("/api/risk-profiles/", {}), 405, "method_not_allowed")
    assert_error(client.delete(f"/api/risk-profiles/{investor.risk_profile.pk}/"), 405, "method_not_allowed")
