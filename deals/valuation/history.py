"""The revenue history: its metrics, the revenue stability score, and the projection model fitted to it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import ValuationAssumptions
from .inputs import RevenueHistory


@dataclass(frozen=True, eq=False)
class LogTrendFit:
    """Least-squares fit of log revenue = level + slope x month + seasonal effect of the calendar month."""

    intercept: float
    slope: float  # per month
    seasonal: np.ndarray  # [12] log effects by calendar month (index 0 = January), summing to zero
    residuals: np.ndarray


@dataclass(frozen=True, eq=False)
class RevenueModel:
    """Parameters of the licence-revenue projection, estimated from the history (see `estimate_revenue_model`)."""

    level: float  # deseasonalised fitted revenue of the last month of history, CNY per month
    historical_monthly_drift: float  # fitted log growth per month
    monthly_drift: float  # log growth per month carried into the projection
    seasonal: np.ndarray  # [12] log effects by calendar month
    persistence: float  # AR(1) coefficient of the transitory deviation
    transitory_volatility: float  # stationary monthly log volatility of the transitory deviation
    permanent_volatility: float  # monthly log volatility of the permanent (random-walk) part
    start_deviation: float  # transitory deviation in the last month of history
    counterparty_shares: np.ndarray  # [K] revenue shares of the largest licensees (last 12 months)
    counterparty_loss_annual: np.ndarray  # [K] yearly probability that each stops buying
    next_calendar_month: int  # calendar month (1-12) of projection month 1

    def as_dict(self) -> dict[str, object]:
        """The parameters as plain values, for the result."""
        return {
            "level": self.level,
            "historical_annual_growth": float(np.expm1(12 * self.historical_monthly_drift)),
            "projected_annual_growth": float(np.expm1(12 * self.monthly_drift)),
            "seasonal_factors": np.exp(self.seasonal).tolist(),
            "persistence": self.persistence,
            "transitory_volatility": self.transitory_volatility,
            "permanent_volatility_annual": self.permanent_volatility * np.sqrt(12.0),
            "start_deviation": self.start_deviation,
            "counterparty_shares": self.counterparty_shares.tolist(),
            "counterparty_loss_annual": self.counterparty_loss_annual.tolist(),
        }


@dataclass(frozen=True)
class HistoryMetrics:
    """What the revenue history shows, and the revenue stability score (0-100) with its weighted parts."""

    months: int
    total: float
    mean_monthly: float
    annual_growth: float  # log-linear trend of total revenue, annualised
    organic_annual_growth: float  # trend of the like-for-like index (existing licensees only)
    coefficient_of_variation: float  # of the monthly totals
    transitory_volatility: float  # monthly log volatility of the like-for-like index around trend and seasonality
    max_drawdown: float  # largest fall of monthly revenue from its running peak
    counterparties: int
    top1_share: float
    top5_share: float
    hhi: float  # Herfindahl-Hirschman index of counterparty shares, 0-1
    stability_score: float
    stability_parts: dict[str, dict[str, float]]  # part -> {"score", "weight"}


def _log_totals(history: RevenueHistory, assumptions: ValuationAssumptions) -> np.ndarray:
    totals = history.monthly_totals
    floor = assumptions.zero_revenue_floor * float(np.median(totals[totals > 0]))
    logs: np.ndarray = np.log(np.maximum(totals, floor))
    return logs


def like_for_like_log_index(history: RevenueHistory) -> np.ndarray:
    """Chain-linked log revenue of the counterparties paying in both of two consecutive months.

    Each month's log change is measured on the licensees present in both
    months only, so a new licensee joining (or one leaving) is not mistaken for
    growth or for volatility of the existing business; months with no common
    licensee add no change. The index starts at the log of the first month.
    """
    x = history.amounts
    both = (x[1:] > 0) & (x[:-1] > 0)
    now = np.where(both, x[1:], 0.0).sum(axis=1)
    before = np.where(both, x[:-1], 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where((now > 0) & (before > 0), np.log(now / before), 0.0)
    first = np.log(max(float(x[0].sum()), 1e-12))
    path: np.ndarray = first + np.concatenate([[0.0], np.cumsum(change)])
    return path


def _fit(y: np.ndarray, first_calendar_month: int, assumptions: ValuationAssumptions) -> LogTrendFit:
    n = y.size
    if n < 2:
        return LogTrendFit(float(y[0]), 0.0, np.zeros(12), np.zeros(1))
    t = np.arange(n, dtype=float)
    calendar = (first_calendar_month - 1 + np.arange(n)) % 12
    columns = [np.ones(n), t]
    seasonal_fit = n >= assumptions.seasonality_min_months
    if seasonal_fit:
        for month in range(1, 12):  # effect coding: January is minus the sum of the others
            columns.append((calendar == month).astype(float) - (calendar == 0).astype(float))
    design = np.column_stack(columns)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    seasonal = np.zeros(12)
    if seasonal_fit:
        seasonal[1:] = coef[2:]
        seasonal[0] = -coef[2:].sum()
    return LogTrendFit(float(coef[0]), float(coef[1]), seasonal, y - design @ coef)


def fit_log_trend(
    history: RevenueHistory, assumptions: ValuationAssumptions, *, like_for_like: bool = True
) -> LogTrendFit:
    """Ordinary least squares of log revenue on a linear trend and calendar-month effects.

    By default on the like-for-like index (`like_for_like_log_index`), which
    measures the existing licensees' organic growth and noise; with
    `like_for_like=False` on the log of total revenue. Seasonality (effect
    coding, the twelve effects sum to zero) is fitted only with at least
    `seasonality_min_months` of history; otherwise the trend alone.
    """
    y = like_for_like_log_index(history) if like_for_like else _log_totals(history, assumptions)
    return _fit(y, history.first_calendar_month, assumptions)


def _persistence(residuals: np.ndarray, cap: float) -> float:
    if residuals.size < 3 or not np.any(residuals):
        return 0.0
    phi = float(residuals[1:] @ residuals[:-1] / (residuals @ residuals))
    return min(max(phi, 0.0), cap)


def _counterparty_shares(history: RevenueHistory) -> np.ndarray:
    totals = history.amounts.sum(axis=0)
    shares: np.ndarray = totals / totals.sum()
    return shares


def history_metrics(history: RevenueHistory, assumptions: ValuationAssumptions) -> HistoryMetrics:
    """Months, mean, trend, coefficient of variation, drawdown, concentration and the revenue stability score.

    Concentration uses each counterparty's share of revenue over the whole
    history: top-1, top-5 and the Herfindahl-Hirschman index (sum of squared
    shares). The stability score is a weighted mean of five parts scored 0-100
    (weights in the assumptions): length of history, transitory volatility and
    organic trend of the like-for-like index, maximum drawdown of monthly
    revenue, and concentration (1 - HHI, rescaled so that ten equal customers
    score 100).
    """
    totals = history.monthly_totals
    n = totals.size
    fit = fit_log_trend(history, assumptions)
    total_fit = fit_log_trend(history, assumptions, like_for_like=False)
    volatility = float(np.std(fit.residuals)) if n > 2 else 0.0
    peaks = np.maximum.accumulate(totals)
    drawdown = float(np.max(1.0 - totals / np.where(peaks > 0, peaks, 1.0)))
    shares = np.sort(_counterparty_shares(history))[::-1]
    hhi = float(np.sum(shares**2))
    growth = float(np.expm1(12 * fit.slope))
    a = assumptions
    parts = {
        "history_length": min(1.0, n / a.stability_full_history_months) * 100,
        "volatility": float(np.clip(1 - volatility / a.stability_zero_volatility, 0, 1)) * 100,
        "trend": float(np.clip(a.stability_trend_at_zero_growth + a.stability_trend_slope * growth, 0, 100)),
        "drawdown": float(np.clip(1 - drawdown / a.stability_zero_drawdown, 0, 1)) * 100,
        "concentration": float(np.clip((1 - hhi) / (1 - a.stability_full_concentration_hhi), 0, 1)) * 100,
    }
    weights = a.stability_weights
    score = sum(parts[name] * weights[name] for name in parts) / sum(weights[name] for name in parts)
    mean = float(totals.mean())
    return HistoryMetrics(
        months=n,
        total=float(totals.sum()),
        mean_monthly=mean,
        annual_growth=float(np.expm1(12 * total_fit.slope)),
        organic_annual_growth=growth,
        coefficient_of_variation=float(totals.std() / mean) if mean > 0 else 0.0,
        transitory_volatility=volatility,
        max_drawdown=drawdown,
        counterparties=int(np.count_nonzero(shares)),
        top1_share=float(shares[0]),
        top5_share=float(shares[:5].sum()),
        hhi=hhi,
        stability_score=float(score),
        stability_parts={name: {"score": parts[name], "weight": weights[name]} for name in parts},
    )


def estimate_revenue_model(history: RevenueHistory, assumptions: ValuationAssumptions) -> RevenueModel:
    """Fit the projection: log-linear trend with seasonality, AR(1) transitory deviations, licensee shares.

    Method: OLS of the like-for-like log index on trend and calendar-month
    effects (`fit_log_trend`); the AR(1) coefficient is the lag-1
    autocorrelation of the residuals and their standard deviation the
    transitory volatility (floored). The projection starts from the last
    month's total revenue with its seasonal effect and its (decaying)
    deviation separated out. A positive organic trend is credited at
    `growth_credit` and capped; a negative one is kept in full. Licensee
    shares are those of the last 12 months.
    """
    a = assumptions
    n = history.amounts.shape[0]
    if n < a.min_history_months:
        raise ValueError(f"revenue history has {n} months; at least {a.min_history_months} are needed")
    fit = fit_log_trend(history, a)
    drift = fit.slope
    if drift > 0:
        drift = min(drift * a.growth_credit, np.log1p(a.max_credited_annual_growth) / 12)
    volatility = max(float(np.std(fit.residuals)), a.transitory_volatility_floor)
    recent = history.amounts[-12:].sum(axis=0)
    order = np.argsort(-recent, kind="stable")[: a.counterparties_modelled]
    shares = recent[order] / recent.sum()
    if history.counterparty_loss_annual is not None:
        loss = history.counterparty_loss_annual[order]
    else:
        loss = np.full(order.size, a.counterparty_loss_annual)
    last_calendar = (history.first_calendar_month - 1 + n - 1) % 12
    cap = a.start_deviation_cap * volatility
    deviation = float(np.clip(fit.residuals[-1], -cap, cap))
    last_total = float(np.exp(_log_totals(history, a)[-1]))
    return RevenueModel(
        level=last_total * float(np.exp(-fit.seasonal[last_calendar] - deviation)),
        historical_monthly_drift=float(fit.slope),
        monthly_drift=float(drift),
        seasonal=fit.seasonal,
        persistence=_persistence(fit.residuals, a.max_persistence),
        transitory_volatility=volatility,
        permanent_volatility=a.permanent_volatility_annual / np.sqrt(12.0),
        start_deviation=deviation,
        counterparty_shares=shares[shares > 0],
        counterparty_loss_annual=loss[shares > 0],
        next_calendar_month=(last_calendar + 1) % 12 + 1,
    )
