"""Ratings decided at a stated confidence: defensive importance sampling tilted by cross-entropy, until decided.

A senior note rated AAA at a 1.5-year WAL may lose at most 7e-7 of its value
in expectation: plain Monte Carlo with ten thousand paths sees none of the
paths that make that loss and cannot tell AAA from AA. For each rated class,
most senior first, the engine therefore

1. unless a pilot of plain paths already shows enough losses (then plain
   Monte Carlo it is), searches a tilt towards the class's losses of every
   random driver: the normal draws (the revenue innovations, the pool's
   systematic and obligor factors, the pledged data's value and, for the
   rating with support, the providers' own factors) and the rare events (the
   loss of each large licensee, a suspension of data use), by the
   cross-entropy method
   (Rubinstein and Kroese 2004): each round simulates a pilot of paths with
   the current tilt; until a tenth of them lose, the tilt moves to the mean
   draw of the paths worse than the tenth-worst by a proxy (the collections,
   plus the support still standing), then to the likelihood- and loss-weighted
   mean draw, the cross-entropy optimum for the expected loss. The rating with
   support starts from the stand-alone tilt, with the provider's own factor
   shifted so that it fails on about half the tilted paths: a supported class
   loses only when the pool and its provider both fail;
2. simulates blocks of paths with that tilt, half of them untilted
   (defensive importance sampling, Hesterberg 1995: no path's weight exceeds
   two, so losses in states the tilt does not aim at are still seen at half
   the plain rate and counted in the error), weighting every path by its
   likelihood ratio w, and estimates the class's expected loss as mean(w L)
   with standard error sd(w L) / sqrt(n);
3. looks at the estimate each time the sample has doubled, and stops when
   the two-sided interval lies inside one rating's band of Moody's idealised
   loss table at the class's WAL (the stated confidence is shared over the
   looks, Bonferroni, so stopping at the first look that decides keeps it for
   the whole procedure) and
   either no path lost, or at least `rating_min_losing_paths` did, or the
   rating holds at ten times the interval's top (a handful of weighted losses
   understates its own error); or when the path budget is
   spent; then it reports the range ("between AA+ and AAA") and rates at its
   conservative end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import norm

from .assumptions import ValuationAssumptions
from .history import RevenueModel
from .inputs import ValuationInputs
from .metrics import RatingDecision
from .projection import licensee_loss_within
from .rating import implied_rating
from .simulate import (
    TILT_GROUPS,
    SimulatedCollections,
    Tilt,
    evaluate_structure,
    provider_annual_pd,
    regulatory_within_tenor,
    simulate_collections,
)
from .waterfall import WaterfallStructure

Progress = Callable[[float], None]
# Random-number families: each variant 100,000 apart, each class 1,000 apart within it (rounds of the tilt
# search below 100, blocks of the estimate from 100), so no two samples share their draws.
_FAMILY_BASE = {
    "enhanced": 100_000,
    "underlying": 200_000,
    "enhanced_without_data": 300_000,
    "underlying_without_data": 400_000,
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
    tilts: dict[int, dict[str, object]] = field(default_factory=dict)  # each class's own tilt
    tilt_objects: dict[int, Tilt] = field(default_factory=dict, repr=False)


def _groups_in_play(inputs: ValuationInputs, with_provider: bool) -> tuple[str, ...]:
    groups = []
    if inputs.revenue_history is not None:
        groups.append("revenue")
    if inputs.loan_assets:
        groups += ["systematic", "idiosyncratic"]
    if any(x.pledged_data or x.pledged_data_value > 0 for x in inputs.loan_assets):
        groups.append("data_value")
    if with_provider and inputs.supports:
        groups.append("provider")
    return tuple(groups)


def _event_tilts(
    inputs: ValuationInputs, revenue_model: RevenueModel | None, sim: SimulatedCollections, v: np.ndarray
) -> dict[str, Any]:
    """The cross-entropy update of the rare events' chances: their likelihood-weighted frequency among the
    steering paths (the nominal chance of the event given a bad path), never below the nominal chance and at
    most the cap. `v` carries the likelihood weights."""
    total = float(v.sum())
    if total <= 0:
        return {}
    cap = inputs.assumptions.rating_max_tilt["event"]
    found: dict[str, Any] = {}  # Tilt fields by name
    lost = sim.events.get("licensee_lost")
    if revenue_model is not None and lost is not None and lost.shape[0]:
        nominal = licensee_loss_within(revenue_model, inputs.horizon_months)
        frequency = lost.astype(float) @ v / total
        found["licensee"] = tuple(
            float(min(cap, max(q, f))) if q > 0 else 0.0 for f, q in zip(frequency, nominal, strict=True)
        )
    within = regulatory_within_tenor(inputs)
    if within > 0:
        frequency = float(sim.events["suspended"].astype(float) @ v / total)
        found["regulatory"] = float(min(cap, max(within, frequency)))
    return found


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
        regulatory_event_end=cat("regulatory_event_end"),
        events={k: np.concatenate([s.events[k] for s in samples], axis=-1) for k in first.events},
        support_default_period=cat("support_default_period"),
        log_weight=cat("log_weight"),
        factor_means={k: np.concatenate([s.factor_means[k] for s in samples]) for k in first.factor_means},
    )


def provider_shift(inputs: ValuationInputs, structure: WaterfallStructure, target: int, pool_tilt: Tilt) -> float:
    """The provider factor's shift that makes the main support of the target class fail on about half the paths.

    Its latent variable is sqrt(rho) I + sqrt(1 - rho) e with the path's
    systematic index I (whose mean the pool tilt moves); it fails within the
    horizon when that is below Phi^-1(F), F = 1 - (1 - PD)^(horizon / 12).
    """
    covers, amounts = structure.support_covers, structure.support_amounts
    if not structure.supports:
        return 0.0
    # A structure with supports has both.
    assert covers is not None
    assert amounts is not None
    covering = [g for g in range(structure.supports) if covers[g, target]]
    if not covering:
        return 0.0
    main = max(covering, key=lambda g: amounts[g])
    support = inputs.supports[main]
    pd = provider_annual_pd(inputs)[main]
    if pd <= 0:
        return 0.0
    rho = inputs.assumptions.provider_correlation[support.provider_type]
    threshold = float(ndtri(1 - (1 - pd) ** (inputs.horizon_months / 12)))
    parts = []
    if inputs.revenue_history is not None:
        parts.append(pool_tilt.revenue * np.sqrt(inputs.horizon_months))
    if inputs.loan_assets:
        parts.append(pool_tilt.systematic)
    index = sum(parts) / np.sqrt(len(parts)) if parts else 0.0
    cap = inputs.assumptions.rating_max_tilt["provider"]
    return float(np.clip((threshold - np.sqrt(rho) * index) / np.sqrt(1 - rho), -cap, cap))


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
    start_tilts: dict[int, Tilt] | None = None,
    progress: Progress | None = None,
) -> VariantDecision:
    """Decide every class, most senior first, each on a tilt towards its own losses (module docstring).

    `start_tilts` (class -> tilt) start a class's search, e.g. from its
    stand-alone tilt; the first class's paths are kept (up to `keep_paths`)
    for the search of the largest senior size.
    """
    report = progress or (lambda fraction: None)
    began = time.perf_counter()
    family = _FAMILY_BASE[variant]
    decisions: dict[int, RatingDecision] = {}
    tilts: dict[int, Tilt] = {}
    rounds: dict[int, list[dict[str, object]]] = {}
    total_paths = 0
    kept: list[SimulatedCollections] = []
    for position, j in enumerate(classes):
        span = (position / len(classes), (position + 1) / len(classes))

        def step(fraction: float, span: tuple[float, float] = span) -> None:
            report(span[0] + (span[1] - span[0]) * fraction)

        # The search takes the first 30 % of the class's span, the estimate the rest.
        def searching(fraction: float, step: Progress = step) -> None:
            step(0.3 * fraction)

        def estimating(fraction: float, step: Progress = step) -> None:
            step(0.3 + 0.7 * fraction)

        start = (start_tilts or {}).get(j)
        if start is not None and variant.startswith("enhanced"):
            start = start.with_shifts(provider=provider_shift(inputs, structure, j, start))
        tilt, found = _tilt_towards(
            inputs, structure, target=j, variant=variant, family=family + 1_000 * position, seed=seed,
            revenue_model=revenue_model, pledged_values=pledged_values, with_data=with_data, start=start,
            progress=searching,
        )  # fmt: skip
        tilts[j], rounds[j] = tilt, found
        decision, paths, sample = _estimate(
            inputs, structure, target=j, tilt=tilt, wal_years=wal_years[j],
            family=family + 1_000 * position + 100, seed=seed, revenue_model=revenue_model,
            pledged_values=pledged_values, with_data=with_data, keep_paths=keep_paths if position == 0 else 0,
            progress=estimating,
        )  # fmt: skip
        total_paths += paths
        kept += sample
        decisions[j] = decision
    report(1.0)
    first = classes[0] if classes else None
    return VariantDecision(
        variant=variant,
        tilt=tilts.get(first, Tilt()) if first is not None else Tilt(),
        decisions=decisions,
        paths=total_paths,
        rounds=[{"class": int(j), **r} for j in classes for r in rounds.get(j, [])],
        seconds=time.perf_counter() - began,
        sample=_concat(kept) if kept else None,
        tilts={int(j): t.as_dict() for j, t in tilts.items()},
        tilt_objects=tilts,
    )


def _simulate(
    inputs: ValuationInputs,
    *,
    n: int,
    tilt: Tilt,
    family: int,
    seed: int,
    revenue_model: RevenueModel | None,
    pledged_values: np.ndarray | None,
    with_data: bool,
) -> SimulatedCollections:
    return simulate_collections(
        inputs, n_paths=n, seed=seed, chunk_size=inputs.assumptions.default_chunk_size, revenue_model=revenue_model,
        pledged_values=pledged_values, tilt=tilt, family=family, with_data=with_data,
    )  # fmt: skip


def _tilt_towards(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    *,
    target: int,
    variant: str,
    family: int,
    seed: int,
    revenue_model: RevenueModel | None,
    pledged_values: np.ndarray | None,
    with_data: bool,
    start: Tilt | None,
    progress: Progress,
) -> tuple[Tilt, list[dict[str, object]]]:
    """The cross-entropy search of a tilt towards the target class's losses (module docstring, step 1)."""
    a = inputs.assumptions
    with_provider = variant.startswith("enhanced")
    groups = _groups_in_play(inputs, with_provider)
    amounts = structure.support_amounts if structure.support_amounts is not None and structure.supports else np.zeros(0)
    tilt = replace(start or Tilt(), defensive=a.rating_defensive_share)
    within = regulatory_within_tenor(inputs)
    has_events = within > 0 or (revenue_model is not None and revenue_model.counterparty_shares.size > 0)
    rounds: list[dict[str, object]] = []
    for r in range(a.rating_tilt_rounds if groups or has_events else 0):
        sim = _simulate(
            inputs, n=a.rating_pilot_paths, tilt=tilt, family=family + r, seed=seed, revenue_model=revenue_model,
            pledged_values=pledged_values, with_data=with_data,
        )  # fmt: skip
        out = evaluate_structure(sim, structure, chunk_size=a.default_chunk_size, with_irr=False, keep_cash=False)
        loss = out.loss[target]
        losing = float(np.mean(loss > 0))
        if r == 0 and tilt.is_plain and np.count_nonzero(loss) >= 4 * a.rating_min_losing_paths:
            # Losses common enough for plain Monte Carlo: a tilt would only add variance.
            rounds.append({"round": 1, "steered_by": "plain", "losing_share": losing, **tilt.as_dict()})
            return Tilt(), rounds
        if r == 0 and start is None and has_events:
            # Explore: a rare event too rare to appear in a pilot cannot steer the search, so the search starts
            # with every one at a fair chance and keeps, round by round, those that come with bad paths.
            explore = a.rating_explore_event_chance
            tilt = replace(
                tilt,
                licensee=tuple(max(float(q), explore) for q in licensee_loss_within(revenue_model, inputs.horizon_months))
                if revenue_model is not None and revenue_model.counterparty_shares.size
                else (),
                regulatory=max(within, explore) if within > 0 else None,
            )  # fmt: skip
            continue
        if losing >= a.rating_elite_share:
            v = sim.weights * loss  # the cross-entropy optimum for the expected loss itself
            events_v = v
            chosen = "loss"
        else:
            standing = (
                (sim.support_default_period >= sim.periods.shape[0]) * amounts[:, None]
                if with_provider and amounts.size
                else 0.0
            )
            proxy = sim.total_cash + np.sum(standing, axis=0)
            cutoff = np.quantile(proxy, a.rating_elite_share)
            # Paths strictly worse than the cut: many paths may tie at it (no default at all), and they say nothing.
            elite = (proxy < cutoff) | (loss > 0)
            if not elite.any():
                break
            # Before enough losses are seen, the worst paths as sampled lead the way (multilevel cross-entropy
            # without the likelihood weights, which would hold the tilt near the paths already seen); the
            # estimate stays unbiased for any tilt, the tilt only sets its variance.
            v = elite.astype(float)
            events_v = sim.weights * elite  # events learn P(event | bad path) under the plain measure
            chosen = "proxy"
        total = float(v.sum())
        if total <= 0:
            break
        shifts: dict[str, Any] = dict.fromkeys(TILT_GROUPS, 0.0)  # Tilt fields by name
        for g in groups:
            cap = a.rating_max_tilt[g]
            shifts[g] = float(np.clip(v @ sim.factor_means[g] / total, -cap, cap))
        events = _event_tilts(inputs, revenue_model, sim, events_v)
        tilt = Tilt(**shifts, **events, defensive=a.rating_defensive_share)
        rounds.append({"round": r + 1, "steered_by": chosen, "losing_share": losing, **tilt.as_dict()})
        progress((r + 1) / a.rating_tilt_rounds)
        if chosen == "loss":
            break
    return tilt, rounds


def _estimate(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    *,
    target: int,
    tilt: Tilt,
    wal_years: float,
    family: int,
    seed: int,
    revenue_model: RevenueModel | None,
    pledged_values: np.ndarray | None,
    with_data: bool,
    keep_paths: int,
    progress: Progress,
) -> tuple[RatingDecision, int, list[SimulatedCollections]]:
    """Blocks of tilted paths until the target class is decided or the budget is spent (module docstring, 2-3)."""
    a = inputs.assumptions
    sums = [0.0, 0.0, 0.0, 0]  # sum wL, sum (wL)^2, sum w L^2, losing paths
    kept: list[SimulatedCollections] = []
    paths, block = 0, 0
    checkpoint = a.rating_block_paths  # the sample doubles between looks
    while True:
        sim = _simulate(
            inputs, n=a.rating_block_paths, tilt=tilt, family=family + block, seed=seed, revenue_model=revenue_model,
            pledged_values=pledged_values, with_data=with_data,
        )  # fmt: skip
        out = evaluate_structure(sim, structure, chunk_size=a.default_chunk_size, with_irr=False, keep_cash=False)
        loss = out.loss[target]
        wl = sim.weights * loss
        sums[0] += float(wl.sum())
        sums[1] += float(wl @ wl)
        sums[2] += float(wl @ loss)
        sums[3] += int(np.count_nonzero(loss > 0))
        if keep_paths and sum(s.periods.shape[1] for s in kept) < keep_paths:
            kept.append(sim)
        paths += sim.periods.shape[1]
        block += 1
        progress(min(1.0, paths / a.rating_max_paths))
        if paths < checkpoint and paths < a.rating_max_paths:
            continue
        checkpoint *= 2
        decision = _decision(sums, paths, wal_years, inputs, tilt)
        if decision.decided or paths >= a.rating_max_paths:
            return decision, paths, kept


def looks(assumptions: ValuationAssumptions) -> int:
    """How many times the sample is looked at: once per doubling from one block to the budget."""
    ratio = max(assumptions.rating_max_paths / assumptions.rating_block_paths, 1.0)
    return 1 + int(np.ceil(np.log2(ratio)))


def decision_z(assumptions: ValuationAssumptions) -> float:
    """The interval's half-width in standard errors: the stated two-sided confidence shared over every look
    (Bonferroni), so that stopping at the first look that decides keeps the confidence of the whole procedure."""
    alpha = (1.0 - assumptions.rating_confidence) / looks(assumptions)
    return float(norm.ppf(1.0 - alpha / 2))


def _decision(sums: list[float], n: int, wal_years: float, inputs: ValuationInputs, tilt: Tilt) -> RatingDecision:
    """EL, its standard error, the interval and the rating it decides (a range when the interval crosses a bound)."""
    a = inputs.assumptions
    total, squares, second = sums[0], sums[1], sums[2]
    losing = int(sums[3]) if len(sums) > 3 else a.rating_min_losing_paths
    el = total / n
    variance = max(squares / n - el * el, 0.0) * n / max(n - 1, 1)
    se = float(np.sqrt(variance / n))
    z = decision_z(a)
    low, high = max(0.0, el - z * se), el + z * se
    worst, best = implied_rating(high, wal_years, a), implied_rating(low, wal_years, a)
    # A handful of weighted losses understates its own error: then the rating must hold even ten times higher.
    enough = (
        losing == 0
        or losing >= a.rating_min_losing_paths
        or implied_rating(high * a.rating_few_losses_margin, wal_years, a) == best
    )
    plain_variance = max(second / n - el * el, 0.0)
    plain_paths = plain_variance / (se * se) if se > 0 else None
    return RatingDecision(
        expected_loss=float(el),
        standard_error=se,
        interval=(float(low), float(high)),
        rating=worst,
        decided=worst == best and enough,
        range=(best, worst),
        paths=n,
        method="plain Monte Carlo" if tilt.is_plain else "importance sampling",
        plain_paths_for_same_error=plain_paths,
    )
