"""The book: coverage, clearing yield and pro-rata allocation in 100,000 CNY units, checked by hand."""

from decimal import Decimal

from investors.book import Order, allocate, book_summary

M = Decimal("1000000")


def _orders():
    # Sorted by yield: A 6m @2.00 (cum 6m), B 4m @2.10 (cum 10m = size) -> clears at 2.10 %.
    return [
        Order(1, 6 * M, Decimal("0.0200")),  # A
        Order(2, 4 * M, Decimal("0.0210")),  # B
        Order(3, 5 * M, Decimal("0.0210")),  # C, same yield as the marginal order: in the clearing set
        Order(4, 3 * M, Decimal("0.0230")),  # D, above the clearing yield: nothing
    ]


def test_oversubscribed_book_clears_at_the_marginal_orders_yield():
    summary = book_summary(size=10 * M, orders=_orders())
    assert summary.demand == 18 * M
    assert summary.coverage == Decimal("1.80")
    assert summary.clearing_yield == Decimal("0.0210")
    assert summary.demand_at_clearing == 15 * M  # A + B + C
    assert summary.fully_covered


def test_allocation_is_pro_rata_in_units_with_largest_remainders():
    # 100 units over 15m of demand at or below 2.10 %: A 40.000, B 26.667, C 33.333 units.
    # Floors 40 + 26 + 33 = 99; the last unit goes to B's remainder 0.667.
    allotted = allocate(size=10 * M, orders=_orders())
    assert allotted == {1: Decimal("4000000"), 2: Decimal("2700000"), 3: Decimal("3300000"), 4: Decimal("0")}
    assert sum(allotted.values()) == 10 * M


def test_undersubscribed_book_fills_every_order_in_whole_units():
    orders = [Order(1, 3 * M, Decimal("0.0200")), Order(2, Decimal("2550000"), Decimal("0.0220"))]
    summary = book_summary(size=10 * M, orders=orders)
    assert summary.clearing_yield == Decimal("0.0220")
    assert not summary.fully_covered
    assert allocate(size=10 * M, orders=orders) == {1: 3 * M, 2: Decimal("2500000")}


def test_empty_book_allots_nothing():
    assert book_summary(size=10 * M, orders=[]).clearing_yield is None
    assert allocate(size=10 * M, orders=[]) == {}


def test_allocation_never_exceeds_an_order_or_the_size():
    orders = [Order(i, Decimal(100000 * (i % 7 + 1)), Decimal("0.02") + Decimal(i % 3) / 1000) for i in range(1, 40)]
    for size in (Decimal("500000"), Decimal("3300000"), Decimal("9900000"), Decimal("50000000")):
        allotted = allocate(size=size, orders=orders)
        assert sum(allotted.values()) <= size
        for order in orders:
            assert 0 <= allotted[order.order_id] <= order.amount
            assert allotted[order.order_id] % Decimal("100000") == 0
