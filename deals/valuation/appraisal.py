"""Each data asset's value by the three methods of the China Appraisal Society's 2023 guidance, reconciled.

Guidance on Data Asset Appraisal (China Appraisal Society, 2023): the income,
cost and market methods; the guidance assesses data quality over accuracy,
consistency, completeness, conformity, timeliness and accessibility. Here
(docs/valuation.md, "Appraisal") the quality coefficient adjusts the cost
method; the income and market methods read the data's own revenue, which
already reflects its quality:

- income: the data's own revenue (its uploaded history, never the pool's loan
  repayments), projected by the fitted revenue model over the asset's
  remaining economic life, times the share of revenue that is income of the
  data, discounted at the benchmark plus the data asset risk premium;
- cost: the historical cost (book value) x (1 + reasonable profit) x
  (1 - obsolescence) x the quality coefficient;
- market: the median price / annual revenue multiple of the arranger's
  registered comparable transactions of the asset's category, outliers beyond
  a few scaled median absolute deviations dropped, times the asset's revenue of
  the last twelve months (annualised when the history is shorter; none below
  the minimum history);
- reconciled with the stated weights over the methods available; the methods
  disagree when the highest exceeds the lowest by more than the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .assumptions import ValuationAssumptions
from .history import estimate_revenue_model
from .inputs import QUALITY_DIMENSIONS, DataAssetAppraisalInput, QualityScores
from .projection import revenue_log_mean

AGREEMENT = ("agree", "disagree", "single_method", "none")


@dataclass(frozen=True)
class AppraisalResult:
    """One data asset: values by method (None with a reason when a method cannot apply), reconciled."""

    key: str
    name: str
    quality_coefficient: float | None
    income_value: float | None
    cost_value: float | None
    market_value: float | None
    indicated_value: float | None  # weighted over the methods available
    weights: dict[str, float]  # the weights actually applied (renormalised over the methods available)
    divergence_ratio: float | None  # highest value / lowest value - 1
    divergence_threshold: float
    agreement: str  # agree, disagree, single_method, none
    discount_rate: float | None
    unavailable: dict[str, str]  # method -> reason code (no_revenue, short_history, no_cost, few_comparables)
    details: dict[str, object] = field(default_factory=dict)

    @property
    def divergent(self) -> bool:
        """The methods disagree beyond the threshold."""
        return self.agreement == "disagree"


@dataclass(frozen=True)
class AppraisalSummary:
    """Every data asset behind the deal, and their totals by method."""

    assets: list[AppraisalResult]
    total_indicated: float | None
    total_income: float | None
    total_cost: float | None
    total_market: float | None
    divergent_assets: int


def quality_coefficient(scores: QualityScores, weights: dict[str, float]) -> float:
    """Weighted mean of the six quality scores divided by 100 (1.0 = flawless data)."""
    total = sum(weights[d] for d in QUALITY_DIMENSIONS)
    coefficient: float = sum(weights[d] * getattr(scores, d) for d in QUALITY_DIMENSIONS) / total / 100.0
    return coefficient


def income_value(monthly_cash_flows: np.ndarray, *, contribution_share: float, discount_rate: float) -> float:
    """Income method: sum over months t of share x CF_t / (1 + r)^(t / 12) (r annual, end-of-month flows)."""
    flows = np.asarray(monthly_cash_flows, dtype=float)
    months = np.arange(1, flows.size + 1, dtype=float)
    return float(np.sum(contribution_share * flows / (1.0 + discount_rate) ** (months / 12.0)))


def expected_revenue(asset: DataAssetAppraisalInput, months: int, assumptions: ValuationAssumptions) -> np.ndarray:
    """The fitted model's expected monthly revenue (lognormal mean), net of the expected loss of licensees.

    E[R_h] = L exp(mu h + s(h) + phi^h y0) (the projection's mean before
    licensee losses), times 1 - sum_k share_k P(k lost by h)(1 - replacement).
    """
    if asset.revenue_history is None:
        raise ValueError("the income method needs the asset's revenue history")
    model = estimate_revenue_model(asset.revenue_history, assumptions)
    h = np.arange(1, months + 1, dtype=float)
    phi = model.persistence
    a_coef = model.transitory_volatility * np.sqrt(1 - phi**2)
    variance = np.cumsum((a_coef * phi ** np.arange(months, dtype=float) + model.permanent_volatility) ** 2)
    mean = np.exp(revenue_log_mean(model, months) + 0.5 * variance)
    lost = np.zeros(months)
    for share, p in zip(model.counterparty_shares, model.counterparty_loss_annual, strict=True):
        lost += share * (1 - (1 - p) ** (h / 12))
    return mean * (1 - lost * (1 - assumptions.counterparty_replacement_share))


def market_multiple(
    multiples: np.ndarray, assumptions: ValuationAssumptions
) -> tuple[float | None, np.ndarray, np.ndarray]:
    """The median multiple after dropping outliers (log distance > k scaled MADs); the kept and dropped masks."""
    logs = np.log(multiples)
    centre = float(np.median(logs))
    mad = 1.4826 * float(np.median(np.abs(logs - centre)))
    keep = np.abs(logs - centre) <= assumptions.market_outlier_mads * mad if mad > 0 else np.ones(logs.size, bool)
    if int(keep.sum()) < assumptions.market_min_comparables:
        return None, keep, ~keep
    return float(np.exp(np.median(logs[keep]))), keep, ~keep


def appraise_data_asset(
    asset: DataAssetAppraisalInput, *, benchmark_rate: float, assumptions: ValuationAssumptions
) -> AppraisalResult:
    """Value one data asset by income, cost and market (module docstring), reconcile them, say if they agree."""
    a = assumptions
    quality = quality_coefficient(asset.quality, a.quality_weights) if asset.quality else None
    details: dict[str, object] = {}
    unavailable: dict[str, str] = {}
    income = discount = None
    history = asset.revenue_history
    months = a.appraisal_horizon_months
    if history is None:
        unavailable["income"] = "no_revenue"
    elif history.amounts.shape[0] < a.min_history_months:
        unavailable["income"] = "short_history"
    else:
        flows = expected_revenue(asset, months, a)
        share = a.data_income_share if asset.data_income_share is None else asset.data_income_share
        discount = benchmark_rate + a.data_asset_risk_premium
        income = income_value(flows, contribution_share=share, discount_rate=discount)
        details["income"] = {
            "months": months,
            "history_months": int(history.amounts.shape[0]),
            "data_income_share": share,
            "projected_revenue": float(flows.sum()),
        }
    cost = None
    if asset.cost_components and sum(asset.cost_components.values()) > 0:
        cost = float(
            sum(asset.cost_components.values())
            * (1 + a.cost_profit_rate)
            * (1 - asset.obsolescence_rate)
            * (quality if quality is not None else 1.0)
        )
        details["cost"] = {
            "historical_cost": float(sum(asset.cost_components.values())),
            "profit_rate": a.cost_profit_rate,
            "obsolescence_rate": asset.obsolescence_rate,
        }
    else:
        unavailable["cost"] = "no_cost"
    market = None
    trailing = 0.0
    if history is not None:  # the last twelve months' revenue, annualised when the history is shorter
        recent = history.monthly_totals[-12:]
        trailing = float(recent.sum()) * 12 / recent.size
    if len(asset.comparables) < a.market_min_comparables:
        unavailable["market"] = "few_comparables"
    elif history is None or trailing <= 0:
        unavailable["market"] = "no_revenue"
    elif history.amounts.shape[0] < a.min_history_months:
        unavailable["market"] = "short_history"
    else:
        multiples = np.array([c.multiple for c in asset.comparables])
        multiple, kept, dropped = market_multiple(multiples, a)
        if multiple is None:
            unavailable["market"] = "few_comparables"
        else:
            market = multiple * trailing
            details["market"] = {
                "median_multiple": multiple,
                "trailing_revenue": trailing,
                "comparables": [
                    {
                        "description": c.description,
                        "date": c.transaction_date,
                        "source": c.source,
                        "multiple": float(m),
                        "kept": bool(k),
                    }
                    for c, m, k in zip(asset.comparables, multiples, kept, strict=True)
                ],  # fmt: skip
                "dropped": int(dropped.sum()),
            }
    values = {"income": income, "cost": cost, "market": market}
    present = {name: value for name, value in values.items() if value is not None}
    weights: dict[str, float] = {}
    indicated = None
    if present:
        raw = {name: a.appraisal_weights.get(name, 0.0) for name in present}
        total = sum(raw.values())
        weights = {n: raw[n] / total for n in present} if total > 0 else {n: 1 / len(present) for n in present}
        indicated = float(sum(present[name] * weights[name] for name in present))
    positive = [v for v in present.values() if v > 0]
    ratio = max(positive) / min(positive) - 1.0 if len(positive) >= 2 else None
    if not present:
        agreement = "none"
    elif ratio is None:
        agreement = "single_method"
    else:
        agreement = "disagree" if ratio > a.appraisal_divergence_threshold else "agree"
    return AppraisalResult(
        key=asset.key,
        name=asset.name,
        quality_coefficient=quality,
        income_value=income,
        cost_value=cost,
        market_value=market,
        indicated_value=indicated,
        weights=weights,
        divergence_ratio=ratio,
        divergence_threshold=a.appraisal_divergence_threshold,
        agreement=agreement,
        discount_rate=discount,
        unavailable=unavailable,
        details=details,
    )


def appraise_assets(
    assets: tuple[DataAssetAppraisalInput, ...], *, benchmark_rate: float, assumptions: ValuationAssumptions
) -> AppraisalSummary | None:
    """Every data asset appraised, and the totals by method (None where no asset had the method)."""
    if not assets:
        return None
    results = [appraise_data_asset(x, benchmark_rate=benchmark_rate, assumptions=assumptions) for x in assets]

    def total(name: str) -> float | None:
        values = [getattr(r, name) for r in results if getattr(r, name) is not None]
        return float(sum(values)) if values else None

    return AppraisalSummary(
        assets=results,
        total_indicated=total("indicated_value"),
        total_income=total("income_value"),
        total_cost=total("cost_value"),
        total_market=total("market_value"),
        divergent_assets=sum(r.divergent for r in results),
    )
