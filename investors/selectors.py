"""Scoped reads of investors and risk profiles."""

from __future__ import annotations

from django.db.models import QuerySet

from origination.models import User

from .models import Investor, RiskProfile


def investor_list_for(user: User) -> QuerySet[Investor]:
    """Investors the user may see: its own institution (investor staff), all (arranger), none otherwise."""
    qs = Investor.objects.select_related("risk_profile")
    if not user.is_authenticated:
        return qs.none()
    if user.is_arranger:
        return qs
    if user.is_investor:
        return qs.filter(pk=user.investor_id)
    return qs.none()


def risk_profile_list_for(user: User) -> QuerySet[RiskProfile]:
    """Risk profiles of the investors the user may see."""
    return RiskProfile.objects.filter(investor__in=investor_list_for(user)).select_related("investor")
