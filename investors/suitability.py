"""Suitability: a product above the investor's risk level needs a special warning, confirmed and recorded.

Under China's investor suitability rules a product of risk level R_k suits an
investor of tolerance C_j when k <= j. An investor may still buy a product
above its level if it asks to, after the seller has given it a special
warning in writing and the investor has confirmed it; the confirmation is
kept. Here the warning is shown before the investor can register interest.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from deals.models import Tranche
from origination.errors import DomainError
from origination.models import User

from .models import Investor, RiskProfile, SuitabilityConfirmation
from .orders import register_suitability_check


def level_number(level: str) -> int | None:
    """'C3' or 'R3' -> 3; blank -> None."""
    return int(level[1]) if level and len(level) == 2 and level[1].isdigit() else None


def warning_text(*, investor_level: str, product_level: str) -> str:
    """The special warning, in the reader's language, naming both levels."""
    return _(
        "Special risk warning: this product's risk level is %(product)s, above your institution's risk tolerance "
        "%(investor)s. It may lose more, or be harder to sell, than your mandate was assessed to bear. By confirming, "
        "you state that your institution asks to consider it on its own initiative, has read its risks, and accepts "
        "them. The confirmation is recorded."
    ) % {"product": product_level, "investor": investor_level}


def above_level(*, investor: Investor, tranche: Tranche) -> tuple[str, str] | None:
    """(investor level, product level) when the tranche is above the investor's tolerance, else None."""
    profile = RiskProfile.objects.filter(investor=investor).only("risk_tolerance").first()
    investor_n = level_number(profile.risk_tolerance) if profile else None
    product_n = level_number(tranche.product_risk_level)
    if investor_n is None or product_n is None or product_n <= investor_n:
        return None
    return profile.risk_tolerance, tranche.product_risk_level


def has_confirmed(*, investor: Investor, tranche: Tranche, investor_level: str, product_level: str) -> bool:
    """Whether the investor confirmed the warning for these very levels (a new level needs a new warning)."""
    return SuitabilityConfirmation.objects.filter(
        investor=investor, tranche=tranche, investor_level=investor_level, product_level=product_level
    ).exists()


def suitability_confirm(*, actor: User, tranche: Tranche) -> SuitabilityConfirmation | None:
    """Investor staff confirm the special warning for a tranche above their level; recorded with its text."""
    if not (actor.is_investor and actor.investor_id):
        raise DomainError("forbidden", _("Only investor staff confirm a suitability warning."), status=403)
    levels = above_level(investor=actor.investor, tranche=tranche)
    if levels is None:
        return None
    investor_level, product_level = levels
    with transaction.atomic():
        existing = SuitabilityConfirmation.objects.filter(
            investor=actor.investor, tranche=tranche, investor_level=investor_level, product_level=product_level
        ).first()
        if existing:
            return existing
        return SuitabilityConfirmation.objects.create(
            investor=actor.investor,
            tranche=tranche,
            confirmed_by=actor,
            investor_level=investor_level,
            product_level=product_level,
            warning_text=warning_text(investor_level=investor_level, product_level=product_level),
        )


def ensure_suitable_or_confirmed(*, investor: Investor, tranche: Tranche) -> None:
    """Refuse an order on a product above the investor's level until the warning is confirmed."""
    levels = above_level(investor=investor, tranche=tranche)
    if levels is None:
        return
    investor_level, product_level = levels
    if not has_confirmed(
        investor=investor, tranche=tranche, investor_level=investor_level, product_level=product_level
    ):
        raise DomainError(
            "suitability_warning_required",
            warning_text(investor_level=investor_level, product_level=product_level),
            fields={"tranche": _("Confirm the special risk warning before registering interest.")},
            status=409,
        )


register_suitability_check(ensure_suitable_or_confirmed)
