"""The investor's pages: its institution, risk profile and the products on the market."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from deals import workflow
from investors.models import RiskProfile
from tests.deals.compliance.helpers import pass_review
from tests.factories import InvestorFactory, RiskProfileFactory, investor_user, submittable_deal

pytestmark = pytest.mark.django_db


def _published(user, compliance, arranger):
    deal = submittable_deal(user)
    workflow.deal_submit(deal=deal, actor=user)
    workflow.deal_start_review(deal=deal, actor=compliance)
    pass_review(deal, officer=compliance)
    workflow.deal_approve(deal=deal, actor=compliance)
    workflow.deal_start_valuation(deal=deal, actor=arranger)
    workflow.deal_complete_valuation(deal=deal)
    return workflow.deal_publish(deal=deal, actor=arranger)


def test_investor_home_shows_its_institution_risk_profile_and_published_products(
    client, investor, investor_staff, user_a, user_b, compliance_user, arranger_user
):
    RiskProfile.objects.filter(investor=investor).update(
        risk_tolerance="C2",
        min_rating="AA+",
        max_tenor_months=48,
        min_coupon=Decimal("0.0185"),
        max_guarantee_dependence=Decimal("0.30"),
        allowed_deal_types=["licence_revenue"],
        no_personal_info=True,
    )
    published = _published(user_a, compliance_user, arranger_user)
    in_review = submittable_deal(user_b)
    workflow.deal_submit(deal=in_review, actor=user_b)
    client.force_login(investor_staff)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert "Prudent Life Insurance" in html
    assert "C2 cautious" in html
    assert "AA+" in html
    assert "48 months" in html
    assert "1.85 %" in html  # minimum coupon 0.0185
    assert "30.00 %" in html  # guarantee dependence cap 0.30
    assert "Data asset ABS: licence revenue" in html
    assert "Not accepted" in html  # no personal information
    assert [d.pk for d in response.context["products"]] == [published.pk]
    assert in_review.name not in html
    assert "2.10 %" in html  # the product's senior coupon


def test_investor_without_a_risk_profile_is_told_so(client):
    staff = investor_user(InvestorFactory(name="New Fund"))
    client.force_login(staff)
    html = client.get(reverse("home")).content.decode()
    assert "New Fund" in html
    assert "No risk profile yet" in html


def test_investor_opens_its_own_institution_and_gets_404_on_another(client, investor, investor_staff):
    other = InvestorFactory(name="Other Bank WM")
    RiskProfileFactory(investor=other)
    client.force_login(investor_staff)
    response = client.get(reverse("investor_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("investor_detail", args=[investor.pk])
    assert client.get(reverse("investor_detail", args=[investor.pk])).status_code == 200
    assert client.get(reverse("investor_detail", args=[other.pk])).status_code == 404


def test_arranger_lists_every_investor(client, investor, arranger_user):
    InvestorFactory(name="Other Bank WM")
    client.force_login(arranger_user)
    html = client.get(reverse("investor_list")).content.decode()
    assert "Prudent Life Insurance" in html
    assert "Other Bank WM" in html


def test_originator_sees_no_investor(client, investor, user_a):
    client.force_login(user_a)
    assert client.get(reverse("investor_detail", args=[investor.pk])).status_code == 404
    assert "Prudent Life Insurance" not in client.get(reverse("investor_list")).content.decode()


def test_investor_market_page_lists_issued_deals(client, investor_staff, user_a, compliance_user, arranger_user):
    deal = _published(user_a, compliance_user, arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    workflow.deal_issue(deal=deal, actor=arranger_user, issue_date=dt.date(2025, 9, 1))
    client.force_login(investor_staff)
    response = client.get(reverse("market"))
    assert [d.pk for d in response.context["issued"]] == [deal.pk]
    html = response.content.decode()
    assert deal.name in html
    assert "2025-09-01" in html
