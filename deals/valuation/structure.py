"""From the deal's inputs to the waterfall's structure: class order, coupons per period, fees, reserve, guarantees."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .inputs import ValuationInputs
from .rating import suggested_coupon
from .waterfall import WaterfallStructure


def scheduled_wal(sizes: Sequence[float], scheduled_periods: int, periods_per_year: int) -> np.ndarray:
    """WAL in years of each class if the notes amortise exactly on the straight-line target, sequentially.

    Cumulative principal after period k is total x k / N; class j owns the
    slice of that cumulative amount between the sizes of the classes ahead of
    it and its own end, so its principal in period k is the overlap.
    """
    sizes = np.asarray(sizes, dtype=float)
    total = sizes.sum()
    ends = np.cumsum(sizes)
    starts = ends - sizes
    k = np.arange(0, scheduled_periods + 1, dtype=float)
    paid = total * np.minimum(1.0, k / scheduled_periods)
    covered = np.clip(paid[None, :] - starts[:, None], 0.0, sizes[:, None])  # [J, N+1] cumulative per class
    per_period = np.diff(covered, axis=1)
    times = np.arange(1, scheduled_periods + 1, dtype=float) / periods_per_year
    return (per_period * times[None, :]).sum(axis=1) / sizes


def provisional_coupons(inputs: ValuationInputs) -> list[float]:
    """Coupons the waterfall uses: the tranche's own, or for a rated class without one its suggested coupon.

    A rated class with no coupon yet is priced at its target rating (AAA for
    a senior without one) and its scheduled WAL; the subordinated residual class
    without a coupon gets 0 and takes the excess instead.
    """
    tranches = inputs.ordered_tranches
    n_scheduled = inputs.tenor_months // inputs.months_per_period
    wal = scheduled_wal([t.size for t in tranches], n_scheduled, inputs.periods_per_year)
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


def build_structure(inputs: ValuationInputs, coupons: Sequence[float] | None = None) -> WaterfallStructure:
    """The waterfall structure of the deal (coupons default to `provisional_coupons`)."""
    tranches = inputs.ordered_tranches
    coupons = list(coupons) if coupons is not None else provisional_coupons(inputs)
    ppy = inputs.periods_per_year
    residual = len(tranches) - 1 if tranches[-1].tranche_class == "subordinated" else None
    classes = tuple(t.tranche_class for t in tranches)
    enhancement = inputs.enhancement
    guarantees = enhancement.guarantees
    trigger = inputs.dscr_trigger if inputs.dscr_trigger is not None else inputs.assumptions.dscr_trigger
    return WaterfallStructure(
        names=tuple(t.name for t in tranches),
        classes=classes,
        sizes=np.array([t.size for t in tranches], dtype=float),
        period_rates=np.array(coupons, dtype=float) / ppy,
        residual=residual,
        periods_per_year=ppy,
        scheduled_periods=inputs.tenor_months // inputs.months_per_period,
        amortisation=inputs.amortisation,
        fee_rate=inputs.fees.senior_fees_bps / 10_000 / ppy,
        fixed_fee=inputs.fees.fixed_annual / ppy,
        reserve_target=enhancement.reserve_target,
        reserve_covers=np.array([c in enhancement.reserve_covers_classes for c in classes], dtype=bool),
        guarantee_amounts=np.array([g.amount for g in guarantees], dtype=float) if guarantees else None,
        guarantee_covers=(
            np.array([[c in g.covered_classes for c in classes] for g in guarantees], dtype=bool)
            if guarantees
            else None
        ),
        dscr_trigger=float(trigger),
        trigger_curable=inputs.assumptions.trigger_curable,
    )
