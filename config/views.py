"""The role home page: what each role works on, drawn from every app (so it lives with the project wiring).

As NetBox keeps its home view in the project package: an originator's deals
and data assets, the compliance officer's queue, the investor's profile,
matches and the products on the market, the arranger's deals by state. Only
the top of the house may import every room (docs/architecture.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deals.choices import DealStatus
from deals.compliance.presenters import fact_findings_for
from deals.models import Tranche
from deals.selectors import deal_list_for, deal_status_counts_for
from investors.selectors import investor_list_for, match_list_for
from investors.views import risk_profile_display
from origination.choices import Role
from origination.models import User
from origination.selectors import data_asset_list_for

# States in which a deal is on the market for investors (issued deals are on the market page).
ON_MARKET_STATES = (DealStatus.PUBLISHED, DealStatus.BOOK_BUILDING)
# States in which the arranger has the next move.
ARRANGER_ACTION_STATES = (
    DealStatus.COMPLIANCE_APPROVED,
    DealStatus.VALUED,
    DealStatus.PUBLISHED,
    DealStatus.BOOK_BUILDING,
)


def _senior_tranches() -> Prefetch:
    return Prefetch("tranches", queryset=Tranche.objects.order_by("payment_priority"))


def _with_senior_terms(deals: list[Any]) -> list[Any]:
    """Attach the first-priority tranche's coupon (a fraction) and rating to each deal, from prefetched tranches."""
    for deal in deals:
        tranches = list(deal.tranches.all())
        first = tranches[0] if tranches else None
        deal.senior_coupon = first.coupon if first else None
        deal.senior_rating = first.get_target_rating_display() if first else ""
    return deals


def _originator_home(user: User) -> dict[str, Any]:
    deals = list(deal_list_for(user).order_by("-updated_at"))
    assets = data_asset_list_for(user).annotate(revenue_months=Count("revenue_records__period", distinct=True))
    return {"deals": deals, "assets": list(assets), "editable_states": [DealStatus.DRAFT, DealStatus.CHANGES_REQUESTED]}


def _compliance_home(user: User) -> dict[str, Any]:
    queue = list(
        deal_list_for(user)
        .filter(status__in=[DealStatus.SUBMITTED, DealStatus.IN_REVIEW])
        .order_by(F("status_changed_at").asc(nulls_first=True), "created_at", "pk")
    )
    counts = deal_status_counts_for(user)
    return {
        "queue": queue,
        "fact_findings": fact_findings_for(user),
        "decided": [
            (status, counts.get(status.value, 0))
            for status in (DealStatus.CHANGES_REQUESTED, DealStatus.REJECTED, DealStatus.COMPLIANCE_APPROVED)
        ],
    }


def _investor_home(user: User) -> dict[str, Any]:
    institution = investor_list_for(user).first()
    profile, deal_types = risk_profile_display(institution)
    products = _with_senior_terms(
        list(
            deal_list_for(user)
            .filter(status__in=ON_MARKET_STATES)
            .prefetch_related(_senior_tranches())
            .order_by("-status_changed_at", "-pk")
        )
    )
    matches = match_list_for(user)
    match_counts = {
        "suitable": matches.filter(eligible=True).count(),
        "top": list(matches.filter(eligible=True).order_by("-score", "tranche_id")[:5]),
    }
    return {
        "institution": institution,
        "profile": profile,
        "allowed_deal_types": deal_types,
        "products": products,
        "matches": match_counts,
    }


def _arranger_home(user: User) -> dict[str, Any]:
    counts = deal_status_counts_for(user)
    states = [(status, counts.get(status.value, 0)) for status in DealStatus]
    to_do = list(
        deal_list_for(user)
        .filter(status__in=ARRANGER_ACTION_STATES)
        .order_by(F("status_changed_at").asc(nulls_first=True))
    )
    return {"states": states, "total": sum(counts.values()), "to_do": to_do}


_HOME_CONTEXT = {
    Role.ORIGINATOR: _originator_home,
    Role.COMPLIANCE: _compliance_home,
    Role.INVESTOR: _investor_home,
    Role.ARRANGER: _arranger_home,
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page of the signed-in user's role: what that role works on."""
    user = request.user
    build = _HOME_CONTEXT.get(user.role)
    context = build(user) if build else {}
    return render(request, "home.html", {"role": user.role, **context})
