"""Suitability: a product above the investor's risk level needs a special warning, confirmed and recorded.

Under China's investor suitability rules a product of risk level R_k suits an
investor of tolerance C_j when k <= j. An investor may still buy a product
above its level if it asks to, after the seller has given it a special
warning in writing and the investor has confirmed it; the confirmation is
kept. Here the warning is shown before the investor can register interest.

Every order, new or amended, and every order allotted at issue is checked here
against the investor's profile as it is at that moment (`order_breaches`): the
mandate first (investors/mandate.py), then the warning. An investor whose
tolerance fell after ordering must confirm the warning at its new level before
amending, and its order is held at issue until it has.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from deals.models import Tranche
from origination.errors import ConflictError, DomainError
from origination.models import User

from .mandate import MANDATE_RULES, NO_PROFILE, RISK_LEVEL, Breach, breach_text, mandate_breaches
from .models import Investor, RiskProfile, SuitabilityConfirmation


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


def above_level(*, investor: Investor, tranche: Tranche, profile: RiskProfile | None = None) -> tuple[str, str] | None:
    """(investor level, product level) when the tranche is above the investor's tolerance, else None."""
    if profile is None:
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


def confirmed_warnings(*, investor_id: int, tranche_ids: list[int]) -> set[tuple[int, str, str]]:
    """(tranche id, investor level, product level) of every warning the investor confirmed on these tranches."""
    return set(
        SuitabilityConfirmation.objects.filter(investor_id=investor_id, tranche_id__in=tranche_ids).values_list(
            "tranche_id", "investor_level", "product_level"
        )
    )


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


def order_breaches(*, investor: Investor, tranche: Tranche, amount: Decimal, lock: bool = False) -> list[Breach]:
    """Every rule an order of `amount` on `tranche` fails against the investor's current profile (none: it stands).

    The mandate's criteria (deal type, tenor, minimum rating, ticket), then a
    product above the investor's tolerance whose special warning was not
    confirmed at these levels. With `lock`, the profile row is locked until the
    caller's transaction ends, so a questionnaire answered meanwhile waits.
    """
    profiles = RiskProfile.objects.filter(investor=investor)
    profile = (profiles.select_for_update() if lock else profiles).first()
    if profile is None:
        return [Breach(NO_PROFILE)]
    found = mandate_breaches(profile=profile, tranche=tranche, amount=amount)
    levels = above_level(investor=investor, tranche=tranche, profile=profile)
    if levels and not has_confirmed(
        investor=investor, tranche=tranche, investor_level=levels[0], product_level=levels[1]
    ):
        found.append(Breach(RISK_LEVEL, levels[0], levels[1]))
    return found


def ensure_order_allowed(*, investor: Investor, tranche: Tranche, amount: Decimal) -> None:
    """Refuse an order outside the investor's mandate (400), or above its level without the confirmed warning (409).

    Called inside the order's transaction: the profile stays locked until it commits.
    """
    breaches = order_breaches(investor=investor, tranche=tranche, amount=amount, lock=True)
    if not breaches:
        return
    if breaches[0].rule == NO_PROFILE:
        raise DomainError("risk_profile_missing", _("Fill in the risk questionnaire before registering interest."))
    mandate = [b for b in breaches if b.rule in MANDATE_RULES]
    if mandate:
        fields: dict[str, str] = {}
        for b in mandate:
            field = "amount" if b.rule == "ticket" else "tranche"
            fields[field] = " ".join(filter(None, [fields.get(field), breach_text(b)]))
        raise DomainError(
            "outside_mandate",
            _("This order is outside your mandate: %(reasons)s")
            % {"reasons": " ".join(breach_text(b) for b in mandate)},
            fields=fields,
        )
    risk = breaches[0]
    raise ConflictError(
        "suitability_warning_required",
        warning_text(investor_level=risk.limit, product_level=risk.actual),
        fields={"tranche": _("Confirm the special risk warning on the product page before registering interest.")},
    )
