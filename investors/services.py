"""Writes of the investor side: risk profile mandate limits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deals.choices import DealType
from origination.errors import DomainError
from origination.models import User
from origination.services import full_clean_or_raise

from .models import RiskProfile

# What investor staff may change by hand; the risk tolerance comes from the questionnaire.
MANDATE_LIMIT_FIELDS = frozenset(
    {
        "min_rating",
        "max_tenor_months",
        "min_coupon",
        "ticket_min",
        "ticket_max",
        "allowed_deal_types",
        "excluded_industries",
        "no_personal_info",
        "require_pipia",
        "max_guarantee_dependence",
    }
)


def risk_profile_update_limits(*, actor: User, risk_profile: RiskProfile, **fields: Any) -> RiskProfile:
    """Investor staff change their own institution's mandate limits (not the scored risk tolerance)."""
    if not (actor.is_investor and actor.investor_id == risk_profile.investor_id):
        raise DomainError("forbidden", _("Only the investor's own staff change its mandate limits."), status=403)
    unknown = sorted(set(fields) - MANDATE_LIMIT_FIELDS)
    if unknown:
        raise DomainError(
            "invalid",
            _("These are not mandate limits: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: _("This field cannot be changed here.") for name in unknown},
        )
    deal_types = fields.get("allowed_deal_types")
    if deal_types is not None:
        bad = [value for value in deal_types if value not in DealType.values]
        if bad:
            raise DomainError(
                "invalid",
                _("Unknown deal types: %(values)s.") % {"values": ", ".join(map(str, bad))},
                fields={"allowed_deal_types": _("Choose among the deal types of the platform.")},
            )
    with transaction.atomic():
        profile = RiskProfile.objects.select_for_update().get(pk=risk_profile.pk)
        for name, value in fields.items():
            setattr(profile, name, value)
        full_clean_or_raise(profile)
        profile.save()
    return profile
