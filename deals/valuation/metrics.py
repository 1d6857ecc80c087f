"""Per tranche metrics (shortfall probability, expected loss, WAL, yield, IRR, ratings, coupon) and the DSCR summary."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .assumptions import ValuationAssumptions
from .irr import batched_irr
from .rating import CouponSuggestion, expected_loss_threshold, rating_rank
from .simulate import StructureOutcome
from .waterfall import WaterfallStructure


@dataclass(frozen=True)
class Histogram:
    """Counts over bin edges; `zero_share` is the share of values exactly zero (kept out of the bins)."""

    edges: list[float]
    counts: list[int]
    zero_share: float | None = None


@dataclass(frozen=True)
class RatingDecision:
    """A class's expected loss with its standard error, and the rating it decides at the stated confidence.

    `rating` is the conservative rating: the best one whose bound the upper
    end of the interval still meets. When the interval crosses a bound the
    rating is not decided and `range` names both ends ("between AA+ and AAA").
    """

    expected_loss: float
    standard_error: float
    interval: tuple[float, float]
    rating: str
    decided: bool
    range: tuple[str, str]  # (best, worst) the interval allows
    paths: int
    method: str  # "importance sampling" or "plain Monte Carlo"
    plain_paths_for_same_error: float | None  # paths plain Monte Carlo needs for this standard error
    capped_by_provider: str = ""  # the rating of the support party that capped it (see docs/valuation.md)


@dataclass(frozen=True)
class TrancheResult:
    """One class of notes over all paths; the residual class is not rated (NR)."""

    name: str
    tranche_class: str
    priority: int
    size: float
    coupon: float  # the coupon the waterfall paid (the tranche's, or the provisional one)
    coupon_given: bool
    rated: bool
    probability_of_shortfall: float
    expected_loss: float
    expected_loss_standard_error: float
    wal_years: float
    expected_yield: float  # IRR of the mean cash flows, annual (periodic x periods per year)
    irr_mean: float | None
    irr_percentiles: dict[str, float | None]  # p5, p50, p95 of the per-path IRR
    implied_rating: str  # the enhanced rating: with every support the deal has
    rating: RatingDecision | None
    underlying_rating: str  # stand-alone: without external support
    underlying: RatingDecision | None
    support_notches: int  # notches the support lifts the class
    support_loss_share: float  # share of the stand-alone expected loss the support removes
    expected_loss_threshold: float | None  # the implied rating's bound at this WAL
    target_rating: str
    meets_target: bool | None
    suggested_coupon: CouponSuggestion | None  # for rated classes
    loss_histogram: Histogram


def loss_histogram(losses: np.ndarray, bins: int) -> Histogram:
    """Distribution of the loss fraction: share of paths with no loss, and counts over (0, 1] in equal bins."""
    positive = losses[losses > 0]
    counts, edges = np.histogram(positive, bins=bins, range=(0.0, 1.0))
    return Histogram(edges.tolist(), counts.astype(int).tolist(), float(np.mean(losses <= 0)))


def _percentile(values: np.ndarray, q: float) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.percentile(finite, q)) if finite.size else None


def plain_summary(outcome: StructureOutcome, structure: WaterfallStructure, j: int) -> dict[str, float]:
    """A class's mean loss, its standard error and its mean WAL over the plain Monte Carlo paths."""
    loss = outcome.loss[j]
    n = loss.size
    return {
        "expected_loss": float(loss.mean()),
        "standard_error": float(loss.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
        "wal_years": float(outcome.wal_years[j].mean()),
    }


def tranche_results(
    outcome: StructureOutcome,
    structure: WaterfallStructure,
    *,
    priorities: list[int],
    target_ratings: list[str],
    coupons_given: list[bool],
    decisions: dict[int, RatingDecision],
    underlying: dict[int, RatingDecision],
    coupons: dict[int, CouponSuggestion],
    assumptions: ValuationAssumptions,
) -> list[TrancheResult]:
    """Summarise every class: PoS, EL (with its standard error), WAL, yields, IRR, both ratings, coupon.

    Expected yield is the IRR of the mean cash flow vector (a loss-adjusted
    yield); the per-path IRR distribution is reported beside it. The ratings
    and their expected losses come from the rating decision (`decisions`:
    with support, `underlying`: without); the residual class is not rated.
    """
    results = []
    ppy = structure.periods_per_year
    rated = set(structure.rated)
    for j, name in enumerate(structure.names):
        plain = plain_summary(outcome, structure, j)
        wal = plain["wal_years"]
        size = float(structure.sizes[j])
        expected_yield = float("nan")
        if outcome.cash is not None:
            mean_flows = np.concatenate([[-size], outcome.cash[j].mean(axis=1)])
            expected_yield = float(batched_irr(mean_flows[None, :])[0] * ppy)
        irr = outcome.irr[j]
        decision = decisions.get(j) if j in rated else None
        stand_alone = underlying.get(j) if j in rated else None
        rating = decision.rating if decision else "NR"
        under = stand_alone.rating if stand_alone else rating
        el = decision.expected_loss if decision else plain["expected_loss"]
        se = decision.standard_error if decision else plain["standard_error"]
        el_alone = stand_alone.expected_loss if stand_alone else el
        target = target_ratings[j]
        results.append(
            TrancheResult(
                name=name,
                tranche_class=structure.classes[j],
                priority=priorities[j],
                size=size,
                coupon=float(structure.period_rates[j] * ppy),
                coupon_given=coupons_given[j],
                rated=j in rated,
                probability_of_shortfall=float(outcome.shortfall[j].mean()),
                expected_loss=el,
                expected_loss_standard_error=se,
                wal_years=wal,
                expected_yield=expected_yield,
                irr_mean=float(np.nanmean(irr)) if np.isfinite(irr).any() else None,
                irr_percentiles={f"p{q}": _percentile(irr, q) for q in (5, 50, 95)},
                implied_rating=rating,
                rating=decision,
                underlying_rating=under,
                underlying=stand_alone,
                support_notches=max(0, rating_rank(under) - rating_rank(rating)) if decision else 0,
                support_loss_share=(
                    float(np.clip((el_alone - el) / el_alone, 0.0, 1.0)) if decision and el_alone > 0 else 0.0
                ),
                expected_loss_threshold=expected_loss_threshold(rating, wal, assumptions) if decision else None,
                target_rating=target,
                meets_target=None if target == "NR" or not decision else rating_rank(rating) <= rating_rank(target),
                suggested_coupon=coupons.get(j),
                loss_histogram=loss_histogram(outcome.loss[j], assumptions.loss_histogram_bins),
            )
        )
    return results


@dataclass(frozen=True)
class DscrSummary:
    """DSCR before and after a trip, apart: per-path lowest DSCR, breach and trip probabilities, histograms.

    Before a trip: the periods to expected maturity that began with the
    trigger standing; after: those that began tripped (the debt service then
    follows the sequential order, not the schedule, so those ratios are shown
    apart and never set the lowest DSCR or the trip probability).
    """

    trigger: float | None
    window_periods: int
    cure_periods: int
    minimum_percentiles: dict[str, float | None]  # of each path's lowest DSCR before any trip
    probability_below_trigger: float  # a period before any trip with its own DSCR below the trigger level
    probability_below_one: float  # ... below 1.0
    probability_trigger_tripped: float  # the trigger (DSCR or regulatory event) tripped before expected maturity
    share_of_periods_tripped: float  # of the path-periods to expected maturity
    histogram: Histogram  # path-periods before a trip; the last bin is open-ended
    histogram_after_trip: Histogram  # path-periods after a trip
    percentiles_by_period: dict[str, list[float | None]]  # over the paths not tripped at the period's start


def dscr_summary(
    outcome: StructureOutcome, structure: WaterfallStructure, assumptions: ValuationAssumptions
) -> DscrSummary:
    """Distribution of the debt service coverage ratio, before and after the trigger trips."""
    n_scheduled = max(int(structure.scheduled_periods), 1)
    dscr = outcome.dscr[:n_scheduled]
    before = ~outcome.tripped_at_start[:n_scheduled]
    pre = np.where(before, dscr, np.nan)
    post = np.where(~before, dscr, np.nan)
    minimum = np.where(np.isnan(pre), np.inf, pre).min(axis=0)
    minimum[np.isinf(minimum)] = np.nan  # no rated debt service was due before a trip on that path
    top = assumptions.dscr_histogram_max
    bins = assumptions.dscr_histogram_bins

    def histogram(values: np.ndarray) -> Histogram:
        finite = values[np.isfinite(values)]
        counts, edges = np.histogram(np.minimum(finite, top), bins=bins, range=(0.0, top))
        return Histogram(edges.tolist(), counts.astype(int).tolist())

    quantiles = assumptions.fan_percentiles
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # periods where nothing is due on any path
        table = np.nanpercentile(pre, quantiles, axis=1)
    by_period = {
        f"p{q:g}": [None if np.isnan(v) else float(v) for v in row] for q, row in zip(quantiles, table, strict=True)
    }
    trigger = structure.dscr_trigger if np.isfinite(structure.dscr_trigger) else None
    lowest = np.nan_to_num(minimum, nan=np.inf)
    return DscrSummary(
        trigger=trigger,
        window_periods=int(structure.trigger_window),
        cure_periods=int(structure.trigger_cure),
        minimum_percentiles={f"p{q:g}": _percentile(minimum, q) for q in assumptions.fan_percentiles},
        probability_below_trigger=float(np.mean(lowest < trigger)) if trigger is not None else 0.0,
        probability_below_one=float(np.mean(lowest < 1.0)),
        probability_trigger_tripped=float(np.mean(outcome.trigger_period < n_scheduled)),
        share_of_periods_tripped=float(np.mean(~before)),
        histogram=histogram(pre),
        histogram_after_trip=histogram(post),
        percentiles_by_period=by_period,
    )
