"""Investor pages: the questionnaire sets the risk tolerance; the book shows each party what it may see."""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Tranche
from investors.models import IndicationOfInterest, RiskProfile
from investors.orders import order_place
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user, originator_user

from .test_questionnaire import INSURER

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


@pytest.fixture
def deal():
    deal = DealFactory(status="book_building", target_size=10 * M)
    Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=10 * M, payment_priority=1, implied_rating="AAA"
    )
    return deal


def _investor(name):
    investor = InvestorFactory(name=name)
    RiskProfileFactory(investor=investor, ticket_min=M, ticket_max=50 * M)
    return investor_user(investor)


def test_questionnaire_page_scores_the_profile_and_keeps_history(client):
    user = investor_user(InvestorFactory())
    client.force_login(user)
    response = client.post(reverse("questionnaire"), INSURER, follow=True)
    assert response.status_code == 200
    profile = RiskProfile.objects.get(investor=user.investor)
    assert profile.risk_tolerance == "C2"
    assert profile.answers == INSURER
    assert profile.history.count() == 1
    client.post(reverse("questionnaire"), {**INSURER, "abs_experience": "none"})
    profile.refresh_from_db()
    assert profile.risk_tolerance == "C1"
    assert profile.history.count() == 2


def test_questionnaire_with_a_missing_answer_changes_nothing(client):
    user = investor_user(InvestorFactory())
    client.force_login(user)
    answers = dict(INSURER)
    del answers["horizon"]
    response = client.post(reverse("questionnaire"), answers)
    assert response.status_code == 200
    assert "Answer every question." in response.content.decode()
    assert not RiskProfile.objects.filter(investor=user.investor).exists()


def test_investor_registers_interest_from_the_book_page(client, deal):
    user = _investor("Prudent Life")
    client.force_login(user)
    tranche = deal.tranches.get()
    url = reverse("order_submit", args=[deal.pk, tranche.pk])
    client.post(url, {f"t{tranche.pk}-amount": "3000000", f"t{tranche.pk}-yield_pct": "2.15"})
    order = IndicationOfInterest.objects.get(investor=user.investor)
    assert order.amount == 3 * M
    assert order.yield_rate == Decimal("0.0215")
    page = client.get(reverse("deal_book", args=[deal.pk])).content.decode()
    assert "2.15 %" in page
    assert "Amend my order" in page


def test_investors_see_only_their_own_orders_and_the_originator_sees_the_whole_book(client, deal):
    tranche = deal.tranches.get()
    mine, theirs = _investor("Prudent Life"), _investor("Bold Capital")
    order_place(actor=mine, tranche=tranche, amount=4 * M, yield_rate=Decimal("0.0200"))
    order_place(actor=theirs, tranche=tranche, amount=8 * M, yield_rate=Decimal("0.0220"))

    client.force_login(mine)
    page = client.get(reverse("deal_book", args=[deal.pk])).content.decode()
    assert "4,000,000.00" in page
    assert "8,000,000.00" not in page
    assert "Coverage multiple" not in page

    client.force_login(originator_user(deal.originator))
    page = client.get(reverse("deal_book", args=[deal.pk])).content.decode()
    assert "Bold Capital" in page
    assert "Prudent Life" in page
    assert "1.20×" in page  # 12m of demand for a 10m tranche
    assert "2.20 %" in page  # 4m at 2.00 % does not cover; the 8m at 2.20 % does


def test_book_of_a_deal_not_visible_is_404(client, deal, user_b):
    client.force_login(user_b)
    assert client.get(reverse("deal_book", args=[deal.pk])).status_code == 404
