"""Orders meet the investor's current suitability and mandate when placed, when amended and again at issue.

The attack of issue 9: a C4 investor orders an R2 product, answers the
questionnaire down to C1, then amends the order to 30 m. The amendment must
face the special warning at C1 like a new order; left unconfirmed, the order is
held at issue with its reason, not allotted.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Tranche
from deals.workflow import deal_issue
from investors.models import Allocation, IndicationOfInterest, IndicationStatus, RiskProfile
from investors.orders import book_allocate, order_amend, order_place
from investors.services import risk_profile_update_limits
from origination.errors import DomainError
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user, originator_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")

# Seven answers at C4; the same with no ABS experience binds at C1 (the lowest dimension, knowledge).
GROWTH_C4 = {
    "fixed_income_years": "5to10",
    "abs_experience": "mezzanine",
    "net_assets": "1to10bn",
    "max_loss": "10to20",
    "objective": "growth",
    "horizon": "5to10",
    "drawdown_reaction": "hold_long",
}
NOW_C1 = {**GROWTH_C4, "abs_experience": "none"}


@pytest.fixture
def r2_tranche():
    """A 50 m AAA senior tranche of product risk R2, its 36-month licence deal in book building."""
    deal = DealFactory(status="book_building", target_size=50 * M, tenor_months=36, deal_type="licence_revenue")
    return Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=50 * M, payment_priority=1, coupon=Decimal("0.0210"),
        implied_rating="AAA", product_risk_level="R2",
    )  # fmt: skip


def _orders_of(investor):
    return list(IndicationOfInterest.objects.filter(investor=investor).order_by("pk"))


# --- the attack, through the API ----------------------------------------------------------------------------


def test_api_amendment_after_falling_to_c1_needs_the_warning_and_changes_nothing_without_it(api_as, r2_tranche):
    user = investor_user(InvestorFactory())
    client = api_as(user)
    assert client.post("/api/questionnaire/", {"answers": GROWTH_C4}, format="json").json()["risk_tolerance"] == "C4"
    placed = client.post("/api/orders/", {"tranche": r2_tranche.pk, "amount": "10000000", "yield_rate": "0.0210"})
    assert placed.status_code == 201, placed.json()
    assert client.post("/api/questionnaire/", {"answers": NOW_C1}, format="json").json()["risk_tolerance"] == "C1"

    amended = client.post(f"/api/orders/{placed.json()['id']}/amend/", {"amount": "30000000", "yield_rate": "0.0210"})

    assert amended.status_code == 409
    body = amended.json()
    assert body["code"] == "suitability_warning_required"
    assert "R2" in body["detail"]
    assert "C1" in body["detail"]
    assert "tranche" in body["fields"]
    (order,) = _orders_of(user.investor)  # nothing half-saved: the 10 m order stands as it was
    assert (order.status, order.amount) == (IndicationStatus.ACTIVE, 10 * M)


def test_api_amendment_passes_once_the_warning_is_confirmed_at_the_new_level(api_as, client, r2_tranche):
    user = investor_user(InvestorFactory())
    api = api_as(user)
    api.post("/api/questionnaire/", {"answers": GROWTH_C4}, format="json")
    placed = api.post("/api/orders/", {"tranche": r2_tranche.pk, "amount": "10000000", "yield_rate": "0.0210"}).json()
    api.post("/api/questionnaire/", {"answers": NOW_C1}, format="json")
    client.force_login(user)
    client.post(
        reverse("product_confirm_warning", args=[r2_tranche.deal_id, r2_tranche.pk]), {"confirm": "yes"}
    )  # the product page's special warning, read and confirmed at C1

    amended = api.post(f"/api/orders/{placed['id']}/amend/", {"amount": "30000000", "yield_rate": "0.0210"})

    assert amended.status_code == 201, amended.json()
    assert amended.json()["amount"] == "30000000.00"
    assert [o.status for o in _orders_of(user.investor)] == [IndicationStatus.SUPERSEDED, IndicationStatus.ACTIVE]


# --- the attack, through the page ---------------------------------------------------------------------------


def test_page_amendment_after_falling_to_c1_shows_the_warning_and_keeps_the_order(client, r2_tranche):
    user = investor_user(InvestorFactory())
    client.force_login(user)
    client.post(reverse("questionnaire"), GROWTH_C4)
    url = reverse("order_submit", args=[r2_tranche.deal_id, r2_tranche.pk])
    prefix = f"t{r2_tranche.pk}"
    client.post(url, {f"{prefix}-amount": "10000000", f"{prefix}-yield_pct": "2.10"})
    assert _orders_of(user.investor)[0].amount == 10 * M
    client.post(reverse("questionnaire"), NOW_C1)

    page = client.post(url, {f"{prefix}-amount": "30000000", f"{prefix}-yield_pct": "2.10"}, follow=True)

    text = page.content.decode()
    assert "Special risk warning" in text
    assert "R2" in text
    assert "C1" in text
    assert "Confirm the special risk warning on the product page" in text
    (order,) = _orders_of(user.investor)
    assert (order.status, order.amount) == (IndicationStatus.ACTIVE, 10 * M)


# --- at issue: held, with the reason, not allotted ----------------------------------------------------------


def _c4_order_then_c1(r2_tranche, amount=10 * M):
    user = investor_user(InvestorFactory())
    RiskProfileFactory(investor=user.investor, risk_tolerance="C4", ticket_min=M, ticket_max=100 * M)
    order = order_place(actor=user, tranche=r2_tranche, amount=amount, yield_rate=Decimal("0.0210"))
    RiskProfile.objects.filter(investor=user.investor).update(risk_tolerance="C1")
    return user, order


def _suitable_investor(tolerance="C3"):
    user = investor_user(InvestorFactory())
    RiskProfileFactory(investor=user.investor, risk_tolerance=tolerance, ticket_min=M, ticket_max=100 * M)
    return user


def test_an_order_that_became_unsuitable_is_held_at_issue_with_its_reason_and_not_allotted(
    r2_tranche, arranger_user, api_as, client
):
    fallen, held = _c4_order_then_c1(r2_tranche, amount=30 * M)
    steady = _suitable_investor()
    kept = order_place(actor=steady, tranche=r2_tranche, amount=30 * M, yield_rate=Decimal("0.0200"))

    deal_issue(deal=r2_tranche.deal, actor=arranger_user)

    held.refresh_from_db()
    assert held.status == "held"
    assert not Allocation.objects.filter(order=held).exists()
    # Without the held 30 m, the steady investor's 30 m is all the demand and is allotted in full.
    assert Allocation.objects.get(order=kept).amount == 30 * M
    reason = "Product risk R2 is above the risk tolerance C1, and the special risk warning was not confirmed"
    assert any(reason in text for text in held.held_reason_texts)

    # The investor and the arranger read the reason, through the API and on the book page.
    for user in (fallen, arranger_user):
        shown = api_as(user).get(f"/api/orders/{held.pk}/").json()
        assert shown["status"] == "held"
        assert any(reason in text for text in shown["held_reasons"])
        client.force_login(user)
        page = client.get(reverse("deal_book", args=[r2_tranche.deal_id])).content.decode()
        assert "Held at issue" in page
        assert reason in page
    # The originator sees the order held but not the investor's risk profile behind it.
    originator = originator_user(r2_tranche.deal.originator)
    assert api_as(originator).get(f"/api/orders/{held.pk}/").json()["held_reasons"] == []
    client.force_login(originator)
    page = client.get(reverse("deal_book", args=[r2_tranche.deal_id])).content.decode()
    assert "Held at issue" in page
    assert reason not in page


def test_before_issue_the_book_page_warns_the_investor_and_the_arranger_that_the_order_would_be_held(
    r2_tranche, arranger_user, client
):
    fallen, _order = _c4_order_then_c1(r2_tranche)
    for user in (fallen, arranger_user):
        client.force_login(user)
        page = client.get(reverse("deal_book", args=[r2_tranche.deal_id])).content.decode()
        assert "Would be held at issue if nothing changes" in page
        assert "Product risk R2 is above the risk tolerance C1" in page


def test_an_order_confirmed_at_the_new_level_is_allotted_at_issue(r2_tranche, arranger_user):
    from investors.suitability import suitability_confirm

    fallen, order = _c4_order_then_c1(r2_tranche)
    suitability_confirm(actor=fallen, tranche=r2_tranche)
    book_allocate(deal=r2_tranche.deal)
    order.refresh_from_db()
    assert order.status == IndicationStatus.ACTIVE
    assert Allocation.objects.get(order=order).amount == 10 * M


# --- the mandate: each criterion on placing, on amending and at issue ---------------------------------------

# (limits the investor sets, the field at fault, the reason shown). The tranche: licence revenue, 36 months,
# rated AAA; the order 10 m (amended to 20 m).
MANDATE_CASES = {
    "deal_type": (
        {"allowed_deal_types": ["data_pledge", "empowerment"]},
        "tranche",
        "The mandate allows only these deal types: Data asset ABS: data-pledge loans and receivables, Data asset "
        "empowerment ABS; this deal is Data asset ABS: licence revenue.",
    ),
    "max_tenor": (
        {"max_tenor_months": 24},
        "tranche",
        "The mandate allows tenors up to 24 months; this deal runs 36 months.",
    ),
    "min_rating": (
        {"min_rating": "AAA"},
        "tranche",
        "The mandate requires a rating of AAA or better; this tranche is rated AA+.",
    ),
    "ticket": (
        {"ticket_min": M, "ticket_max": 5 * M},
        "amount",
        "The mandate allows tickets of 1,000,000 to 5,000,000 CNY; this order is",
    ),
}


@pytest.fixture
def aa_plus_tranche(r2_tranche):
    Tranche.objects.filter(pk=r2_tranche.pk).update(implied_rating="AA+")
    r2_tranche.refresh_from_db()
    return r2_tranche


def _within_mandate_investor():
    """A C5 investor whose mandate admits the tranche: every type, 60 months, AA or better, tickets to 100 m."""
    user = investor_user(InvestorFactory())
    RiskProfileFactory(
        investor=user.investor, risk_tolerance="C5", min_rating="AA", max_tenor_months=60, ticket_min=M,
        ticket_max=100 * M, allowed_deal_types=[],
    )  # fmt: skip
    return user


@pytest.mark.parametrize("rule", MANDATE_CASES)
def test_a_new_order_outside_the_mandate_is_refused_with_the_criterion(aa_plus_tranche, rule, api_as):
    limits, field, reason = MANDATE_CASES[rule]
    user = _within_mandate_investor()
    risk_profile_update_limits(actor=user, risk_profile=user.investor.risk_profile, **limits)
    amount = "10000000" if rule == "ticket" else "2000000"

    response = api_as(user).post(
        "/api/orders/", {"tranche": aa_plus_tranche.pk, "amount": amount, "yield_rate": "0.02"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "outside_mandate"
    assert reason in response.json()["fields"][field]
    assert not IndicationOfInterest.objects.exists()


@pytest.mark.parametrize("rule", MANDATE_CASES)
def test_an_amendment_outside_the_mandate_as_it_is_now_is_refused(aa_plus_tranche, rule):
    limits, field, reason = MANDATE_CASES[rule]
    user = _within_mandate_investor()
    order = order_place(actor=user, tranche=aa_plus_tranche, amount=2 * M, yield_rate=Decimal("0.02"))
    risk_profile_update_limits(actor=user, risk_profile=user.investor.risk_profile, **limits)

    with pytest.raises(DomainError) as exc:
        order_amend(actor=user, order=order, amount=20 * M, yield_rate=Decimal("0.0205"))

    assert exc.value.code == "outside_mandate"
    assert reason in exc.value.fields[field]
    assert [(o.status, o.amount) for o in _orders_of(user.investor)] == [(IndicationStatus.ACTIVE, 2 * M)]


@pytest.mark.parametrize("rule", MANDATE_CASES)
def test_an_order_outside_the_mandate_at_issue_is_held_with_the_criterion(aa_plus_tranche, rule, arranger_user):
    limits, _field, reason = MANDATE_CASES[rule]
    user = _within_mandate_investor()
    order = order_place(actor=user, tranche=aa_plus_tranche, amount=10 * M, yield_rate=Decimal("0.02"))
    risk_profile_update_limits(actor=user, risk_profile=user.investor.risk_profile, **limits)

    deal_issue(deal=aa_plus_tranche.deal, actor=arranger_user)

    order.refresh_from_db()
    assert order.status == "held"
    assert [b["rule"] for b in order.held_reasons] == [rule]
    assert reason in order.held_reason_texts[0]
    assert not Allocation.objects.exists()


def test_an_order_within_every_criterion_is_placed_amended_and_allotted(aa_plus_tranche, arranger_user):
    user = _within_mandate_investor()
    order = order_place(actor=user, tranche=aa_plus_tranche, amount=2 * M, yield_rate=Decimal("0.02"))
    amended = order_amend(actor=user, order=order, amount=20 * M, yield_rate=Decimal("0.0205"))
    deal_issue(deal=aa_plus_tranche.deal, actor=arranger_user)
    assert Allocation.objects.get(order=amended).amount == 20 * M


def test_an_unrated_tranche_is_outside_a_mandate_with_a_minimum_rating(r2_tranche):
    Tranche.objects.filter(pk=r2_tranche.pk).update(implied_rating="")
    r2_tranche.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        order_place(actor=_within_mandate_investor(), tranche=r2_tranche, amount=2 * M, yield_rate=Decimal("0.02"))
    assert exc.value.code == "outside_mandate"
    assert "this tranche is rated NR" in exc.value.fields["tranche"]
