"""Writes of the investor side: the risk questionnaire and mandate limits.

Orders and allocations live in `orders.py`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from deals.choices import DealType
from origination.errors import DomainError
from origination.models import User
from origination.services import full_clean_or_raise

from .match_jobs import match_request
from .models import Investor, MatchRun, RiskProfile
from .questionnaire import QuestionnaireError, score_questionnaire

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
        _queue_rematch(investor_id=profile.investor_id)
    return profile


def risk_profile_submit_questionnaire(*, actor: User, investor: Investor, answers: dict[str, str]) -> RiskProfile:
    """Investor staff answer the questionnaire; the profile takes the scored C-level and re-matching is queued.

    The binding level is the lowest dimension (see `questionnaire.py`); every
    change is kept in the profile's history.
    """
    if not (actor.is_investor and actor.investor_id == investor.pk):
        raise DomainError("forbidden", _("Only the investor's own staff answer its questionnaire."), status=403)
    try:
        result = score_questionnaire(answers)
    except QuestionnaireError as exc:
        raise DomainError(
            "invalid", _("Some answers are missing or not among the options."), fields=exc.fields
        ) from exc
    with transaction.atomic():
        profile = RiskProfile.objects.select_for_update().filter(investor=investor).first()
        if profile is None:
            profile = RiskProfile(investor=investor)
        profile.answers = dict(answers)
        profile.risk_tolerance = result.risk_tolerance
        profile.dimension_levels = result.dimension_levels
        profile.tolerance_reasons = list(result.reasons)
        full_clean_or_raise(profile)
        profile.save()
        _queue_rematch(investor_id=investor.pk)
    return profile


def _queue_rematch(*, investor_id: int) -> None:
    """After commit, match this investor again against every product."""
    transaction.on_commit(lambda: match_request(scope=MatchRun.Scope.INVESTOR, scope_id=investor_id))
