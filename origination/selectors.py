"""Scoped reads of the originator side: what each user may see of originators, assets, rights, revenue."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from deals.choices import PUBLIC_STATES

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
        return qs.filter(deals__status__in=PUBLIC_STATES).distinct()
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
    from deals.models import PoolAsset
    from deals.selectors import deal_list_for

    # Through the deals the user may see, so assets follow exactly the deal scoping rules.
    backing = PoolAsset.objects.filter(data_assets=OuterRef("pk"), deal__in=deal_list_for(user).values("pk"))
    return qs.filter(Exists(backing))


def data_asset_get_for(user: User, pk: int) -> DataAsset:
    """One data asset the user may see, or DoesNotExist (a 404, never a 403)."""
    return data_asset_list_for(user).get(pk=pk)


def data_right_list_for(user: User) -> QuerySet[DataRight]:
    """Rights of the data assets the user may see."""
    return DataRight.objects.filter(data_asset__in=data_asset_list_for(user)).select_related("data_asset")


def revenue_list_for(user: User) -> QuerySet[RevenueRecord]:
    """Revenue records of the data assets the user may see."""
    return RevenueRecord.objects.filter(data_asset__in=data_asset_list_for(user))


def revenue_import_list_for(user: User) -> QuerySet[RevenueImport]:
    """Revenue imports of the data assets the user may see, newest first; investors see none (raw files, not
    disclosure)."""
    qs = RevenueImport.objects.select_related("data_asset", "uploaded_by", "undone_by")
    if not user.is_authenticated or not user.role or user.is_investor:
        return qs.none()
    return qs.filter(data_asset__in=data_asset_list_for(user))


def revenue_monthly_totals(*, data_asset: DataAsset) -> list[tuple[str, float]]:
    """Total revenue per month of one asset, oldest first, for the chart (caller checked access)."""
    from django.db.models import Sum

    rows = (
        RevenueRecord.objects.filter(data_asset=data_asset)
        .values("period")
        .order_by("period")
        .annotate(total=Sum("amount"))
    )
    return [(row["period"].strftime("%Y-%m"), float(row["total"])) for row in rows]
