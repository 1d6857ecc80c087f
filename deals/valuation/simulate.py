"""The Monte Carlo in chunks of paths: collections on every path, then the waterfall on every path.

Memory stays bounded by the chunk: per-chunk work arrays are [months, chunk]
(and [obligors, chunk]); only per-path results are kept for all paths.
Every per-path number is computed elementwise or by a reduction along that
path, and all reductions across paths happen once on the full arrays, so a
different chunk size gives bit-for-bit the same result.

Importance sampling: a `Tilt` shifts the mean of the normal draws (every
monthly revenue innovation, the pool's systematic factor, every obligor's own
factor, every support provider's own factor, the pledged data's value) and
raises the chance of the rare events (each large licensee's loss within the
horizon, a suspension of data use within the tenor) towards the bad states. It is
defensive (Hesterberg 1995): a share `defensive` of the paths is drawn
untilted, so the sampling density is q = a p + (1 - a) p_theta, and each path
carries its likelihood ratio w = p / q = 1 / (a + (1 - a) r) with
r = p_theta / p = exp(sum over shifted draws x of (theta x - theta^2 / 2)),
so that E_plain[f] = E_q[w f] and no weight exceeds 1 / a, whatever other
states make the losses; an event drawn with chance q' instead of q adds
log(q' / q) to log r when it happens and log((1 - q') / (1 - q)) when it does
not. Plain Monte Carlo is the zero tilt (w = 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np

from .draws import PathDraws
from .history import RevenueModel, estimate_revenue_model
from .inputs import Scenario, ValuationInputs
from .irr import batched_irr
from .pool import DATA_SOURCES, SOURCE_KEYS, default_months, pool_schedule, simulate_pool
from .projection import (
    apply_regulatory_stop,
    licensee_loss_months,
    project_licence_revenue,
    regulatory_stop_starts,
    tilted_licensee_loss_months,
)
from .waterfall import WaterfallStructure, run_waterfall

Progress = Callable[[float], None]
TILT_GROUPS = ("revenue", "systematic", "idiosyncratic", "provider", "data_value")


@dataclass(frozen=True)
class Tilt:
    """Mean shifts of the normal draws by group, the tilted chances of the rare events, and the untilted share.

    `licensee`: per modelled licensee, its chance of being lost within the
    horizon (empty: nominal); `regulatory`: the chance of a suspension within
    the tenor (None: nominal). All zero / empty / None: plain Monte Carlo.
    """

    revenue: float = 0.0
    systematic: float = 0.0
    idiosyncratic: float = 0.0
    provider: float = 0.0
    data_value: float = 0.0
    licensee: tuple[float, ...] = ()
    regulatory: float | None = None
    defensive: float = 0.0

    @property
    def is_plain(self) -> bool:
        """No shift and no tilted event at all."""
        return not any(getattr(self, g) for g in TILT_GROUPS) and not self.licensee and self.regulatory is None

    def as_dict(self) -> dict[str, object]:
        """The shifts and tilted chances as plain values."""
        found: dict[str, object] = {g: float(getattr(self, g)) for g in TILT_GROUPS}
        found["licensee"] = [float(q) for q in self.licensee]
        found["regulatory"] = self.regulatory
        return found

    def with_shifts(self, **shifts: float) -> Tilt:
        """The same tilt with some normal shifts replaced."""
        return replace(self, **cast(dict[str, Any], shifts))


def _shift(draws: np.ndarray, theta: float, log_ratio: np.ndarray, tilted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift [width, paths] draws by theta on the tilted paths; add log p_theta / p of every path's draws to
    `log_ratio`; return the draws and each path's mean draw."""
    if draws.shape[0] == 0:
        return draws, np.zeros(draws.shape[1])
    if theta:
        draws = draws + theta * tilted[None, :]
        log_ratio += theta * draws.sum(axis=0) - draws.shape[0] * theta * theta / 2
    return draws, draws.mean(axis=0)


@dataclass(frozen=True, eq=False)
class SimulatedCollections:
    """Collections of every path by month [H, n] and by payment period [K, n], and per path facts.

    Read only: `monthly`, `periods` and `data_monthly` may be one and the same
    array (licence revenue alone, paid monthly).
    """

    monthly: np.ndarray
    periods: np.ndarray
    data_monthly: np.ndarray  # [H, n] data cash: licence revenue, claims repaid from data, pledged data recoveries
    sources: dict[str, np.ndarray]  # {source: [n]} collections over the horizon by where they come from
    pool_loss: np.ndarray  # [n] principal lost by the loan pool, net of recoveries
    regulatory_start: np.ndarray  # [n] month a suspension starts, 0 for none
    regulatory_event_period: np.ndarray  # [n] 0-based period of the suspension, K for none
    regulatory_event_end: np.ndarray  # [n] first period after the suspension (it may span two periods)
    support_default_period: np.ndarray  # [G, n] period from which each support pays nothing, K for never
    pool_principal: float
    regulatory_stop_probability_tenor: float  # chance of a suspension within the tenor
    log_weight: np.ndarray  # [n] log likelihood ratio of the path (0 for plain Monte Carlo)
    factor_means: dict[str, np.ndarray] = field(default_factory=dict)  # {group: [n]} mean shifted draw
    events: dict[str, np.ndarray] = field(default_factory=dict)  # licensee_lost [K, n], suspended [n]

    @property
    def total_cash(self) -> np.ndarray:
        """Collections over the horizon, per path."""
        total: np.ndarray = self.monthly.sum(axis=0)
        return total

    @property
    def data_cash(self) -> np.ndarray:
        """Data cash over the horizon, per path."""
        total: np.ndarray = self.data_monthly.sum(axis=0)
        return total

    @property
    def weights(self) -> np.ndarray:
        """Likelihood ratios of the paths (1 for plain Monte Carlo)."""
        weights: np.ndarray = np.exp(self.log_weight)
        return weights


def _chunks(n_paths: int, chunk_size: int) -> list[tuple[int, int]]:
    size = max(int(chunk_size), 1)
    return [(start, min(start + size, n_paths)) for start in range(0, n_paths, size)]


def has_data_exposure(inputs: ValuationInputs) -> bool:
    """The deal's cash depends on data: licence revenue, claims repaid out of data, or pledged data."""
    return inputs.revenue_history is not None or any(
        x.repays_from_data or x.pledged_data or x.pledged_data_value > 0 for x in inputs.loan_assets
    )


def regulatory_within_tenor(inputs: ValuationInputs) -> float:
    """The chance of a suspension of data use within the tenor (0 for a deal with no link to data)."""
    if not has_data_exposure(inputs):
        return 0.0
    annual = inputs.legal_risk.regulatory_stop_annual
    if annual is None:
        annual = inputs.assumptions.regulatory_stop_base_annual
    return float(1 - (1 - annual) ** (inputs.tenor_months / 12))


def provider_annual_pd(inputs: ValuationInputs) -> list[float]:
    """Each support provider's annual default probability: its own, the market's table by rating, or by type."""
    a, market = inputs.assumptions, inputs.market
    found = []
    for support in inputs.supports:
        if support.annual_pd is not None:
            found.append(float(support.annual_pd))
        elif support.provider_rating != "NR" and support.provider_rating in market.provider_annual_pd:
            found.append(float(market.provider_annual_pd[support.provider_rating]))
        else:
            found.append(float(a.provider_annual_pd_by_type[support.provider_type]))
    return found


def simulate_collections(
    inputs: ValuationInputs,
    *,
    n_paths: int,
    seed: int,
    chunk_size: int | None = None,
    scenario: Scenario | None = None,
    with_data: bool = True,
    revenue_model: RevenueModel | None = None,
    pledged_values: np.ndarray | None = None,
    tilt: Tilt | None = None,
    family: int = 0,
    progress: Progress | None = None,
) -> SimulatedCollections:
    """Simulate collections on n_paths paths: licence revenue, the loan pool, suspensions and provider defaults.

    Data cash (licence revenue x revenue share, claims repaid out of data,
    pledged data recoveries) is cut by the legal haircut and the scenario's
    revenue shock; a suspension of data use stops licence revenue and the
    claims repaid out of data while it lasts, and cuts the pledged data sold
    after it began (`suspension_collateral_haircut`); every collection is cut
    by the scenario's collections haircut. `with_data=False` prices the
    empowerment pool's obligors at their PDs without the data. A support
    provider's latent variable loads on the path's systematic index (the
    pool's factor and/or the standardised sum of revenue innovations) with its
    type's correlation.
    """
    a = inputs.assumptions
    scenario = scenario or inputs.scenario
    tilt = tilt or Tilt()
    chunk_size = chunk_size or a.default_chunk_size
    months, mpp = inputs.horizon_months, inputs.months_per_period
    periods = months // mpp
    if revenue_model is None and inputs.revenue_history is not None:
        revenue_model = estimate_revenue_model(inputs.revenue_history, a)
    loans = inputs.loan_assets
    schedule = pool_schedule(loans, months, a) if loans else None
    supports = inputs.supports
    provider_pds = provider_annual_pd(inputs)
    draws = PathDraws(seed=seed, block_paths=a.seed_block_paths, family=family)
    data_factor = (1 - inputs.legal_risk.haircut) * (1 - scenario.revenue_shock)
    keep = 1 - scenario.collections_haircut
    annual_stop = inputs.legal_risk.regulatory_stop_annual
    if annual_stop is None:
        annual_stop = a.regulatory_stop_base_annual
    if not has_data_exposure(inputs):
        annual_stop = 0.0  # a suspension of data use touches nothing in a pool with no link to data
    forced = scenario.regulatory_stop_start_month if scenario.regulatory_stop_months else 0
    stop_length = scenario.regulatory_stop_months if forced else a.regulatory_stop_months

    data_monthly = np.empty((months, n_paths))
    monthly = np.empty((months, n_paths)) if schedule is not None else data_monthly  # licence only: the same
    sources = {key: np.zeros(n_paths) for key in ("licence", *SOURCE_KEYS)}
    pool_loss = np.zeros(n_paths)
    starts_all = np.zeros(n_paths, dtype=np.int64)
    support_period = np.full((len(supports), n_paths), periods, dtype=np.int64)
    log_weight = np.zeros(n_paths)
    means = {g: np.zeros(n_paths) for g in TILT_GROUPS}
    licensees = revenue_model.counterparty_shares.size if revenue_model is not None else 0
    licensee_lost = np.zeros((licensees, n_paths), dtype=bool)
    rows = np.arange(months)[:, None]
    for start, stop in _chunks(n_paths, chunk_size):
        width = stop - start
        lw = np.zeros(width)  # log p_theta / p of the path's draws
        if tilt.defensive > 0 and not tilt.is_plain:
            tilted = draws.uniform("mixture", start, stop, 1)[0] >= tilt.defensive
        else:
            tilted = np.ones(width, dtype=bool)
        index_parts = []
        if revenue_model is not None:
            normals, means["revenue"][start:stop] = _shift(
                draws.normal("revenue", start, stop, months), tilt.revenue, lw, tilted
            )
            loss_uniforms = draws.uniform("licensee_loss", start, stop, a.counterparties_modelled)
            if tilt.licensee:
                loss_months, lost, ratio = tilted_licensee_loss_months(
                    revenue_model, loss_uniforms, months=months, tilted_within=np.asarray(tilt.licensee),
                    tilted=tilted, lose_largest=scenario.lose_largest_counterparty,
                )  # fmt: skip
                lw += ratio
            else:
                loss_months = licensee_loss_months(
                    revenue_model, loss_uniforms, lose_largest=scenario.lose_largest_counterparty
                )
                lost = loss_months <= months
            licensee_lost[:, start:stop] = lost
            licence = project_licence_revenue(
                revenue_model,
                months=months,
                normals=normals,
                loss_uniforms=loss_uniforms,
                assumptions=a,
                lose_largest=scenario.lose_largest_counterparty,
                loss_months=loss_months,
            )
            if inputs.revenue_share != 1.0:
                licence *= inputs.revenue_share
            index_parts.append(normals.sum(axis=0) / np.sqrt(months))
        else:
            licence = np.zeros((months, width))
        systematic, means["systematic"][start:stop] = _shift(
            draws.normal("systematic", start, stop, 1), tilt.systematic, lw, tilted
        )
        systematic = systematic[0]
        parts: dict[str, np.ndarray] = {}
        if schedule is not None:
            idiosyncratic, means["idiosyncratic"][start:stop] = _shift(
                draws.normal("idiosyncratic", start, stop, len(loans)), tilt.idiosyncratic, lw, tilted
            )
            data_value, means["data_value"][start:stop] = _shift(
                draws.normal("data_value", start, stop, 1), tilt.data_value, lw, tilted
            )
            data_value = data_value[0]
            pool = simulate_pool(
                loans,
                schedule,
                systematic=systematic,
                idiosyncratic=idiosyncratic,
                data_value=data_value,
                scenario=scenario,
                assumptions=a,
                pledged_values=pledged_values,
                with_data=with_data,
            )
            parts = pool.cash
            pool_loss[start:stop] = pool.loss
            index_parts.append(systematic)
        starts = regulatory_stop_starts(
            draws.uniform("regulatory", start, stop, 2),
            annual_probability=annual_stop,
            tenor_months=inputs.tenor_months,
            forced_start=forced,
            tilted_within=tilt.regulatory,
            tilted=tilted,
            log_ratio=lw,
        )
        starts_all[start:stop] = starts
        # Data cash: cut by the legal haircut and the revenue shock; stopped (or devalued) by a suspension.
        flowing = [licence, *(parts[k] for k in ("generated", "secured_repaid_from_data") if k in parts)]
        for array in flowing:
            if data_factor * keep != 1.0:
                array *= data_factor * keep
            apply_regulatory_stop(array, starts, stop_length)
        if "pledged_data_recovery" in parts:
            collateral = parts["pledged_data_recovery"]
            collateral *= data_factor * keep
            hit = np.nonzero(starts > 0)[0]
            if hit.size and a.suspension_collateral_haircut:
                after = rows >= (starts[hit] - 1)[None, :]
                cut = np.where(after, collateral[:, hit] * a.suspension_collateral_haircut, 0.0)
                collateral[:, hit] -= cut
                pool_loss[start + hit] += cut.sum(axis=0)
        for key in ("secured_other_repayment", "empowered", "other"):
            if key in parts and keep != 1.0:
                parts[key] *= keep
        data = licence.copy() if parts else licence
        for key in DATA_SOURCES:
            if key in parts:
                data += parts[key]
        data_monthly[:, start:stop] = data
        sources["licence"][start:stop] = licence.sum(axis=0)
        for key, array in parts.items():
            sources[key][start:stop] = array.sum(axis=0)
        if parts:
            total = data.copy()
            for key in ("secured_other_repayment", "empowered", "other"):
                total += parts[key]
            monthly[:, start:stop] = total
        if supports:
            own, means["provider"][start:stop] = _shift(
                draws.normal("guarantor", start, stop, len(supports)), tilt.provider, lw, tilted
            )
            index = sum(index_parts) / np.sqrt(len(index_parts)) if index_parts else np.zeros(width)
            for g, support in enumerate(supports):
                rho = a.provider_correlation[support.provider_type]
                month = default_months(provider_pds[g], np.sqrt(rho) * index + np.sqrt(1 - rho) * own[g])
                support_period[g, start:stop] = np.where(month <= months, (month - 1) // mpp, periods)
        if not tilt.is_plain:  # w = p / (a p + (1 - a) p_theta) = 1 / (a + (1 - a) r)
            a_share = tilt.defensive
            log_weight[start:stop] = -np.logaddexp(np.log(a_share), np.log1p(-a_share) + lw) if a_share > 0 else -lw
        if progress is not None:
            progress(stop / n_paths)
    event_period = np.where(starts_all > 0, (starts_all - 1) // mpp, periods)
    event_end = np.where(starts_all > 0, (starts_all + stop_length - 2) // mpp + 1, periods)
    return SimulatedCollections(
        monthly=monthly,
        periods=monthly if mpp == 1 else monthly.reshape(periods, mpp, n_paths).sum(axis=1),
        data_monthly=data_monthly,
        sources=sources,
        pool_loss=pool_loss,
        regulatory_start=starts_all,
        regulatory_event_period=event_period,
        regulatory_event_end=event_end,
        support_default_period=support_period,
        pool_principal=float(sum(asset.principal for asset in loans)),
        regulatory_stop_probability_tenor=float(1 - (1 - annual_stop) ** (inputs.tenor_months / 12)),
        log_weight=log_weight,
        factor_means=means,
        events={"licensee_lost": licensee_lost, "suspended": starts_all > 0},
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
    tripped_at_start: np.ndarray  # [periods, paths]
    trigger_period: np.ndarray  # [paths]
    support_draws: np.ndarray  # [supports, paths]
    fees_paid: np.ndarray  # [paths]

    @property
    def guarantee_draws(self) -> np.ndarray:
        """[paths] what all supports paid together."""
        total: np.ndarray = self.support_draws.sum(axis=0)
        return total


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
    tripped = np.empty((periods, n), dtype=bool)
    trigger = np.empty(n, dtype=np.int64)
    drawn = np.empty((structure.supports, n))
    fees = np.empty(n)
    for start, stop in _chunks(n, chunk_size):
        out = run_waterfall(
            sim.periods[:, start:stop],
            structure,
            regulatory_event_period=sim.regulatory_event_period[start:stop],
            regulatory_event_end=sim.regulatory_event_end[start:stop],
            support_default_period=sim.support_default_period[:, start:stop] if structure.supports else None,
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
                assert out.cash is not None  # recorded whenever IRRs are asked for
                flows = np.empty((stop - start, periods + 1))
                flows[:, 0] = -size
                flows[:, 1:] = out.cash[j].T
                rates = batched_irr(flows) * ppy
                nothing = ~np.any(out.cash[j] > 0, axis=0)
                irr[j, start:stop] = np.where(nothing, -1.0, rates)
        if cash_all is not None:
            cash_all[:, :, start:stop] = out.cash
        dscr[:, start:stop] = out.dscr
        tripped[:, start:stop] = out.tripped_at_start
        trigger[start:stop] = out.trigger_period
        drawn[:, start:stop] = out.support_draws
        fees[start:stop] = out.fees_paid
    return StructureOutcome(loss, shortfall, wal, irr, cash_all, dscr, tripped, trigger, drawn, fees)


def expected_period_cash(sim: SimulatedCollections) -> np.ndarray:
    """Mean collections per payment period over the paths (weighted when the paths are tilted)."""
    if not np.any(sim.log_weight):
        mean: np.ndarray = sim.periods.mean(axis=1)
        return mean
    w = sim.weights
    weighted: np.ndarray = sim.periods @ w / w.sum()
    return weighted


__all__ = [
    "Progress",
    "SimulatedCollections",
    "StructureOutcome",
    "Tilt",
    "evaluate_structure",
    "expected_period_cash",
    "provider_annual_pd",
    "simulate_collections",
]
