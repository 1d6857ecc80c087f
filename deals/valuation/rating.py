"""Implied rating from expected loss and weighted average life, and the suggested coupon with its components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import RATING_SCALE, ValuationAssumptions
from .inputs import LegalRisk, MarketInputs


def expected_loss_threshold(rating: str, wal_years: float, assumptions: ValuationAssumptions) -> float:
    """Highest expected loss (fraction) a tranche of this WAL may have for `rating`.

    Method: Moody's idealised cumulative expected-loss table (assumptions),
    interpolated linearly in years between its 1- and 10-year columns, from
    zero at zero years to the 1-year value below one year (a loss rate over a
    shorter life is proportionally smaller), and held flat beyond ten years.
    """
    table = np.asarray(assumptions.idealised_expected_loss_percent[rating], dtype=float)
    years = np.arange(0, table.size + 1, dtype=float)
    return float(np.interp(max(wal_years, 0.0), years, np.concatenate([[0.0], table]))) / 100.0


def rating_thresholds(wal_years: float, assumptions: ValuationAssumptions) -> np.ndarray:
    """The expected-loss bound of every rating of the scale at this WAL, best rating first."""
    return np.array([expected_loss_threshold(r, wal_years, assumptions) for r in RATING_SCALE])


def implied_rating(expected_loss: float, wal_years: float, assumptions: ValuationAssumptions) -> str:
    """The best rating whose idealised expected loss at this WAL is at least the tranche's expected loss."""
    bounds = rating_thresholds(wal_years, assumptions)
    for rating, bound in zip(RATING_SCALE, bounds, strict=True):
        if expected_loss <= bound:
            return rating
    return RATING_SCALE[-1]


def rating_rank(rating: str) -> int:
    """Position on the scale, 0 = AAA; not rated sorts last."""
    return RATING_SCALE.index(rating) if rating in RATING_SCALE else len(RATING_SCALE)


def notches_between(better: str, worse: str) -> int:
    """How many notches `worse` sits below `better` (0 when it does not)."""
    return max(0, rating_rank(worse) - rating_rank(better))


@dataclass(frozen=True)
class CouponSuggestion:
    """A coupon built up from the benchmark at the tranche's WAL and its premiums (annual fractions)."""

    rating: str
    wal_years: float
    benchmark: float
    rating_spread: float
    liquidity_premium: float
    tenor_premium: float
    support_premium: float
    legal_premium: float
    coupon: float
    support_party: str = ""  # provider type the class relies on ("" when it stands on the pool)
    support_rating: str = ""


def suggested_coupon(
    *,
    rating: str,
    wal_years: float,
    market: MarketInputs,
    legal_risk: LegalRisk,
    assumptions: ValuationAssumptions,
    support_party: str = "",
    support_rating: str = "",
) -> CouponSuggestion:
    """Coupon = benchmark at WAL + rating spread + liquidity + tenor + support premium + legal-risk premium.

    The benchmark is the arranger's government curve of the pricing date,
    interpolated at the WAL; the rating spread comes from the arranger's table;
    the liquidity premium prices the data-asset ABS market's thin secondary
    trading; the tenor premium adds a fixed amount per year of WAL beyond one;
    the support premium is what investors ask for relying on the party that
    lifts the class above its own underlying rating, by the party's type and
    rating (zero when the class stands on the pool's own cash); the legal-risk
    premium is proportional to the compliance review's haircut. No clamp.
    """
    benchmark = market.benchmark_at(wal_years)
    spread = float(market.rating_spreads[rating])
    per_year = market.tenor_premium_per_year
    tenor = (assumptions.tenor_premium_per_year if per_year is None else per_year) * max(0.0, wal_years - 1.0)
    legal = assumptions.legal_premium_per_haircut * legal_risk.haircut
    liquidity = assumptions.liquidity_premium if market.liquidity_premium is None else market.liquidity_premium
    support = 0.0
    if support_party:
        found = market.support_premium(support_party, support_rating or "NR")
        if found is None:  # an unrated provider is priced like the lowest rating the table knows for its type
            table = market.support_premiums.get(support_party) or {}
            found = max(table.values()) if table else 0.0
        support = float(found)
    return CouponSuggestion(
        rating=rating,
        wal_years=wal_years,
        benchmark=benchmark,
        rating_spread=spread,
        liquidity_premium=liquidity,
        tenor_premium=tenor,
        support_premium=support,
        legal_premium=legal,
        coupon=benchmark + spread + liquidity + tenor + support + legal,
        support_party=support_party,
        support_rating=support_rating if support_party else "",
    )
