"""Suitability: a product above the investor's level is refused until the special warning is confirmed."""

from decimal import Decimal

import pytest

from deals.models import Tranche
from investors.models import SuitabilityConfirmation
from investors.orders import order_place
from investors.suitability import suitability_confirm
from origination.errors import DomainError
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


def _tranche(level):
    deal = DealFactory(status="published", target_size=10 * M)
    return Tranche.objects.create(
        deal=deal,
        name="B",
        tranche_class="mezzanine",
        size=10 * M,
        payment_priority=1,
        implied_rating="AAA",
        product_risk_level=level,
    )


def _investor(tolerance):
    investor = InvestorFactory()
    RiskProfileFactory(investor=investor, risk_tolerance=tolerance, ticket_min=M, ticket_max=50 * M)
    return investor_user(investor)


def test_product_within_the_investors_level_needs_no_warning():
    order = order_place(actor=_investor("C3"), tranche=_tranche("R3"), amount=M, yield_rate=Decimal("0.03"))
    assert order.pk
    assert not SuitabilityConfirmation.objects.exists()


def test_product_above_level_is_refused_until_the_warning_is_confirmed_and_recorded():
    user, tranche = _investor("C2"), _tranche("R4")
    with pytest.raises(DomainError) as exc:
        order_place(actor=user, tranche=tranche, amount=M, yield_rate=Decimal("0.03"))
    assert exc.value.code == "suitability_warning_required"
    assert "R4" in exc.value.detail
    assert "C2" in exc.value.detail
    confirmation = suitability_confirm(actor=user, tranche=tranche)
    assert confirmation.confirmed_by == user
    assert (confirmation.investor_level, confirmation.product_level) == ("C2", "R4")
    assert "R4" in confirmation.warning_text
    assert order_place(actor=user, tranche=tranche, amount=M, yield_rate=Decimal("0.03")).pk


def test_a_new_product_level_needs_a_new_confirmation():
    user, tranche = _investor("C2"), _tranche("R3")
    suitability_confirm(actor=user, tranche=tranche)
    Tranche.objects.filter(pk=tranche.pk).update(product_risk_level="R5")
    tranche.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        order_place(actor=user, tranche=tranche, amount=M, yield_rate=Decimal("0.03"))
    assert exc.value.code == "suitability_warning_required"


def test_confirming_a_suitable_product_records_nothing():
    assert suitability_confirm(actor=_investor("C5"), tranche=_tranche("R2")) is None
    assert not SuitabilityConfirmation.objects.exists()
