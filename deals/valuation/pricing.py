"""The comparables view of pricing: issued seniors' spreads over the curve on their dates, fitted. No Django."""

from __future__ import annotations

from typing import Any

import numpy as np

from .inputs import ComparableDeal, MarketInputs
from .results import PricingComparables


def fit_comparables(
    comparables: tuple[ComparableDeal, ...],
    *,
    market: MarketInputs,
    subject_rating: str | None,
    subject_wal: float | None,
    subject_support: str,
) -> PricingComparables:
    """Fit spread - rating spread = a + b (WAL - 1) + c[support type] on the issued deals; price the subject.

    Least squares; each support-type coefficient (against "none": a senior on
    its own cash) gets one pseudo-observation at zero, so a type seen once is
    shrunk halfway instead of fitted exactly. With fewer than three deals no
    fit is made and the comparables are only listed.
    """
    rows: list[dict[str, Any]] = []
    for c in comparables:
        table = float(market.rating_spreads.get(c.rating, market.rating_spreads["AAA"]))
        rows.append(
            {
                "name": c.name,
                "issue_date": c.issue_date,
                "coupon": c.coupon,
                "benchmark": c.benchmark,
                "spread": c.spread,
                "wal_years": c.wal_years,
                "rating": c.rating,
                "support_type": c.support_type,
                "excess_spread": c.spread - table,
            }
        )
    subject: dict[str, Any] | None = None
    if subject_rating and subject_wal is not None:
        subject = {"rating": subject_rating, "wal_years": subject_wal, "support_type": subject_support or "none"}
    if len(rows) < 3:
        return PricingComparables(rows, None, None, None, None, subject)
    types = sorted({r["support_type"] for r in rows} - {"none"})
    design = np.array(
        [[1.0, float(r["wal_years"]) - 1.0, *[float(r["support_type"] == t) for t in types]] for r in rows]
    )
    target = np.array([float(r["excess_spread"]) for r in rows])
    penalty = np.zeros((len(types), design.shape[1]))
    for i in range(len(types)):
        penalty[i, 2 + i] = 1.0
    coef, *_ = np.linalg.lstsq(np.vstack([design, penalty]), np.concatenate([target, np.zeros(len(types))]), rcond=None)
    fitted = design @ coef
    for r, f in zip(rows, fitted, strict=True):
        r["fitted_excess_spread"] = float(f)
    dof = max(len(rows) - design.shape[1], 1)
    residual_sd = float(np.sqrt(np.sum((target - fitted) ** 2) / dof))
    coefficients = {"intercept": float(coef[0]), "per_year_of_wal": float(coef[1])}
    coefficients.update({f"support:{t}": float(coef[2 + i]) for i, t in enumerate(types)})
    fitted_spread: float | None = None
    fitted_coupon: float | None = None
    if subject is not None and subject_rating and subject_wal is not None:  # the subject was set on these
        support = subject["support_type"]
        excess = (
            coef[0]
            + coef[1] * (float(subject_wal) - 1.0)
            + (coef[2 + types.index(support)] if support in types else 0.0)
        )
        fitted_spread = float(market.rating_spreads[subject_rating] + excess)
        fitted_coupon = float(market.benchmark_at(float(subject_wal)) + fitted_spread)
    return PricingComparables(rows, coefficients, residual_sd, fitted_spread, fitted_coupon, subject)
