"""Users and organisations, originators, data assets, data rights and revenue."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    SOE_OWNERSHIP,
    AccountingStatus,
    ClassificationGrade,
    CreditRating,
    DataCategory,
    OwnershipType,
    RegistryType,
    RevenueType,
    RightType,
    Role,
    UpdateFrequency,
)
from .limits import MONEY_RANGE, POSITIVE_MONEY_RANGE, REVENUE_IMPORT_ROWS_RANGE, SCORE_RANGE
from .validators import validate_uscc

# The six quality dimensions of a data asset (China Appraisal Society guidance), each 0-100.
QUALITY_FIELDS = (
    "quality_accuracy",
    "quality_consistency",
    "quality_completeness",
    "quality_conformity",
    "quality_timeliness",
    "quality_accessibility",
)


class Originator(models.Model):
    """A company that holds data assets and files deals on them."""

    name = models.CharField(_("company name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc])
    ownership_type = models.CharField(_("ownership type"), max_length=20, choices=OwnershipType.choices)
    industry = models.CharField(_("industry"), max_length=100)
    region = models.CharField(_("region"), max_length=100)
    credit_rating = models.CharField(
        _("credit rating"), max_length=4, choices=CreditRating.choices, default=CreditRating.NR
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("originator")
        verbose_name_plural = _("originators")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Store the credit code in its canonical form (upper case, no padding) so uniqueness holds."""
        self.uscc = (self.uscc or "").strip().upper()

    @property
    def is_soe(self) -> bool:
        """True for central and local state-owned enterprises."""
        return self.ownership_type in SOE_OWNERSHIP


class User(AbstractUser):
    """A person who signs in; belongs to at most one organisation, which must match the role."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    originator = models.ForeignKey(
        Originator, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("originator")
    )
    investor = models.ForeignKey(
        "investors.Investor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("investor"),
    )

    # createsuperuser asks for the role too: every account needs one (the check constraint below).
    REQUIRED_FIELDS = ["email", "role"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_organisation_matches_role",
                condition=(
                    Q(role=Role.ORIGINATOR, originator__isnull=False, investor__isnull=True)
                    | Q(role=Role.INVESTOR, investor__isnull=False, originator__isnull=True)
                    | Q(role__in=[Role.COMPLIANCE, Role.ARRANGER], originator__isnull=True, investor__isnull=True)
                ),
            )
        ]

    @property
    def organisation(self) -> Originator | models.Model | None:
        """The originator company or investor institution of the user, if any."""
        return self.originator or self.investor

    @property
    def is_originator(self) -> bool:
        return self.role == Role.ORIGINATOR

    @property
    def is_compliance(self) -> bool:
        return self.role == Role.COMPLIANCE

    @property
    def is_investor(self) -> bool:
        return self.role == Role.INVESTOR

    @property
    def is_arranger(self) -> bool:
        return self.role == Role.ARRANGER


class DataAsset(models.Model):
    """A data set or data product an originator holds and finances, pledges or uses as enhancement."""

    originator = models.ForeignKey(
        Originator, on_delete=models.PROTECT, related_name="data_assets", verbose_name=_("originator")
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=30, choices=DataCategory.choices)
    description = models.TextField(_("description"), blank=True)
    volume = models.CharField(_("volume"), max_length=100, help_text=_("e.g. '3.2 TB, 40 million records'"))
    update_frequency = models.CharField(_("update frequency"), max_length=20, choices=UpdateFrequency.choices)
    source = models.CharField(_("source"), max_length=200)
    classification_grade = models.CharField(
        _("classification grade (GB/T 43697-2024)"),
        max_length=20,
        choices=ClassificationGrade.choices,
        default=ClassificationGrade.GENERAL,
    )
    has_personal_info = models.BooleanField(_("holds personal information"), default=False)
    has_sensitive_personal_info = models.BooleanField(_("holds sensitive personal information"), default=False)
    deidentification_method = models.CharField(_("de-identification method"), max_length=200, blank=True)
    cross_border_flow = models.BooleanField(_("cross-border flow"), default=False)
    accounting_status = models.CharField(
        _("accounting status"),
        max_length=20,
        choices=AccountingStatus.choices,
        default=AccountingStatus.NOT_RECOGNISED,
    )
    book_value = models.DecimalField(_("book value (CNY)"), default=Decimal("0"), **MONEY_RANGE.decimal())
    quality_accuracy = models.DecimalField(_("accuracy"), **SCORE_RANGE.decimal())
    quality_consistency = models.DecimalField(_("consistency"), **SCORE_RANGE.decimal())
    quality_completeness = models.DecimalField(_("completeness"), **SCORE_RANGE.decimal())
    quality_conformity = models.DecimalField(_("conformity"), **SCORE_RANGE.decimal())
    quality_timeliness = models.DecimalField(_("timeliness"), **SCORE_RANGE.decimal())
    quality_accessibility = models.DecimalField(_("accessibility"), **SCORE_RANGE.decimal())
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Every save is a version: a deal keeps the facts it was reviewed on (docs/frozen_facts.md).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    QUALITY_FIELDS = QUALITY_FIELDS

    class Meta:
        ordering = ["originator__name", "name"]
        verbose_name = _("data asset")
        verbose_name_plural = _("data assets")
        constraints = [
            models.CheckConstraint(
                name="sensitive_pi_implies_pi",
                condition=Q(has_sensitive_personal_info=False) | Q(has_personal_info=True),
            ),
            MONEY_RANGE.check("origination_dataasset", "book_value"),
            *(SCORE_RANGE.check("origination_dataasset", name) for name in QUALITY_FIELDS),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def quality_scores(self) -> dict[str, Decimal]:
        """The six quality dimensions of the China Appraisal Society guidance, 0-100."""
        return {field.removeprefix("quality_"): getattr(self, field) for field in self.QUALITY_FIELDS}

    @property
    def quality_mean(self) -> Decimal:
        """Unweighted mean of the six quality scores."""
        scores = list(self.quality_scores.values())
        return (sum(scores, Decimal("0")) / len(scores)).quantize(Decimal("0.01"))


class DataRight(models.Model):
    """One of the three separated rights to a data asset, with its registration."""

    data_asset = models.ForeignKey(DataAsset, on_delete=models.CASCADE, related_name="rights")
    right_type = models.CharField(_("right"), max_length=30, choices=RightType.choices)
    holder = models.CharField(_("holder"), max_length=200)
    certificate_no = models.CharField(_("registration certificate number"), max_length=100)
    registry = models.CharField(_("registry"), max_length=200)
    registry_type = models.CharField(_("registry type"), max_length=30, choices=RegistryType.choices)
    issued_on = models.DateField(_("issue date"))
    expires_on = models.DateField(_("expiry date"))
    # A registration that backs a submitted deal is revoked, never deleted: it stays on record (docs/frozen_facts.md).
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason for revocation"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["data_asset", "right_type"]
        verbose_name = _("data right")
        verbose_name_plural = _("data rights")
        constraints = [
            models.CheckConstraint(name="right_expires_after_issue", condition=Q(expires_on__gt=models.F("issued_on"))),
            models.UniqueConstraint(fields=["registry", "certificate_no"], name="right_certificate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_right_type_display()} ({self.certificate_no})"

    @property
    def is_revoked(self) -> bool:
        """The registration was revoked: it stays on record but no longer counts as a right held."""
        return self.revoked_at is not None


class RevenueImport(models.Model):
    """One accepted revenue file: who uploaded what, when, how many rows it saved, and whether it was undone.

    Its rows point back at it (`RevenueRecord.source_import`), so an undo deletes
    exactly them. The import row itself stays, with who undid it and when, and
    its history (django-simple-history) records both events.
    """

    data_asset = models.ForeignKey(DataAsset, on_delete=models.CASCADE, related_name="revenue_imports")
    uploaded_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(validators=REVENUE_IMPORT_ROWS_RANGE.validators())
    total_amount = models.DecimalField(**MONEY_RANGE.decimal())
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("revenue import")
        verbose_name_plural = _("revenue imports")
        constraints = [
            models.CheckConstraint(
                name="revenue_import_undone_by_and_at",
                condition=Q(undone_at__isnull=True, undone_by__isnull=True)
                | Q(undone_at__isnull=False, undone_by__isnull=False),
            ),
            REVENUE_IMPORT_ROWS_RANGE.check("origination_revenueimport", "row_count"),
            MONEY_RANGE.check("origination_revenueimport", "total_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.row_count} rows)"

    @property
    def is_undone(self) -> bool:
        """Its rows were deleted by an undo."""
        return self.undone_at is not None


class RevenueRecord(models.Model):
    """Cash collected from one counterparty for a data asset in one month, in CNY."""

    data_asset = models.ForeignKey(DataAsset, on_delete=models.CASCADE, related_name="revenue_records")
    period = models.DateField(_("period (first day of the month)"))
    amount = models.DecimalField(_("amount (CNY)"), **POSITIVE_MONEY_RANGE.decimal())
    revenue_type = models.CharField(_("revenue type"), max_length=30, choices=RevenueType.choices)
    counterparty = models.CharField(_("counterparty"), max_length=200)
    contract_ref = models.CharField(_("contract"), max_length=100, blank=True)
    source_import = models.ForeignKey(
        RevenueImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="records"
    )

    class Meta:
        ordering = ["data_asset", "period", "counterparty"]
        verbose_name = _("revenue record")
        verbose_name_plural = _("revenue records")
        constraints = [
            POSITIVE_MONEY_RANGE.check("origination_revenuerecord", "amount"),
            models.UniqueConstraint(
                fields=["data_asset", "period", "counterparty", "revenue_type", "contract_ref"],
                name="revenue_record_unique",
            ),
        ]
        indexes = [models.Index(fields=["data_asset", "period"])]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.counterparty} {self.amount} CNY"
