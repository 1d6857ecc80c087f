"""From the deal's inputs to the waterfall's structure: class order, coupons, the schedule, fees, reserve, support."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .inputs import ValuationInputs
from .rating import suggested_coupon
from .waterfall import WaterfallStructure, class_targets


def scheduled_wal(sizes: Sequence[float], scheduled_periods: int, periods_per_year: int) -> np.ndarray:
    """WAL in years of each class if the notes amortise straight-line to expected maturity, sequentially.

    Cumulative principal after period k is total x k / N; class j owns the
    slice of that cumulative amount between the sizes of the classes ahead of
    it and its own end, so its principal in period k is the overlap.
    """
    widths = np.asarray(sizes, dtype=float)
    total = widths.sum()
    ends = np.cumsum(widths)
    starts = ends - widths
    k = np.arange(0, scheduled_periods + 1, dtype=float)
    paid = total * np.minimum(1.0, k / scheduled_periods)
    covered = np.clip(paid[None, :] - starts[:, None], 0.0, widths[:, None])  # [J, N+1] cumulative per class
    per_period = np.diff(covered, axis=1)
    times = np.arange(1, scheduled_periods + 1, dtype=float) / periods_per_year
    wal: np.ndarray = (per_period * times[None, :]).sum(axis=1) / widths
    return wal


def schedule_wal(target: np.ndarray, sizes: np.ndarray, rated: list[int], periods_per_year: int) -> np.ndarray:
    """WAL in years of each rated class if it amortised exactly on the aggregate schedule (0 for the residual)."""
    per_class = class_targets(target, sizes, rated)  # [J, K]
    before = np.concatenate([sizes[:, None], per_class[:, :-1]], axis=1)
    paid = np.clip(before - per_class, 0.0, None)
    times = np.arange(1, target.size + 1, dtype=float) / periods_per_year
    wal = np.zeros(sizes.size)
    for j in rated:
        wal[j] = float(paid[j] @ times / sizes[j])
    return wal


def provisional_coupons(inputs: ValuationInputs) -> list[float]:
    """Coupons the waterfall uses: the tranche's own, or for a rated class without one its suggested coupon.

    A rated class with no coupon yet is priced at its target rating (AAA for
    a senior without one) and its straight-line WAL; the subordinated residual
    class without a coupon gets 0 and takes what is left instead.
    """
    tranches = inputs.ordered_tranches
    wal = scheduled_wal([t.size for t in tranches], inputs.scheduled_periods, inputs.periods_per_year)
    coupons = []
    for index, tranche in enumerate(tranches):
        if tranche.coupon is not None:
            coupons.append(float(tranche.coupon))
        elif tranche.tranche_class == "subordinated" and index == len(tranches) - 1:
            coupons.append(0.0)
        else:
            rating = tranche.target_rating
            if rating == "NR":
                defaults = inputs.assumptions
                rating = (
                    defaults.target_senior_rating
                    if tranche.tranche_class == "senior"
                    else defaults.provisional_junior_rating
                )
            suggestion = suggested_coupon(
                rating=rating,
                wal_years=float(wal[index]),
                market=inputs.market,
                legal_risk=inputs.legal_risk,
                assumptions=inputs.assumptions,
            )
            coupons.append(suggestion.coupon)
    return coupons


def sculpted_schedule(
    expected_cash: np.ndarray,
    *,
    sizes: np.ndarray,
    period_rates: np.ndarray,
    rated: list[int],
    ratio: float,
    scheduled_periods: int,
    fee_rate: float = 0.0,
    fixed_fee: float = 0.0,
) -> np.ndarray:
    """The rated notes' target balance after each period, sized so projected cash covers debt service `ratio` times.

    Each period the notes may amortise by (expected cash - fees) / ratio -
    interest, sequentially, never below zero; whatever is left at expected
    maturity falls due then (a balloon shows a structure the cash cannot
    carry at that ratio). Returns [K] over the whole horizon (0 from expected
    maturity on).
    """
    periods = expected_cash.size
    balance = sizes.astype(float).copy()
    outside = float(sum(sizes[j] for j in range(sizes.size) if j not in rated))
    target = np.zeros(periods)
    for k in range(min(scheduled_periods, periods)):
        outstanding = float(balance[rated].sum())
        fees = fee_rate * (outstanding + outside) + fixed_fee
        cash = max(float(expected_cash[k]) - fees, 0.0)
        interest = float(balance[rated] @ period_rates[rated])
        amortise = min(max(cash / ratio - interest, 0.0), outstanding)
        if k == scheduled_periods - 1:
            amortise = outstanding
        for j in rated:
            step = min(balance[j], amortise)
            balance[j] -= step
            amortise -= step
        target[k] = float(balance[rated].sum())
    return target


def controlled_schedule(
    rated_total: float, *, scheduled_periods: int, amortising_periods: int, periods: int
) -> np.ndarray:
    """Interest only, then equal instalments over the last `amortising_periods` before expected maturity."""
    k = np.arange(periods, dtype=float)
    start = scheduled_periods - amortising_periods  # first amortising period (0-based)
    remaining = np.clip((scheduled_periods - 1 - k) / amortising_periods, 0.0, 1.0)
    return np.where(k < start, rated_total, rated_total * remaining)


def build_structure(
    inputs: ValuationInputs,
    coupons: Sequence[float] | None = None,
    *,
    expected_cash: np.ndarray | None = None,
) -> WaterfallStructure:
    """The waterfall structure of the deal (coupons default to `provisional_coupons`).

    `expected_cash` (mean collections per payment period over the horizon)
    sizes the target schedule; without it the rated notes fall due at
    expected maturity (no schedule).
    """
    tranches = inputs.ordered_tranches
    coupons = list(coupons) if coupons is not None else provisional_coupons(inputs)
    ppy = inputs.periods_per_year
    residual = len(tranches) - 1 if tranches[-1].tranche_class == "subordinated" else None
    classes = tuple(t.tranche_class for t in tranches)
    sizes = np.array([t.size for t in tranches], dtype=float)
    rates = np.array(coupons, dtype=float) / ppy
    rated = [j for j in range(len(tranches)) if j != residual]
    enhancement = inputs.enhancement
    supports = enhancement.supports
    paydown = inputs.paydown
    n_scheduled = inputs.scheduled_periods
    periods = inputs.horizon_months // inputs.months_per_period
    fee_rate = inputs.fees.senior_fees_bps / 10_000 / ppy
    fixed_fee = inputs.fees.fixed_annual / ppy
    target = None
    if paydown.mode == "controlled_amortisation":
        target = controlled_schedule(
            float(sizes[rated].sum()),
            scheduled_periods=n_scheduled,
            amortising_periods=paydown.controlled_amortisation_periods,
            periods=periods,
        )
    elif expected_cash is not None and rated:
        target = sculpted_schedule(
            np.asarray(expected_cash, dtype=float),
            sizes=sizes,
            period_rates=rates,
            rated=rated,
            ratio=paydown.structuring_ratio,
            scheduled_periods=n_scheduled,
            fee_rate=fee_rate,
            fixed_fee=fixed_fee,
        )
    return WaterfallStructure(
        names=tuple(t.name for t in tranches),
        classes=classes,
        sizes=sizes,
        period_rates=rates,
        residual=residual,
        periods_per_year=ppy,
        scheduled_periods=n_scheduled,
        mode=paydown.mode,
        target_balance=target,
        residual_release=paydown.residual_release,
        fee_rate=fee_rate,
        fixed_fee=fixed_fee,
        reserve_target=enhancement.reserve_target,
        reserve_covers=np.array([c in enhancement.reserve_covers_classes for c in classes], dtype=bool),
        support_amounts=np.array([g.amount for g in supports], dtype=float) if supports else None,
        support_covers=(
            np.array([[c in g.covered_classes for c in classes] for g in supports], dtype=bool) if supports else None
        ),
        support_timely=np.array([g.coverage == "timely" for g in supports], dtype=bool) if supports else None,
        dscr_trigger=float(paydown.dscr_trigger) if paydown.dscr_trigger is not None else float("-inf"),
        trigger_window=paydown.trigger_window_periods,
        trigger_cure=paydown.trigger_cure_periods,
    )
