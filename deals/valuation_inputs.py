"""The boundary between the database and the valuation engine: a deal's rows as the engine's plain inputs.

Decimals become floats here and nowhere else. What the engine needs but the
database does not state is decided here, each with its reason:
- licensee default probabilities come from the licence pool streams that name
  the data asset (the obligor is the licensee);
- data-pledge borrowers repay out of their data revenue, so their loans are
  data-driven (a regulatory suspension stops them);
- the pledged data's value in a default is its book value;
- the appraisal's cost method uses the book value (historical cost capitalised
  under the 2024 interim rules); its market method uses, as comparables, data
  assets of the same category that other originators carry at book value on
  the platform; its income method uses the deal's projected data cash flow;
- the compliance review's stop probability includes its own base, so only the
  part its findings add goes to the engine, which has a base of its own.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from origination.models import DataAsset, RevenueRecord

from .choices import PERIODS_PER_YEAR, DealType, EnhancementKind, PoolAssetKind
from .models import Deal, MarketParameters
from .valuation import (
    AppraisalInputs,
    ComparableTransaction,
    CreditEnhancementInput,
    FeesInput,
    GuaranteeInput,
    LegalRisk,
    MarketInputs,
    PoolAssetInput,
    QualityScores,
    RevenueHistory,
    TrancheInput,
    ValuationInputs,
)

SENIOR_FEES_BPS = 15.0  # trustee, custodian, manager and rating surveillance, per year on the notes
TAIL_MONTHS = 24  # legal final two years after expected maturity, the market's usual gap
MAX_COMPARABLES = 8


def _f(value: Decimal | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def revenue_history_for(*, data_asset_ids: list[int], licensee_pd: dict[str, float]) -> RevenueHistory | None:
    """Monthly revenue of the assets, one column per (asset, counterparty), consecutive months with zeros."""
    rows = list(
        RevenueRecord.objects.filter(data_asset_id__in=data_asset_ids)
        .values_list("data_asset_id", "counterparty", "period", "amount")
        .order_by("period")
    )
    if not rows:
        return None
    first, last = rows[0][2], rows[-1][2]
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    columns: dict[tuple[int, str], int] = {}
    for asset_id, counterparty, _period, _amount in rows:
        columns.setdefault((asset_id, counterparty), len(columns))
    amounts = np.zeros((months, len(columns)))
    for asset_id, counterparty, period, amount in rows:
        month = (period.year - first.year) * 12 + period.month - first.month
        amounts[month, columns[(asset_id, counterparty)]] += float(amount)
    pds = [licensee_pd.get(counterparty) for (_a, counterparty) in columns]
    loss = None if all(p is None for p in pds) else np.array([p if p is not None else np.nan for p in pds])
    if loss is not None:
        loss = np.where(np.isnan(loss), np.nanmean(loss), loss)
    return RevenueHistory(
        amounts=amounts,
        first_calendar_month=first.month,
        counterparties=tuple(f"{a}:{c}" for (a, c) in columns),
        counterparty_loss_annual=loss,
    )


def _quality(assets: list[DataAsset]) -> QualityScores | None:
    if not assets:
        return None
    weights = np.array([max(float(a.book_value), 1.0) for a in assets])
    values = {
        dim: float(np.average([float(getattr(a, f"quality_{dim}")) for a in assets], weights=weights))
        for dim in ("accuracy", "consistency", "completeness", "conformity", "timeliness", "accessibility")
    }
    return QualityScores(**values)


def _comparables(deal: Deal, assets: list[DataAsset]) -> tuple[ComparableTransaction, ...]:
    from .valuation import ValuationAssumptions, quality_coefficient

    categories = {a.category for a in assets}
    others = (
        DataAsset.objects.filter(category__in=categories, book_value__gt=0)
        .exclude(originator_id=deal.originator_id)
        .exclude(accounting_status="not_recognised")
        .order_by("-book_value")[:MAX_COMPARABLES]
    )
    found = []
    for other in others:
        q = _quality([other])
        coefficient = quality_coefficient(q, ValuationAssumptions().quality_weights) if q is not None else None
        found.append(ComparableTransaction(price=float(other.book_value), quality_coefficient=coefficient))
    return tuple(found)


def _market_inputs(market: MarketParameters | None) -> MarketInputs:
    """The arranger's curve and spreads; without any on file, the engine's defaults (the same late-2025 levels)."""
    if market is None:
        return MarketInputs()
    return MarketInputs(
        benchmark_curve=tuple((float(t), float(r)) for t, r in market.benchmark_curve),
        rating_spreads={k: float(v) for k, v in market.rating_spreads.items()},
    )


def valuation_inputs_for(*, deal: Deal, market: MarketParameters | None, legal_haircut: float, legal_stop_addon: float,
                         open_findings: int) -> tuple[ValuationInputs, dict]:  # fmt: skip
    """The engine's inputs for a deal, and a JSON snapshot of what they were built from."""
    pool = list(deal.pool_assets.prefetch_related("data_assets").order_by("pk"))
    assets = {a.pk: a for p in pool for a in p.data_assets.all()}
    licensee_pd: dict[str, float] = {}
    for p in pool:
        if p.kind == PoolAssetKind.LICENCE_REVENUE:
            licensee_pd[p.obligor] = _f(p.default_probability)
    history = revenue_history_for(data_asset_ids=sorted(assets), licensee_pd=licensee_pd)
    loans = []
    for p in pool:
        if p.kind == PoolAssetKind.LICENCE_REVENUE:
            continue
        months = max(1, (p.maturity_date.year - (deal.expected_issue_date or p.maturity_date).year) * 12
                     + p.maturity_date.month - (deal.expected_issue_date or p.maturity_date).month)  # fmt: skip
        loans.append(
            PoolAssetInput(
                principal=_f(p.principal), annual_rate=_f(p.rate), months_to_maturity=months,
                annual_pd=_f(p.default_probability), recovery_rate=_f(p.recovery_rate), kind=p.kind,
                # Only a data-pledge obligor pledged its data; in empowerment pools the data prices the obligor.
                pledged_data_value=sum(float(a.book_value) for a in p.data_assets.all())
                if deal.deal_type == DealType.DATA_PLEDGE
                else 0.0,
                data_driven=deal.deal_type == DealType.DATA_PLEDGE,
                annual_pd_without_data=None if p.default_probability_without_data is None
                else _f(p.default_probability_without_data),
                name=p.obligor,
            )
        )  # fmt: skip
    guarantees, reserve = [], 0.0
    for e in deal.credit_enhancements.all():
        if e.kind == EnhancementKind.EXTERNAL_GUARANTEE:
            guarantees.append(GuaranteeInput(amount=_f(e.amount), guarantor_type=e.guarantor_type, provider=e.provider))
        elif e.kind == EnhancementKind.RESERVE_ACCOUNT:
            reserve += _f(e.amount)
    tranches = tuple(
        TrancheInput(
            name=t.name, tranche_class=t.tranche_class, size=_f(t.size),
            coupon=None if t.coupon is None else _f(t.coupon), priority=t.payment_priority,
            target_rating=t.target_rating,
        )
        for t in deal.tranches.order_by("payment_priority")
    )  # fmt: skip
    asset_list = list(assets.values())
    appraisal = AppraisalInputs(
        cost_components={"book value of the data resources": sum(float(a.book_value) for a in asset_list)},
        comparables=_comparables(deal, asset_list),
        quality=_quality(asset_list),
    )
    is_licence = deal.deal_type == DealType.LICENCE_REVENUE
    inputs = ValuationInputs(
        deal_type=deal.deal_type,
        tenor_months=deal.tenor_months,
        periods_per_year=PERIODS_PER_YEAR[deal.payment_frequency],
        tranches=tranches,
        revenue_history=history if is_licence else None,
        pool_assets=tuple(loans),
        enhancement=CreditEnhancementInput(guarantees=tuple(guarantees), reserve_target=reserve),
        fees=FeesInput(senior_fees_bps=SENIOR_FEES_BPS),
        market=_market_inputs(market),
        legal_risk=LegalRisk(
            haircut=legal_haircut, regulatory_stop_probability=legal_stop_addon, open_findings=open_findings
        ),
        appraisal=appraisal,
        tail_months=TAIL_MONTHS,
    )
    snapshot = {
        "deal_type": deal.deal_type,
        "tenor_months": deal.tenor_months,
        "payment_frequency": deal.payment_frequency,
        "data_assets": sorted(assets),
        "revenue_months": 0 if history is None else int(history.amounts.shape[0]),
        "revenue_columns": 0 if history is None else int(history.amounts.shape[1]),
        "pool_loans": len(loans),
        "tranches": [{"name": t.name, "size": t.size, "coupon": t.coupon, "priority": t.priority} for t in tranches],
        "guarantees": [{"amount": g.amount, "type": g.guarantor_type} for g in guarantees],
        "reserve": reserve,
        "market_parameters": market.pk if market else None,
        "legal_risk": {"haircut": legal_haircut, "stop_addon": legal_stop_addon, "open_findings": open_findings},
        "tail_months": TAIL_MONTHS,
    }
    return inputs, {"history": history, "snapshot": snapshot}
