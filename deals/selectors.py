"""Scoped reads of deals, their parts and audit log, and the market summary of issued deals."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from origination.choices import SOE_OWNERSHIP
from origination.models import User
from origination.selectors import may_read_counterparties

from .audit_read import may_read_audit_event
from .choices import PUBLIC_STATES, REVIEWABLE_STATES, DealStatus, DealType, TrancheClass
from .models import AuditEvent, CreditEnhancement, Deal, Pledge, PoolAsset, Tranche, ValuationRun


def _ever_submitted() -> Q:
    """Deals compliance may see: every state past draft, except a withdrawn deal that never left draft."""
    submitted_once = Exists(AuditEvent.objects.filter(deal=OuterRef("pk"), to_status=DealStatus.SUBMITTED))
    return Q(status__in=REVIEWABLE_STATES - {DealStatus.WITHDRAWN}) | (
        Q(status=DealStatus.WITHDRAWN) & Q(submitted_once)
    )


def deal_list_for(user: User) -> QuerySet[Deal]:
    """Deals the user may see: own company's (originator), submitted ones (compliance), public ones (investor), all (arranger)."""
    qs = Deal.objects.select_related("originator")
    if not user.is_authenticated or not user.role:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_compliance:
        return qs.filter(_ever_submitted())
    if user.is_originator:
        return qs.filter(originator_id=user.originator_id)
    if user.is_investor:
        return qs.filter(status__in=PUBLIC_STATES)
    return qs.none()


def deal_get_for(
    user: User, pk: int, *, parts: bool = True, among: Callable[[User], QuerySet[Deal]] = deal_list_for
) -> Deal:
    """One deal the user may see (among `among(user)`, by default every deal it may see); DoesNotExist otherwise.

    With `parts`, its pool, tranches, enhancement and pledges are prefetched,
    and a reader who may not know the originator's counterparties (investors)
    gets the pool's obligors as numbered labels: a licence stream's obligor is
    the licensee itself.
    """
    if not parts:
        return among(user).get(pk=pk)
    deal = (
        among(user)
        .prefetch_related(
            Prefetch("pool_assets", queryset=PoolAsset.objects.prefetch_related("data_assets").order_by("pk")),
            Prefetch("tranches", queryset=Tranche.objects.order_by("payment_priority")),
            Prefetch("credit_enhancements", queryset=CreditEnhancement.objects.all()),
            Prefetch("pledges", queryset=Pledge.objects.select_related("data_asset")),
        )
        .get(pk=pk)
    )
    if not may_read_counterparties(user):
        for number, pool_asset in enumerate(deal.pool_assets.all(), start=1):
            pool_asset.obligor = _("Obligor %(number)d") % {"number": number}
    return deal


def deal_or_404(
    user: User, pk: int, *, parts: bool = True, among: Callable[[User], QuerySet[Deal]] = deal_list_for
) -> Deal:
    """`deal_get_for` for pages and the API: a deal the user may not see is a 404, never a 403 (it learns nothing
    of it, not even that it exists)."""
    try:
        return deal_get_for(user, pk, parts=parts, among=among)
    except Deal.DoesNotExist:
        raise Http404(_("No such deal.")) from None


def pool_asset_list_for(user: User) -> QuerySet[PoolAsset]:
    """Pool assets of the deals the user may see."""
    return PoolAsset.objects.filter(deal__in=deal_list_for(user)).prefetch_related("data_assets")


def tranche_list_for(user: User) -> QuerySet[Tranche]:
    """Tranches of the deals the user may see."""
    return Tranche.objects.filter(deal__in=deal_list_for(user))


def credit_enhancement_list_for(user: User) -> QuerySet[CreditEnhancement]:
    """Credit enhancement of the deals the user may see."""
    return CreditEnhancement.objects.filter(deal__in=deal_list_for(user))


def pledge_list_for(user: User) -> QuerySet[Pledge]:
    """Pledges of the deals the user may see."""
    return Pledge.objects.filter(deal__in=deal_list_for(user)).select_related("data_asset")


def valuation_run_list_for(user: User) -> QuerySet[ValuationRun]:
    """Valuation runs of the deals the user may see, newest first."""
    return ValuationRun.objects.filter(deal__in=deal_list_for(user)).order_by("-created_at", "-pk")


def latest_valuation(*, deal: Deal) -> ValuationRun | None:
    """The deal's most recent run (any status), for the page and the API."""
    return ValuationRun.objects.filter(deal=deal).order_by("-created_at", "-pk").first()


def latest_result(*, deal: Deal) -> ValuationRun | None:
    """The deal's most recent successful run."""
    return ValuationRun.objects.filter(deal=deal, status="succeeded").order_by("-finished_at", "-pk").first()


def audit_events_for(user: User, deal: Deal) -> QuerySet[AuditEvent]:
    """The audit log of a deal the user may see, oldest first."""
    if not deal_list_for(user).filter(pk=deal.pk).exists():
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(deal=deal).order_by("sequence")


def _without_obligor(action: str, reason: str) -> str:
    """A pool asset change's stored parameters with the obligor's name withheld (other reasons as they are)."""
    if not action.startswith("pool_asset_"):
        return reason
    try:
        params = json.loads(reason)
    except ValueError:
        return reason
    if not isinstance(params, dict):
        return reason
    withheld = _("obligor withheld")
    if "name" in params:
        params["name"] = withheld
    if isinstance(params.get("changes"), dict) and "obligor" in params["changes"]:
        params["changes"]["obligor"] = [withheld, withheld]
    return json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit_log_for(user: User, deal: Deal) -> list[AuditEvent]:
    """The audit log of a deal as the user may read it, oldest first, with each event's actor.

    For a reader who may not know the originator's counterparties (investors),
    a pool asset's change does not name its obligor: the event's reason is
    redacted in memory, for display only (the stored, hashed event is unchanged).
    The book's events (orders, allotment) are shown only to who may see them
    (`deals.audit.may_read_audit_event`): an investor sees its own, never another's.
    """
    events = audit_events_for(user, deal).select_related("actor__originator", "actor__investor")
    events = [event for event in events if may_read_audit_event(user, deal, event)]  # the book: as the reader sees it
    if not may_read_counterparties(user):
        for event in events:
            event.reason = _without_obligor(event.action, event.reason)
    return events


def deal_status_counts_for(user: User) -> dict[str, int]:
    """How many visible deals stand in each state, for dashboards."""
    rows = deal_list_for(user).order_by().values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else Decimal(0)


MARKET_YEAR_MIN, MARKET_YEAR_MAX = 2000, 2100  # the issue years the market figures can be asked for


def market_summary(*, year: int | None = None) -> dict[str, Any]:
    """The market figures of docs/market_data.md ("The 2025 market"), computed from issued deals (optionally of one issue year).

    Average coupon is the unweighted mean of each deal's senior tranche coupon
    (the first-priority senior), as the market reports it.
    """
    deals = Deal.objects.filter(status=DealStatus.ISSUED)
    if year is not None:
        deals = deals.filter(issue_date__year=year)
    rows = list(deals.values("pk", "deal_type", "target_size", "originator__ownership_type"))
    count = len(rows)
    total = sum((r["target_size"] for r in rows), Decimal(0))
    data_asset_abs = sum(1 for r in rows if r["deal_type"] != DealType.EMPOWERMENT)
    soe = sum(1 for r in rows if r["originator__ownership_type"] in SOE_OWNERSHIP)
    senior_coupons: dict[int, Decimal] = {}
    for deal_id, coupon in (
        Tranche.objects.filter(deal_id__in=[r["pk"] for r in rows], tranche_class=TrancheClass.SENIOR)
        .exclude(coupon__isnull=True)
        .order_by("deal_id", "payment_priority")
        .values_list("deal_id", "coupon")
    ):
        senior_coupons.setdefault(deal_id, coupon)
    coupons = list(senior_coupons.values())
    average_coupon = (sum(coupons, Decimal(0)) / len(coupons)) if coupons else None
    by_year = (
        Deal.objects.filter(status=DealStatus.ISSUED, issue_date__isnull=False)
        .values("issue_date__year")
        .annotate(n=Count("id"), total=Sum("target_size"))
        .order_by("issue_date__year")
    )
    return {
        "year": year,
        "products_issued": count,
        "total_issuance_cny": total.quantize(Decimal("0.01")),
        "total_issuance_bn_cny": (total / Decimal(10**9)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        "data_asset_abs": data_asset_abs,
        "empowerment_abs": count - data_asset_abs,
        "soe_initiated": soe,
        "soe_initiated_pct": _pct(Decimal(soe), Decimal(count)),
        "average_senior_coupon_pct": (
            (average_coupon * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if average_coupon is not None
            else None
        ),
        "by_year": [{"year": r["issue_date__year"], "products": r["n"], "total_cny": r["total"]} for r in by_year],
    }
