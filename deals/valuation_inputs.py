"""The boundary between the database and the valuation engine: a deal's rows as the engine's plain inputs.

Decimals become floats here and nowhere else, and the compliance review's
whole-life stop probability becomes an annual one here, once. What the engine
needs but the database does not state is decided here, each with its reason:
- licensee default probabilities come from the licence pool streams that name
  the data asset (the obligor is the licensee); a stream with none stated keeps
  the engine's yearly chance of losing a licensee;
- a pool claim without a stated cash source takes the default of its kind and
  deal type (`deals.services.default_cash_source`);
- the data a claim pledges are its linked data assets; the engine values them
  by the appraisal (the book value only where no method applies);
- each data asset is appraised on its own revenue history, its book value as
  historical cost and the arranger's register of comparable transactions of
  its category dated on or before the pricing date;
- the months to a claim's maturity count from the pricing date; the legal
  final is the deal's legal maturity (else two years after expected maturity);
- the comparables of pricing are the platform's issued deals' seniors, with the
  curve of their own issue dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
from django.utils import timezone

from origination.models import DataAsset, RevenueRecord

from .choices import PERIODS_PER_YEAR, SUPPORT_KINDS, DealStatus, DealType, EnhancementKind, PoolAssetKind
from .market_data import market_parameters_for
from .models import ComparableTransaction as ComparableRow
from .models import Deal, MarketParameters, Pledge
from .selectors import latest_result
from .services import default_cash_source
from .valuation import (
    ComparableDeal,
    ComparableTransaction,
    CreditEnhancementInput,
    DataAssetAppraisalInput,
    FeesInput,
    LegalRisk,
    MarketInputs,
    PaydownInput,
    PoolAssetInput,
    QualityScores,
    RevenueHistory,
    SupportInput,
    TrancheInput,
    ValuationInputs,
)

SENIOR_FEES_BPS = 15.0  # trustee, custodian, manager and rating surveillance, per year on the notes
TAIL_MONTHS = 24  # legal final two years after expected maturity when the deal states no legal maturity
SUPPORT_KIND = {
    EnhancementKind.EXTERNAL_GUARANTEE: "guarantee",
    EnhancementKind.SHORTFALL_UNDERTAKING: "shortfall_undertaking",
}


def _f(value: Decimal | None, default: float = 0.0) -> float:
    return default if value is None else float(value)


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def revenue_history_for(
    *, data_asset_ids: list[int], licensee_pd: dict[str, float] | None = None
) -> RevenueHistory | None:
    """Monthly revenue of the assets, one column per (asset, counterparty), consecutive months with zeros."""
    rows = list(
        RevenueRecord.objects.filter(data_asset_id__in=data_asset_ids)
        .values_list("data_asset_id", "counterparty", "period", "amount")
        .order_by("period")
    )
    if not rows:
        return None
    first, last = rows[0][2], rows[-1][2]
    months = _months_between(first, last) + 1
    columns: dict[tuple[int, str], int] = {}
    for asset_id, counterparty, _period, _amount in rows:
        columns.setdefault((asset_id, counterparty), len(columns))
    amounts = np.zeros((months, len(columns)))
    for asset_id, counterparty, period, amount in rows:
        amounts[_months_between(first, period), columns[(asset_id, counterparty)]] += float(amount)
    if float(amounts.sum()) <= 0:
        return None
    licensee_pd = licensee_pd or {}
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


def _quality(asset: DataAsset) -> QualityScores:
    return QualityScores(
        **{
            dim: float(getattr(asset, f"quality_{dim}"))
            for dim in ("accuracy", "consistency", "completeness", "conformity", "timeliness", "accessibility")
        }
    )


def pricing_date_for(deal: Deal) -> dt.date:
    """The date a deal is priced on: its issue date once issued, else its pricing date, expected issue date, today."""
    if deal.status == DealStatus.ISSUED and deal.issue_date:
        return deal.issue_date
    return deal.pricing_date or deal.expected_issue_date or timezone.localdate()


def market_inputs(market: MarketParameters | None) -> MarketInputs:
    """The arranger's curve, spreads and premiums; without any on file, the engine's defaults."""
    if market is None:
        return MarketInputs()
    defaults = MarketInputs()
    premiums = {k: dict(v) for k, v in defaults.support_premiums.items()}
    for kind, table in (market.support_premiums or {}).items():
        premiums.setdefault(kind, {}).update({r: float(v) for r, v in table.items()})
    provider_pd = dict(defaults.provider_annual_pd)
    provider_pd.update({r: float(v) for r, v in (market.provider_default_rates or {}).items()})
    return MarketInputs(
        benchmark_curve=tuple((float(t), float(r)) for t, r in market.benchmark_curve),
        rating_spreads={k: float(v) for k, v in market.rating_spreads.items()},
        support_premiums=premiums,
        provider_annual_pd=provider_pd,
        liquidity_premium=None if market.liquidity_premium is None else float(market.liquidity_premium),
        tenor_premium_per_year=None if market.tenor_premium_per_year is None else float(market.tenor_premium_per_year),
        as_of=market.as_of.isoformat(),
        benchmark_name=market.benchmark_name,
    )


def _appraisals(assets: list[DataAsset], *, pricing_date: dt.date) -> tuple[DataAssetAppraisalInput, ...]:
    """Each data asset on its own: its revenue, its book value as historical cost, the register's comparables."""
    categories = {a.category for a in assets}
    register: dict[str, list[ComparableTransaction]] = {c: [] for c in categories}
    for row in ComparableRow.objects.filter(category__in=categories, transaction_date__lte=pricing_date).order_by(
        "transaction_date", "pk"
    ):
        register[row.category].append(
            ComparableTransaction(
                price=float(row.price),
                annual_revenue=float(row.annual_revenue),
                description=row.description,
                transaction_date=row.transaction_date.isoformat(),
                source=row.source,
            )
        )
    return tuple(
        DataAssetAppraisalInput(
            key=str(asset.pk),
            name=asset.name,
            revenue_history=revenue_history_for(data_asset_ids=[asset.pk]),
            cost_components={"book value": float(asset.book_value)} if asset.book_value else {},
            comparables=tuple(register.get(asset.category, ())),
            quality=_quality(asset),
        )
        for asset in assets
    )


def comparable_deals(*, excluding: Deal | None = None) -> tuple[ComparableDeal, ...]:
    """Issued deals' seniors with a coupon and a valuation, on the curve of their own issue dates.

    All of them: the engine keeps those issued on or before the subject's pricing date.
    """
    found = []
    issued = Deal.objects.filter(status=DealStatus.ISSUED).prefetch_related("tranches")
    if excluding is not None:
        issued = issued.exclude(pk=excluding.pk)
    for other in issued.order_by("issue_date", "pk"):
        senior = next((t for t in other.tranches.all() if t.tranche_class == "senior" and t.coupon), None)
        run = latest_result(deal=other)
        if senior is None or run is None or other.issue_date is None:
            continue
        facts = next(
            (t for t in (run.result or {}).get("tranches", []) if t.get("priority") == senior.payment_priority), None
        )
        if not facts:
            continue
        wal = float(facts.get("wal_years") or 0.0)
        relies = ((run.result or {}).get("coverage") or {}).get("relies_on") or {}
        market = market_inputs(market_parameters_for(other.issue_date))
        found.append(
            ComparableDeal(
                name=other.name,
                issue_date=other.issue_date.isoformat(),
                coupon=float(senior.coupon),
                benchmark=market.benchmark_at(wal),
                wal_years=wal,
                rating=senior.implied_rating or facts.get("implied_rating") or senior.target_rating,
                support_type=relies.get("type") or "none",
            )
        )
    return tuple(found)


def _annual(probability_life: float, tenor_months: int) -> float:
    """A probability over the deal's life as the annual probability with the same chance over the tenor."""
    return 1.0 - (1.0 - probability_life) ** (12.0 / max(tenor_months, 1))


def valuation_inputs_for(
    *, deal: Deal, market: MarketParameters | None, legal_haircut: float, legal_stop_life: float, open_findings: int,
    pricing_date: dt.date | None = None,
) -> tuple[ValuationInputs, dict[str, Any]]:  # fmt: skip
    """The engine's inputs for a deal, and a JSON snapshot of what they were built from."""
    pricing_date = pricing_date or pricing_date_for(deal)
    pool = list(deal.pool_assets.prefetch_related("data_assets").order_by("pk"))
    pledged_ids = set(Pledge.objects.filter(deal=deal, status="active").values_list("data_asset_id", flat=True))
    asset_ids = sorted({a.pk for p in pool for a in p.data_assets.all()} | pledged_ids)
    assets = list(DataAsset.objects.filter(pk__in=asset_ids).order_by("pk"))
    licensee_pd: dict[str, float] = {}
    licence_assets: set[int] = set()
    for p in pool:
        if p.kind != PoolAssetKind.LICENCE_REVENUE:
            continue
        licence_assets |= {a.pk for a in p.data_assets.all()}
        if p.default_probability:
            # A stream with no stated PD (0, the field's default) keeps the engine's yearly chance of losing the
            # licensee: a licensee that can never leave is not a reading of the contract.
            licensee_pd[p.obligor] = _f(p.default_probability)
    history = revenue_history_for(data_asset_ids=sorted(licence_assets), licensee_pd=licensee_pd)
    start = deal.issue_date if deal.status == DealStatus.ISSUED and deal.issue_date else pricing_date
    loans = []
    for p in pool:
        if p.kind == PoolAssetKind.LICENCE_REVENUE:
            continue
        source, repayment = p.cash_source, p.repayment_source
        if not source:
            source, repayment = default_cash_source(kind=p.kind, deal_type=deal.deal_type)
        pledged = tuple(str(a.pk) for a in p.data_assets.all()) if source == "data_secured" else ()
        loans.append(
            PoolAssetInput(
                principal=_f(p.principal), annual_rate=_f(p.rate),
                months_to_maturity=max(1, _months_between(start, p.maturity_date)),
                annual_pd=_f(p.default_probability), recovery_rate=_f(p.recovery_rate), kind=p.kind,
                cash_source=source, repayment_source=repayment or "", pledged_data=pledged,
                pledged_data_value=sum(float(a.book_value) for a in p.data_assets.all()) if pledged else 0.0,
                other_collateral_value=_f(p.collateral_value),
                annual_pd_without_data=None if p.default_probability_without_data is None
                else _f(p.default_probability_without_data),
                name=p.obligor,
            )
        )  # fmt: skip
    supports, reserve = [], 0.0
    for e in deal.credit_enhancements.all().order_by("pk"):
        if e.kind in SUPPORT_KINDS:
            supports.append(
                SupportInput(
                    amount=_f(e.amount), kind=SUPPORT_KIND[e.kind], provider_type=e.guarantor_type,
                    provider_rating=e.provider_rating or "NR", covered_classes=tuple(e.covered_classes or ()),
                    coverage=e.coverage, provider=e.provider,
                )
            )  # fmt: skip
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
    ppy = PERIODS_PER_YEAR[deal.payment_frequency]
    mpp = 12 // ppy
    tail = TAIL_MONTHS
    if deal.legal_maturity_date:
        expected = start.replace(day=1)
        tail = max(0, _months_between(expected, deal.legal_maturity_date) - deal.tenor_months)
        tail = tail // mpp * mpp
    paydown = PaydownInput(
        mode=deal.paydown_mode,
        structuring_ratio=_f(deal.structuring_ratio, 1.2),
        dscr_trigger=None if deal.dscr_trigger is None else _f(deal.dscr_trigger),
        trigger_window_periods=deal.trigger_window_periods,
        trigger_cure_periods=deal.trigger_cure_periods,
        controlled_amortisation_periods=min(deal.controlled_amortisation_periods, deal.tenor_months // mpp),
        residual_release=deal.residual_release,
    )
    annual_stop = _annual(legal_stop_life, deal.tenor_months)
    inputs = ValuationInputs(
        deal_type=deal.deal_type,
        tenor_months=deal.tenor_months,
        periods_per_year=ppy,
        tranches=tranches,
        revenue_history=history if deal.deal_type == DealType.LICENCE_REVENUE else None,
        pool_assets=tuple(loans),
        enhancement=CreditEnhancementInput(supports=tuple(supports), reserve_target=reserve),
        paydown=paydown,
        fees=FeesInput(senior_fees_bps=SENIOR_FEES_BPS),
        market=market_inputs(market),
        legal_risk=LegalRisk(haircut=legal_haircut, regulatory_stop_annual=annual_stop, open_findings=open_findings),
        appraisals=_appraisals(assets, pricing_date=pricing_date),
        comparable_deals=comparable_deals(excluding=deal),
        tail_months=tail,
        pricing_date=pricing_date.isoformat(),
    )
    snapshot = {
        "deal_type": deal.deal_type,
        "tenor_months": deal.tenor_months,
        "payment_frequency": deal.payment_frequency,
        "pricing_date": pricing_date.isoformat(),
        "data_assets": asset_ids,
        "revenue_months": 0 if history is None else int(history.amounts.shape[0]),
        "revenue_columns": 0 if history is None else int(history.amounts.shape[1]),
        "pool_loans": len(loans),
        "cash_sources": sorted({x.cash_source for x in loans}),
        "tranches": [{"name": t.name, "size": t.size, "coupon": t.coupon, "priority": t.priority} for t in tranches],
        "supports": [
            {
                "amount": s.amount,
                "kind": s.kind,
                "type": s.provider_type,
                "rating": s.provider_rating,
                "classes": list(s.covered_classes),
                "coverage": s.coverage,
            }
            for s in supports
        ],  # fmt: skip
        "reserve": reserve,
        "paydown": {
            "mode": paydown.mode,
            "structuring_ratio": paydown.structuring_ratio,
            "dscr_trigger": paydown.dscr_trigger,
            "window": paydown.trigger_window_periods,
            "cure": paydown.trigger_cure_periods,
            "controlled_periods": paydown.controlled_amortisation_periods,
            "residual": paydown.residual_release,
        },  # fmt: skip
        "market_parameters": market.pk if market else None,
        "market_as_of": market.as_of.isoformat() if market else None,
        "legal_risk": {
            "haircut": legal_haircut,
            "stop_probability_life": legal_stop_life,
            "stop_annual": annual_stop,
            "open_findings": open_findings,
        },  # fmt: skip
        "tail_months": tail,
        "comparable_deals": len(inputs.comparable_deals),
    }
    # Pledge and empowerment deals: the pool's cash is not the data's revenue, but that revenue's stability is
    # still what the product's risk reads (the data's own revenue, all its assets together).
    stability_history = history if history is not None else revenue_history_for(data_asset_ids=asset_ids)
    return inputs, {"history": stability_history, "snapshot": snapshot}
