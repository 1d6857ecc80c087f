"""The Monte Carlo in chunks of paths: collections on every path, then the waterfall on every path.

Memory stays bounded by the chunk: per-chunk work arrays are [months, chunk]
(and [obligors, chunk]); only per-path results are kept for all paths.
Every per-path number is computed elementwise or by a reduction along that
path, and all reductions across paths happen once on the full arrays, so a
different chunk size gives bit-for-bit the same result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .draws import PathDraws
from .history import RevenueModel, estimate_revenue_model
from .inputs import Scenario, ValuationInputs
from .irr import batched_irr
from .pool import default_months, pool_schedule, simulate_pool
from .projection import apply_regulatory_stop, project_licence_revenue, regulatory_stop_starts
from .waterfall import WaterfallStructure, run_waterfall

Progress = Callable[[float], None]


@dataclass(frozen=True, eq=False)
class SimulatedCollections:
    """Collections of every path by month [H, n] and by payment period [K, n], and per path facts.

    Read only: `monthly`, `periods` and `data_monthly` may be one and the same
    array (licence revenue alone, paid monthly).
    """

    monthly: np.ndarray
    periods: np.ndarray
    data_monthly: np.ndarray  # [H, n] the part from data: licence revenue, data-driven obligors, pledged data
    pool_loss: np.ndarray  # [n] principal lost by the loan pool, net of recoveries
    regulatory_start: np.ndarray  # [n] month a suspension starts, 0 for none
    regulatory_event_period: np.ndarray  # [n] 0-based period of the suspension, K for none
    guarantor_default_period: np.ndarray  # [G, n] period from which each guarantor pays nothing, K for never
    pool_principal: float
    regulatory_stop_probability: float  # chance of a suspension within the tenor

    @property
    def total_cash(self) -> np.ndarray:
        """Collections over the horizon, per path."""
        return self.monthly.sum(axis=0)

    @property
    def data_cash(self) -> np.ndarray:
        """Data cash over the horizon, per path."""
        return self.data_monthly.sum(axis=0)


def _chunks(n_paths: int, chunk_size: int) -> list[tuple[int, int]]:
    size = max(int(chunk_size), 1)
    return [(start, min(start + size, n_paths)) for start in range(0, n_paths, size)]


def simulate_collections(
    inputs: ValuationInputs,
    *,
    n_paths: int,
    seed: int,
    chunk_size: int | None = None,
    scenario: Scenario | None = None,
    with_data: bool = True,
    revenue_model: RevenueModel | None = None,
    progress: Progress | None = None,
) -> SimulatedCollections:
    """Simulate collections on n_paths paths: licence revenue, the loan pool, suspensions and guarantor defaults.

    Data cash (licence revenue x revenue share, data-driven obligors' cash,
    pledged data recoveries) is cut by the legal haircut and the scenario's
    revenue shock and stops during a regulatory suspension; every collection is
    cut by the scenario's collections haircut. `with_data=False` prices the
    empowerment pool's obligors at their PDs without the data.
    """
    a = inputs.assumptions
    scenario = scenario or inputs.scenario
    chunk_size = chunk_size or a.default_chunk_size
    months, mpp = inputs.horizon_months, inputs.months_per_period
    periods = months // mpp
    if revenue_model is None and inputs.revenue_history is not None:
        revenue_model = estimate_revenue_model(inputs.revenue_history, a)
    loans = inputs.loan_assets
    schedule = pool_schedule(loans, months, a) if loans else None
    guarantees = inputs.enhancement.guarantees
    draws = PathDraws(seed=seed, block_paths=a.seed_block_paths)
    data_factor = (1 - inputs.legal_risk.haircut) * (1 - scenario.revenue_shock)
    keep = 1 - scenario.collections_haircut
    annual_stop = a.regulatory_stop_base_annual + inputs.legal_risk.regulatory_stop_probability
    forced = scenario.regulatory_stop_start_month if scenario.regulatory_stop_months else 0
    stop_length = scenario.regulatory_stop_months if forced else a.regulatory_stop_months

    data_monthly = np.empty((months, n_paths))
    monthly = np.empty((months, n_paths)) if schedule is not None else data_monthly  # licence only: the same
    pool_loss = np.zeros(n_paths)
    starts_all = np.zeros(n_paths, dtype=np.int64)
    guarantor_period = np.full((len(guarantees), n_paths), periods, dtype=np.int64)
    for start, stop in _chunks(n_paths, chunk_size):
        width = stop - start
        if revenue_model is not None:
            data = project_licence_revenue(
                revenue_model,
                months=months,
                normals=draws.normal("revenue", start, stop, months),
                loss_uniforms=draws.uniform("licensee_loss", start, stop, a.counterparties_modelled),
                assumptions=a,
                lose_largest=scenario.lose_largest_counterparty,
            )
            if inputs.revenue_share != 1.0:
                data *= inputs.revenue_share
        else:
            data = np.zeros((months, width))
        systematic = draws.normal("systematic", start, stop, 1)[0]
        other = None
        if schedule is not None:
            pool = simulate_pool(
                loans,
                schedule,
                systematic=systematic,
                idiosyncratic=draws.normal("idiosyncratic", start, stop, len(loans)),
                data_value=draws.normal("data_value", start, stop, 1)[0],
                scenario=scenario,
                assumptions=a,
                with_data=with_data,
            )
            data += pool.data_cash
            other = pool.other_cash
            pool_loss[start:stop] = pool.loss
        if data_factor * keep != 1.0:
            data *= data_factor * keep
        starts = regulatory_stop_starts(
            draws.uniform("regulatory", start, stop, 2),
            annual_probability=annual_stop,
            tenor_months=inputs.tenor_months,
            forced_start=forced,
        )
        apply_regulatory_stop(data, starts, stop_length)
        starts_all[start:stop] = starts
        data_monthly[:, start:stop] = data
        if other is not None:
            if keep != 1.0:
                other *= keep
            data += other
            monthly[:, start:stop] = data
        if guarantees:
            own = draws.normal("guarantor", start, stop, len(guarantees))
            rho = a.guarantor_correlation
            for g, guarantee in enumerate(guarantees):
                pd = guarantee.annual_pd
                if pd is None:
                    pd = a.guarantor_annual_pd[guarantee.guarantor_type]
                month = default_months(pd, np.sqrt(rho) * systematic + np.sqrt(1 - rho) * own[g])
                guarantor_period[g, start:stop] = np.where(month <= months, (month - 1) // mpp, periods)
        if progress is not None:
            progress(stop / n_paths)
    event_period = np.where(starts_all > 0, (starts_all - 1) // mpp, periods)
    return SimulatedCollections(
        monthly=monthly,
        periods=monthly if mpp == 1 else monthly.reshape(periods, mpp, n_paths).sum(axis=1),
        data_monthly=data_monthly,
        pool_loss=pool_loss,
        regulatory_start=starts_all,
        regulatory_event_period=event_period,
        guarantor_default_period=guarantor_period,
        pool_principal=float(sum(asset.principal for asset in loans)),
        regulatory_stop_probability=float(1 - (1 - annual_stop) ** (inputs.tenor_months / 12)),
    )


@dataclass(frozen=True, eq=False)
class StructureOutcome:
    """Per path results of the waterfall for every class: [classes, paths] unless stated."""

    loss: np.ndarray  # 1 - PV(received at the coupon) / size, floored at 0
    shortfall: np.ndarray  # bool: interest unpaid on some date, or anything unpaid at the legal final
    wal_years: np.ndarray  # principal-weighted time, unpaid principal counted at the legal final
    irr: np.ndarray  # annual (periodic rate x periods per year); -1 when nothing was received; NaN if skipped
    cash: np.ndarray | None  # [classes, periods, paths] when kept
    dscr: np.ndarray  # [periods, paths]
    trigger_period: np.ndarray  # [paths]
    guarantee_draws: np.ndarray  # [paths]
    fees_paid: np.ndarray  # [paths]


def evaluate_structure(
    sim: SimulatedCollections,
    structure: WaterfallStructure,
    *,
    chunk_size: int,
    with_irr: bool = True,
    keep_cash: bool = True,
) -> StructureOutcome:
    """Run the waterfall on the simulated collections chunk by chunk and measure every class on every path.

    Loss is measured as in rating practice: the shortfall of the present value
    of what the class receives, discounted at its own coupon, against its
    size (a class paid late but with its interest has no loss).
    """
    periods, n = sim.periods.shape
    classes = structure.sizes.size
    ppy = structure.periods_per_year
    final = periods / ppy  # the legal final, in years
    loss = np.empty((classes, n))
    shortfall = np.empty((classes, n), dtype=bool)
    wal = np.empty((classes, n))
    irr = np.full((classes, n), np.nan)
    cash_all = np.empty((classes, periods, n)) if keep_cash else None
    dscr = np.empty((periods, n))
    trigger = np.empty(n, dtype=np.int64)
    drawn = np.empty(n)
    fees = np.empty(n)
    for start, stop in _chunks(n, chunk_size):
        out = run_waterfall(
            sim.periods[:, start:stop],
            structure,
            regulatory_event_period=sim.regulatory_event_period[start:stop],
            guarantor_default_period=sim.guarantor_default_period[:, start:stop] if structure.guarantees else None,
            record=with_irr or keep_cash,
        )
        for j in range(classes):
            size = float(structure.sizes[j])
            shortfall_of_value = 1.0 - out.present_value[j] / size
            # Below 1e-12 of par is floating-point noise of discounting, not a loss.
            loss[j, start:stop] = np.where(shortfall_of_value > 1e-12, shortfall_of_value, 0.0)
            tolerance = 1e-9 * max(size, 1.0)
            unpaid = (out.principal_outstanding[j] > tolerance) | (out.interest_arrears[j] > tolerance)
            shortfall[j, start:stop] = out.interest_shortfall[j] | unpaid
            wal[j, start:stop] = (out.principal_time[j] + out.principal_outstanding[j] * final) / size
            if with_irr:
                flows = np.empty((stop - start, periods + 1))
                flows[:, 0] = -size
                flows[:, 1:] = out.cash[j].T
                rates = batched_irr(flows) * ppy
                nothing = ~np.any(out.cash[j] > 0, axis=0)
                irr[j, start:stop] = np.where(nothing, -1.0, rates)
        if cash_all is not None:
            cash_all[:, :, start:stop] = out.cash
        dscr[:, start:stop] = out.dscr
        trigger[start:stop] = out.trigger_period
        drawn[start:stop] = out.guarantee_draws
        fees[start:stop] = out.fees_paid
    return StructureOutcome(loss, shortfall, wal, irr, cash_all, dscr, trigger, drawn, fees)
