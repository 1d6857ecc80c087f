"""Scoped reads of the originator side: what each user may see of originators, assets, rights, revenue."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from .asset_hooks import data_asset_visibility, originator_visibility, visible_through
from .models import DataAsset, DataRight, Originator, RevenueImport, RevenueRecord, User


def originator_list_for(user: User) -> QuerySet[Originator]:
    """Originators the user may see: its own company; all for arranger and compliance; issuers of public deals for investors."""
    qs = Originator.objects.all()
    if not user.is_authenticated or not user.role:
        return qs.none()
    if user.is_arranger or user.is_compliance:
        return qs
    if user.is_originator:
        return qs.filter(pk=user.originator_id)
    if user.is_investor:
        # The issuers of the deals on the market (deals answers: origination/asset_hooks.py).
        seen = visible_through(originator_visibility, user)
        return qs.filter(seen) if seen is not None else qs.none()
    return qs.none()


def data_asset_list_for(user: User) -> QuerySet[DataAsset]:
    """Data assets the user may see: its company's own, or those backing deals its role may see."""
    qs = DataAsset.objects.select_related("originator")
    if not user.is_authenticated or not user.role:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_originator:
        return qs.filter(originator_id=user.originator_id)
    # Through the deals the user may see, so assets follow exactly the deal scoping rules (origination/asset_hooks.py).
    seen = visible_through(data_asset_visibility, user)
    return qs.filter(seen) if seen is not None else qs.none()


def data_asset_get_for(user: User, pk: int) -> DataAsset:
    """One data asset the user may see, or DoesNotExist (a 404, never a 403)."""
    return data_asset_list_for(user).get(pk=pk)


def data_right_list_for(user: User) -> QuerySet[DataRight]:
    """Rights of the data assets the user may see."""
    return DataRight.objects.filter(data_asset__in=data_asset_list_for(user)).select_related("data_asset")


def may_read_counterparties(user: User) -> bool:
    """Whether the user may read who the originators' counterparties are (licensees, obligors, contracts).

    The originator (of what it may see: its own), compliance and the arranger
    do. Investors do not: the licensee contracts are the originator's commercial
    secrets, and until the disclosure tiers exist they read revenue as
    aggregates (`revenue_summary`) and a pool's obligors as numbered labels.
    """
    return user.is_authenticated and (user.is_originator or user.is_compliance or user.is_arranger)


def revenue_list_for(user: User) -> QuerySet[RevenueRecord]:
    """Revenue rows (with counterparty and contract) of the data assets the user may see; none for investors."""
    if not may_read_counterparties(user):
        return RevenueRecord.objects.none()
    return RevenueRecord.objects.filter(data_asset__in=data_asset_list_for(user))


def revenue_import_list_for(user: User) -> QuerySet[RevenueImport]:
    """Revenue imports of the data assets the user may see, newest first; investors see none (raw files, not
    disclosure)."""
    qs = RevenueImport.objects.select_related("data_asset", "uploaded_by", "undone_by")
    if not user.is_authenticated or not user.role or user.is_investor:
        return qs.none()
    return qs.filter(data_asset__in=data_asset_list_for(user))


@dataclass(frozen=True)
class RevenueSummary:
    """A data asset's revenue as aggregates that name no counterparty: what every reader of the asset may see.

    Shares are of the revenue over the whole history, as the valuation's
    concentration measures (deals/valuation/history.py); None without revenue.
    """

    months: int
    monthly: list[tuple[str, Decimal]]  # ("2024-01", total CNY), oldest first
    total: Decimal
    counterparties: int  # those that paid anything
    top_counterparty_share: Decimal | None
    top5_share: Decimal | None
    hhi: Decimal | None  # Herfindahl-Hirschman index of the shares, 0-1


SHARE = Decimal("0.0001")


def revenue_summary(*, data_asset: DataAsset) -> RevenueSummary:
    """Monthly totals, counterparty count and concentration of one asset (the caller checked access to it)."""
    rows = RevenueRecord.objects.filter(data_asset=data_asset)
    monthly = [
        (row["period"].strftime("%Y-%m"), row["total"])
        for row in rows.values("period").order_by("period").annotate(total=Sum("amount"))
    ]
    paid = sorted(
        (
            t
            for t in rows.order_by()
            .values("counterparty")
            .annotate(total=Sum("amount"))
            .values_list("total", flat=True)
            if t > 0
        ),
        reverse=True,
    )
    total = sum(paid, Decimal("0"))
    shares = [t / total for t in paid] if total > 0 else []
    return RevenueSummary(
        months=len(monthly),
        monthly=monthly,
        total=sum((t for _m, t in monthly), Decimal("0")),
        counterparties=len(paid),
        top_counterparty_share=shares[0].quantize(SHARE) if shares else None,
        top5_share=sum(shares[:5], Decimal("0")).quantize(SHARE) if shares else None,
        hhi=sum((s * s for s in shares), Decimal("0")).quantize(SHARE) if shares else None,
    )


def revenue_monthly_totals(*, data_asset: DataAsset) -> list[tuple[str, float]]:
    """Total revenue per month of one asset, oldest first, for the chart (caller checked access)."""
    rows = (
        RevenueRecord.objects.filter(data_asset=data_asset)
        .values("period")
        .order_by("period")
        .annotate(total=Sum("amount"))
    )
    return [(row["period"].strftime("%Y-%m"), float(row["total"])) for row in rows]
