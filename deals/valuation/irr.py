"""Internal rate of return of many cash-flow series at once: safeguarded Newton, vectorised over series.

Which root: NPV(r) = sum_t c_t (1 + r)^-t = 0 can have several roots when the
series changes sign more than once. Like numpy-financial's `irr`, we return
the root closest to zero among those with r > -1 (numpy-financial returns the
real root of the polynomial in 1 / (1 + r) whose rate has the smallest
absolute value). A series whose non-zero values all share one sign has no
IRR: NaN.

Method, by the shape of the series:
- an outlay then only receipts (every tranche's cash flows): one root
  (Descartes' rule of signs); Newton on the log of the receipts' present
  value against the continuous rate ln(1 + r), which is convex and nearly
  linear, so a few steps from r = 0 suffice; evaluated in logs, so any root
  from -100 % up to R_MAX per period is found (`_solve_usual`);
- any other single sign change: Newton in r, safeguarded by bisection in
  ln(1 + r), on the bracket [R_MIN(T), R_MAX] (R_MIN keeps (1 + r)^-T finite:
  about -99.3 % per period for 121 periods, -81 % for 361);
- several sign changes: a grid of rates (15 % apart in ln(1 + r)) locates the
  sign changes; the brackets nearest zero on each side are solved and the
  smaller |r| kept. Two roots within one grid step can be missed.
Converged series are frozen and every operation is per series, so a series'
result never depends on the other series in the batch.
"""

from __future__ import annotations

import numpy as np

R_MAX = 1e3  # per period
_GRID_EXPONENT = np.concatenate([-(1e-4 * 1.15 ** np.arange(90))[::-1], [0.0], 1e-4 * 1.15 ** np.arange(90)])


def _r_min(periods: int) -> float:
    # (1 + r)^-(T-1) must stay below e^600 so that the NPV of the flows cannot overflow.
    return max(float(np.expm1(-600.0 / max(periods - 1, 1))), -1.0 + 1e-9)


def _npv(flows_t: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """NPV of series (columns of flows_t, [T, n]) at per-series rates, by Horner's rule in v = 1/(1+r)."""
    v = 1.0 / (1.0 + rate)
    value: np.ndarray = flows_t[-1].copy()
    for t in range(flows_t.shape[0] - 2, -1, -1):
        value *= v
        value += flows_t[t]
    return value


def _npv_and_slope(flows_t: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NPV and dNPV/dr at per-series rates (Horner's rule for the polynomial and its derivative in v)."""
    v = 1.0 / (1.0 + rate)
    value = flows_t[-1].copy()
    slope = np.zeros_like(value)
    for t in range(flows_t.shape[0] - 2, -1, -1):
        slope *= v
        slope += value
        value *= v
        value += flows_t[t]
    return value, slope * (-(v * v))


def _solve(
    flows_t: np.ndarray, lo: np.ndarray, hi: np.ndarray, guess: np.ndarray, tol: float, max_iter: int
) -> np.ndarray:
    """Safeguarded Newton on brackets [lo, hi] whose ends have NPVs of opposite sign (NaN where they do not)."""
    f_lo, f_hi = _npv(flows_t, lo), _npv(flows_t, hi)
    result = np.full(lo.size, np.nan)
    result[f_hi == 0] = hi[f_hi == 0]
    result[f_lo == 0] = lo[f_lo == 0]
    active = np.nonzero(np.sign(f_lo) * np.sign(f_hi) < 0)[0]
    full = active.size == lo.size
    lo, hi, sign_lo = lo[active], hi[active], np.sign(f_lo[active])
    rate = np.clip(guess[active], lo, hi)
    previous_step = hi - lo
    cols = flows_t if full else flows_t[:, active]
    for _ in range(max_iter):
        if active.size == 0:
            break
        value, slope = _npv_and_slope(cols, rate)
        root = value == 0
        left = (np.sign(value) == sign_lo) & ~root
        lo = np.where(left, rate, lo)
        hi = np.where(left | root, hi, rate)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(root, 0.0, value / slope)
        candidate = rate - step
        # Bisect (in log(1 + r)) when Newton leaves the bracket or does not at least halve its step (rtsafe).
        slow = ~np.isfinite(candidate) | (candidate <= lo) | (candidate >= hi) | (np.abs(step) > 0.5 * previous_step)
        midpoint = np.expm1(0.5 * (np.log1p(lo) + np.log1p(hi)))
        candidate = np.where(slow & ~root, midpoint, candidate)
        previous_step = np.abs(candidate - rate)
        done = root | (previous_step <= tol * (1.0 + np.abs(rate))) | (hi - lo <= tol * (1.0 + np.abs(lo)))
        rate = candidate
        if done.any():
            result[active[done]] = rate[done]
            keep = ~done
            active, lo, hi, sign_lo, rate = active[keep], lo[keep], hi[keep], sign_lo[keep], rate[keep]
            previous_step = previous_step[keep]
            if active.size:
                cols = cols[:, keep]
    return result


def _align_last_receipts(receipts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Receipts [rows, m] shifted down so that each series' last non-zero receipt is in the last row, and the shifts."""
    rows = receipts.shape[0]
    last = rows - 1 - np.argmax(receipts[::-1] != 0, axis=0)
    shift = (rows - 1) - last
    source = np.arange(rows)[:, None] - shift[None, :]
    aligned = np.where(source >= 0, np.take_along_axis(receipts, np.maximum(source, 0), axis=0), 0.0)
    return aligned, shift


def _log_present_value(receipts: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ln(sum_t c_t e^(-rho t)) over t >= 1 and the receipts' duration in periods, without overflow or underflow.

    For rho >= 0 (v = e^-rho <= 1) Horner's rule runs down the powers of v on the
    receipts as they are. For rho < 0 it runs up the powers of w = 1 / v on the
    receipts shifted so that each series' last receipt is in the last row
    (`_align_last_receipts`), factoring out v^(last receipt's time):
    the largest power of v then never multiplies anything, and a series ending
    with many empty periods cannot underflow to zero.
    """
    log_value = np.empty(rho.size)
    duration = np.empty(rho.size)
    positive = rho >= 0
    for branch in (positive, ~positive):
        if not branch.any():
            continue
        every = bool(branch.all())
        r = rho if every else rho[branch]
        if branch is positive:
            cols = receipts if every else receipts[:, branch]
            v = np.exp(-r)
            value = cols[-1].copy()
            slope = np.zeros_like(value)
            for t in range(cols.shape[0] - 2, -1, -1):
                slope *= v
                slope += value
                value *= v
                value += cols[t]
            # sum_t c_t v^t = v value; sum_t t c_t v^t = v (value + v slope)
            logs, durations = np.log(value) - r, 1.0 + v * slope / value
        else:
            cols, shift = _align_last_receipts(receipts if every else receipts[:, branch])
            w = np.exp(r)
            total = np.zeros(r.size)
            weighted = np.zeros(r.size)
            for row in range(cols.shape[0]):
                total *= w
                total += cols[row]
                weighted *= w
                weighted += (row + 1) * cols[row]
            last = cols.shape[0] - shift
            logs, durations = np.log(total) - r * last, weighted / total - (cols.shape[0] - last)
        log_value[branch] = logs
        duration[branch] = durations
    return log_value, duration


def _solve_usual(flows_t: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """IRR of series [T, m] with an outlay c_0 < 0 and receipts c_t >= 0 after it (the usual investor shape).

    Newton on g(rho) = ln(sum_{t>=1} c_t e^(-rho t)) - ln(-c_0) in the continuous
    rate rho = ln(1 + r): g is convex, decreasing and nearly linear (its slope is
    minus the Macaulay duration of the receipts, in periods), so from rho = 0
    the iterates reach the root in a few steps and then approach it from below,
    even for deep losses or very high returns. The value is computed in logs
    (`_log_present_value`), so any root with r > -1 is found. Roots above
    R_MAX per period give NaN.
    """
    outlay = np.log(-flows_t[0])
    receipts = flows_t[1:]
    m = receipts.shape[1]
    rho_max = float(np.log1p(R_MAX))
    result = np.full(m, np.nan)
    active = np.arange(m)
    rho = np.zeros(m)
    for _ in range(max_iter):
        if active.size == 0:
            break
        log_value, duration = _log_present_value(receipts if active.size == m else receipts[:, active], rho)
        gap = log_value - outlay[active]
        candidate = np.minimum(rho + gap / duration, rho_max)
        beyond = (rho >= rho_max) & (gap > 0)  # the root is above R_MAX
        done = np.abs(candidate - rho) <= tol * (1.0 + np.abs(rho))
        rho = candidate
        finished = done | beyond | ~np.isfinite(candidate)
        if finished.any():
            solved = done & ~beyond & np.isfinite(candidate)
            result[active[solved]] = np.expm1(rho[solved])
            keep = ~finished
            active, rho = active[keep], rho[keep]
    return result


def _sign_changes_once(flows_t: np.ndarray) -> np.ndarray:
    """Series whose non-zero values change sign exactly once (all of one sign, then all of the other)."""
    return _sign_changes_once_general(flows_t)


def _sign_changes_once_general(flows_t: np.ndarray) -> np.ndarray:
    periods = flows_t.shape[0]
    t = np.arange(periods)[:, None]
    positive, negative = flows_t > 0, flows_t < 0
    last_pos = np.max(np.where(positive, t, -1), axis=0)
    last_neg = np.max(np.where(negative, t, -1), axis=0)
    first_pos = np.min(np.where(positive, t, periods), axis=0)
    first_neg = np.min(np.where(negative, t, periods), axis=0)
    both = (last_pos >= 0) & (last_neg >= 0)
    once: np.ndarray = both & ((last_neg < first_pos) | (last_pos < first_neg))
    return once


def batched_irr(cash_flows: np.ndarray, *, tol: float = 1e-12, max_iter: int = 200) -> np.ndarray:
    """Per-period IRR of each row of cash_flows [n, T] (t = 0 first); see the module docstring for the root chosen."""
    flows = np.atleast_2d(np.asarray(cash_flows, dtype=float))
    n, periods = flows.shape
    result = np.full(n, np.nan)
    if n == 0 or periods < 2:
        return result
    finite = np.all(np.isfinite(flows), axis=1)
    if not finite.all():
        if finite.any():
            result[finite] = batched_irr(flows[finite], tol=tol, max_iter=max_iter)
        return result
    flows_t = np.ascontiguousarray(flows.T)
    largest = float(np.max(np.abs(flows_t)))
    if largest == 0:
        return result
    if largest > 1e30:  # scale by a power of two: exact, so no result depends on the batch
        flows_t = flows_t * 2.0 ** -np.ceil(np.log2(largest))
    r_min = _r_min(periods)
    rest = flows_t[1:]
    usual = (flows_t[0] < 0) & np.all(rest >= 0, axis=0) & np.any(rest > 0, axis=0)
    if usual.any():
        index = np.nonzero(usual)[0]
        chosen = flows_t if index.size == n else flows_t[:, index]
        result[index] = _solve_usual(chosen, tol, max_iter)
    once = np.zeros(n, dtype=bool)
    if not usual.all():
        others = np.nonzero(~usual)[0]
        once[others] = _sign_changes_once(flows_t[:, others])
    if once.any():
        index = np.nonzero(once)[0]
        chosen = flows_t if index.size == n else flows_t[:, index]
        lo, hi = np.full(index.size, r_min), np.full(index.size, R_MAX)
        result[index] = _solve(chosen, lo, hi, np.zeros(index.size), tol, max_iter)
    mixed = ~usual & ~once & np.any(flows_t > 0, axis=0) & np.any(flows_t < 0, axis=0)
    if mixed.any():
        result[mixed] = _general_irr(np.ascontiguousarray(flows_t[:, mixed]), r_min, tol, max_iter)
    return result


def _general_irr(flows_t: np.ndarray, r_min: float, tol: float, max_iter: int) -> np.ndarray:
    """Root nearest zero of series with several sign changes: grid scan for brackets, then `_solve` on each side."""
    grid = np.unique(np.clip(np.concatenate([np.expm1(_GRID_EXPONENT), [r_min, R_MAX]]), r_min, R_MAX))
    n = flows_t.shape[1]
    signs = np.sign(np.stack([_npv(flows_t, np.full(n, rate)) for rate in grid]))
    zero_index = int(np.searchsorted(grid, 0.0))
    at_zero = signs[zero_index] == 0
    change = signs[:-1] * signs[1:] <= 0  # a root in [grid[g], grid[g + 1]]
    above, below = change[zero_index:], change[:zero_index][::-1]
    candidates = []
    for has, start in (
        (above.any(axis=0), zero_index + np.argmax(above, axis=0)),
        (below.any(axis=0), zero_index - 1 - np.argmax(below, axis=0)),
    ):
        roots = np.full(n, np.nan)
        if has.any():
            lo, hi = grid[start[has]], grid[start[has] + 1]
            roots[has] = _solve(np.ascontiguousarray(flows_t[:, has]), lo, hi, 0.5 * (lo + hi), tol, max_iter)
        candidates.append(roots)
    stacked = np.vstack(candidates)
    pick = np.argmin(np.where(np.isnan(stacked), np.inf, np.abs(stacked)), axis=0)
    nearest = stacked[pick, np.arange(n)]
    return np.where(at_zero, 0.0, nearest)
