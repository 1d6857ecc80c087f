"""Investor pages of matched products: best first with reasons, and the product page with the suitability gate."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deals.choices import DealStatus
from deals.compliance.presenters import with_text
from deals.models import Deal, Tranche
from deals.selectors import deal_list_for
from origination.errors import DomainError

from .match_jobs import MARKET_STATES, PROFILE_FIELDS, _tranche_rows, deal_privacy_facts, tranche_match_row
from .match_reasons import components, explain
from .matching import build_vocabulary, encode_investors, encode_tranches, iter_match_blocks
from .matching_inputs import RATING_SCALE
from .matching_rules import RISK_LEVEL_ONLY, near_miss_mask
from .models import Match, MatchRun, RiskProfile
from .selectors import fact_notices_for, investor_holds_deal, match_list_for
from .suitability import above_level, has_confirmed, suitability_confirm, warning_text


def _investor_profile(request: HttpRequest) -> RiskProfile:
    if not request.user.is_investor:
        raise PermissionDenied(_("Matched products are for investor staff."))
    profile = RiskProfile.objects.filter(investor_id=request.user.investor_id).first()
    if profile is None:
        raise Http404(_("Fill in the risk questionnaire first."))
    return profile


def _profile_row(profile: RiskProfile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}


def _live_near_misses(*, profile: RiskProfile, deal_id: int | None = None, every_pair: bool = False) -> list[Match]:
    """The investor's near misses computed now by the engine (they are not stored): unsaved Match rows, best first.

    A near miss fails exactly one rule, a relaxable one other than the risk level
    (those are stored: the special-warning flow). The tranches are the market's,
    or one deal's, built by the same helpers as the matching job. With
    `every_pair`, every pair is returned, whatever it fails (the product page).
    """
    scope = MatchRun.Scope.ALL if deal_id is None else MatchRun.Scope.DEAL
    tranche_list, tranche_rows, _unvalued = _tranche_rows(scope, deal_id)
    if not tranche_rows:
        return []
    row = _profile_row(profile)
    vocabulary = build_vocabulary(investor_rows=[row])
    investors = encode_investors(rows=[row], vocabulary=vocabulary)
    tranches = encode_tranches(rows=tranche_rows, vocabulary=vocabulary)
    misses = []
    for block in iter_match_blocks(investors=investors, tranches=tranches):
        failed, score = block.failed_rules[0], block.score[0]
        keep = np.ones_like(failed, dtype=bool) if every_pair else near_miss_mask(failed) & (failed != RISK_LEVEL_ONLY)
        for col in np.flatnonzero(keep).tolist():
            tranche = tranche_list[block.tranche_slice.start + col]
            miss = Match(
                investor_id=profile.investor_id, tranche=tranche, deal=tranche.deal, eligible=bool(failed[col] == 0)
            )
            miss.score, miss.failed_rules = round(float(score[col]), 4), int(failed[col])
            misses.append(miss)
    return sorted(misses, key=lambda m: (-m.score, m.tranche_id))


def _decorate(matches: list[Match], profile: RiskProfile) -> list[Match]:
    """Attach the engine's row, the reasons and the score components to each match on the page."""
    privacy = deal_privacy_facts(deal_ids=sorted({m.deal_id for m in matches}))
    row = _profile_row(profile)
    shown = []
    for m in matches:
        facts = tranche_match_row(m.tranche, m.deal, privacy[m.deal_id])
        if facts is None:
            continue
        m.facts = facts
        m.reasons = explain(profile=row, tranche=facts, failed_rules=m.failed_rules)
        m.failed = [r for r in m.reasons if not r.passed]
        m.warning_only = m.failed_rules == RISK_LEVEL_ONLY
        shown.append(m)
    for m, parts in zip(shown, components(profiles=[row] * len(shown), tranches=[m.facts for m in shown]), strict=True):
        m.components = parts
    return shown


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    """The investor's matched products: suitable ones best first, those above its level, and near misses (live)."""
    profile = _investor_profile(request)
    stored = list(match_list_for(request.user).order_by("-eligible", "-score", "tranche_id"))
    seen = {m.tranche_id for m in stored}
    near = [m for m in _live_near_misses(profile=profile) if m.tranche_id not in seen]
    matches = _decorate(stored + near, profile)
    context = {
        "profile": profile,
        "suitable": [m for m in matches if m.eligible],
        "above_level": [m for m in matches if m.warning_only],
        "near_misses": [m for m in matches if not m.eligible and not m.warning_only],
    }
    return render(request, "investors/products.html", context)


def _market_deal(request: HttpRequest, pk: int) -> Deal:
    return get_object_or_404(deal_list_for(request.user).filter(status__in=MARKET_STATES), pk=pk)


def _product_deal(request: HttpRequest, pk: int) -> Deal:
    """A deal on the market, or an issued one the investor holds (its page then carries the notices of changes)."""
    deal = get_object_or_404(deal_list_for(request.user).filter(status__in=MARKET_STATES | {DealStatus.ISSUED}), pk=pk)
    if deal.status not in MARKET_STATES and not investor_holds_deal(investor_id=request.user.investor_id, deal=deal):
        raise Http404(_("No such product."))
    return deal


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A product: each tranche with its fit for the investor, and the special warning where it is above its level."""
    profile = _investor_profile(request)
    deal = _product_deal(request, pk)
    on_market = deal.status in MARKET_STATES
    # Every tranche of the deal against this investor, now: each rule's outcome is shown, whatever it fails.
    by_tranche = {m.tranche_id: m for m in _live_near_misses(profile=profile, deal_id=deal.pk, every_pair=True)}
    privacy = deal_privacy_facts(deal_ids=[deal.pk])[deal.pk]
    row = _profile_row(profile)
    tranches = []
    for tranche in Tranche.objects.filter(deal=deal).order_by("payment_priority"):
        facts = tranche_match_row(tranche, deal, privacy)
        tranche.facts = facts
        tranche.match = by_tranche.get(tranche.pk)
        tranche.reasons = (
            explain(profile=row, tranche=facts, failed_rules=tranche.match.failed_rules)
            if (facts and tranche.match)
            else []
        )
        levels = above_level(investor=profile.investor, tranche=tranche)
        # The warning opens a product that fails only on its risk level; one that fails the mandate stays closed.
        warn = bool(levels) and (tranche.match is None or tranche.match.failed_rules == RISK_LEVEL_ONLY)
        tranche.warning = warning_text(investor_level=levels[0], product_level=levels[1]) if warn else ""
        tranche.confirmed = bool(levels) and has_confirmed(
            investor=profile.investor, tranche=tranche, investor_level=levels[0], product_level=levels[1]
        )
        tranches.append(tranche)
    context = {
        "deal": deal,
        "profile": profile,
        "tranches": tranches,
        "rating_scale": RATING_SCALE,
        "on_market": on_market,
        "fact_notices": with_text(fact_notices_for(request.user, deal)),
    }
    return render(request, "investors/product_detail.html", context)


@login_required
@require_POST
def product_confirm_warning(request: HttpRequest, pk: int, tranche_pk: int) -> HttpResponse:
    """The investor confirms the special risk warning for a tranche above its level; recorded."""
    _investor_profile(request)
    deal = _market_deal(request, pk)
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
