"""Investors (institutions) and their risk profiles."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from origination.choices import CreditRating
from origination.jobs import JobRun
from origination.limits import (
    FAILED_RULES_RANGE,
    FRACTION_RANGE,
    MATCH_SCORE_RANGE,
    MONEY_RANGE,
    POSITIVE_MONEY_RANGE,
    RATE_RANGE,
    TENOR_MONTHS_RANGE,
)

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
    tolerance_reasons = models.JSONField(_("why this risk tolerance"), default=list, blank=True)
    min_rating = models.CharField(_("minimum rating"), max_length=4, choices=CreditRating.choices, default="AA")
    max_tenor_months = models.PositiveSmallIntegerField(
        _("maximum tenor (months)"), default=60, validators=TENOR_MONTHS_RANGE.validators()
    )
    min_coupon = models.DecimalField(_("minimum coupon"), default=Decimal("0"), **RATE_RANGE.decimal())
    ticket_min = models.DecimalField(_("minimum ticket (CNY)"), default=Decimal("0"), **MONEY_RANGE.decimal())
    ticket_max = models.DecimalField(_("maximum ticket (CNY)"), default=Decimal("100000000"), **MONEY_RANGE.decimal())
    allowed_deal_types = models.JSONField(_("allowed deal types"), default=list, blank=True)
    excluded_industries = models.JSONField(_("excluded industries"), default=list, blank=True)
    no_personal_info = models.BooleanField(_("no personal information in the underlying data"), default=False)
    require_pipia = models.BooleanField(_("PIPIA required"), default=True)
    max_guarantee_dependence = models.DecimalField(
        _("maximum guarantee dependence"), default=Decimal("1"), **FRACTION_RANGE.decimal()
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("risk profile")
        verbose_name_plural = _("risk profiles")
        constraints = [
            models.CheckConstraint(name="ticket_range_ordered", condition=Q(ticket_max__gte=models.F("ticket_min"))),
            TENOR_MONTHS_RANGE.check("investors_riskprofile", "max_tenor_months"),
            RATE_RANGE.check("investors_riskprofile", "min_coupon"),
            MONEY_RANGE.check("investors_riskprofile", "ticket_min"),
            MONEY_RANGE.check("investors_riskprofile", "ticket_max"),
            FRACTION_RANGE.check("investors_riskprofile", "max_guarantee_dependence"),
        ]

    def __str__(self) -> str:
        return f"{self.investor} {self.risk_tolerance}"


class IndicationStatus(models.TextChoices):
    """An order is active until amended (superseded), withdrawn, allotted at issue, or held at issue.

    Held: at issue the order no longer met its investor's mandate or suitability
    (investors/suitability.py); it is not allotted, and its reasons are kept.
    """

    ACTIVE = "active", _("Active")
    SUPERSEDED = "superseded", _("Amended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    HELD = "held", _("Held at issue")


class IndicationOfInterest(models.Model):
    """An order in the book: the amount an investor would buy of a tranche and the yield it asks.

    Amending creates a new row and marks the old one superseded, so every order
    ever placed is kept.
    """

    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="orders")
    tranche = models.ForeignKey("deals.Tranche", on_delete=models.PROTECT, related_name="orders")
    amount = models.DecimalField(_("amount (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    yield_rate = models.DecimalField(_("yield asked"), **RATE_RANGE.decimal())
    status = models.CharField(
        _("status"), max_length=20, choices=IndicationStatus.choices, default=IndicationStatus.ACTIVE
    )
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    created_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Why a held order was not allotted: investors.mandate.Breach dicts, read in words by `held_reason_texts`.
    held_reasons = models.JSONField(_("why held at issue"), default=list, blank=True)

    class Meta:
        ordering = ["tranche", "yield_rate", "created_at"]
        verbose_name = _("indication of interest")
        verbose_name_plural = _("indications of interest")
        constraints = [
            POSITIVE_MONEY_RANGE.check("investors_indicationofinterest", "amount"),
            RATE_RANGE.check("investors_indicationofinterest", "yield_rate"),
            models.UniqueConstraint(
                fields=["investor", "tranche"], condition=Q(status="active"), name="one_active_order_per_tranche"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.investor} {self.amount} @ {self.yield_rate}"

    @property
    def held_reason_texts(self) -> list[str]:
        """Why the order was held at issue, in the active language (empty unless held)."""
        from .mandate import breach_text

        return [breach_text(b) for b in self.held_reasons or []]


class Allocation(models.Model):
    """What an investor was allotted of a tranche at issue, at the clearing yield."""

    order = models.OneToOneField(IndicationOfInterest, on_delete=models.PROTECT, related_name="allocation")
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="allocations")
    tranche = models.ForeignKey("deals.Tranche", on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("allocated (CNY)"), **MONEY_RANGE.decimal())
    clearing_yield = models.DecimalField(_("clearing yield"), **RATE_RANGE.decimal())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tranche", "-amount"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            MONEY_RANGE.check("investors_allocation", "amount"),
            RATE_RANGE.check("investors_allocation", "clearing_yield"),
        ]

    def __str__(self) -> str:
        return f"{self.investor} {self.amount} of {self.tranche}"


class SuitabilityConfirmation(models.Model):
    """An investor confirmed the special warning before opening a product above its risk level."""

    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="suitability_confirmations")
    tranche = models.ForeignKey("deals.Tranche", on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    investor_level = models.CharField(max_length=2)
    product_level = models.CharField(max_length=2)
    warning_text = models.TextField()
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("suitability warning confirmation")
        verbose_name_plural = _("suitability warning confirmations")

    def __str__(self) -> str:
        return f"{self.investor} {self.product_level} > {self.investor_level}"


class MatchRun(JobRun):
    """One matching job: every published tranche against every profile, or one deal's, or one investor's."""

    class Scope(models.TextChoices):
        ALL = "all", _("Everything")
        DEAL = "deal", _("One deal against every investor")
        INVESTOR = "investor", _("One investor against every product")

    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.ALL)
    scope_id = models.BigIntegerField(null=True, blank=True)

    class Meta(JobRun.Meta):
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")


class Match(models.Model):
    """A product (tranche) and an investor: eligible with its score, or above the investor's risk level.

    `failed_rules` is the engine's bit mask (investors.matching.RULES); 0 means
    eligible; the risk-level bit alone means the investor may open it after the
    special warning. Only those two kinds of pair are stored: near misses (one
    other rule failed) are computed live for the one investor whose page shows them.

    The table is derived data, rebuilt by the matching job (millions of rows a
    night), so its foreign keys carry no database constraint: a per-row check of
    four keys cost the full re-match about 70 s of its 30 s budget. Deleting an
    investor, tranche or deal still deletes its matches (Django's on_delete), every
    page reads matches through joins on those keys, and the nightly run rewrites
    the whole table. The indexes are the ones the reads and deletes use: the pair
    (tranche first, for a tranche's delete), investor by score, deal.
    """

    investor = models.ForeignKey(
        Investor, on_delete=models.CASCADE, related_name="matches", db_constraint=False, db_index=False
    )
    tranche = models.ForeignKey(
        "deals.Tranche", on_delete=models.CASCADE, related_name="matches", db_constraint=False, db_index=False
    )
    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.CASCADE, related_name="matches", db_constraint=False, db_index=False
    )
    score = models.FloatField(validators=MATCH_SCORE_RANGE.validators())
    failed_rules = models.PositiveSmallIntegerField(default=0, validators=FAILED_RULES_RANGE.validators())
    eligible = models.BooleanField(default=False)
    run = models.ForeignKey(
        MatchRun, on_delete=models.SET_NULL, null=True, related_name="+", db_constraint=False, db_index=False
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["investor", "-score"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["tranche", "investor"], name="one_match_per_pair"),
            MATCH_SCORE_RANGE.check("investors_match", "score"),
            FAILED_RULES_RANGE.check("investors_match", "failed_rules"),
        ]
        indexes = [models.Index(fields=["investor", "-score"]), models.Index(fields=["deal"])]

    def __str__(self) -> str:
        return f"{self.investor_id} x {self.tranche_id}: {self.score:.1f}"
