"""Builders of the demo deals: data assets with rights and revenue, the pool, pledges, tranches, enhancement.

Every write goes through the services and the workflow moves, so the demo has the
audit chains a real deal would have. Each builder first looks its object up by its
natural key and leaves an existing one alone, which makes the seed idempotent.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import zlib
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from deals import workflow
from deals.choices import DealStatus, DealType, EnhancementKind, PoolAssetKind, TrancheClass
from deals.models import Deal
from deals.services import credit_enhancement_create, deal_create, pledge_create, pool_asset_create, tranche_create
from deals.valuation_jobs import valuation_execute, valuation_request
from origination.choices import RightType
from origination.models import DataAsset, Originator, RevenueRecord, User
from origination.services import data_asset_create, data_right_create

from .compliance import complete_review, start_review_answers
from .specs import (
    CATEGORY_PROFILES,
    PIPELINE_REVENUE_END,
    REGISTRIES,
    AssetSpec,
    DealSpec,
    OriginatorSpec,
    asset_counterparties,
)

SEED = "dataabs-demo-2025"
CENT = Decimal("0.01")
_RIGHT_CODES = {
    RightType.RESOURCE_HOLDING: "DRH",
    RightType.PROCESSING_USE: "DPU",
    RightType.PRODUCT_OPERATION: "DPO",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clipped to the end of a shorter month."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _rng(*parts: object) -> random.Random:
    # A string seed is hashed with SHA-512, so the stream does not depend on PYTHONHASHSEED.
    return random.Random("|".join([SEED, *map(str, parts)]))  # noqa: S311 - demo data, not security


def _stable_number(text: str, modulo: int) -> int:
    return zlib.crc32(text.encode()) % modulo


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def revenue_end(spec: DealSpec) -> dt.date:
    """Last month of revenue history: the month before issue, and never after the demo's snapshot."""
    before_issue = add_months(spec.issue_date.replace(day=1), -1)
    return min(before_issue, PIPELINE_REVENUE_END)


def legal_maturity(spec: DealSpec) -> dt.date:
    """Expected maturity plus a two-year tail."""
    return add_months(spec.issue_date, spec.tenor_months + 24)


def monthly_revenue(*, asset: DataAsset, spec: AssetSpec, last_period: dt.date) -> list[RevenueRecord]:
    """Monthly cash per licensee: growth trend x sector seasonality x noise; later licensees join partway."""
    profile = CATEGORY_PROFILES[spec.category]
    rng = _rng("revenue", spec.name)
    first_period = add_months(last_period, -(spec.months - 1))
    records = []
    for index, (name, _city, revenue_type, weight) in enumerate(asset_counterparties(spec)):
        # The two anchor licensees buy from the start; the others sign on one after another.
        joins_at = int(spec.months * 0.12 * (index - 1)) if index >= 2 else 0
        contract = f"DLA-{add_months(first_period, joins_at).year}-{1000 + _stable_number(spec.name, 8000) + index}"
        for month in range(joins_at, spec.months):
            period = add_months(first_period, month)
            years_before_end = (spec.months - 1 - month) / 12
            trend = (1 + spec.growth) ** -years_before_end
            season = 1 + profile.season_amplitude * math.cos(2 * math.pi * (period.month - profile.peak_month) / 12)
            noise = min(1.15, max(0.85, rng.gauss(1.0, 0.05)))
            amount = spec.monthly_level * weight * trend * season * noise
            records.append(
                RevenueRecord(
                    data_asset=asset,
                    period=period,
                    amount=_money(round(amount, 2)),
                    revenue_type=revenue_type,
                    counterparty=name,
                    contract_ref=contract,
                )
            )
    return records


def _quality_scores(spec: AssetSpec) -> dict[str, Decimal]:
    rng = _rng("quality", spec.name)
    base = CATEGORY_PROFILES[spec.category].quality_base
    return {field: _money(min(99.0, max(62.0, base + rng.uniform(-7, 6)))) for field in DataAsset.QUALITY_FIELDS}


def ensure_data_asset(
    *,
    actor: User,
    originator: Originator,
    ospec: OriginatorSpec,
    spec: AssetSpec,
    deal_spec: DealSpec,
    created: Counter,
) -> DataAsset:
    """The data asset with its three registered rights and its revenue history (created once)."""
    existing = DataAsset.objects.filter(originator=originator, name=spec.name).first()
    if existing is not None:
        return existing
    profile = CATEGORY_PROFILES[spec.category]
    personal = profile.personal_info if spec.personal_info is None else spec.personal_info
    sensitive = (profile.sensitive if spec.sensitive is None else spec.sensitive) and personal
    last_period = revenue_end(deal_spec)
    # Historical cost capitalised under the 2024 interim rules: about sixteen months of the data's revenue.
    book_value = Decimal(0) if spec.accounting == "not_recognised" else _money(spec.monthly_level * 16)
    description = spec.description or (
        f"{profile.source}. Licensed to {spec.counterparties} clients"
        + (f"; pledged by {spec.holder} as loan collateral." if spec.holder else ".")
        + (f" {deal_spec.data_effect}" if deal_spec.data_effect else "")
    )
    asset = data_asset_create(
        actor=actor,
        originator=originator,
        name=spec.name,
        category=spec.category,
        description=description,
        volume=spec.volume,
        update_frequency=profile.frequency,
        source=profile.source,
        classification_grade=spec.grade,
        has_personal_info=personal,
        has_sensitive_personal_info=sensitive,
        deidentification_method=profile.deidentification if personal else "",
        accounting_status=spec.accounting,
        book_value=book_value,
        **_quality_scores(spec),
    )
    created["data assets"] += 1
    issued_on = add_months(last_period, -(spec.months // 3))
    holder = spec.holder or originator.name
    for right_type, code in _RIGHT_CODES.items():
        registry_key = ospec.listing_registry if right_type == RightType.PRODUCT_OPERATION else ospec.registry
        registry, registry_type = REGISTRIES[registry_key]
        years = 3 if (spec.short_right and right_type == RightType.PROCESSING_USE) else 10
        right_issued = issued_on + dt.timedelta(days=_stable_number(spec.name + code, 40))
        data_right_create(
            actor=actor,
            data_asset=asset,
            right_type=right_type,
            holder=holder if right_type != RightType.PRODUCT_OPERATION else originator.name,
            certificate_no=f"{registry_key}-{code}-{right_issued.year}-{_stable_number(spec.name + code, 10**6):06d}",
            registry=registry,
            registry_type=registry_type,
            issued_on=right_issued,
            expires_on=add_months(right_issued, 12 * years),
        )
    created["data rights"] += 3
    records = monthly_revenue(asset=asset, spec=spec, last_period=last_period)
    RevenueRecord.objects.bulk_create(records)
    created["revenue records"] += len(records)
    return asset


def _split(total: Decimal, weights: list[float]) -> list[Decimal]:
    """Split a sum of money by weights so that the parts add up to it exactly."""
    scale = sum(weights)
    parts = [(total * Decimal(str(w / scale))).quantize(Decimal("10000")) for w in weights[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def _build_pool(*, actor: User, deal: Deal, spec: DealSpec, assets: list[DataAsset]) -> None:
    total = (Decimal(spec.size) * Decimal(spec.overcollateralisation)).quantize(CENT)
    if spec.pool:
        rows = [
            (p.obligor, p.city, p.kind, p.weight, [assets[p.asset]], p.rate, p.default_probability, p.recovery_rate,
             p.default_probability_without_data, p.term_months or spec.tenor_months, p.repayment_source)
            for p in spec.pool
        ]  # fmt: skip
    else:
        # Licence revenue: one stream per licensee of each data asset, sized by its share of revenue.
        rows = [
            (name, city, PoolAssetKind.LICENCE_REVENUE, a_spec.monthly_level * weight, [asset], "0", "0.0080", "0.2000",
             None, spec.tenor_months, "")
            for a_spec, asset in zip(spec.assets, assets, strict=True)
            for name, city, _type, weight in asset_counterparties(a_spec)
        ]  # fmt: skip
    if spec.deal_type == DealType.EMPOWERMENT and any(row[8] is None for row in rows):
        raise ValueError(f"Demo deal {spec.name!r}: every empowerment claim states its PD without the data.")
    principals = _split(total, [row[3] for row in rows])
    for row, principal in zip(rows, principals, strict=True):
        obligor, city, kind, _w, data_assets, rate, pd, recovery, pd_without_data, term, repayment = row
        extra = {"repayment_source": repayment} if repayment else {}
        pool_asset_create(
            actor=actor,
            deal=deal,
            data_assets=data_assets,
            obligor=obligor,
            obligor_city=city,
            kind=kind,
            principal=principal,
            rate=Decimal(rate),
            maturity_date=add_months(spec.issue_date, term),
            default_probability=Decimal(pd),
            recovery_rate=Decimal(recovery),
            default_probability_without_data=None if pd_without_data is None else Decimal(pd_without_data),
            **extra,
        )


def _build_capital(*, actor: User, deal: Deal, spec: DealSpec) -> None:
    for priority, tranche in enumerate(spec.tranches, start=1):
        tranche_create(
            actor=actor,
            deal=deal,
            name=tranche.name,
            tranche_class=tranche.tranche_class,
            size=Decimal(tranche.size),
            coupon=Decimal(tranche.coupon) if tranche.coupon else None,
            target_rating=tranche.rating,
            payment_priority=priority,
        )
    if not spec.tranches:
        return
    size = Decimal(spec.size)
    junior = sum((Decimal(t.size) for t in spec.tranches if t.tranche_class != TrancheClass.SENIOR), Decimal(0))
    enhancements: list[tuple[str, str, str, Decimal, str, dict]] = [
        (EnhancementKind.SUBORDINATION, "", "", junior, f"Junior classes absorb losses first: {junior / size:.1%} of the deal",
         {}),
        (EnhancementKind.RESERVE_ACCOUNT, "", deal.trustee, (size * Decimal(spec.reserve_share)).quantize(CENT),
         "Liquidity reserve funded at closing, drawn for any senior interest shortfall", {}),
    ]  # fmt: skip
    surplus = (size * Decimal(spec.overcollateralisation)).quantize(CENT) - size
    if surplus > 0:
        enhancements.append(
            (
                EnhancementKind.OVERCOLLATERALISATION,
                "",
                "",
                surplus,
                f"Pool principal is {spec.overcollateralisation}x the notes",
                {},
            )
        )
    enhancements += [
        (g.kind, g.guarantor_type, g.provider, Decimal(g.amount), g.description,
         {"provider_rating": g.provider_rating, "coverage": g.coverage, "covered_classes": list(g.covered_classes)})
        for g in spec.guarantees
    ]  # fmt: skip
    for kind, guarantor_type, provider, amount, description, support in enhancements:
        if kind == EnhancementKind.SUBORDINATION and not amount:
            continue
        credit_enhancement_create(
            actor=actor,
            deal=deal,
            kind=kind,
            guarantor_type=guarantor_type,
            provider=provider,
            amount=amount,
            description=description,
            **support,
        )


DEMO_PATHS = 10_000


def _walk(*, deal: Deal, spec: DealSpec, actors: dict[str, User | None]) -> Deal:
    """Move the deal through the workflow to its demo state, each move by the role that makes it."""
    path = ["submit", "start_review"]
    if spec.returned_with and spec.status != DealStatus.CHANGES_REQUESTED:
        path += ["request_changes", "submit", "start_review"]
    path += ["approve", "start_valuation", "complete_valuation", "publish", "open_book", "issue"]
    if spec.status == DealStatus.CHANGES_REQUESTED:
        path = ["submit", "start_review", "request_changes"]
    originator, compliance, arranger = actors["originator"], actors["compliance"], actors["arranger"]

    def approve(d: Deal) -> Deal:
        # Approval needs every condition precedent closed: the review is answered, documented and passed first.
        complete_review(deal=d, originator=originator, officer=compliance)
        return workflow.deal_approve(deal=d, actor=compliance)

    def value(d: Deal) -> Deal:
        # A real 10,000-path valuation, run here rather than queued, so the demo's numbers are the engine's.
        run = valuation_request(actor=arranger, deal=d, n_paths=DEMO_PATHS)
        valuation_execute(run_id=run.pk)
        d.refresh_from_db()
        if d.status != DealStatus.VALUED:
            run.refresh_from_db()
            raise RuntimeError(f"Demo deal {d.name!r} did not value: {run.error}")
        return d

    moves = {
        "submit": lambda d: workflow.deal_submit(deal=d, actor=originator),
        "start_review": lambda d: workflow.deal_start_review(deal=d, actor=compliance),
        "request_changes": lambda d: workflow.deal_request_changes(deal=d, actor=compliance, reason=spec.returned_with),
        "approve": approve,
        "start_valuation": value,
        # The run moved the deal to 'valued' itself (the system's move in its audit log).
        "complete_valuation": lambda d: d,
        "publish": lambda d: workflow.deal_publish(deal=d, actor=arranger),
        "open_book": lambda d: workflow.deal_open_book(deal=d, actor=arranger),
        "issue": lambda d: workflow.deal_issue(deal=d, actor=arranger, issue_date=spec.issue_date),
    }
    for action in path:
        if deal.status == spec.status:
            break
        deal = moves[action](deal)
    if deal.status != spec.status:
        raise RuntimeError(f"Demo deal {spec.name!r} ended at {deal.status}, not {spec.status}.")
    if deal.status == DealStatus.IN_REVIEW:
        start_review_answers(deal=deal, originator=originator)
    return deal


def ensure_deal(
    *,
    spec: DealSpec,
    ospec: OriginatorSpec,
    originator: Originator,
    actors: dict[str, User | None],
    created: Counter,
) -> Deal:
    """The demo deal with its assets, pool, pledges, capital structure and workflow history (created once)."""
    existing = Deal.objects.filter(originator=originator, name=spec.name).first()
    if existing is not None:
        return existing
    actor = actors["originator"]
    assert actor is not None  # every demo originator has a staff user
    deal = deal_create(
        actor=actor,
        name=spec.name,
        deal_type=spec.deal_type,
        target_size=Decimal(spec.size),
        tenor_months=spec.tenor_months,
        payment_frequency=spec.payment_frequency,
        exchange=spec.exchange,
        manager=spec.manager,
        trustee=spec.trustee,
        expected_issue_date=spec.issue_date,
        legal_maturity_date=legal_maturity(spec),
        paydown_mode=spec.paydown.mode,
        structuring_ratio=Decimal(spec.paydown.structuring_ratio),
        dscr_trigger=None if spec.paydown.dscr_trigger is None else Decimal(spec.paydown.dscr_trigger),
        trigger_window_periods=spec.paydown.trigger_window_periods,
        trigger_cure_periods=spec.paydown.trigger_cure_periods,
        controlled_amortisation_periods=spec.paydown.controlled_amortisation_periods,
        residual_release=spec.paydown.residual_release,
    )
    created["deals"] += 1
    assets = [
        ensure_data_asset(actor=actor, originator=originator, ospec=ospec, spec=a, deal_spec=spec, created=created)
        for a in spec.assets
    ]
    _build_pool(actor=actor, deal=deal, spec=spec, assets=assets)
    if spec.deal_type == DealType.DATA_PLEDGE:
        # Filed well before issue, and never after the demo's snapshot for deals still in origination.
        filed_on = min(spec.issue_date - dt.timedelta(days=75), revenue_end(spec) + dt.timedelta(days=40))
        for asset in assets:
            pledge_create(
                actor=actor,
                deal=deal,
                data_asset=asset,
                registry_filing_no=f"{filed_on:%Y%m%d}{_stable_number(asset.name, 10**12):012d}",
                filed_on=filed_on,
            )
            created["pledges"] += 1
    _build_capital(actor=actor, deal=deal, spec=spec)
    return _walk(deal=deal, spec=spec, actors=actors)
