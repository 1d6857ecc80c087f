"""Orders in the book: limits, amendments kept, the book closed outside book building, allocation at issue."""

from decimal import Decimal

import pytest

from deals.models import Tranche
from investors.models import Allocation, IndicationOfInterest, IndicationStatus
from investors.orders import book_allocate, order_amend, order_place, order_withdraw
from origination.errors import DomainError
from tests.factories import DealFactory, InvestorFactory, RiskProfileFactory, investor_user

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


@pytest.fixture
def tranche():
    deal = DealFactory(status="book_building", target_size=10 * M)
    # Rated AAA by its valuation: the investors' minimum rating (AA by default) reads the platform's rating.
    return Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=10 * M, coupon=Decimal("0.0220"), payment_priority=1,
        implied_rating="AAA",
    )  # fmt: skip


def _investor(ticket_min=M, ticket_max=50 * M):
    investor = InvestorFactory()
    RiskProfileFactory(investor=investor, ticket_min=ticket_min, ticket_max=ticket_max)
    return investor_user(investor)


def test_order_within_the_mandate_is_registered(tranche):
    user = _investor()
    order = order_place(actor=user, tranche=tranche, amount=2 * M, yield_rate=Decimal("0.0205"))
    assert order.status == IndicationStatus.ACTIVE
    assert order.investor_id == user.investor_id


@pytest.mark.parametrize(
    ("amount", "code", "message"),
    [
        (Decimal("250000"), "invalid", "units of 100,000"),
        (11 * M, "invalid", "cannot be larger"),
        (Decimal("500000"), "outside_mandate", "tickets of 1,000,000 to 50,000,000"),
    ],
)
def test_order_outside_limits_is_refused_with_the_reason(tranche, amount, code, message):
    user = _investor()
    with pytest.raises(DomainError) as exc:
        order_place(actor=user, tranche=tranche, amount=amount, yield_rate=Decimal("0.0205"))
    assert exc.value.code == code
    assert message in exc.value.fields["amount"]
    assert not IndicationOfInterest.objects.exists()


def test_book_is_closed_before_publication(tranche):
    tranche.deal.status = "valued"
    tranche.deal.save()
    with pytest.raises(DomainError) as exc:
        order_place(actor=_investor(), tranche=tranche, amount=2 * M, yield_rate=Decimal("0.02"))
    assert exc.value.code == "book_closed"


def test_amending_keeps_the_old_order_and_a_second_order_is_refused(tranche):
    user = _investor()
    first = order_place(actor=user, tranche=tranche, amount=2 * M, yield_rate=Decimal("0.0205"))
    with pytest.raises(DomainError) as exc:
        order_place(actor=user, tranche=tranche, amount=3 * M, yield_rate=Decimal("0.0205"))
    assert exc.value.code == "order_exists"
    second = order_amend(actor=user, order=first, amount=3 * M, yield_rate=Decimal("0.0210"))
    first.refresh_from_db()
    assert first.status == IndicationStatus.SUPERSEDED
    assert second.supersedes_id == first.pk
    assert second.amount == 3 * M
    order_withdraw(actor=user, order=second)
    assert list(IndicationOfInterest.objects.order_by("pk").values_list("status", flat=True)) == [
        "superseded",
        "withdrawn",
    ]


def test_an_investor_cannot_touch_another_investors_order(tranche):
    order = order_place(actor=_investor(), tranche=tranche, amount=2 * M, yield_rate=Decimal("0.0205"))
    with pytest.raises(DomainError) as exc:
        order_withdraw(actor=_investor(), order=order)
    assert exc.value.code == "not_found"


def test_issue_allots_pro_rata_at_the_clearing_yield_and_sets_the_coupon(tranche):
    # Same book as the hand-worked case in test_book.py: clears at 2.10 %, A 4.0m, B 2.7m, C 3.3m, D 0.
    for amount, rate in ((6, "0.0200"), (4, "0.0210"), (5, "0.0210"), (3, "0.0230")):
        order_place(actor=_investor(), tranche=tranche, amount=amount * M, yield_rate=Decimal(rate))
    book_allocate(deal=tranche.deal)
    got = dict(Allocation.objects.values_list("order__amount", "amount"))
    assert got == {6 * M: 4 * M, 4 * M: Decimal("2700000"), 5 * M: Decimal("3300000"), 3 * M: 0}
    assert set(Allocation.objects.values_list("clearing_yield", flat=True)) == {Decimal("0.0210")}
    tranche.refresh_from_db()
    assert tranche.coupon == Decimal("0.0210")


def test_the_issue_move_allots_the_book(tranche, arranger_user):
    from deals.workflow import deal_issue

    for amount, rate in ((6, "0.0200"), (4, "0.0210")):
        order_place(actor=_investor(), tranche=tranche, amount=amount * M, yield_rate=Decimal(rate))
    deal_issue(deal=tranche.deal, actor=arranger_user)
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [4 * M, 6 * M]
