"""`value_deal`: the whole valuation of a deal from plain inputs to plain results. No Django."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .appraisal import AppraisalSummary, appraise_assets
from .decision import VariantDecision, decide_variant
from .history import RevenueModel, estimate_revenue_model, history_metrics
from .inputs import SupportInput, ValuationInputs
from .metrics import RatingDecision, dscr_summary, plain_summary, tranche_results
from .pool import SOURCE_KEYS
from .pricing import fit_comparables
from .rating import CouponSuggestion, notches_between, rating_rank, suggested_coupon
from .results import (
    ENGINE_VERSION,
    CashSourceResult,
    CoverageResult,
    EmpowermentResult,
    ProjectionSummary,
    StructureSummary,
    ValuationResult,
    to_plain,
)
from .simulate import (
    Progress,
    SimulatedCollections,
    StructureOutcome,
    evaluate_structure,
    expected_period_cash,
    provider_annual_pd,
    simulate_collections,
)
from .stress import breakeven_stress, max_senior_size, stress_scenarios
from .structure import build_structure, provisional_coupons
from .waterfall import WaterfallStructure

DEFAULT_SEED = 20251120
DATA_SOURCE_KEYS = ("licence", "generated", "secured_repaid_from_data", "pledged_data_recovery")


def _projection(
    sim: SimulatedCollections, inputs: ValuationInputs, parameters: dict[str, Any] | None
) -> ProjectionSummary:
    quantiles = inputs.assumptions.fan_percentiles
    fan = np.percentile(sim.monthly, quantiles, axis=1)
    totals = sim.total_cash
    pool_loss = float(sim.pool_loss.mean() / sim.pool_principal) if sim.pool_principal > 0 else None
    return ProjectionSummary(
        months=sim.monthly.shape[0],
        revenue_parameters=parameters,
        percentiles_by_month={f"p{q:g}": row.tolist() for q, row in zip(quantiles, fan, strict=True)},
        mean_by_month=sim.monthly.mean(axis=1).tolist(),
        expected_total=float(totals.mean()),
        total_percentiles={f"p{q:g}": float(np.percentile(totals, q)) for q in quantiles},
        pool_principal=sim.pool_principal,
        pool_expected_loss=pool_loss,
    )


def _structure_summary(inputs: ValuationInputs, structure: WaterfallStructure) -> StructureSummary:
    p = inputs.paydown
    n = structure.scheduled_periods
    target = structure.target_balance
    return StructureSummary(
        mode=p.mode,
        structuring_ratio=p.structuring_ratio,
        dscr_trigger=p.dscr_trigger,
        trigger_window_periods=p.trigger_window_periods,
        trigger_cure_periods=p.trigger_cure_periods,
        controlled_amortisation_periods=p.controlled_amortisation_periods,
        residual_release=p.residual_release,
        rated_notes=float(structure.sizes[structure.rated].sum()) if structure.rated else 0.0,
        target_balance=None if target is None else [float(v) for v in target[:n]],
        scheduled_periods=n,
    )


def _senior_index(structure: WaterfallStructure) -> int | None:
    return next((j for j in structure.rated if structure.classes[j] == "senior"), None)


def _cash_sources(sim: SimulatedCollections, inputs: ValuationInputs) -> CashSourceResult:
    """Expected collections by source and the data cash share (see CashSourceResult)."""
    expected = {key: float(sim.sources[key].mean()) for key in ("licence", *SOURCE_KEYS)}
    total = sum(expected.values())
    shares = {key: (value / total if total > 0 else 0.0) for key, value in expected.items()}
    principal = sum(x.principal for x in inputs.loan_assets)
    by_source: dict[str, float] = {}
    for x in inputs.loan_assets:
        by_source[x.cash_source] = by_source.get(x.cash_source, 0.0) + (x.principal / principal if principal else 0.0)
    return CashSourceResult(
        data_cash_share=float(sum(shares[k] for k in DATA_SOURCE_KEYS)),
        expected=expected,
        shares=shares,
        pool_principal_by_cash_source=by_source,
    )


def provider_rating(inputs: ValuationInputs, support: SupportInput) -> str:
    """The provider's own rating; an unrated one is read off its default probability (the market's PD table)."""
    if support.provider_rating != "NR":
        return support.provider_rating
    pd = provider_annual_pd(inputs)[inputs.supports.index(support)]
    table = inputs.market.provider_annual_pd
    return min(table, key=lambda r: (abs(np.log(table[r]) - np.log(max(pd, 1e-12))), rating_rank(r)))


def relied_support(inputs: ValuationInputs, tranche_class: str) -> dict[str, str] | None:
    """The support a class relies on when it rates above its stand-alone rating: the largest one covering it."""
    covering = [s for s in inputs.supports if tranche_class in s.covered_classes and s.amount > 0]
    if not covering:
        return None
    main = max(covering, key=lambda s: s.amount)
    return {
        "provider": main.provider,
        "type": main.provider_type,
        "rating": provider_rating(inputs, main),
        "stated_rating": main.provider_rating,
        "kind": main.kind,
    }


def _coverage(
    sim: SimulatedCollections,
    structure: WaterfallStructure,
    inputs: ValuationInputs,
    outcome: StructureOutcome,
    decisions: dict[int, RatingDecision],
    underlying: dict[int, RatingDecision],
) -> CoverageResult:
    """The senior's coverage with and without support, and its dependence on it (see CoverageResult)."""
    a = inputs.assumptions
    j = _senior_index(structure)
    if j is None:
        j = structure.rated[0] if structure.rated else 0
    rated = structure.rated
    target = structure.target_balance
    scheduled = structure.scheduled_periods
    # Interest the senior pays on its scheduled balances (the schedule's sequential share, else its full size).
    size = float(structure.sizes[j])
    if target is not None and rated:
        from .waterfall import class_targets

        balances = np.concatenate([[size], class_targets(target, structure.sizes, rated)[j][: scheduled - 1]])
    else:
        balances = np.full(scheduled, size)
    debt = size + float(balances.sum() * structure.period_rates[j])
    resources = sim.total_cash + structure.reserve_target - outcome.fees_paid
    capacity = np.zeros(resources.size)
    nominal = 0.0
    covers, amounts = structure.support_covers, structure.support_amounts
    for g in range(structure.supports):
        # A structure with supports has both.
        assert covers is not None
        assert amounts is not None
        if covers[g, j]:
            standing = sim.support_default_period[g] >= sim.periods.shape[0]
            capacity += amounts[g] * standing
            nominal += float(amounts[g])
    pct = a.coverage_stress_percentile
    with_support = decisions.get(j)
    alone = underlying.get(j)
    el_with = with_support.expected_loss if with_support else 0.0
    el_alone = alone.expected_loss if alone else el_with
    rating_with = with_support.rating if with_support else "NR"
    rating_alone = alone.rating if alone else rating_with
    share = float(np.clip((el_alone - el_with) / el_alone, 0.0, 1.0)) if el_alone > 0 else 0.0
    total_cash = float(sim.total_cash.mean())
    relies = notches_between(rating_with, rating_alone) > 0
    return CoverageResult(
        senior_debt_service=debt,
        senior_coverage_without_support=float(resources.mean() / debt),
        senior_coverage_without_support_p5=float(np.percentile(resources, pct) / debt),
        senior_coverage_with_support=float((resources + capacity).mean() / debt),
        senior_coverage_with_support_p5=float(np.percentile(resources + capacity, pct) / debt),
        support_capacity=nominal,
        senior_rating_with_support=rating_with,
        senior_rating_without_support=rating_alone,
        senior_expected_loss_with_support=el_with,
        senior_expected_loss_without_support=el_alone,
        support_notches=notches_between(rating_with, rating_alone),
        support_loss_share=share,
        guarantee_dependence=share if notches_between(rating_with, rating_alone) else 0.0,
        relies_on=relied_support(inputs, structure.classes[j]) if relies else None,
        collections_to_notes=total_cash / float(structure.sizes.sum()),
    )


def _coupon_for(
    inputs: ValuationInputs, *, tranche_class: str, rating: str, underlying: str, wal: float
) -> CouponSuggestion:
    support = relied_support(inputs, tranche_class) if rating_rank(underlying) > rating_rank(rating) else None
    return suggested_coupon(
        rating=rating,
        wal_years=wal,
        market=inputs.market,
        legal_risk=inputs.legal_risk,
        assumptions=inputs.assumptions,
        support_party=support["type"] if support else "",
        support_rating=support["rating"] if support else "",
    )


def _decide_all(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    *,
    wal: dict[int, float],
    seed: int,
    revenue_model: RevenueModel | None,
    pledged_values: np.ndarray | None,
    report: Progress,
) -> tuple[VariantDecision, VariantDecision]:
    rated = structure.rated
    common: dict[str, Any] = {"classes": rated, "wal_years": wal, "seed": seed, "revenue_model": revenue_model,
              "pledged_values": pledged_values, "keep_paths": 4 * inputs.assumptions.rating_block_paths}  # fmt: skip
    if structure.supports:
        alone = decide_variant(
            inputs, structure.without_support(), variant="underlying", progress=lambda f: report(0.5 * f), **common
        )
        # With support a class loses only when the pool and its provider both fail: start from the stand-alone tilt.
        enhanced = decide_variant(
            inputs, structure, variant="enhanced", progress=lambda f: report(0.5 + 0.5 * f),
            start_tilts=alone.tilt_objects, **common,
        )  # fmt: skip
    else:
        enhanced = alone = decide_variant(inputs, structure, variant="underlying", progress=report, **common)
    return enhanced, alone


def _support_never_lowers(enhanced: VariantDecision, alone: VariantDecision) -> VariantDecision:
    """Support only adds cash, path by path, so no class rates lower with it than without it.

    The two are estimated on separate tilted samples; where the estimate with
    support lands on a worse rating only by sampling noise (both near a band's
    edge), the class takes its stand-alone decision for both.
    """
    if enhanced is alone:
        return enhanced
    decisions = dict(enhanced.decisions)
    for j, own in alone.decisions.items():
        if j in decisions and rating_rank(decisions[j].rating) > rating_rank(own.rating):
            decisions[j] = own
    return dataclasses.replace(enhanced, decisions=decisions)


def _capped_by_provider(
    inputs: ValuationInputs, structure: WaterfallStructure, enhanced: VariantDecision, alone: VariantDecision
) -> VariantDecision:
    """A class that relies on a support party rates no higher than that party, unless its own cash carries it.

    The agencies' weak-link view: the enhanced rating is capped at the better of
    the class's stand-alone rating and the rating of the party it relies on (the
    largest support covering it); a shortfall undertaking of an AA+ originator
    cannot make a senior AAA that is AA+ on its own.
    """
    if enhanced is alone:
        return enhanced
    decisions = dict(enhanced.decisions)
    for j, decision in enhanced.decisions.items():
        own = alone.decisions.get(j)
        if own is None or rating_rank(decision.rating) >= rating_rank(own.rating):
            continue
        support = relied_support(inputs, structure.classes[j])
        if support is None:
            continue
        cap = min(own.rating, support["rating"], key=rating_rank)
        if rating_rank(decision.rating) < rating_rank(cap):
            worst = max(decision.range[1], cap, key=rating_rank)
            decisions[j] = dataclasses.replace(
                decision, rating=cap, range=(cap, worst), capped_by_provider=support["rating"]
            )
    return dataclasses.replace(enhanced, decisions=decisions)


def _variant_facts(decision: VariantDecision) -> dict[str, object]:
    return {
        "tilt": decision.tilt.as_dict(),
        "tilts_by_class": decision.tilts,
        "paths": decision.paths,
        "rounds": decision.rounds,
    }


def _empowerment(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    base: SimulatedCollections,
    *,
    with_data: RatingDecision | None,
    wal: dict[int, float],
    seed: int,
    pledged_values: np.ndarray | None,
    chunk_size: int,
    underlying_rating: str,
) -> EmpowermentResult | None:
    """The pool priced without the data's effect on PDs, against the base case; the senior coupon it saves."""
    loans = inputs.loan_assets
    j = _senior_index(structure)
    if not loans or all(x.annual_pd_without_data is None for x in loans) or j is None or with_data is None:
        return None
    sim = simulate_collections(
        inputs, n_paths=base.periods.shape[1], seed=seed, chunk_size=chunk_size, with_data=False,
        pledged_values=pledged_values,
    )  # fmt: skip
    without = decide_variant(
        inputs, structure, variant="enhanced_without_data", classes=[j], wal_years=wal, seed=seed,
        revenue_model=None, pledged_values=pledged_values, with_data=False,
    ).decisions[j]  # fmt: skip
    weights = np.array([x.principal for x in loans])
    with_pd = np.array([x.annual_pd for x in loans])
    without_pd = np.array(
        [x.annual_pd if x.annual_pd_without_data is None else x.annual_pd_without_data for x in loans]
    )
    difference_se = float(np.hypot(with_data.standard_error, without.standard_error))
    significant = abs(without.expected_loss - with_data.expected_loss) > 2 * difference_se
    klass = structure.classes[j]
    with_coupon = _coupon_for(
        inputs, tranche_class=klass, rating=with_data.rating, underlying=underlying_rating, wal=wal[j]
    )
    # Like with like: a senior that relies on its support with the data relies on it without the data too.
    coupon_with = with_coupon.coupon
    coupon_without = suggested_coupon(
        rating=without.rating, wal_years=wal[j], market=inputs.market, legal_risk=inputs.legal_risk,
        assumptions=inputs.assumptions, support_party=with_coupon.support_party,
        support_rating=with_coupon.support_rating,
    ).coupon  # fmt: skip
    saving = round((coupon_without - coupon_with) * 10_000, 1) if significant else 0.0
    return EmpowermentResult(
        average_pd_with_data=float(np.average(with_pd, weights=weights)),
        average_pd_without_data=float(np.average(without_pd, weights=weights)),
        pool_expected_loss_with_data=float(base.pool_loss.mean() / base.pool_principal),
        pool_expected_loss_without_data=float(sim.pool_loss.mean() / sim.pool_principal),
        senior_expected_loss_with_data=with_data.expected_loss,
        senior_expected_loss_without_data=without.expected_loss,
        senior_expected_loss_difference_standard_error=difference_se,
        significant=bool(significant),
        senior_rating_with_data=with_data.rating,
        senior_rating_without_data=without.rating,
        senior_coupon_with_data=coupon_with,
        senior_coupon_without_data=coupon_without,
        coupon_saving_bps=saving + 0.0,  # never "-0"
    )


def pledged_values_from(inputs: ValuationInputs, appraisal: AppraisalSummary | None) -> np.ndarray | None:
    """Each loan's pledged data at its appraised value (an asset pledged by several claims is shared equally)."""
    loans = inputs.loan_assets
    if not loans:
        return None
    value = {r.key: r.indicated_value for r in (appraisal.assets if appraisal else [])}
    uses: dict[str, int] = {}
    for x in loans:
        for key in x.pledged_data:
            uses[key] = uses.get(key, 0) + 1
    out = np.zeros(len(loans))
    for i, x in enumerate(loans):
        appraised = [worth / uses[k] for k in x.pledged_data if (worth := value.get(k)) is not None]
        out[i] = sum(appraised) if appraised else x.pledged_data_value
    return out


def value_deal(
    inputs: ValuationInputs,
    *,
    n_paths: int = 10_000,
    seed: int = DEFAULT_SEED,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> ValuationResult:
    """Value a deal: history, appraisal, Monte Carlo, the structure's waterfall, decided ratings, stress, pricing.

    Reproducible: the same inputs and seed give the same numbers, whatever the
    chunk size (which only bounds memory). `progress(fraction)` is called as
    the steps complete, for a job's progress bar.
    """
    if n_paths < 2:
        raise ValueError("n_paths must be at least 2")
    a = inputs.assumptions
    chunk = int(chunk_size or a.default_chunk_size)
    report: Callable[[float], None] = progress or (lambda fraction: None)
    history = revenue_model = None
    if inputs.revenue_history is not None:
        history = history_metrics(inputs.revenue_history, a)
        revenue_model = estimate_revenue_model(inputs.revenue_history, a)
    appraisal = appraise_assets(
        inputs.appraisals,
        benchmark_rate=inputs.market.benchmark_at(a.appraisal_horizon_months / 12),
        assumptions=a,
    )
    pledged_values = pledged_values_from(inputs, appraisal)

    sim = simulate_collections(
        inputs, n_paths=n_paths, seed=seed, chunk_size=chunk, revenue_model=revenue_model,
        pledged_values=pledged_values, progress=lambda f: report(0.15 * f),
    )  # fmt: skip
    tranches = inputs.ordered_tranches
    structure = build_structure(inputs, provisional_coupons(inputs), expected_cash=expected_period_cash(sim))
    outcome = evaluate_structure(sim, structure, chunk_size=chunk)
    report(0.2)
    wal = {j: plain_summary(outcome, structure, j)["wal_years"] for j in range(len(tranches))}
    enhanced, alone = _decide_all(
        inputs, structure, wal=wal, seed=seed, revenue_model=revenue_model, pledged_values=pledged_values,
        report=lambda f: report(0.2 + 0.45 * f),
    )  # fmt: skip
    enhanced = _support_never_lowers(enhanced, alone)
    enhanced = _capped_by_provider(inputs, structure, enhanced, alone)
    coupons = {
        j: _coupon_for(
            inputs,
            tranche_class=structure.classes[j],
            rating=enhanced.decisions[j].rating,
            underlying=alone.decisions[j].rating,
            wal=wal[j],
        )
        for j in structure.rated
    }
    tranche_list = tranche_results(
        outcome,
        structure,
        priorities=[t.priority for t in tranches],
        target_ratings=[t.target_rating for t in tranches],
        coupons_given=[t.coupon is not None for t in tranches],
        decisions=enhanced.decisions,
        underlying=alone.decisions,
        coupons=coupons,
        assumptions=a,
    )
    stress = stress_scenarios(
        inputs, structure, n_paths=n_paths, seed=seed, chunk_size=chunk, pledged_values=pledged_values
    )
    report(0.8)
    senior_target = next((t.target_rating for t in tranches if t.tranche_class == "senior"), "NR")
    target = senior_target if senior_target != "NR" else a.target_senior_rating
    senior = _senior_index(structure)
    senior_wal = wal.get(senior) if senior is not None else None
    samples = [(True, enhanced.sample)]
    if structure.supports:
        samples.append((False, alone.sample))
    sizes = [
        max_senior_size(
            sample if sample is not None else sim, structure, target_rating=target, chunk_size=chunk,
            assumptions=a, with_guarantees=flag, wal_years=senior_wal,
        )
        for flag, sample in samples
    ]  # fmt: skip
    report(0.9)
    underlying_senior = alone.decisions[senior].rating if senior is not None else "NR"
    empowerment = _empowerment(
        inputs, structure, sim, with_data=enhanced.decisions.get(senior) if senior is not None else None, wal=wal,
        seed=seed, pledged_values=pledged_values, chunk_size=chunk, underlying_rating=underlying_senior,
    )  # fmt: skip
    senior_result = next((t for t in tranche_list if t.tranche_class == "senior" and t.rated), None)
    support = relied_support(inputs, "senior") if senior_result and senior_result.support_notches else None
    # Only deals issued by the pricing date: a price of that day cannot know later issues.
    known = tuple(c for c in inputs.comparable_deals if not inputs.pricing_date or c.issue_date <= inputs.pricing_date)
    pricing = fit_comparables(
        known,
        market=inputs.market,
        subject_rating=senior_result.implied_rating if senior_result else None,
        subject_wal=senior_result.wal_years if senior_result else None,
        subject_support=support["type"] if support else "none",
    )
    annual_stop = inputs.legal_risk.regulatory_stop_annual
    result = ValuationResult(
        engine_version=ENGINE_VERSION,
        n_paths=n_paths,
        seed=seed,
        deal_type=inputs.deal_type,
        tenor_months=inputs.tenor_months,
        horizon_months=inputs.horizon_months,
        periods_per_year=inputs.periods_per_year,
        pricing_date=inputs.pricing_date,
        market_as_of=inputs.market.as_of,
        history=history,
        projection=_projection(sim, inputs, revenue_model.as_dict() if revenue_model else None),
        structure=_structure_summary(inputs, structure),
        tranches=tranche_list,
        rating_decision={
            "confidence": a.rating_confidence,
            "enhanced": _variant_facts(enhanced),
            "underlying": _variant_facts(alone),
            "same_variant": enhanced is alone,
        },
        dscr=dscr_summary(outcome, structure, a),
        cash_sources=_cash_sources(sim, inputs),
        coverage=_coverage(sim, structure, inputs, outcome, enhanced.decisions, alone.decisions),
        stress=stress,
        breakeven=breakeven_stress(sim, structure, inputs, pledged_values),
        max_senior_size=sizes,
        appraisal=appraisal,
        empowerment=empowerment,
        pricing=pricing,
        regulatory_stop_annual=annual_stop if annual_stop is not None else a.regulatory_stop_base_annual,
        regulatory_stop_probability_tenor=sim.regulatory_stop_probability_tenor,
        legal_risk=to_plain(dataclasses.asdict(inputs.legal_risk)),
        assumptions=to_plain(dataclasses.asdict(a)),
    )
    report(1.0)
    return result
