"""Pages of investors: the institution and its risk profile."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from deals.choices import DealType
from origination.views import percent

from .models import Investor, RiskProfile
from .selectors import investor_list_for


def risk_profile_display(investor: Investor | None) -> tuple[RiskProfile | None, list[str]]:
    """The investor's risk profile with its fractions as percentages, and its allowed deal types in words."""
    if investor is None:
        return None, []
    try:
        profile = investor.risk_profile
    except ObjectDoesNotExist:
        return None, []
    profile.min_coupon_pct = percent(profile.min_coupon)
    profile.max_guarantee_dependence_pct = percent(profile.max_guarantee_dependence)
    valid = set(DealType.values)
    return profile, [str(DealType(value).label) for value in profile.allowed_deal_types if value in valid]


@login_required
def investor_list(request: HttpRequest) -> HttpResponse:
    """Investors the user may see; investor staff go straight to their own institution."""
    investors = list(investor_list_for(request.user))
    if request.user.is_investor and len(investors) == 1:
        return redirect("investor_detail", pk=investors[0].pk)
    rows: list[dict[str, Any]] = []
    for investor in investors:
        profile, _types = risk_profile_display(investor)
        rows.append({"investor": investor, "profile": profile})
    return render(request, "investors/investor_list.html", {"rows": rows})


@login_required
def investor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An institution and its risk profile: tolerance and mandate limits."""
    investor = investor_list_for(request.user).filter(pk=pk).first()
    if investor is None:
        raise Http404(_("No such investor."))
    profile, deal_types = risk_profile_display(investor)
    context = {"institution": investor, "profile": profile, "allowed_deal_types": deal_types}
    return render(request, "investors/investor_detail.html", context)
