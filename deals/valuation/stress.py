"""Stress scenarios, the break-even stresses of each class, and the largest senior size that keeps its rating."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from .assumptions import RATING_SCALE, ValuationAssumptions
from .inputs import Scenario, ValuationInputs
from .pool import pool_schedule
from .rating import implied_rating, rating_rank
from .simulate import SimulatedCollections, evaluate_structure, simulate_collections
from .waterfall import WaterfallStructure, run_waterfall


@dataclass(frozen=True)
class StressTranche:
    """One class under one scenario; its expected loss carries its Monte Carlo standard error."""

    name: str
    expected_loss: float
    expected_loss_standard_error: float
    probability_of_shortfall: float
    wal_years: float
    implied_rating: str  # NR for the residual class
    market_value_change: float | None  # PV of the expected cash at coupon + rate shock / par - 1 (None: no coupon)


@dataclass(frozen=True)
class StressResult:
    """A scenario, what it does, how likely the platform thinks it is (when it can say), and every class under it."""

    scenario: str
    description: str
    parameters: dict[str, object]
    probability: float | None
    expected_collections: float
    tranches: list[StressTranche]


def standard_scenarios(inputs: ValuationInputs) -> list[tuple[Scenario, str]]:
    """The stress set (sizes in the assumptions), each applied on top of the deal's base scenario.

    Revenue shock (data revenue cut: licence revenue and claims repaid out of
    data; the pledged data's value), loss of the largest customer (or default
    of the largest obligor in month 1), a regulatory suspension of data use, a
    rate shock, a default shock for pools, and all of them combined.
    """
    a = inputs.assumptions
    base = inputs.scenario
    loans = inputs.loan_assets
    has_data = (
        inputs.revenue_history is not None
        or any(x.repays_from_data for x in loans)
        or any(x.pledged_data or x.pledged_data_value for x in loans)
    )
    # Scenario fields by name, applied with dataclasses.replace.
    shock: dict[str, Any] = {"revenue_shock": a.stress_revenue_shock}
    stop: dict[str, Any] = {
        "regulatory_stop_months": a.stress_regulatory_stop_months,
        "regulatory_stop_start_month": a.stress_regulatory_stop_start_month,
    }
    defaults: dict[str, Any] = {"pd_multiplier": a.stress_pd_multiplier, "recovery_haircut": a.stress_recovery_haircut}
    scenarios: list[tuple[Scenario, str]] = []
    if has_data:
        scenarios.append((replace(base, name="revenue_shock", **shock), "Data revenue cut for the whole tenor"))
    scenarios.append(
        (
            replace(base, name="largest_customer_loss", lose_largest_counterparty=True),
            "Largest licensee or obligor lost in month 1",
        )
    )
    if has_data:
        scenarios.append((replace(base, name="regulatory_stop", **stop), "Data use suspended by a regulator"))
    scenarios.append(
        (
            replace(base, name="rate_shock", rate_shock_bps=a.stress_rate_shock_bps),
            "Rates up: pool PDs rise, note values fall",
        )
    )
    if loans:
        scenarios.append((replace(base, name="default_shock", **defaults), "Pool PDs multiplied, recoveries cut"))
    combined: dict[str, Any] = {
        "lose_largest_counterparty": True,
        **(stop if has_data else {}),
        **(shock if has_data else {}),
        **(defaults if loans else {}),
    }
    scenarios.append((replace(base, name="combined", **combined), "All of the above at once (rates aside)"))
    return scenarios


def _market_value_change(cash_mean: np.ndarray, size: float, coupon: float, shock: float, ppy: int) -> float:
    periods = np.arange(1, cash_mean.size + 1, dtype=float)
    rate = (coupon + shock) / ppy
    return float(np.sum(cash_mean / (1 + rate) ** periods) / size - 1)


def stress_scenarios(
    inputs: ValuationInputs,
    structure: WaterfallStructure,
    *,
    n_paths: int,
    seed: int,
    chunk_size: int,
    pledged_values: np.ndarray | None = None,
) -> list[StressResult]:
    """Every standard scenario on the same random numbers as the base case (common random numbers)."""
    a = inputs.assumptions
    rated = set(structure.rated)
    results = []
    for scenario, description in standard_scenarios(inputs):
        sim = simulate_collections(
            inputs, n_paths=n_paths, seed=seed, chunk_size=chunk_size, scenario=scenario, pledged_values=pledged_values
        )
        outcome = evaluate_structure(sim, structure, chunk_size=chunk_size, with_irr=False)
        assert outcome.cash is not None  # kept by default
        tranches = []
        for j, name in enumerate(structure.names):
            loss = outcome.loss[j]
            el, wal = float(loss.mean()), float(outcome.wal_years[j].mean())
            coupon = float(structure.period_rates[j] * structure.periods_per_year)
            cash_mean = outcome.cash[j].mean(axis=1)
            tranches.append(
                StressTranche(
                    name=name,
                    expected_loss=el,
                    expected_loss_standard_error=float(loss.std(ddof=1) / np.sqrt(loss.size)) if loss.size > 1 else 0,
                    probability_of_shortfall=float(outcome.shortfall[j].mean()),
                    wal_years=wal,
                    implied_rating=implied_rating(el, wal, a) if j in rated else "NR",
                    market_value_change=None
                    if structure.residual == j and coupon == 0
                    else _market_value_change(
                        cash_mean,
                        float(structure.sizes[j]),
                        coupon,
                        scenario.rate_shock_bps / 10_000,
                        structure.periods_per_year,
                    ),
                )
            )
        changed = {k: v for k, v in vars(scenario).items() if v != getattr(Scenario(), k) and k != "name"}
        results.append(
            StressResult(
                scenario=scenario.name,
                description=description,
                parameters=changed,
                probability=sim.regulatory_stop_probability_tenor if scenario.name == "regulatory_stop" else None,
                expected_collections=float(sim.total_cash.mean()),
                tranches=tranches,
            )
        )
    return results


@dataclass(frozen=True)
class BreakevenResult:
    """What each rated class survives still paid in full.

    `haircuts`: the largest uniform cut of the expected collections.
    `default_multiples` (pools only): the break-even cumulative default rate
    (TDR) over the pool's expected one (BDR), the stress multiple the Chinese
    agencies read; `breakeven_default_rates` the TDR itself. Default rates are
    the balance outstanding at default over the pool's initial principal.
    """

    basis: str
    haircuts: dict[str, float]
    senior_haircut: float | None
    senior_coverage_multiple: float | None  # 1 / (1 - senior haircut): how many times the senior is covered
    base_default_rate: float | None = None  # the pool's expected cumulative default rate (BDR)
    breakeven_default_rates: dict[str, float] | None = None
    default_multiples: dict[str, float | None] | None = None
    at_least: dict[str, bool] | None = None  # the class survived the worst state searched: TDR is a floor


def _failures(paths: np.ndarray, structure: WaterfallStructure) -> np.ndarray:
    """[classes, columns] True where the class is not paid in full on each deterministic path (a column)."""
    out = run_waterfall(paths, structure)
    principal_left = out.principal_outstanding > 1e-9 * np.maximum(structure.sizes[:, None], 1.0)
    return out.interest_shortfall | principal_left


def _first_failure(
    make_paths: Callable[[np.ndarray], np.ndarray], structure: WaterfallStructure, rated: list[int]
) -> dict[int, float]:
    """For a stress parameter x in [0, 1] (0 none, 1 the worst), the largest x each class survives (1.0: all)."""
    grid = np.linspace(0.0, 1.0, 1001)
    coarse = _failures(make_paths(grid), structure)
    found: dict[int, float] = {}
    for j in rated:
        if not coarse[j].any():
            found[j] = 1.0
            continue
        first = int(np.argmax(coarse[j]))
        if first == 0:
            found[j] = 0.0
            continue
        fine_grid = np.linspace(grid[first - 1], grid[first], 1001)
        fine = _failures(make_paths(fine_grid), structure)[j]
        index = int(np.argmax(fine)) if fine.any() else fine_grid.size
        found[j] = float(fine_grid[max(index - 1, 0)])
    return found


def conditional_pool_paths(
    inputs: ValuationInputs, z: np.ndarray, pledged_values: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Expected pool collections per payment period given the systematic factor z ([K, len(z)]), and the
    cumulative default rate for each z: the balance outstanding at default over the pool's initial principal
    (the agencies' 累计违约率).

    Vasicek: given Z = z, obligor i defaults by month m with probability
    Phi((Phi^-1(F_i(m)) - sqrt(rho) z) / sqrt(1 - rho)), F_i(m) = 1 - (1 - PD_i)^(m / 12);
    a default in month m stops the scheduled cash from m on and recovers, after
    the lag, the recovery rate and the other collateral on the balance and the
    pledged data at its liquidation value, as in the simulation. Data cash
    (claims repaid out of data, the pledged data sold) is cut by the compliance
    review's legal haircut, as in the simulation.
    """
    a = inputs.assumptions
    loans = inputs.loan_assets
    months, mpp = inputs.horizon_months, inputs.months_per_period
    schedule = pool_schedule(loans, months, a)
    rho = a.asset_correlation
    data_factor = 1 - inputs.legal_risk.haircut
    sigma, beta = a.pledged_data_value_volatility, a.pledged_data_value_factor_loading
    value_factor = np.exp(sigma * beta * z - 0.5 * (sigma * beta) ** 2)
    cash = np.zeros((months, z.size))
    defaulted = np.zeros(z.size)
    m = np.arange(1, months + 1, dtype=float)
    for i, asset in enumerate(loans):
        scheduled_factor = data_factor if asset.repays_from_data else 1.0
        if asset.annual_pd <= 0:
            cash += schedule.cash[i][:, None] * scheduled_factor
            continue
        unconditional = 1 - (1 - asset.annual_pd) ** (m / 12)
        by_month = ndtr((ndtri(unconditional)[:, None] - np.sqrt(rho) * z[None, :]) / np.sqrt(1 - rho))
        by_month[schedule.maturity[i] :] = by_month[schedule.maturity[i] - 1]  # no default after maturity
        survival = 1 - by_month
        new = np.diff(np.concatenate([np.zeros((1, z.size)), by_month]), axis=0)  # default in month m
        cash += schedule.cash[i][:, None] * survival * scheduled_factor
        exposure = schedule.balance[i][:, None] * new
        pledge = float(pledged_values[i]) if pledged_values is not None else asset.pledged_data_value
        general = np.minimum(exposure * asset.recovery_rate + new * asset.other_collateral_value, exposure)
        pledged = new * pledge * (1 - a.pledged_data_liquidation_haircut) * value_factor[None, :] * data_factor
        recovery = general + np.minimum(pledged, exposure - general)
        lag = a.recovery_lag_months
        if lag < months:
            cash[lag:] += recovery[: months - lag]
        defaulted += exposure.sum(axis=0)
    principal = sum(x.principal for x in loans) or 1.0
    periods = cash.reshape(months // mpp, mpp, z.size).sum(axis=1)
    return periods, defaulted / principal


def breakeven_stress(
    sim: SimulatedCollections,
    structure: WaterfallStructure,
    inputs: ValuationInputs | None = None,
    pledged_values: np.ndarray | None = None,
) -> BreakevenResult:
    """The largest cut of the expected collections, and for pools the largest default rate, each class survives.

    Haircut: the mean collections per period cut by h, run through the
    waterfall without external support or regulatory events, on a grid of
    1,001 values of h at once, refined between the neighbours of the first
    failure (resolution 1e-6); 1.0 means the class survives losing all
    collections (reserve alone). Default multiple: the same search over the
    systematic factor z from 0 to -8 on the pool's expected cash given z
    (`conditional_pool_paths`, licence revenue kept at its mean); the
    break-even default rate over the unconditional one.
    """
    mean = sim.periods.mean(axis=1)
    bare = structure.without_support()
    rated = structure.rated
    haircuts = _first_failure(lambda grid: mean[:, None] * (1 - grid)[None, :], bare, rated)
    names = structure.names
    cut = {names[j]: float(v) for j, v in haircuts.items() if v is not None}
    senior = next((j for j in rated if structure.classes[j] == "senior"), None)
    senior_cut = cut.get(names[senior]) if senior is not None else None
    multiple = None if senior_cut is None or senior_cut >= 1 else 1 / (1 - senior_cut)
    base_rate: float | None = None
    tdr: dict[str, float] | None = None
    multiples: dict[str, float | None] | None = None
    floors: dict[str, bool] | None = None
    if inputs is not None and inputs.loan_assets:
        licence = np.zeros_like(mean)
        if inputs.revenue_history is not None:  # mixed pool: the licence revenue's mean, kept as it is
            nodes, gauss = np.polynomial.hermite_e.hermegauss(48)
            expected_pool = conditional_pool_paths(inputs, nodes, pledged_values)[0] @ (gauss / gauss.sum())
            licence = np.maximum(mean - expected_pool, 0.0)

        def at(grid: np.ndarray) -> np.ndarray:
            paths, _ = conditional_pool_paths(inputs, -8.0 * grid, pledged_values)
            with_licence: np.ndarray = paths + licence[:, None]
            return with_licence

        # BDR: the expected cumulative default rate, the conditional one averaged over z (Gauss-Hermite).
        nodes, gauss = np.polynomial.hermite_e.hermegauss(48)
        base_rate = float(conditional_pool_paths(inputs, nodes, pledged_values)[1] @ (gauss / gauss.sum()))
        survived = _first_failure(at, bare, rated)
        tdr, multiples, floors = {}, {}, {}
        for j, x in survived.items():
            rate = float(conditional_pool_paths(inputs, np.array([-8.0 * x]), pledged_values)[1][0])
            tdr[names[j]] = rate
            multiples[names[j]] = rate / base_rate if base_rate > 0 else None
            floors[names[j]] = x >= 1.0  # survives the worst state searched: the figure is a floor
    return BreakevenResult(
        "mean collection path, no external support",
        cut,
        senior_cut,
        multiple,
        base_default_rate=base_rate,
        breakeven_default_rates=tdr,
        default_multiples=multiples,
        at_least=floors,
    )


@dataclass(frozen=True)
class MaxSeniorSize:
    """The largest senior class (juniors shrink in proportion, total notes unchanged) that keeps the target rating."""

    target_rating: str
    with_guarantees: bool
    senior_size: float
    share_of_notes: float
    expected_loss: float | None
    wal_years: float | None
    implied_rating: str | None


def max_senior_size(
    sim: SimulatedCollections,
    structure: WaterfallStructure,
    *,
    target_rating: str,
    chunk_size: int,
    assumptions: ValuationAssumptions,
    with_guarantees: bool = True,
    wal_years: float | None = None,
) -> MaxSeniorSize:
    """Bisection on the senior size: the largest one whose every senior class still rates at target or better.

    The senior classes scale together, the others fill the rest of the
    unchanged total in their current proportions; the same simulated paths
    (weighted by their likelihood ratios when tilted) are reused for every
    candidate, so the search compares like with like.
    """
    base = structure if with_guarantees else structure.without_support()
    sizes = structure.sizes
    total = float(sizes.sum())
    senior = np.array([c == "senior" for c in structure.classes])
    if not senior.any() or senior.all():
        return MaxSeniorSize(target_rating, with_guarantees, float(sizes[senior].sum()), 1.0, None, None, None)
    senior_weights = sizes * senior / sizes[senior].sum()
    junior_weights = sizes * ~senior / sizes[~senior].sum()
    weights = sim.weights

    def check(size: float) -> tuple[bool, float, float, str]:
        # Whether every senior class keeps the target, and the worst senior class's EL, WAL and rating.
        candidate = base.with_sizes(senior_weights * size + junior_weights * (total - size))
        outcome = evaluate_structure(sim, candidate, chunk_size=chunk_size, with_irr=False, keep_cash=False)
        measured = []
        for j in np.nonzero(senior)[0]:
            el = float(np.mean(weights * outcome.loss[j]))
            wal = wal_years if wal_years is not None else float(np.average(outcome.wal_years[j], weights=weights))
            measured.append((rating_rank(implied_rating(el, wal, assumptions)), el, wal))
        rank, el, wal = max(measured)
        return rank <= rating_rank(target_rating), el, wal, RATING_SCALE[min(rank, len(RATING_SCALE) - 1)]

    lo, hi = 0.0, total * (1 - 1e-9)
    top = check(hi)
    if top[0]:
        return MaxSeniorSize(target_rating, with_guarantees, hi, hi / total, top[1], top[2], top[3])
    best = None
    for _ in range(assumptions.max_size_iterations):
        mid = 0.5 * (lo + hi)
        result = check(mid)
        if result[0]:
            lo, best = mid, result
        else:
            hi = mid
    if best is None:
        return MaxSeniorSize(target_rating, with_guarantees, 0.0, 0.0, None, None, None)
    return MaxSeniorSize(target_rating, with_guarantees, lo, lo / total, best[1], best[2], best[3])
