"""Implied rating from expected loss and weighted average life, and the suggested coupon with its components."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import RATING_SCALE, ValuationAssumptions
from .inputs import LegalRisk, MarketInputs


def expected_loss_threshold(rating: str, wal_years: float, assumptions: ValuationAssumptions) -> float:
    """Highest expected loss (fraction) a tranche of this WAL may have for `rating`.

    Method: Moody's idealised cumulative expected-loss table (assumptions),
    interpolated linearly in years between the 1- and 10-year columns and held
    flat outside them.
    """
    table = assumptions.idealised_expected_loss_percent[rating]
    years = np.arange(1, len(table) + 1, dtype=float)
    return float(np.interp(wal_years, years, np.asarray(table, dtype=float))) / 100.0


def implied_rating(expected_loss: float, wal_years: float, assumptions: ValuationAssumptions) -> str:
    """The best rating whose idealised expected loss at this WAL is at least the tranche's expected loss."""
    for rating in RATING_SCALE:
        if expected_loss <= expected_loss_threshold(rating, wal_years, assumptions):
            return rating
    return RATING_SCALE[-1]


def rating_rank(rating: str) -> int:
    """Position on the scale, 0 = AAA; not rated sorts last."""
    return RATING_SCALE.index(rating) if rating in RATING_SCALE else len(RATING_SCALE)


@dataclass(frozen=True)
class CouponSuggestion:
    """A coupon built up from the benchmark at the tranche's WAL and four premiums (annual fractions)."""

    rating: str
    wal_years: float
    benchmark: float
    rating_spread: float
    liquidity_premium: float
    tenor_premium: float
    legal_premium: float
    coupon: float


def suggested_coupon(
    *, rating: str, wal_years: float, market: MarketInputs, legal_risk: LegalRisk, assumptions: ValuationAssumptions
) -> CouponSuggestion:
    """Coupon = benchmark at WAL + rating spread + liquidity premium + tenor premium + legal-risk premium.

    The benchmark is the arranger's government curve interpolated at the WAL;
    the rating spread comes from the arranger's table; the liquidity premium
    prices the data-asset ABS market's thin secondary trading; the tenor
    premium adds a fixed amount per year of WAL beyond one; the legal-risk
    premium is proportional to the compliance review's haircut. No clamp.
    """
    benchmark = market.benchmark_at(wal_years)
    spread = float(market.rating_spreads[rating])
    tenor = assumptions.tenor_premium_per_year * max(0.0, wal_years - 1.0)
    legal = assumptions.legal_premium_per_haircut * legal_risk.haircut
    liquidity = assumptions.liquidity_premium
    return CouponSuggestion(
        rating=rating,
        wal_years=wal_years,
        benchmark=benchmark,
        rating_spread=spread,
        liquidity_premium=liquidity,
        tenor_premium=tenor,
        legal_premium=legal,
        coupon=benchmark + spread + liquidity + tenor + legal,
    )
