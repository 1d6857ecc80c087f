"""Investor pages of matched products: best first with reasons, and the product page with the suitability gate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deals.compliance.presenters import with_text
from deals.models import Tranche
from deals.selectors import deal_or_404
from origination.errors import DomainError

from .match_candidates import Fit, by_fit, match_candidates_for, product_page_for
from .matching_inputs import RATING_SCALE
from .models import RiskProfile
from .selectors import fact_notices_for, market_deal_list_for, product_deal_list_for, risk_profile_list_for
from .suitability import suitability_confirm


def _investor_profile(request: HttpRequest) -> RiskProfile:
    if not request.user.is_investor:
        raise PermissionDenied(_("Matched products are for investor staff."))
    profile = risk_profile_list_for(request.user).first()
    if profile is None:
        raise Http404(_("Fill in the risk questionnaire first."))
    return profile


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    """The investor's matched products: suitable ones best first, those above its level, and near misses (live)."""
    profile = _investor_profile(request)
    groups = by_fit(match_candidates_for(profile=profile))
    context = {
        "profile": profile,
        "suitable": groups[Fit.SUITABLE],
        "above_level": groups[Fit.ABOVE_LEVEL],
        "near_misses": groups[Fit.NEAR_MISS],
    }
    return render(request, "investors/products.html", context)


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A product: each tranche with its fit for the investor, and the special warning where it is above its level."""
    profile = _investor_profile(request)
    deal = deal_or_404(request.user, pk, parts=False, among=product_deal_list_for)
    page = product_page_for(profile=profile, deal=deal)
    context = {
        "deal": deal,
        "profile": profile,
        "tranches": page.tranches,
        "rating_scale": RATING_SCALE,
        "fact_notices": with_text(fact_notices_for(request.user, deal)),
    }
    return render(request, "investors/product_detail.html", context)


@login_required
@require_POST
def product_confirm_warning(request: HttpRequest, pk: int, tranche_pk: int) -> HttpResponse:
    """The investor confirms the special risk warning for a tranche above its level; recorded."""
    _investor_profile(request)
    deal = deal_or_404(request.user, pk, parts=False, among=market_deal_list_for)
    tranche = Tranche.objects.filter(deal=deal, pk=tranche_pk).first()
    if tranche is None:
        raise Http404(_("No such tranche."))
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you have read the warning."))
        return redirect("product_detail", pk=deal.pk)
    try:
        suitability_confirm(actor=request.user, tranche=tranche)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Your confirmation is recorded; you may register interest in this tranche."))
    return redirect("product_detail", pk=deal.pk)
