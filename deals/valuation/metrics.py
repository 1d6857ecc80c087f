"""Per tranche metrics (shortfall probability, expected loss, WAL, yield, IRR, rating, coupon) and the DSCR summary."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .assumptions import ValuationAssumptions
from .inputs import LegalRisk, MarketInputs
from .irr import batched_irr
from .rating import CouponSuggestion, expected_loss_threshold, implied_rating, rating_rank, suggested_coupon
from .simulate import StructureOutcome
from .waterfall import WaterfallStructure


@dataclass(frozen=True)
class Histogram:
    """Counts over bin edges; `zero_share` is the share of values exactly zero (kept out of the bins)."""

    edges: list[float]
    counts: list[int]
    zero_share: float | None = None


@dataclass(frozen=True)
class TrancheResult:
    """One class of notes over all paths."""

    name: str
    tranche_class: str
    priority: int
    size: float
    coupon: float  # the coupon the waterfall paid (the tranche's, or the provisional one)
    coupon_given: bool
    probability_of_shortfall: float
    expected_loss: float
    expected_loss_standard_error: float
    wal_years: float
    expected_yield: float  # IRR of the mean cash flows, annual (periodic x periods per year)
    irr_mean: float | None
    irr_percentiles: dict[str, float | None]  # p5, p50, p95 of the per-path IRR
    implied_rating: str
    expected_loss_threshold: float  # the implied rating's bound at this WAL
    target_rating: str
    meets_target: bool | None
    suggested_coupon: CouponSuggestion | None  # for classes with a promised coupon (not the residual)
    loss_histogram: Histogram


def loss_histogram(losses: np.ndarray, bins: int) -> Histogram:
    """Distribution of the loss fraction: share of paths with no loss, and counts over (0, 1] in equal bins."""
    positive = losses[losses > 0]
    counts, edges = np.histogram(positive, bins=bins, range=(0.0, 1.0))
    return Histogram(edges.tolist(), counts.astype(int).tolist(), float(np.mean(losses <= 0)))


def _percentile(values: np.ndarray, q: float) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.percentile(finite, q)) if finite.size else None


def tranche_results(
    outcome: StructureOutcome,
    structure: WaterfallStructure,
    *,
    priorities: list[int],
    target_ratings: list[str],
    coupons_given: list[bool],
    market: MarketInputs,
    legal_risk: LegalRisk,
    assumptions: ValuationAssumptions,
) -> list[TrancheResult]:
    """Summarise every class: PoS, EL (with its Monte Carlo standard error), WAL, yields, IRR, rating, coupon.

    Expected yield is the IRR of the mean cash flow vector (a loss-adjusted
    yield); the per-path IRR distribution is reported beside it. The implied
    rating maps EL and WAL through the idealised expected-loss table; the
    suggested coupon prices the implied rating at the class's WAL.
    """
    results = []
    ppy = structure.periods_per_year
    for j, name in enumerate(structure.names):
        loss = outcome.loss[j]
        n = loss.size
        el = float(loss.mean())
        wal = float(outcome.wal_years[j].mean())
        size = float(structure.sizes[j])
        expected_yield = float("nan")
        if outcome.cash is not None:
            mean_flows = np.concatenate([[-size], outcome.cash[j].mean(axis=1)])
            expected_yield = float(batched_irr(mean_flows[None, :])[0] * ppy)
        irr = outcome.irr[j]
        rating = implied_rating(el, wal, assumptions)
        residual = structure.residual == j and structure.period_rates[j] == 0
        coupon = None
        if not residual:
            coupon = suggested_coupon(
                rating=rating, wal_years=wal, market=market, legal_risk=legal_risk, assumptions=assumptions
            )
        target = target_ratings[j]
        results.append(
            TrancheResult(
                name=name,
                tranche_class=structure.classes[j],
                priority=priorities[j],
                size=size,
                coupon=float(structure.period_rates[j] * ppy),
                coupon_given=coupons_given[j],
                probability_of_shortfall=float(outcome.shortfall[j].mean()),
                expected_loss=el,
                expected_loss_standard_error=float(loss.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
                wal_years=wal,
                expected_yield=expected_yield,
                irr_mean=float(np.nanmean(irr)) if np.isfinite(irr).any() else None,
                irr_percentiles={f"p{q}": _percentile(irr, q) for q in (5, 50, 95)},
                implied_rating=rating,
                expected_loss_threshold=expected_loss_threshold(rating, wal, assumptions),
                target_rating=target,
                meets_target=None if target == "NR" else rating_rank(rating) <= rating_rank(target),
                suggested_coupon=coupon,
                loss_histogram=loss_histogram(loss, assumptions.loss_histogram_bins),
            )
        )
    return results


@dataclass(frozen=True)
class DscrSummary:
    """DSCR over paths and periods: per-path minimum percentiles, breach probabilities, histogram, fan by period."""

    trigger: float
    minimum_percentiles: dict[str, float | None]
    probability_below_trigger: float  # share of paths whose minimum DSCR is below the trigger level
    probability_below_one: float
    probability_trigger_tripped: float  # DSCR or regulatory event, any time before the legal final
    histogram: Histogram  # all path-periods with rated debt service due; the last bin is open-ended
    percentiles_by_period: dict[str, list[float | None]]


def dscr_summary(
    outcome: StructureOutcome, structure: WaterfallStructure, assumptions: ValuationAssumptions
) -> DscrSummary:
    """Distribution of the debt service coverage ratio (cash after fees / scheduled rated debt service)."""
    dscr = outcome.dscr
    periods = dscr.shape[0]
    minimum = np.where(np.isnan(dscr), np.inf, dscr).min(axis=0)
    minimum[np.isinf(minimum)] = np.nan  # no rated debt service was ever due on that path
    finite = dscr[np.isfinite(dscr)]
    top = assumptions.dscr_histogram_max
    counts, edges = np.histogram(np.minimum(finite, top), bins=assumptions.dscr_histogram_bins, range=(0.0, top))
    quantiles = assumptions.fan_percentiles
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # periods where nothing is due on any path
        table = np.nanpercentile(dscr, quantiles, axis=1)
    by_period = {
        f"p{q:g}": [None if np.isnan(v) else float(v) for v in row] for q, row in zip(quantiles, table, strict=True)
    }
    trigger = structure.dscr_trigger
    return DscrSummary(
        trigger=trigger,
        minimum_percentiles={f"p{q:g}": _percentile(minimum, q) for q in assumptions.fan_percentiles},
        probability_below_trigger=float(np.mean(np.nan_to_num(minimum, nan=np.inf) < trigger)),
        probability_below_one=float(np.mean(np.nan_to_num(minimum, nan=np.inf) < 1.0)),
        probability_trigger_tripped=float(np.mean(outcome.trigger_period < periods)),
        histogram=Histogram(edges.tolist(), counts.astype(int).tolist()),
        percentiles_by_period=by_period,
    )
