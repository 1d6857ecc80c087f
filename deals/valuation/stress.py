"""Stress scenarios, the break-even stress of each class, and the largest senior size that keeps its rating."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .assumptions import RATING_SCALE, ValuationAssumptions
from .inputs import Scenario, ValuationInputs
from .rating import implied_rating, rating_rank
from .simulate import SimulatedCollections, evaluate_structure, simulate_collections
from .waterfall import WaterfallStructure, run_waterfall


@dataclass(frozen=True)
class StressTranche:
    """One class under one scenario."""

    name: str
    expected_loss: float
    probability_of_shortfall: float
    wal_years: float
    implied_rating: str
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

    Revenue shock (data cash cut), loss of the largest customer (or default of
    the largest obligor in month 1), a regulatory suspension of data use, a
    rate shock, a default shock for pools, and all of them combined.
    """
    a = inputs.assumptions
    base = inputs.scenario
    has_data = inputs.revenue_history is not None or any(x.data_driven for x in inputs.loan_assets)
    has_loans = bool(inputs.loan_assets)
    shock = {"revenue_shock": a.stress_revenue_shock}
    stop = {
        "regulatory_stop_months": a.stress_regulatory_stop_months,
        "regulatory_stop_start_month": a.stress_regulatory_stop_start_month,
    }
    defaults = {"pd_multiplier": a.stress_pd_multiplier, "recovery_haircut": a.stress_recovery_haircut}
    scenarios: list[tuple[Scenario, str]] = []
    if has_data:
        scenarios.append((replace(base, name="revenue_shock", **shock), "Data revenue cut for the whole tenor"))
    scenarios.append(
        (
            replace(base, name="largest_customer_loss", lose_largest_counterparty=True),
            "Largest licensee or obligor lost in month 1",
        )
    )
    scenarios.append((replace(base, name="regulatory_stop", **stop), "Data use suspended by a regulator"))
    scenarios.append(
        (
            replace(base, name="rate_shock", rate_shock_bps=a.stress_rate_shock_bps),
            "Rates up: pool PDs rise, note values fall",
        )
    )
    if has_loans:
        scenarios.append((replace(base, name="default_shock", **defaults), "Pool PDs multiplied, recoveries cut"))
    combined = {
        "lose_largest_counterparty": True,
        **stop,
        **(shock if has_data else {}),
        **(defaults if has_loans else {}),
    }
    scenarios.append((replace(base, name="combined", **combined), "All of the above at once (rates aside)"))
    return scenarios


def _market_value_change(cash_mean: np.ndarray, size: float, coupon: float, shock: float, ppy: int) -> float:
    periods = np.arange(1, cash_mean.size + 1, dtype=float)
    rate = (coupon + shock) / ppy
    return float(np.sum(cash_mean / (1 + rate) ** periods) / size - 1)


def stress_scenarios(
    inputs: ValuationInputs, structure: WaterfallStructure, *, n_paths: int, seed: int, chunk_size: int
) -> list[StressResult]:
    """Every standard scenario on the same random numbers as the base case (common random numbers)."""
    a = inputs.assumptions
    results = []
    for scenario, description in standard_scenarios(inputs):
        sim = simulate_collections(inputs, n_paths=n_paths, seed=seed, chunk_size=chunk_size, scenario=scenario)
        outcome = evaluate_structure(sim, structure, chunk_size=chunk_size, with_irr=False)
        tranches = []
        for j, name in enumerate(structure.names):
            el, wal = float(outcome.loss[j].mean()), float(outcome.wal_years[j].mean())
            coupon = float(structure.period_rates[j] * structure.periods_per_year)
            cash_mean = outcome.cash[j].mean(axis=1)
            tranches.append(
                StressTranche(
                    name=name,
                    expected_loss=el,
                    probability_of_shortfall=float(outcome.shortfall[j].mean()),
                    wal_years=wal,
                    implied_rating=implied_rating(el, wal, a),
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
                probability=sim.regulatory_stop_probability if scenario.name == "regulatory_stop" else None,
                expected_collections=float(sim.total_cash.mean()),
                tranches=tranches,
            )
        )
    return results


@dataclass(frozen=True)
class BreakevenResult:
    """For each class with a promised coupon: the largest cut of the expected cash flow it survives unpaid-free."""

    basis: str
    haircuts: dict[str, float]
    senior_haircut: float | None
    senior_coverage_multiple: float | None  # 1 / (1 - senior haircut): how many times the senior is covered


def _failures(mean: np.ndarray, structure: WaterfallStructure, haircuts: np.ndarray) -> np.ndarray:
    """[classes, haircuts] True where the class is not paid in full on the mean path cut by each haircut."""
    out = run_waterfall(mean[:, None] * (1 - haircuts)[None, :], structure)
    principal_left = out.principal_outstanding > 1e-9 * np.maximum(structure.sizes[:, None], 1.0)
    return out.interest_shortfall | principal_left


def breakeven_stress(sim: SimulatedCollections, structure: WaterfallStructure) -> BreakevenResult:
    """Largest uniform haircut of the mean collection path under which a class is still paid in full.

    Method: the mean collections per period (over paths) cut by h, run through
    the waterfall without external guarantees or regulatory events, for a grid
    of 1,001 values of h at once (each h is a 'path'); the first h with a
    shortfall is refined on a second grid between its neighbours (resolution
    1e-6). 1.0 means the class survives losing all collections (reserve alone).
    """
    mean = sim.periods.mean(axis=1)
    bare = structure.without_guarantees()
    rated = [j for j in range(structure.sizes.size) if not (j == structure.residual and structure.period_rates[j] == 0)]
    grid = np.linspace(0.0, 1.0, 1001)
    coarse = _failures(mean, bare, grid)
    haircuts: dict[str, float] = {}
    for j in rated:
        if not coarse[j].any():
            haircuts[structure.names[j]] = 1.0
            continue
        first = int(np.argmax(coarse[j]))
        if first == 0:
            haircuts[structure.names[j]] = 0.0
            continue
        fine_grid = np.linspace(grid[first - 1], grid[first], 1001)
        fine = _failures(mean, bare, fine_grid)[j]
        index = int(np.argmax(fine)) if fine.any() else fine_grid.size
        haircuts[structure.names[j]] = float(fine_grid[max(index - 1, 0)])
    senior = next((structure.names[j] for j in rated if structure.classes[j] == "senior"), None)
    senior_cut = haircuts.get(senior) if senior else None
    multiple = None if senior_cut is None or senior_cut >= 1 else 1 / (1 - senior_cut)
    return BreakevenResult("mean collection path, no external guarantees", haircuts, senior_cut, multiple)


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
) -> MaxSeniorSize:
    """Bisection on the senior size: the largest one whose every senior class still rates at target or better.

    The senior classes scale together, the others fill the rest of the
    unchanged total in their current proportions; the same simulated paths are
    reused for every candidate, so the search compares like with like.
    """
    base = structure if with_guarantees else structure.without_guarantees()
    sizes = structure.sizes
    total = float(sizes.sum())
    senior = np.array([c == "senior" for c in structure.classes])
    if not senior.any() or senior.all():
        return MaxSeniorSize(target_rating, with_guarantees, float(sizes[senior].sum()), 1.0, None, None, None)
    senior_weights = sizes * senior / sizes[senior].sum()
    junior_weights = sizes * ~senior / sizes[~senior].sum()

    def check(size: float) -> tuple[bool, float, float, str]:
        # Whether every senior class keeps the target, and the worst senior class's EL, WAL and rating.
        candidate = base.with_sizes(senior_weights * size + junior_weights * (total - size))
        outcome = evaluate_structure(sim, candidate, chunk_size=chunk_size, with_irr=False, keep_cash=False)
        measured = []
        for j in np.nonzero(senior)[0]:
            el, wal = float(outcome.loss[j].mean()), float(outcome.wal_years[j].mean())
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
