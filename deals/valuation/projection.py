"""Monte Carlo projection of licence revenue and of regulatory suspensions, vectorised over paths.

Arrays are period-major: [months, paths].
"""

from __future__ import annotations

import numpy as np

from .assumptions import ValuationAssumptions
from .history import RevenueModel


def revenue_log_mean(model: RevenueModel, months: int) -> np.ndarray:
    """Deterministic part of log revenue for months 1..H, including the lognormal mean correction.

    log R_h = log L + mu h + s(month of h) + phi^h y0 + Y_h - Var(Y_h) / 2, where
    Y_h = sum_j (a phi^(h-j) + b) e_j adds an AR(1) transitory deviation
    (a = sigma sqrt(1 - phi^2), stationary volatility sigma) and a permanent
    random walk (b per month) driven by the same monthly innovation e_j: each
    surprise partly fades and partly stays. Subtracting half the variance
    makes E[R_h] the trend times seasonality (the median is lower).
    """
    h = np.arange(1, months + 1, dtype=float)
    phi = model.persistence
    a = model.transitory_volatility * np.sqrt(1 - phi**2)
    b = model.permanent_volatility
    lags = np.arange(months, dtype=float)
    variance = np.cumsum((a * phi**lags + b) ** 2)
    calendar = (model.next_calendar_month - 1 + np.arange(months)) % 12
    log_mean: np.ndarray = (
        np.log(model.level)
        + model.monthly_drift * h
        + model.seasonal[calendar]
        + phi**h * model.start_deviation
        - 0.5 * variance
    )
    return log_mean


def licensee_loss_months(model: RevenueModel, uniforms: np.ndarray, *, lose_largest: bool) -> np.ndarray:
    """Month (1-based) in which each modelled licensee stops buying, shape [K, paths]; large = never.

    With a yearly loss probability p, P(lost by month m) = 1 - (1 - p)^(m/12),
    so the loss month is ceil(12 ln(1 - U) / ln(1 - p)) for a uniform U. In the
    largest-customer stress the first licensee is lost in month 1.
    """
    k, paths = model.counterparty_shares.size, uniforms.shape[1]
    months = np.full((k, paths), np.iinfo(np.int64).max // 4, dtype=np.int64)
    for i in range(k):
        p = float(model.counterparty_loss_annual[i])
        if p > 0:
            years = np.log1p(-uniforms[i]) / np.log1p(-p)
            months[i] = np.maximum(1, np.ceil(12 * years)).astype(np.int64)
    if lose_largest and k:
        months[0] = 1
    return months


def licensee_multiplier(
    model: RevenueModel, loss_months: np.ndarray, months: int, assumptions: ValuationAssumptions, *, lose_largest: bool
) -> np.ndarray:
    """Share of revenue still bought each month, [months, paths]: lost licensees' shares, partly replaced later.

    A licensee lost in month m removes its share from month m on; after
    `counterparty_replacement_months` a `counterparty_replacement_share` of it
    comes back (new licensees). The largest-customer stress gets no replacement.
    """
    paths = loss_months.shape[1]
    rows, cols, weights = [], [], []
    replace_after = assumptions.counterparty_replacement_months
    for i, share in enumerate(model.counterparty_shares):
        lost = loss_months[i] <= months
        path_index = np.nonzero(lost)[0]
        start = loss_months[i][lost] - 1
        rows.append(start)
        cols.append(path_index)
        weights.append(np.full(start.size, -share))
        back = share * assumptions.counterparty_replacement_share
        if back > 0 and not (lose_largest and i == 0):
            again = start + replace_after
            inside = again < months
            rows.append(again[inside])
            cols.append(path_index[inside])
            weights.append(np.full(int(inside.sum()), back))
    steps = np.zeros((months + 1) * paths)
    flat = np.concatenate(rows) * paths + np.concatenate(cols) if rows else np.zeros(0, dtype=np.int64)
    if flat.size:
        steps = np.bincount(flat, weights=np.concatenate(weights), minlength=(months + 1) * paths).astype(float)
    multiplier = steps.reshape(months + 1, paths)[:months]
    multiplier[0] += 1.0
    for h in range(1, months):  # running sum down the months; faster than cumsum along axis 0
        multiplier[h] += multiplier[h - 1]
    return multiplier


def licensee_loss_within(model: RevenueModel, months: int) -> np.ndarray:
    """[K] probability that each modelled licensee is lost within `months`: 1 - (1 - p)^(months / 12)."""
    return 1 - (1 - model.counterparty_loss_annual) ** (months / 12)


def tilted_licensee_loss_months(
    model: RevenueModel,
    uniforms: np.ndarray,
    *,
    months: int,
    tilted_within: np.ndarray,
    tilted: np.ndarray,
    lose_largest: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss months drawn with each licensee lost within the horizon with probability `tilted_within` on the
    tilted paths (the nominal one elsewhere), the timing of a loss as the nominal given it happens.

    Returns the months [K, paths] (large = never), the lost flags and each path's log p_theta / p of them:
    log(q' / q) for a lost licensee, log((1 - q') / (1 - q)) for one kept. With q' = q it draws exactly
    what `licensee_loss_months` draws.
    """
    k, paths = model.counterparty_shares.size, uniforms.shape[1]
    nominal = licensee_loss_within(model, months)
    found = np.full((k, paths), np.iinfo(np.int64).max // 4, dtype=np.int64)
    lost = np.zeros((k, paths), dtype=bool)
    log_ratio = np.zeros(paths)
    for i in range(k):
        q, p = float(nominal[i]), float(model.counterparty_loss_annual[i])
        if q <= 0:
            continue
        q_tilted = float(np.clip(tilted_within[i], 1e-12, 1 - 1e-9)) if tilted_within.size > i else q
        threshold = np.where(tilted, q_tilted, q)
        lost[i] = uniforms[i] < threshold
        v = np.where(lost[i], uniforms[i] / threshold, 0.0)  # uniform on [0, 1) given the loss
        years = np.log1p(-v * q) / np.log1p(-p)
        found[i] = np.where(lost[i], np.maximum(1, np.ceil(12 * years)).astype(np.int64), found[i])
        log_ratio += np.where(lost[i], np.log(q_tilted / q), np.log1p(-q_tilted) - np.log1p(-q))
    if lose_largest and k:
        found[0] = 1
        lost[0] = True
    return found, lost, log_ratio


def project_licence_revenue(
    model: RevenueModel,
    *,
    months: int,
    normals: np.ndarray,
    loss_uniforms: np.ndarray,
    assumptions: ValuationAssumptions,
    lose_largest: bool = False,
    loss_months: np.ndarray | None = None,
) -> np.ndarray:
    """Projected monthly licence revenue, [months, paths] (CNY), lognormal with licensee losses.

    Method: `revenue_log_mean` plus the simulated deviation Y_h (AR(1)
    transitory part and permanent random walk sharing one innovation per
    month), exponentiated, times `licensee_multiplier` (of `loss_months` when
    given, e.g. drawn tilted; else drawn from `loss_uniforms`).
    """
    phi = model.persistence
    a = model.transitory_volatility * np.sqrt(1 - phi**2)
    b = model.permanent_volatility
    paths = normals.shape[1]
    log_mean = revenue_log_mean(model, months)
    revenue = np.empty((months, paths))
    transitory = np.zeros(paths)
    permanent = np.zeros(paths)
    scratch = np.empty(paths)
    for h in range(months):
        transitory *= phi
        np.multiply(normals[h], a, out=scratch)
        transitory += scratch
        np.multiply(normals[h], b, out=scratch)
        permanent += scratch
        np.add(transitory, permanent, out=revenue[h])
        revenue[h] += log_mean[h]
    np.exp(revenue, out=revenue)
    if model.counterparty_shares.size:
        if loss_months is None:
            loss_months = licensee_loss_months(model, loss_uniforms, lose_largest=lose_largest)
        revenue *= licensee_multiplier(model, loss_months, months, assumptions, lose_largest=lose_largest)
    return revenue


def regulatory_stop_starts(
    uniforms: np.ndarray,
    *,
    annual_probability: float,
    tenor_months: int,
    forced_start: int = 0,
    tilted_within: float | None = None,
    tilted: np.ndarray | None = None,
    log_ratio: np.ndarray | None = None,
) -> np.ndarray:
    """Month (1-based) a suspension of data use starts on each path, 0 for none; uniforms are [2, paths].

    The chance of a suspension within the tenor is 1 - (1 - p)^(tenor / 12);
    its start is uniform over the tenor's months. A forced stress start applies
    to every path. With `tilted_within` the tilted paths are suspended with that
    chance instead, and `log_ratio` gains log p_theta / p of each path's draw.
    """
    paths = uniforms.shape[1]
    if forced_start:
        return np.full(paths, forced_start, dtype=np.int64)
    within = 1 - (1 - annual_probability) ** (tenor_months / 12)
    starts = 1 + np.floor(uniforms[1] * tenor_months).astype(np.int64)
    if tilted_within is None or within <= 0:
        return np.where(uniforms[0] < within, starts, 0)
    q_tilted = float(np.clip(tilted_within, 1e-12, 1 - 1e-9))
    event = uniforms[0] < np.where(tilted if tilted is not None else True, q_tilted, within)
    if log_ratio is not None:
        log_ratio += np.where(event, np.log(q_tilted / within), np.log1p(-q_tilted) - np.log1p(-within))
    return np.where(event, starts, 0)


def apply_regulatory_stop(cash: np.ndarray, starts: np.ndarray, length: int) -> None:
    """Zero the data cash of months [start, start + length) on the paths with a suspension, in place."""
    hit = np.nonzero(starts > 0)[0]
    if hit.size == 0 or length <= 0:
        return
    rows = np.arange(cash.shape[0])[:, None]
    begin = starts[hit][None, :] - 1
    stopped = (rows >= begin) & (rows < begin + length)
    cash[:, hit] = np.where(stopped, 0.0, cash[:, hit])
