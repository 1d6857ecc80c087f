"""`value_deal`: the whole valuation of a deal from plain inputs to plain results. No Django."""

from __future__ import annotations

import dataclasses

import numpy as np

from .appraisal import appraise_data_asset
from .history import estimate_revenue_model, history_metrics
from .inputs import ValuationInputs
from .metrics import dscr_summary, tranche_results
from .rating import implied_rating, suggested_coupon
from .results import ENGINE_VERSION, CoverageResult, EmpowermentResult, ProjectionSummary, ValuationResult, to_plain
from .simulate import Progress, SimulatedCollections, StructureOutcome, evaluate_structure, simulate_collections
from .stress import breakeven_stress, max_senior_size, stress_scenarios
from .structure import build_structure, provisional_coupons, scheduled_wal
from .waterfall import WaterfallStructure

DEFAULT_SEED = 20251120


def _projection(sim: SimulatedCollections, inputs: ValuationInputs, parameters: dict | None) -> ProjectionSummary:
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


def _senior_indices(structure: WaterfallStructure) -> list[int]:
    return [j for j, c in enumerate(structure.classes) if c == "senior"] or [0]


def _coverage(
    sim: SimulatedCollections,
    structure: WaterfallStructure,
    inputs: ValuationInputs,
    with_guarantees: StructureOutcome,
    without_guarantees: StructureOutcome,
) -> CoverageResult:
    """Data cash share and the senior's coverage with and without guarantees (see CoverageResult)."""
    a = inputs.assumptions
    seniors = _senior_indices(structure)
    wal = scheduled_wal(structure.sizes, structure.scheduled_periods, structure.periods_per_year)
    coupons = structure.period_rates * structure.periods_per_year
    debt = float(sum(structure.sizes[j] * (1 + coupons[j] * wal[j]) for j in seniors))
    resources = sim.total_cash + structure.reserve_target - with_guarantees.fees_paid
    capacity = np.zeros(resources.size)
    nominal = 0.0
    for g in range(structure.guarantees):
        if structure.guarantee_covers[g, seniors].any():
            standing = sim.guarantor_default_period[g] >= sim.periods.shape[0]
            capacity += structure.guarantee_amounts[g] * standing
            nominal += float(structure.guarantee_amounts[g])
    p5 = float(np.percentile(resources, a.coverage_stress_percentile))
    j = seniors[0]
    el_with, el_without = float(with_guarantees.loss[j].mean()), float(without_guarantees.loss[j].mean())
    wal_with, wal_without = float(with_guarantees.wal_years[j].mean()), float(without_guarantees.wal_years[j].mean())
    total_cash = float(sim.total_cash.mean())
    return CoverageResult(
        data_cash_share=float(sim.data_cash.mean() / total_cash) if total_cash > 0 else 0.0,
        senior_debt_service=debt,
        senior_coverage_without_guarantees=float(resources.mean() / debt),
        senior_coverage_without_guarantees_p5=p5 / debt,
        senior_coverage_with_guarantees=float((resources + capacity).mean() / debt),
        senior_coverage_with_guarantees_p5=float(
            np.percentile(resources + capacity, a.coverage_stress_percentile) / debt
        ),
        guarantee_capacity=nominal,
        guarantee_dependence=min(nominal, max(0.0, debt - p5)) / debt,
        guarantee_dependence_expected=float(np.mean(np.minimum(capacity, np.maximum(0.0, debt - resources))) / debt),
        senior_expected_loss_with_guarantees=el_with,
        senior_rating_with_guarantees=implied_rating(el_with, wal_with, a),
        senior_expected_loss_without_guarantees=el_without,
        senior_rating_without_guarantees=implied_rating(el_without, wal_without, a),
        collections_to_notes=total_cash / float(structure.sizes.sum()),
    )


def _empowerment(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    base: SimulatedCollections,
    base_outcome: StructureOutcome,
    *,
    n_paths: int,
    seed: int,
    chunk_size: int,
) -> EmpowermentResult | None:
    """The pool priced without the data's effect on PDs, against the base case; the senior coupon saved in bp."""
    loans = inputs.loan_assets
    if not loans or all(x.annual_pd_without_data is None for x in loans):
        return None
    a = inputs.assumptions
    sim = simulate_collections(inputs, n_paths=n_paths, seed=seed, chunk_size=chunk_size, with_data=False)
    outcome = evaluate_structure(sim, structure, chunk_size=chunk_size, with_irr=False, keep_cash=False)
    j = _senior_indices(structure)[0]
    weights = np.array([x.principal for x in loans])
    with_pd = np.array([x.annual_pd for x in loans])
    without_pd = np.array(
        [x.annual_pd if x.annual_pd_without_data is None else x.annual_pd_without_data for x in loans]
    )
    results = {}
    for key, out in (("with", base_outcome), ("without", outcome)):
        el, wal = float(out.loss[j].mean()), float(out.wal_years[j].mean())
        rating = implied_rating(el, wal, a)
        coupon = suggested_coupon(
            rating=rating, wal_years=wal, market=inputs.market, legal_risk=inputs.legal_risk, assumptions=a
        )
        results[key] = (el, rating, coupon.coupon)
    return EmpowermentResult(
        average_pd_with_data=float(np.average(with_pd, weights=weights)),
        average_pd_without_data=float(np.average(without_pd, weights=weights)),
        pool_expected_loss_with_data=float(base.pool_loss.mean() / base.pool_principal),
        pool_expected_loss_without_data=float(sim.pool_loss.mean() / sim.pool_principal),
        senior_expected_loss_with_data=results["with"][0],
        senior_expected_loss_without_data=results["without"][0],
        senior_rating_with_data=results["with"][1],
        senior_rating_without_data=results["without"][1],
        senior_coupon_with_data=results["with"][2],
        senior_coupon_without_data=results["without"][2],
        coupon_saving_bps=(results["without"][2] - results["with"][2]) * 10_000,
    )


def value_deal(
    inputs: ValuationInputs,
    *,
    n_paths: int = 10_000,
    seed: int = DEFAULT_SEED,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> ValuationResult:
    """Value a deal: history, Monte Carlo projection, waterfall, tranche metrics, stress, appraisal, pricing.

    Reproducible: the same inputs and seed give the same numbers, whatever the
    chunk size (which only bounds memory). `progress(fraction)` is called as
    the steps complete, for a job's progress bar.
    """
    if n_paths < 2:
        raise ValueError("n_paths must be at least 2")
    a = inputs.assumptions
    chunk = int(chunk_size or a.default_chunk_size)
    report = progress or (lambda fraction: None)
    history = revenue_model = None
    if inputs.revenue_history is not None:
        history = history_metrics(inputs.revenue_history, a)
        revenue_model = estimate_revenue_model(inputs.revenue_history, a)

    sim = simulate_collections(
        inputs,
        n_paths=n_paths,
        seed=seed,
        chunk_size=chunk,
        revenue_model=revenue_model,
        progress=lambda f: report(0.3 * f),
    )
    tranches = inputs.ordered_tranches
    coupons = provisional_coupons(inputs)
    structure = build_structure(inputs, coupons)
    outcome = evaluate_structure(sim, structure, chunk_size=chunk)
    bare = evaluate_structure(sim, structure.without_guarantees(), chunk_size=chunk, with_irr=False, keep_cash=False)
    report(0.45)
    tranche_list = tranche_results(
        outcome,
        structure,
        priorities=[t.priority for t in tranches],
        target_ratings=[t.target_rating for t in tranches],
        coupons_given=[t.coupon is not None for t in tranches],
        market=inputs.market,
        legal_risk=inputs.legal_risk,
        assumptions=a,
    )
    stress = stress_scenarios(inputs, structure, n_paths=n_paths, seed=seed, chunk_size=chunk)
    report(0.75)
    senior_target = next((t.target_rating for t in tranches if t.tranche_class == "senior"), "NR")
    target = senior_target if senior_target != "NR" else a.target_senior_rating
    sizes = [
        max_senior_size(sim, structure, target_rating=target, chunk_size=chunk, assumptions=a, with_guarantees=flag)
        for flag in ((True, False) if structure.guarantees else (True,))
    ]
    report(0.9)
    appraisal = None
    if inputs.appraisal is not None:
        horizon_years = inputs.horizon_months / 12
        appraisal = appraise_data_asset(
            inputs.appraisal,
            projected_monthly_cash_flows=sim.data_monthly.mean(axis=1) / inputs.revenue_share,
            benchmark_rate=inputs.market.benchmark_at(horizon_years),
            assumptions=a,
        )
    empowerment = _empowerment(inputs, structure, sim, outcome, n_paths=n_paths, seed=seed, chunk_size=chunk)
    result = ValuationResult(
        engine_version=ENGINE_VERSION,
        n_paths=n_paths,
        seed=seed,
        deal_type=inputs.deal_type,
        tenor_months=inputs.tenor_months,
        horizon_months=inputs.horizon_months,
        periods_per_year=inputs.periods_per_year,
        history=history,
        projection=_projection(sim, inputs, revenue_model.as_dict() if revenue_model else None),
        tranches=tranche_list,
        dscr=dscr_summary(outcome, structure, a),
        coverage=_coverage(sim, structure, inputs, outcome, bare),
        stress=stress,
        breakeven=breakeven_stress(sim, structure),
        max_senior_size=sizes,
        appraisal=appraisal,
        empowerment=empowerment,
        regulatory_stop_probability=sim.regulatory_stop_probability,
        legal_risk=to_plain(dataclasses.asdict(inputs.legal_risk)),
        assumptions=to_plain(dataclasses.asdict(a)),
    )
    report(1.0)
    return result
