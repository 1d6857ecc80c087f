"""Loans, receivables and leases: scheduled cash flows and correlated defaults with recoveries, per path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from .assumptions import ValuationAssumptions
from .inputs import PoolAssetInput, Scenario


@dataclass(frozen=True, eq=False)
class PoolSchedule:
    """Contractual cash of each asset by month, [assets, months], and the balance at the start of each month."""

    cash: np.ndarray
    balance: np.ndarray
    maturity: np.ndarray  # months, capped at the horizon
    principal: np.ndarray


@dataclass(frozen=True, eq=False)
class PoolPaths:
    """Simulated pool cash, [months, paths]: from data-driven obligors and pledged data, and the rest."""

    data_cash: np.ndarray
    other_cash: np.ndarray
    loss: np.ndarray  # [paths] principal lost in defaults net of recoveries received in the horizon
    defaults: np.ndarray  # [paths] number of obligors in default


def pool_schedule(
    assets: tuple[PoolAssetInput, ...], horizon_months: int, assumptions: ValuationAssumptions
) -> PoolSchedule:
    """Contractual monthly cash of each asset: annuity (level instalments) or bullet, by kind.

    Annuity: instalment = B r / (1 - (1 + r)^-n) at the monthly rate r (B / n
    when r = 0). Bullet: principal plus simple interest at maturity. A balance
    still outstanding at the horizon is assumed sold at par in the last month
    (clean-up), so a pool longer than the notes is not counted as lost.
    """
    n, horizon = len(assets), horizon_months
    cash = np.zeros((n, horizon))
    balance = np.zeros((n, horizon))
    maturity = np.zeros(n, dtype=np.int64)
    for i, asset in enumerate(assets):
        term = asset.months_to_maturity
        maturity[i] = min(term, horizon)
        method = assumptions.amortisation_by_kind.get(asset.kind, "annuity")
        if method == "bullet":
            balance[i, : maturity[i]] = asset.principal
            if term <= horizon:
                cash[i, term - 1] = asset.principal * (1 + asset.annual_rate * term / 12)
            else:
                cash[i, horizon - 1] = asset.principal * (1 + asset.annual_rate * horizon / 12)
            continue
        r = asset.annual_rate / 12
        instalment = asset.principal / term if r == 0 else asset.principal * r / (1 - (1 + r) ** -term)
        outstanding = asset.principal
        for m in range(maturity[i]):
            balance[i, m] = outstanding
            interest = outstanding * r
            repaid = min(outstanding, instalment - interest) if m < term - 1 else outstanding
            cash[i, m] = interest + repaid
            outstanding -= repaid
        if term > horizon:
            cash[i, horizon - 1] += outstanding
    return PoolSchedule(cash, balance, maturity, np.array([a.principal for a in assets], dtype=float))


def effective_pd(
    asset: PoolAssetInput, scenario: Scenario, assumptions: ValuationAssumptions, *, with_data: bool
) -> float:
    """The asset's annual PD under the scenario: without the data's effect if asked, times the PD shocks."""
    pd = asset.annual_pd if with_data or asset.annual_pd_without_data is None else asset.annual_pd_without_data
    rate_factor = 1 + assumptions.rate_pd_sensitivity_per_100bp * scenario.rate_shock_bps / 100
    return float(min(0.999, pd * scenario.pd_multiplier * max(rate_factor, 0.0)))


def default_months(pd: float, latent: np.ndarray) -> np.ndarray:
    """Default month (1-based) for a latent normal A: ceil(12 tau), tau = -ln(1 - Phi(A)) / lambda.

    Constant hazard lambda = -ln(1 - PD) per year; a low A (bad systematic
    factor or bad own factor) defaults early. PD 0 never defaults.
    """
    if pd <= 0:
        return np.full(latent.shape, np.iinfo(np.int64).max // 4, dtype=np.int64)
    hazard = -np.log1p(-pd)
    years = -log_ndtr(-latent) / hazard
    return np.maximum(1, np.ceil(12 * np.minimum(years, 1e6))).astype(np.int64)


def simulate_pool(
    assets: tuple[PoolAssetInput, ...],
    schedule: PoolSchedule,
    *,
    systematic: np.ndarray,
    idiosyncratic: np.ndarray,
    data_value: np.ndarray,
    scenario: Scenario,
    assumptions: ValuationAssumptions,
    with_data: bool = True,
) -> PoolPaths:
    """Correlated defaults (one-factor Gaussian copula) and recoveries, including the pledged data's value.

    Obligor i's latent variable is A_i = sqrt(rho) Z + sqrt(1 - rho) e_i with
    the path's systematic factor Z. A default stops the contractual cash from
    its month on; the exposure (balance at default) recovers, after
    `recovery_lag_months`, recovery_rate x exposure plus the pledged data sold
    at (1 - liquidation haircut) x a lognormal value factor that loads on Z
    (data is worth less in the downturns that cause defaults); the total is
    capped at the exposure. Recoveries after the horizon are lost.
    """
    a = assumptions
    horizon, paths = schedule.cash.shape[1], systematic.size
    data_cash = np.zeros((horizon, paths))
    other_cash = np.zeros((horizon, paths))
    loss = np.zeros(paths)
    defaults = np.zeros(paths, dtype=np.int64)
    rho = a.asset_correlation
    sigma, beta = a.pledged_data_value_volatility, a.pledged_data_value_factor_loading
    value_factor = np.exp(sigma * (beta * systematic + np.sqrt(1 - beta**2) * data_value) - 0.5 * sigma**2)
    recovery_keep = 1 - scenario.recovery_haircut
    largest = int(np.argmax(schedule.principal)) if len(assets) else -1
    rows = np.arange(horizon)[:, None]
    for i, asset in enumerate(assets):
        target = data_cash if asset.data_driven else other_cash
        target += schedule.cash[i][:, None]
        pd = effective_pd(asset, scenario, a, with_data=with_data)
        month = default_months(pd, np.sqrt(rho) * systematic + np.sqrt(1 - rho) * idiosyncratic[i])
        if scenario.lose_largest_counterparty and i == largest:
            month = np.ones(paths, dtype=np.int64)
        hit = np.nonzero(month <= schedule.maturity[i])[0]
        if hit.size == 0:
            continue
        start = month[hit] - 1
        target[:, hit] -= np.where(rows >= start[None, :], schedule.cash[i][:, None], 0.0)
        exposure = schedule.balance[i, start]
        general = exposure * asset.recovery_rate * recovery_keep
        pledged = (
            asset.pledged_data_value * (1 - a.pledged_data_liquidation_haircut) * value_factor[hit] * recovery_keep
        )
        pledged = np.minimum(pledged, exposure - np.minimum(general, exposure))
        general = np.minimum(general, exposure)
        arrives = start + a.recovery_lag_months
        inside = arrives < horizon
        np.add.at(target, (arrives[inside], hit[inside]), general[inside])
        np.add.at(data_cash, (arrives[inside], hit[inside]), pledged[inside])
        loss[hit] += exposure - np.where(inside, general + pledged, 0.0)
        defaults[hit] += 1
    return PoolPaths(data_cash, other_cash, loss, defaults)
