"""Investors (institutions) and their risk profiles."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.choices import CreditRating
from origination.models import MONEY

from .choices import InvestorType, RiskTolerance


class Investor(models.Model):
    """An institution that buys ABS notes."""

    name = models.CharField(_("institution name"), max_length=200, unique=True)
    investor_type = models.CharField(_("type"), max_length=30, choices=InvestorType.choices)
    is_qualified = models.BooleanField(_("qualified investor"), default=True)
    is_professional = models.BooleanField(_("professional investor"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("investor")
        verbose_name_plural = _("investors")

    def __str__(self) -> str:
        return self.name


class RiskProfile(models.Model):
    """An investor's risk tolerance (C1-C5) and mandate limits."""

    investor = models.OneToOneField(Investor, on_delete=models.CASCADE, related_name="risk_profile")
    risk_tolerance = models.CharField(_("risk tolerance"), max_length=2, choices=RiskTolerance.choices)
    answers = models.JSONField(_("questionnaire answers"), default=dict, blank=True)
    dimension_levels = models.JSONField(_("level of each dimension"), default=dict, blank=True)
    min_rating = models.CharField(_("minimum rating"), max_length=4, choices=CreditRating.choices, default="AA")
    max_tenor_months = models.PositiveSmallIntegerField(_("maximum tenor (months)"), default=60)
    min_coupon = models.DecimalField(
        _("minimum coupon"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    ticket_min = models.DecimalField(_("minimum ticket (CNY)"), default=Decimal("0"), **MONEY)
    ticket_max = models.DecimalField(_("maximum ticket (CNY)"), default=Decimal("100000000"), **MONEY)
    allowed_deal_types = models.JSONField(_("allowed deal types"), default=list, blank=True)
    excluded_industries = models.JSONField(_("excluded industries"), default=list, blank=True)
    no_personal_info = models.BooleanField(_("no personal information in the underlying data"), default=False)
    require_pipia = models.BooleanField(_("PIPIA required"), default=True)
    max_guarantee_dependence = models.DecimalField(
        _("maximum guarantee dependence"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk profile")
        verbose_name_plural = _("risk profiles")
        constraints = [
            models.CheckConstraint(name="ticket_range_ordered", condition=Q(ticket_max__gte=models.F("ticket_min"))),
        ]

    def __str__(self) -> str:
        return f"{self.investor} {self.risk_tolerance}"
