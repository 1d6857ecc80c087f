"""The data asset's value by the three methods of the China Appraisal Society's 2023 guidance, and their spread.

Guidance on Data Asset Appraisal (China Appraisal Society, 2023): the income,
cost and market methods, each adjusted for data quality, which the guidance
assesses over accuracy, consistency, completeness, conformity, timeliness and
accessibility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .assumptions import ValuationAssumptions
from .inputs import QUALITY_DIMENSIONS, AppraisalInputs, QualityScores


@dataclass(frozen=True)
class AppraisalResult:
    """Values by method (None when the method had no inputs), the quality coefficient and the divergence flag."""

    quality_coefficient: float | None
    income_value: float | None
    cost_value: float | None
    market_value: float | None
    indicated_value: float | None  # blend of the available methods by the assumptions' weights
    divergence_ratio: float | None  # highest value / lowest value - 1
    divergence_threshold: float
    divergent: bool
    discount_rate: float | None
    details: dict[str, object] = field(default_factory=dict)


def quality_coefficient(scores: QualityScores, weights: dict[str, float]) -> float:
    """Weighted mean of the six quality scores divided by 100 (1.0 = flawless data)."""
    total = sum(weights[d] for d in QUALITY_DIMENSIONS)
    return sum(weights[d] * getattr(scores, d) for d in QUALITY_DIMENSIONS) / total / 100.0


def income_value(monthly_cash_flows: np.ndarray, *, contribution_share: float, discount_rate: float) -> float:
    """Income method: sum over months t of share x CF_t / (1 + r)^(t / 12) (r annual, end-of-month flows)."""
    flows = np.asarray(monthly_cash_flows, dtype=float)
    months = np.arange(1, flows.size + 1, dtype=float)
    return float(np.sum(contribution_share * flows / (1.0 + discount_rate) ** (months / 12.0)))


def cost_value(components: dict[str, float], *, profit_rate: float, obsolescence: float, quality: float) -> float:
    """Cost method: replacement cost x (1 + reasonable profit) x (1 - economic obsolescence) x quality coefficient."""
    return float(sum(components.values()) * (1 + profit_rate) * (1 - obsolescence) * quality)


def market_value(appraisal: AppraisalInputs, *, quality: float | None) -> tuple[float, list[float]]:
    """Market method: mean of comparable prices x their adjustment factors x (subject / comparable quality)."""
    adjusted = []
    for comparable in appraisal.comparables:
        value = comparable.price * float(np.prod(comparable.adjustment_factors or (1.0,)))
        if quality is not None and comparable.quality_coefficient:
            value *= quality / comparable.quality_coefficient
        adjusted.append(float(value))
    return float(np.mean(adjusted)), adjusted


def appraise_data_asset(
    appraisal: AppraisalInputs,
    *,
    projected_monthly_cash_flows: np.ndarray | None,
    benchmark_rate: float,
    assumptions: ValuationAssumptions,
) -> AppraisalResult:
    """Value the data asset by income, cost and market, blend them, and flag when they diverge.

    The income method discounts the data's share of the projected cash flow
    (the appraisal's own projection if given, else the one passed in) at the
    appraisal's discount rate or, by default, the benchmark plus the data
    asset risk premium. The quality coefficient adjusts the cost and market
    methods (the income method's cash flows already reflect the data's
    quality). The values diverge when the highest exceeds the lowest by more
    than the threshold.
    """
    a = assumptions
    quality = quality_coefficient(appraisal.quality, a.quality_weights) if appraisal.quality else None
    details: dict[str, object] = {}
    flows = appraisal.projected_monthly_cash_flows
    if flows is None:
        flows = projected_monthly_cash_flows
    income = None
    discount = None
    if flows is not None and np.asarray(flows).size:
        discount = (
            appraisal.discount_rate
            if appraisal.discount_rate is not None
            else benchmark_rate + a.data_asset_risk_premium
        )
        income = income_value(flows, contribution_share=appraisal.data_contribution_share, discount_rate=discount)
        details["income"] = {
            "months": int(np.asarray(flows).size),
            "contribution_share": appraisal.data_contribution_share,
            "undiscounted_data_cash": float(np.sum(flows) * appraisal.data_contribution_share),
        }
    cost = None
    if appraisal.cost_components:
        profit = appraisal.cost_profit_rate if appraisal.cost_profit_rate is not None else a.cost_profit_rate
        cost = cost_value(
            appraisal.cost_components,
            profit_rate=profit,
            obsolescence=appraisal.obsolescence_rate,
            quality=quality if quality is not None else 1.0,
        )
        details["cost"] = {
            "replacement_cost": float(sum(appraisal.cost_components.values())),
            "profit_rate": profit,
            "obsolescence_rate": appraisal.obsolescence_rate,
        }
    market = None
    if appraisal.comparables:
        market, adjusted = market_value(appraisal, quality=quality)
        details["market"] = {"adjusted_comparables": adjusted}
    values = {"income": income, "cost": cost, "market": market}
    present = {name: value for name, value in values.items() if value is not None}
    indicated = None
    if present:
        weights = {name: a.appraisal_weights.get(name, 0.0) for name in present}
        if sum(weights.values()) <= 0:
            weights = dict.fromkeys(present, 1.0)
        indicated = sum(present[name] * weights[name] for name in present) / sum(weights.values())
    ratio = None
    positive = [v for v in present.values() if v > 0]
    if len(positive) >= 2:
        ratio = max(positive) / min(positive) - 1.0
    return AppraisalResult(
        quality_coefficient=quality,
        income_value=income,
        cost_value=cost,
        market_value=market,
        indicated_value=indicated,
        divergence_ratio=ratio,
        divergence_threshold=a.appraisal_divergence_threshold,
        divergent=ratio is not None and ratio > a.appraisal_divergence_threshold,
        discount_rate=discount,
        details=details,
    )
