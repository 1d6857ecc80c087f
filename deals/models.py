"""Deals: the application, its pool, pledges, credit enhancement, tranches and audit log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from origination.choices import CreditRating, DataCategory
from origination.jobs import JobRun
from origination.limits import (
    CONTROLLED_AMORTISATION_RANGE,
    DSCR_TRIGGER_RANGE,
    MARKET_RATE_RANGE,
    MONEY_RANGE,
    N_PATHS_RANGE,
    PAYMENT_PRIORITY_RANGE,
    POSITIVE_MONEY_RANGE,
    RATE_RANGE,
    SEED_RANGE,
    STRUCTURING_RATIO_RANGE,
    TENOR_MONTHS_RANGE,
    TRIGGER_CURE_RANGE,
    TRIGGER_WINDOW_RANGE,
)
from origination.models import DataAsset, Originator

from .audit_hash import GENESIS_HASH
from .choices import (
    DATA_ASSET_ABS_TYPES,
    EDITABLE_STATES,
    PERIODS_PER_YEAR,
    PUBLIC_STATES,
    TERMINAL_STATES,
    CashSource,
    CollateralKind,
    DealStatus,
    DealType,
    EnhancementKind,
    Exchange,
    GuarantorType,
    PaydownMode,
    PaymentFrequency,
    PledgeStatus,
    PoolAssetKind,
    RepaymentSource,
    ResidualRelease,
    SupportCoverage,
    TrancheClass,
)

# Written by the audit log only (deals/audit.py), never by a save of the deal.
AUDIT_HEAD_FIELDS = frozenset({"audit_event_count", "audit_head_hash"})


def default_covered_classes() -> list[str]:
    """A guarantee covers the senior class unless the deal says otherwise."""
    return [TrancheClass.SENIOR.value]


class Deal(models.Model):
    """A deal application: an originator's ABS on data assets, from draft to issue."""

    originator = models.ForeignKey(Originator, on_delete=models.PROTECT, related_name="deals")
    name = models.CharField(_("name"), max_length=200)
    deal_type = models.CharField(_("deal type"), max_length=30, choices=DealType.choices)
    target_size = models.DecimalField(_("target size (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    tenor_months = models.PositiveSmallIntegerField(_("tenor (months)"), validators=TENOR_MONTHS_RANGE.validators())
    payment_frequency = models.CharField(
        _("payment frequency"), max_length=20, choices=PaymentFrequency.choices, default=PaymentFrequency.QUARTERLY
    )
    exchange = models.CharField(_("exchange"), max_length=20, choices=Exchange.choices)
    manager = models.CharField(_("manager"), max_length=200)
    trustee = models.CharField(_("trustee"), max_length=200, blank=True)
    expected_issue_date = models.DateField(_("expected issue date"), null=True, blank=True)
    legal_maturity_date = models.DateField(_("legal maturity date"), null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=30, choices=DealStatus.choices, default=DealStatus.DRAFT, db_index=True
    )
    created_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The structure as the documents write it (docs/valuation.md, "Paydown and triggers").
    paydown_mode = models.CharField(
        _("paydown"), max_length=30, choices=PaydownMode.choices, default=PaydownMode.SEQUENTIAL
    )
    structuring_ratio = models.DecimalField(
        _("structuring ratio (projected cash / rated debt service)"), default=Decimal("1.200"),
        **STRUCTURING_RATIO_RANGE.decimal(),
    )  # fmt: skip
    dscr_trigger = models.DecimalField(
        _("DSCR trigger (blank: no DSCR test)"), null=True, blank=True, **DSCR_TRIGGER_RANGE.decimal()
    )
    trigger_window_periods = models.PositiveSmallIntegerField(
        _("DSCR test window (payment periods)"), default=1, validators=TRIGGER_WINDOW_RANGE.validators()
    )
    trigger_cure_periods = models.PositiveSmallIntegerField(
        _("periods passing the test that cure a trigger (0: never cured)"), default=0,
        validators=TRIGGER_CURE_RANGE.validators(),
    )  # fmt: skip
    controlled_amortisation_periods = models.PositiveSmallIntegerField(
        _("controlled amortisation periods before expected maturity (1: bullet)"), default=1,
        validators=CONTROLLED_AMORTISATION_RANGE.validators(),
    )  # fmt: skip
    residual_release = models.CharField(
        _("cash to the subordinated class"), max_length=30, choices=ResidualRelease.choices,
        default=ResidualRelease.AFTER_RATED_REPAID,
    )  # fmt: skip
    pricing_date = models.DateField(_("pricing date (blank: the expected issue date)"), null=True, blank=True)
    # The audit chain's length and last hash: only `audit_append` moves them, under this row's lock, in the
    # transaction that adds the event, so a deleted tail or chain shows as a count the log no longer reaches.
    audit_event_count = models.PositiveIntegerField(_("audit event count"), default=0, editable=False)
    audit_head_hash = models.CharField(_("audit head hash"), max_length=64, default=GENESIS_HASH, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            POSITIVE_MONEY_RANGE.check("deals_deal", "target_size"),
            TENOR_MONTHS_RANGE.check("deals_deal", "tenor_months"),
            STRUCTURING_RATIO_RANGE.check("deals_deal", "structuring_ratio"),
            DSCR_TRIGGER_RANGE.check("deals_deal", "dscr_trigger", null=True),
            TRIGGER_WINDOW_RANGE.check("deals_deal", "trigger_window_periods"),
            TRIGGER_CURE_RANGE.check("deals_deal", "trigger_cure_periods"),
            CONTROLLED_AMORTISATION_RANGE.check("deals_deal", "controlled_amortisation_periods"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save the deal; a whole-row save of an existing deal never writes the audit head (only the log does)."""
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in AUDIT_HEAD_FIELDS
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A DSCR trigger sits below the structuring ratio; the schedule cannot be longer than the tenor."""
        errors = {}
        if (
            self.dscr_trigger is not None
            and self.structuring_ratio is not None
            and self.dscr_trigger >= self.structuring_ratio
        ):
            errors["dscr_trigger"] = _("The trigger must be below the structuring ratio (%(ratio)s).") % {
                "ratio": self.structuring_ratio
            }
        if self.tenor_months and self.payment_frequency in PERIODS_PER_YEAR:
            months_per_period = 12 // PERIODS_PER_YEAR[self.payment_frequency]
            if self.tenor_months % months_per_period:
                errors["tenor_months"] = _(
                    "A whole number of payment periods: a multiple of %(months)s months for %(frequency)s payments."
                ) % {"months": months_per_period, "frequency": self.get_payment_frequency_display().lower()}
        if self.tenor_months and self.payment_frequency and self.controlled_amortisation_periods:
            periods = self.tenor_months * PERIODS_PER_YEAR.get(self.payment_frequency, 4) // 12
            if self.controlled_amortisation_periods > max(periods, 1):
                errors["controlled_amortisation_periods"] = _(
                    "At most %(periods)s: the number of payment periods to expected maturity."
                ) % {"periods": max(periods, 1)}
        if errors:
            raise ValidationError(errors)

    @property
    def effective_pricing_date(self):  # type: ignore[no-untyped-def]
        """The date the deal is priced on: its pricing date, else its expected issue date (None if neither)."""
        return self.pricing_date or self.expected_issue_date

    @property
    def is_data_asset_abs(self) -> bool:
        """Cash flow comes from the data itself (licence revenue or data-pledge pools)."""
        return self.deal_type in DATA_ASSET_ABS_TYPES

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATES

    @property
    def is_public(self) -> bool:
        """Published, in book building or issued: visible to investors."""
        return self.status in PUBLIC_STATES

    @property
    def is_editable(self) -> bool:
        """The originator may still change the application."""
        return self.status in EDITABLE_STATES


# What an originator writes of a deal, on its page (deals/forms.py) and through the API (deals/api.py): its terms,
# then its structure as the deal's documents write it. Status, issue date and ownership are never written so.
DEAL_TERMS_FIELDS = (
    "name",
    "deal_type",
    "target_size",
    "tenor_months",
    "payment_frequency",
    "exchange",
    "manager",
    "trustee",
    "expected_issue_date",
    "legal_maturity_date",
)
DEAL_STRUCTURE_FIELDS = (
    "paydown_mode",
    "structuring_ratio",
    "dscr_trigger",
    "trigger_window_periods",
    "trigger_cure_periods",
    "controlled_amortisation_periods",
    "residual_release",
    "pricing_date",
)


class PoolAsset(models.Model):
    """An underlying claim of the pool: a licence stream, loan, receivable or lease, and its data assets."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="pool_assets")
    obligor = models.CharField(_("obligor"), max_length=200)
    obligor_city = models.CharField(_("obligor city"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=PoolAssetKind.choices)
    principal = models.DecimalField(_("principal or expected cash flow (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    rate = models.DecimalField(_("annual rate"), default=Decimal("0"), **RATE_RANGE.decimal())
    maturity_date = models.DateField(_("maturity"))
    default_probability = models.DecimalField(
        _("annual default probability"), default=Decimal("0"), **RATE_RANGE.decimal()
    )
    recovery_rate = models.DecimalField(_("recovery rate"), default=Decimal("0"), **RATE_RANGE.decimal())
    # Empowerment deals: the obligor's default probability as priced without the data (the data's effect).
    default_probability_without_data = models.DecimalField(
        _("annual default probability without the data"), null=True, blank=True, **RATE_RANGE.decimal()
    )
    data_assets = models.ManyToManyField(
        DataAsset,
        related_name="pool_assets",
        verbose_name=_("data assets (revenue source or pledge)"),
        blank=True,
    )
    cash_source = models.CharField(_("where its cash comes from"), max_length=20, choices=CashSource.choices)
    repayment_source = models.CharField(
        _("repayment source"), max_length=20, choices=RepaymentSource.choices, blank=True
    )
    collateral_kind = models.CharField(
        _("other collateral"), max_length=30, choices=CollateralKind.choices, default=CollateralKind.NONE
    )
    collateral_value = models.DecimalField(
        _("value of the other collateral (CNY)"), default=Decimal("0"), **MONEY_RANGE.decimal()
    )

    class Meta:
        ordering = ["deal", "id"]
        verbose_name = _("pool asset")
        verbose_name_plural = _("pool assets")
        constraints = [
            POSITIVE_MONEY_RANGE.check("deals_poolasset", "principal"),
            RATE_RANGE.check("deals_poolasset", "rate"),
            RATE_RANGE.check("deals_poolasset", "default_probability"),
            RATE_RANGE.check("deals_poolasset", "recovery_rate"),
            RATE_RANGE.check("deals_poolasset", "default_probability_without_data", null=True),
            MONEY_RANGE.check("deals_poolasset", "collateral_value"),
        ]

    def __str__(self) -> str:
        return f"{self.obligor} ({self.get_kind_display()})"

    def clean(self) -> None:
        """A data-secured claim names its repayment source; other collateral has a kind and a value together."""
        errors = {}
        if self.cash_source == CashSource.DATA_SECURED and not self.repayment_source:
            errors["repayment_source"] = _("Name what the obligor repays out of.")
        if self.kind == PoolAssetKind.LICENCE_REVENUE and self.cash_source not in ("", CashSource.DATA_GENERATED):
            errors["cash_source"] = _("A licence revenue stream is cash generated by data.")
        if (self.collateral_kind == CollateralKind.NONE) != (not self.collateral_value):
            errors["collateral_value"] = _("Give the other collateral's kind and its value together.")
        if errors:
            raise ValidationError(errors)


class Pledge(models.Model):
    """A data asset pledged to a deal, filed in the PBoC unified movable-property registry."""

    data_asset = models.ForeignKey(DataAsset, on_delete=models.PROTECT, related_name="pledges")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="pledges")
    registry_filing_no = models.CharField(_("registry filing number"), max_length=100, blank=True)
    filed_on = models.DateField(_("filing date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal", "id"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        constraints = [
            models.UniqueConstraint(
                fields=["data_asset"], condition=Q(status="active"), name="one_active_pledge_per_asset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.data_asset} -> {self.deal}"


class CreditEnhancement(models.Model):
    """External guarantee, reserve account, overcollateralisation or subordination of a deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="credit_enhancements")
    kind = models.CharField(_("kind"), max_length=30, choices=EnhancementKind.choices)
    guarantor_type = models.CharField(_("guarantor type"), max_length=30, choices=GuarantorType.choices, blank=True)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount (CNY)"), default=Decimal("0"), **MONEY_RANGE.decimal())
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Guarantees and shortfall undertakings: which classes, when it pays, and how strong the provider is.
    covered_classes = models.JSONField(_("classes covered"), default=default_covered_classes, blank=True)
    coverage = models.CharField(
        _("coverage"), max_length=20, choices=SupportCoverage.choices, default=SupportCoverage.TIMELY
    )
    provider_rating = models.CharField(
        _("provider's own rating"), max_length=4, choices=CreditRating.choices, default=CreditRating.NR
    )

    class Meta:
        ordering = ["deal", "kind", "id"]
        verbose_name = _("credit enhancement")
        verbose_name_plural = _("credit enhancements")
        constraints = [
            MONEY_RANGE.check("deals_creditenhancement", "amount"),
            models.CheckConstraint(
                name="guarantee_has_guarantor_type",
                condition=~Q(kind__in=["external_guarantee", "shortfall_undertaking"]) | ~Q(guarantor_type=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.provider}".strip()

    @property
    def is_support(self) -> bool:
        """A guarantee or undertaking by a party outside the pool (left out of the underlying rating)."""
        return self.kind in (EnhancementKind.EXTERNAL_GUARANTEE, EnhancementKind.SHORTFALL_UNDERTAKING)

    def clean(self) -> None:
        """Support names its provider type and covers tranche classes; other kinds cover nothing."""
        errors = {}
        classes = self.covered_classes if isinstance(self.covered_classes, list) else None
        if classes is None or not all(isinstance(c, str) and c in TrancheClass.values for c in classes):
            errors["covered_classes"] = _("A list of tranche classes: %(classes)s.") % {
                "classes": ", ".join(TrancheClass.values)
            }
        elif self.is_support and not classes:
            errors["covered_classes"] = _("Name at least one class the support covers.")
        if self.is_support and not self.guarantor_type:
            errors["guarantor_type"] = _("Say who provides the support.")
        if errors:
            raise ValidationError(errors)


class Tranche(models.Model):
    """A class of notes: senior A, mezzanine B or subordinated."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="tranches")
    name = models.CharField(_("name"), max_length=50)
    tranche_class = models.CharField(_("class"), max_length=20, choices=TrancheClass.choices)
    size = models.DecimalField(_("size (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    coupon = models.DecimalField(
        _("coupon (annual, e.g. 0.0204 = 2.04 %)"), null=True, blank=True, **RATE_RANGE.decimal()
    )
    target_rating = models.CharField(_("target rating"), max_length=4, choices=CreditRating.choices, default="NR")
    payment_priority = models.PositiveSmallIntegerField(
        _("payment priority (1 is paid first)"), validators=PAYMENT_PRIORITY_RANGE.validators()
    )
    # Set from the latest successful valuation (deals/product_risk.py): R1-R5, the factors and the inputs behind it.
    product_risk_level = models.CharField(_("product risk level"), max_length=2, blank=True)
    product_risk_factors = models.JSONField(_("product risk factors"), default=dict, blank=True)
    # Set from the latest successful valuation: the rating with external support and without it (NR: residual).
    implied_rating = models.CharField(_("implied rating"), max_length=4, blank=True)
    underlying_rating = models.CharField(_("underlying rating (without external support)"), max_length=4, blank=True)
    rating_facts = models.JSONField(_("how the ratings were decided"), default=dict, blank=True)

    class Meta:
        ordering = ["deal", "payment_priority"]
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        constraints = [
            models.UniqueConstraint(fields=["deal", "payment_priority"], name="tranche_priority_unique"),
            models.UniqueConstraint(fields=["deal", "name"], name="tranche_name_unique"),
            POSITIVE_MONEY_RANGE.check("deals_tranche", "size"),
            RATE_RANGE.check("deals_tranche", "coupon", null=True),
            PAYMENT_PRIORITY_RANGE.check("deals_tranche", "payment_priority"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} {self.name}"


class AuditEvent(models.Model):
    """An append-only, hash-chained record of one workflow move or change of a deal.

    Each event's hash is an HMAC, under a key kept outside the database, of its
    own fields and the hash of the deal's previous event, so editing or deleting
    any event breaks the chain from there on; the deal records the chain's length
    and head, so a deleted tail shows too. `verify_audit` names the first break
    (docs/audit.md).
    """

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="audit_events")
    sequence = models.PositiveIntegerField()
    actor = models.ForeignKey("origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=50)
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["deal", "sequence"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [models.UniqueConstraint(fields=["deal", "sequence"], name="audit_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.deal_id}#{self.sequence} {self.action} {self.from_status}->{self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an audit event is never updated."""
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Never: an audit event is never deleted."""
        raise RuntimeError("Audit events are append-only.")


class AuditVerificationRun(JobRun):
    """A background check of every deal's audit chain; the result names the first broken event."""

    class Meta(JobRun.Meta):
        verbose_name = _("audit verification run")
        verbose_name_plural = _("audit verification runs")


class MarketParameters(models.Model):
    """Market inputs of one date that the arranger maintains: the benchmark curve, spreads and premiums.

    A dated series: a deal is priced on the latest row dated on or before its
    pricing date. Rows are never edited, so each valuation run points at the
    parameters it used. The curve is a list of [tenor in years, annual rate]
    points; spreads map a rating to an annual spread over the benchmark.
    """

    as_of = models.DateField(_("as of"))
    benchmark_name = models.CharField(_("benchmark"), max_length=100, default="ChinaBond government bond yield curve")
    benchmark_curve = models.JSONField(_("benchmark curve [[years, rate], ...]"))
    rating_spreads = models.JSONField(_("spread over the benchmark by rating"))
    # {support type: {provider rating: premium}}: what investors ask for relying on that party (empty: defaults).
    support_premiums = models.JSONField(_("premium by support type and provider rating"), default=dict, blank=True)
    # {rating: annual default probability} of guarantors and undertaking parties (empty: the engine's table).
    provider_default_rates = models.JSONField(_("annual default probability by provider rating"), default=dict,
                                              blank=True)  # fmt: skip
    liquidity_premium = models.DecimalField(
        _("liquidity premium"), null=True, blank=True, **MARKET_RATE_RANGE.decimal()
    )
    tenor_premium_per_year = models.DecimalField(
        _("tenor premium per year of WAL"), null=True, blank=True, **MARKET_RATE_RANGE.decimal()
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        "origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        get_latest_by = ["as_of", "id"]
        verbose_name = _("market parameters")
        verbose_name_plural = _("market parameters")
        constraints = [
            MARKET_RATE_RANGE.check("deals_marketparameters", "liquidity_premium", null=True),
            MARKET_RATE_RANGE.check("deals_marketparameters", "tenor_premium_per_year", null=True),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark_name} {self.as_of}"


class ComparableTransaction(models.Model):
    """A priced data transaction the arranger registers for the appraisal's market method, with its source and date.

    The market method reads price / annual revenue of the traded data as a
    multiple (docs/valuation.md, "Appraisal"): a register of exchange listings
    and deals, never an originator's own book values.
    """

    category = models.CharField(_("category"), max_length=30, choices=DataCategory.choices)
    description = models.CharField(_("what was traded"), max_length=300)
    venue = models.CharField(_("venue (exchange or counterparty)"), max_length=200)
    transaction_date = models.DateField(_("transaction date"))
    price = models.DecimalField(_("price (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    annual_revenue = models.DecimalField(_("annual revenue of the traded data (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    source = models.CharField(_("source (document or link)"), max_length=300)
    created_by = models.ForeignKey(
        "origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-transaction_date", "-id"]
        verbose_name = _("comparable transaction")
        verbose_name_plural = _("comparable transactions")
        constraints = [
            POSITIVE_MONEY_RANGE.check("deals_comparabletransaction", "price"),
            POSITIVE_MONEY_RANGE.check("deals_comparabletransaction", "annual_revenue"),
        ]

    def __str__(self) -> str:
        return f"{self.description} ({self.transaction_date})"


class ValuationRun(JobRun):
    """One valuation of a deal by the engine: inputs snapshot, seed, result; the job row is the source of truth."""

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="valuation_runs")
    market_parameters = models.ForeignKey(MarketParameters, on_delete=models.PROTECT, null=True, related_name="+")
    pricing_date = models.DateField(_("pricing date"), null=True, blank=True)
    n_paths = models.PositiveIntegerField(default=10_000, validators=N_PATHS_RANGE.validators())
    seed = models.BigIntegerField(default=20251120, validators=SEED_RANGE.validators())

    class Meta(JobRun.Meta):
        constraints = [
            *JobRun.Meta.constraints,
            N_PATHS_RANGE.check("deals_valuationrun", "n_paths"),
            SEED_RANGE.check("deals_valuationrun", "seed"),
        ]
        verbose_name = _("valuation run")
        verbose_name_plural = _("valuation runs")


# The compliance review's models live in their own package and are registered in this app: imported by name, as
# the app's models module must load them (deals.compliance.models imports only choices, never this module).
from .compliance.models import (  # noqa: E402, F401
    AutomaticFinding,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ComplianceReview,
    Evidence,
    FactChange,
    ItemAnswer,
    ItemAssessment,
    ReviewItem,
)
