"""API of the questionnaire, orders and the book: scoped by investor, errors in the one format."""

from decimal import Decimal

import pytest

from deals.models import Tranche
from investors.models import IndicationOfInterest
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user, originator_user
from tests.investors.test_questionnaire import INSURER

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


@pytest.fixture
def tranche():
    deal = DealFactory(status="published", target_size=10 * M)
    return Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=10 * M, payment_priority=1, implied_rating="AAA"
    )


def _investor():
    investor = InvestorFactory()
    RiskProfileFactory(investor=investor, ticket_min=M, ticket_max=50 * M)
    return investor_user(investor)


def test_questionnaire_api_lists_questions_and_scores_answers(api_as):
    client = api_as(investor_user(InvestorFactory()))
    questions = client.get("/api/questionnaire/").json()["questions"]
    assert {q["key"] for q in questions} == set(INSURER)
    response = client.post("/api/questionnaire/", {"answers": INSURER}, format="json")
    assert response.status_code == 200
    assert response.json()["risk_tolerance"] == "C2"
    assert response.json()["tolerance_reasons"]


def test_questionnaire_api_reports_bad_answers_by_question(api_as):
    client = api_as(investor_user(InvestorFactory()))
    response = client.post("/api/questionnaire/", {"answers": {**INSURER, "horizon": "forever"}}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"horizon"}


def test_orders_are_placed_amended_and_scoped(api_as, tranche):
    mine = _investor()
    client = api_as(mine)
    created = client.post("/api/orders/", {"tranche": tranche.pk, "amount": "2000000", "yield_rate": "0.0210"})
    assert created.status_code == 201, created.json()
    amended = client.post(f"/api/orders/{created.json()['id']}/amend/", {"amount": "3000000", "yield_rate": "0.0205"})
    assert amended.status_code == 201
    assert amended.json()["supersedes"] == created.json()["id"]
    assert IndicationOfInterest.objects.count() == 2

    other = api_as(_investor())
    assert other.get("/api/orders/").json()["count"] == 0
    assert other.get(f"/api/orders/{amended.json()['id']}/").status_code == 404
    response = other.post(f"/api/orders/{amended.json()['id']}/withdraw/")
    assert response.status_code == 404


def test_order_over_the_tranche_is_refused_with_fields(api_as, tranche):
    response = api_as(_investor()).post(
        "/api/orders/", {"tranche": tranche.pk, "amount": "20000000", "yield_rate": "0.0210"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "amount" in response.json()["fields"]


def test_book_api_shows_coverage_to_the_originator_only(api_as, tranche):
    api_as(_investor()).post("/api/orders/", {"tranche": tranche.pk, "amount": "6000000", "yield_rate": "0.0210"})
    api_as(_investor()).post("/api/orders/", {"tranche": tranche.pk, "amount": "9000000", "yield_rate": "0.0230"})
    book = api_as(originator_user(tranche.deal.originator)).get(f"/api/deals/{tranche.deal.pk}/book/").json()
    summary = book["tranches"][0]["summary"]
    assert summary["coverage"] == "1.50"
    assert summary["clearing_yield"] == "0.0230"
    assert len(book["tranches"][0]["orders"]) == 2
    investor_view = api_as(_investor()).get(f"/api/deals/{tranche.deal.pk}/book/").json()
    assert investor_view["tranches"][0]["summary"] is None
    assert investor_view["tranches"][0]["orders"] == []
