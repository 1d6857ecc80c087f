"""The book of a tranche: coverage, clearing yield, and pro-rata allocation in units. No Django.

Book building for Chinese ABS is a yield auction: investors state an amount
and the lowest yield they accept. The clearing yield is the yield of the
marginal order, the lowest yield at which cumulative demand (orders sorted by
yield, lowest first) covers the tranche. Every order at or below the clearing
yield is allotted, pro rata to its amount when demand exceeds the size, in
whole units (100,000 CNY by default); units left over by rounding down go to
the largest fractional remainders (Hamilton's method), ties to the earlier
order. An undersubscribed book clears at the highest yield asked and allots
every order in full (rounded down to units).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

DEFAULT_UNIT = Decimal("100000")


@dataclass(frozen=True)
class Order:
    """One active order: an id of the caller's, the amount (CNY) and the yield asked (a fraction)."""

    order_id: int
    amount: Decimal
    yield_rate: Decimal


@dataclass(frozen=True)
class BookSummary:
    """Demand against size, and where the book clears."""

    size: Decimal
    demand: Decimal
    coverage: Decimal
    clearing_yield: Decimal | None
    demand_at_clearing: Decimal
    fully_covered: bool


def book_summary(*, size: Decimal, orders: list[Order]) -> BookSummary:
    """Coverage multiple (demand / size) and the clearing yield of the marginal order."""
    demand = sum((o.amount for o in orders), Decimal(0))
    coverage = (demand / size).quantize(Decimal("0.01")) if size else Decimal(0)
    clearing = None
    cumulative = Decimal(0)
    for order in sorted(orders, key=lambda o: (o.yield_rate, o.order_id)):
        cumulative += order.amount
        clearing = order.yield_rate
        if cumulative >= size:
            break
    at_clearing = sum((o.amount for o in orders if clearing is not None and o.yield_rate <= clearing), Decimal(0))
    return BookSummary(
        size=size,
        demand=demand,
        coverage=coverage,
        clearing_yield=clearing,
        demand_at_clearing=at_clearing,
        fully_covered=demand >= size,
    )


def allocate(*, size: Decimal, orders: list[Order], unit: Decimal = DEFAULT_UNIT) -> dict[int, Decimal]:
    """Amount allotted to each order id (0 for orders above the clearing yield)."""
    summary = book_summary(size=size, orders=orders)
    allocation = {o.order_id: Decimal(0) for o in orders}
    if summary.clearing_yield is None:
        return allocation
    eligible = [o for o in orders if o.yield_rate <= summary.clearing_yield]
    demand = summary.demand_at_clearing
    size_units = int((size / unit).to_integral_value(rounding=ROUND_FLOOR))
    order_units = {o.order_id: int((o.amount / unit).to_integral_value(rounding=ROUND_FLOOR)) for o in eligible}
    if demand <= size:
        return {**allocation, **{oid: units * unit for oid, units in order_units.items()}}
    # Pro rata on amounts, floored to units, then Hamilton's largest remainders.
    shares = {o.order_id: Decimal(size_units) * o.amount / demand for o in eligible}
    units = {
        oid: min(order_units[oid], int(share.to_integral_value(rounding=ROUND_FLOOR))) for oid, share in shares.items()
    }
    left = size_units - sum(units.values())
    by_remainder = sorted(eligible, key=lambda o: (-(shares[o.order_id] - units[o.order_id]), o.order_id))
    while left > 0:
        progressed = False
        for order in by_remainder:
            if left == 0:
                break
            if units[order.order_id] < order_units[order.order_id]:
                units[order.order_id] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return {**allocation, **{oid: n * unit for oid, n in units.items()}}
