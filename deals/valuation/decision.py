"""Ratings decided at a stated confidence: importance sampling tilted by cross-entropy, then simulate until decided.

A senior note rated AAA at a 1.5-year WAL may lose at most 7e-7 of its value
in expectation: plain Monte Carlo with ten thousand paths sees none of the
paths that make that loss and cannot tell AAA from AA. The engine therefore

1. searches a tilt of the normal draws towards the bad states (the revenue
   innovations, the pool's systematic and obligor factors and, for the rating
   with support, the providers' own factors) by the cross-entropy method
   (Rubinstein and Kroese 2004): each round simulates a pilot of paths with
   the current tilt and moves the tilt to the likelihood-weighted mean draw of
   the worst tenth of the paths (by loss once enough paths lose, else by a
   proxy: the collections plus the support still standing);
2. simulates blocks of paths with that tilt, weighting every path by its
   likelihood ratio w, and estimates each class's expected loss as mean(w L)
   with standard error sd(w L) / sqrt(n);
3. stops when every class's two-sided interval at the stated confidence lies
   inside one rating's band of Moody's idealised loss table at its WAL, or
   when the path budget is spent, and then reports the range ("between AA+
   and AAA") and rates at its conservative end.

The rating with support (enhanced) and without it (underlying) are decided on
separate tilts: the provider's factor only matters to the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.stats import norm

from .history import RevenueModel
from .inputs import ValuationInputs
from .metrics import RatingDecision
from .rating import implied_rating
from .simulate import TILT_GROUPS, SimulatedCollections, Tilt, evaluate_structure, simulate_collections
from .waterfall import WaterfallStructure

Progress = Callable[[float], None]
_FAMILY_BASE = {
    "enhanced": 1_000,
    "underlying": 2_000,
    "enhanced_without_data": 3_000,
    "underlying_without_data": 4_000,
}


@dataclass(frozen=True)
class VariantDecision:
    """The decisions of one variant (with or without support) and how they were reached."""

    variant: str
    tilt: Tilt
    decisions: dict[int, RatingDecision]
    paths: int
    rounds: list[dict[str, object]]
    seconds: float
    sample: SimulatedCollections | None = field(default=None, repr=False)


def _groups_in_play(inputs: ValuationInputs, with_provider: bool) -> tuple[str, ...]:
    groups = []
    if inputs.revenue_history is not None:
        groups.append("revenue")
    if inputs.loan_assets:
        groups += ["systematic", "idiosyncratic"]
    if with_provider and inputs.supports:
        groups.append("provider")
    return tuple(groups)


def _concat(samples: list[SimulatedCollections]) -> SimulatedCollections:
    if len(samples) == 1:
        return samples[0]
    first = samples[0]

    def cat(name: str, axis: int = -1) -> np.ndarray:
        return np.concatenate([getattr(s, name) for s in samples], axis=axis)

    monthly = cat("monthly")
    same = first.monthly is first.data_monthly
    return replace(
        first,
        monthly=monthly,
        periods=monthly if first.periods is first.monthly else cat("periods"),
        data_monthly=monthly if same else cat("data_monthly"),
        sources={k: np.concatenate([s.sources[k] for s in samples]) for k in first.sources},
        pool_loss=cat("pool_loss"),
        regulatory_start=cat("regulatory_start"),
        regulatory_event_period=cat("regulatory_event_period"),
        support_default_period=cat("support_default_period"),
        log_weight=cat("log_weight"),
        factor_means={k: np.concatenate([s.factor_means[k] for s in samples]) for k in first.factor_means},
    )


def decide_variant(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    *,
    variant: str,
    classes: list[int],
    wal_years: dict[int, float],
    seed: int,
    revenue_model: RevenueModel | None,
    pledged_values: np.ndarray | None,
    with_data: bool = True,
    keep_paths: int = 0,
    progress: Progress | None = None,
) -> VariantDecision:
    """Tilt by cross-entropy towards the first class's losses, then simulate blocks until every class is decided."""
    a = inputs.assumptions
    report = progress or (lambda fraction: None)
    began = time.perf_counter()
    with_provider = variant.startswith("enhanced")
    groups = _groups_in_play(inputs, with_provider)
    family = _FAMILY_BASE[variant]
    chunk = a.default_chunk_size
    target = classes[0]
    amounts = structure.support_amounts if structure.supports else np.zeros(0)

    def simulate(n: int, tilt: Tilt, fam: int) -> SimulatedCollections:
        return simulate_collections(
            inputs, n_paths=n, seed=seed, chunk_size=chunk, revenue_model=revenue_model,
            pledged_values=pledged_values, tilt=tilt, family=fam, with_data=with_data,
        )  # fmt: skip

    tilt = Tilt()
    rounds: list[dict[str, object]] = []
    for r in range(a.rating_tilt_rounds if groups else 0):
        sim = simulate(a.rating_pilot_paths, tilt, family + r)
        out = evaluate_structure(sim, structure, chunk_size=chunk, with_irr=False, keep_cash=False)
        loss = out.loss[target]
        w = sim.weights
        losing = float(np.mean(loss > 0))
        if losing >= a.rating_elite_share:
            v = w * loss  # the cross-entropy optimum for the expected loss itself
            chosen = "loss"
        else:
            standing = (
                (sim.support_default_period >= sim.periods.shape[0]) * amounts[:, None]
                if with_provider and amounts.size
                else 0.0
            )
            proxy = sim.total_cash + np.sum(standing, axis=0)
            elite = (proxy <= np.quantile(proxy, a.rating_elite_share)) | (loss > 0)
            # Before any loss is seen, the worst paths as sampled lead the way (multilevel cross-entropy without
            # the likelihood weights, which would hold the tilt near the paths already seen); the estimate stays
            # unbiased for any tilt, the tilt only sets its variance.
            v = elite.astype(float)
            chosen = "proxy"
        total = float(v.sum())
        if total <= 0:
            break
        shifts = dict.fromkeys(TILT_GROUPS, 0.0)
        for g in groups:
            cap = a.rating_max_tilt[g]
            shifts[g] = float(np.clip(v @ sim.factor_means[g] / total, -cap, cap))
        rounds.append({"round": r + 1, "steered_by": chosen, "losing_share": losing, **Tilt(**shifts).as_dict()})
        tilt = Tilt(**shifts)
        report(0.3 * (r + 1) / a.rating_tilt_rounds)
        if chosen == "loss":
            break

    sums = {j: [0.0, 0.0, 0.0] for j in classes}  # sum wL, sum (wL)^2, sum w L^2
    kept: list[SimulatedCollections] = []
    paths, block = 0, 0
    decisions: dict[int, RatingDecision] = {}
    while True:
        sim = simulate(a.rating_block_paths, tilt, family + 100 + block)
        out = evaluate_structure(sim, structure, chunk_size=chunk, with_irr=False, keep_cash=False)
        w = sim.weights
        for j in classes:
            wl = w * out.loss[j]
            sums[j][0] += float(wl.sum())
            sums[j][1] += float(wl @ wl)
            sums[j][2] += float(wl @ out.loss[j])
        if keep_paths and sum(s.periods.shape[1] for s in kept) < keep_paths:
            kept.append(sim)
        paths += sim.periods.shape[1]
        block += 1
        decisions = {j: _decision(sums[j], paths, wal_years[j], inputs, tilt) for j in classes}
        done = all(d.decided for d in decisions.values())
        report(0.3 + 0.7 * min(1.0, paths / a.rating_max_paths))
        if done or paths >= a.rating_max_paths:
            break
    report(1.0)
    return VariantDecision(
        variant=variant,
        tilt=tilt,
        decisions=decisions,
        paths=paths,
        rounds=rounds,
        seconds=time.perf_counter() - began,
        sample=_concat(kept) if kept else None,
    )


def _decision(sums: list[float], n: int, wal_years: float, inputs: ValuationInputs, tilt: Tilt) -> RatingDecision:
    a = inputs.assumptions
    total, squares, second = sums
    el = total / n
    variance = max(squares / n - el * el, 0.0) * n / max(n - 1, 1)
    se = float(np.sqrt(variance / n))
    z = float(norm.ppf(0.5 + a.rating_confidence / 2))
    low, high = max(0.0, el - z * se), el + z * se
    worst, best = implied_rating(high, wal_years, a), implied_rating(low, wal_years, a)
    plain_variance = max(second / n - el * el, 0.0)
    plain_paths = plain_variance / (se * se) if se > 0 else None
    return RatingDecision(
        expected_loss=float(el),
        standard_error=se,
        interval=(float(low), float(high)),
        rating=worst,
        decided=worst == best,
        range=(best, worst),
        paths=n,
        method="plain Monte Carlo" if tilt.is_plain else "importance sampling",
        plain_paths_for_same_error=plain_paths,
    )
