"""The compliance review: versioned checklist templates, a review per deal, answers, evidence and findings.

Templates are data (a migration ships version 1); a review points at the
template version current when the deal was first submitted, so a new version
never changes a review under way. Answers, evidence and the officer's
assessments are append-only: replacing one keeps the earlier version.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from deals.choices import DealType

from .choices import (
    CLOSED_OUTCOMES,
    ChecklistSection,
    EvidenceStatus,
    FactChangeOutcome,
    FindingRule,
    ItemOutcome,
    Responder,
    Severity,
)


def chinese_active() -> bool:
    """Whether the active language is Chinese (the checklist's legal texts are stored in both)."""
    return (translation.get_language() or "").lower().startswith("zh")


class _Bilingual:
    """Read `<name>_zh` or `<name>_en` in the active language as `<name>`."""

    def localized(self, name: str) -> str:
        return getattr(self, f"{name}_zh" if chinese_active() else f"{name}_en")


class ChecklistTemplate(_Bilingual, models.Model):
    """One version of the compliance checklist of a deal type; the highest version is the current one."""

    deal_type = models.CharField(_("deal type"), max_length=30, choices=DealType.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deal_type", "-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [models.UniqueConstraint(fields=["deal_type", "version"], name="checklist_version_unique")]

    def __str__(self) -> str:
        return f"{self.get_deal_type_display()} v{self.version}"

    @property
    def title(self) -> str:
        return self.localized("title")


class ChecklistTemplateItem(_Bilingual, models.Model):
    """A question of a checklist version: its legal basis, who answers, the evidence needed, and whether it is a CP."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="items")
    code = models.SlugField(_("code"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"))
    section = models.CharField(_("section"), max_length=30, choices=ChecklistSection.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    question_zh = models.TextField(_("question (Chinese)"))
    question_en = models.TextField(_("question (English)"))
    legal_basis_zh = models.CharField(_("legal basis (Chinese)"), max_length=400)
    legal_basis_en = models.CharField(_("legal basis (English)"), max_length=400)
    evidence_required_zh = models.TextField(_("evidence required (Chinese)"))
    evidence_required_en = models.TextField(_("evidence required (English)"))
    answered_by = models.CharField(_("answered by"), max_length=20, choices=Responder.choices)
    condition_precedent = models.BooleanField(_("condition precedent"), default=False)
    severity = models.CharField(
        _("severity of a finding"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="checklist_item_code_unique"),
            models.UniqueConstraint(fields=["template", "position"], name="checklist_item_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title_en}"

    @property
    def title(self) -> str:
        return self.localized("title")

    @property
    def question(self) -> str:
        return self.localized("question")

    @property
    def legal_basis(self) -> str:
        return self.localized("legal_basis")

    @property
    def evidence_required(self) -> str:
        return self.localized("evidence_required")


def subquery_count(queryset: QuerySet[Any], group: str) -> Coalesce:
    """How many rows of `queryset` (filtered on an OuterRef) there are per `group`, 0 when none, as a subquery."""
    rows = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def open_conditions_precedent_q() -> Q:
    """Items that are conditions precedent and not closed: not passed nor found not applicable, or with an open
    automatic finding."""
    open_automatic = AutomaticFinding.objects.filter(item=OuterRef("pk"), cleared_at__isnull=True)
    return Q(template_item__condition_precedent=True) & (~Q(outcome__in=CLOSED_OUTCOMES) | Q(Exists(open_automatic)))


class ComplianceReviewQuerySet(models.QuerySet):
    """Reviews, with the counts the queue and the deal page show."""

    def with_counts(self) -> ComplianceReviewQuerySet:
        """Each review with its open findings (the officer's and automatic), open conditions precedent and items
        not assessed."""
        review = OuterRef("pk")
        return self.annotate(
            open_automatic=subquery_count(
                AutomaticFinding.objects.filter(review=review, cleared_at__isnull=True), "review"
            ),
            officer_findings=subquery_count(
                ReviewItem.objects.filter(review=review, outcome=ItemOutcome.FINDING), "review"
            ),
            open_cp=subquery_count(ReviewItem.objects.filter(open_conditions_precedent_q(), review=review), "review"),
            not_assessed=subquery_count(ReviewItem.objects.filter(review=review, outcome=""), "review"),
        ).annotate(open_findings=F("open_automatic") + F("officer_findings"))


class ComplianceReview(models.Model):
    """The privacy compliance review of one deal, built from the checklist template current at first submission."""

    deal = models.OneToOneField("deals.Deal", on_delete=models.PROTECT, related_name="compliance_review")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="reviews")
    submissions = models.PositiveSmallIntegerField(_("times submitted"), default=0)
    checked_at = models.DateTimeField(_("automatic checks last run"), null=True, blank=True)
    # The deal's facts (data assets, rights, pledges) as submitted, then as approved: what the review relied on.
    facts_as_reviewed = models.JSONField(_("facts as reviewed"), default=dict, blank=True)
    facts_reviewed_at = models.DateTimeField(_("facts recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ComplianceReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("compliance review")
        verbose_name_plural = _("compliance reviews")

    def __str__(self) -> str:
        return f"{self.deal} ({self.template})"

    def open_counts(self) -> dict[str, int]:
        """Open findings (the officer's and automatic), open conditions precedent and items not assessed, in one
        query."""
        row = (
            ComplianceReview.objects.filter(pk=self.pk)
            .with_counts()
            .values("open_findings", "open_automatic", "open_cp", "not_assessed")
            .get()
        )
        return {
            "open_findings": row["open_findings"],
            "open_automatic_findings": row["open_automatic"],
            "open_conditions_precedent": row["open_cp"],
            "not_assessed": row["not_assessed"],
        }

    @cached_property
    def counts(self) -> dict[str, int]:
        """The open counts, read once per page (the deal page and the queue)."""
        return self.open_counts()


class ReviewItem(models.Model):
    """One checklist item of a review, with the officer's current finding (the history is in ItemAssessment)."""

    review = models.ForeignKey(ComplianceReview, on_delete=models.CASCADE, related_name="items")
    template_item = models.ForeignKey(ChecklistTemplateItem, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("finding"), max_length=20, choices=ItemOutcome.choices, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    assessed_by = models.ForeignKey(
        "origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "template_item__position"]
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.UniqueConstraint(fields=["review", "template_item"], name="review_item_unique"),
            models.CheckConstraint(name="finding_has_severity", condition=~Q(outcome="finding") | ~Q(severity="")),
        ]

    def __str__(self) -> str:
        return f"{self.review_id}/{self.template_item.code}"

    @property
    def is_condition_precedent(self) -> bool:
        return self.template_item.condition_precedent


class ItemAnswer(models.Model):
    """One version of the originator's answer to an item; a new answer adds a version, never overwrites."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="answers")
    version = models.PositiveIntegerField()
    text = models.TextField(_("answer"))
    author = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "version"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["item", "version"], name="answer_version_unique")]

    def __str__(self) -> str:
        return f"{self.item} v{self.version}"


class Evidence(models.Model):
    """A document filed for an item, stored by its SHA-256 outside the web root; replaced ones stay on record."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="evidence")
    data_asset = models.ForeignKey(
        "origination.DataAsset",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("data asset covered"),
        help_text=_("Empty: the document covers every data asset of the deal."),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(max_length=120)
    kind = models.CharField(_("type"), max_length=20)
    status = models.CharField(max_length=20, choices=EvidenceStatus.choices, default=EvidenceStatus.CURRENT)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by")
    uploaded_by = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.sha256[:12]})"

    @property
    def is_current(self) -> bool:
        return self.status == EvidenceStatus.CURRENT


class ItemAssessment(models.Model):
    """One finding the officer recorded on an item (append-only history; the item holds the latest)."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="assessments")
    outcome = models.CharField(_("finding"), max_length=20, choices=ItemOutcome.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    officer = models.ForeignKey("origination.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.item} {self.outcome}"


class AutomaticFinding(models.Model):
    """A problem the platform found in the data it holds, naming the asset and the rule; it clears itself."""

    review = models.ForeignKey(ComplianceReview, on_delete=models.CASCADE, related_name="automatic_findings")
    item = models.ForeignKey(
        ReviewItem, on_delete=models.CASCADE, null=True, blank=True, related_name="automatic_findings"
    )
    rule = models.CharField(_("rule"), max_length=40, choices=FindingRule.choices)
    data_asset = models.ForeignKey(
        "origination.DataAsset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the finding is about, stable across checks: "right:12", "pledge:4", "asset:7".
    subject = models.CharField(max_length=60)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    details = models.JSONField(default=dict)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "raised_at", "id"]
        verbose_name = _("automatic finding")
        verbose_name_plural = _("automatic findings")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "rule", "subject"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_automatic_finding",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class FactChange(models.Model):
    """A change to a fact a submitted deal relies on (a data asset, right or pledge), and what it did to the deal.

    `action` is the audit code of the change and `params` its language-neutral
    parameters (the same as the audit event's reason); `version` is the
    history row that keeps the changed object as it became. Open until the
    officer approves the deal again or, after issue, closes its finding.
    """

    deal = models.ForeignKey("deals.Deal", on_delete=models.PROTECT, related_name="fact_changes")
    data_asset = models.ForeignKey(
        "origination.DataAsset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("change"), max_length=50)
    params = models.JSONField(default=dict)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    deal_status = models.CharField(_("deal status at the change"), max_length=30)
    outcome = models.CharField(_("outcome"), max_length=20, choices=FactChangeOutcome.choices)
    finding = models.OneToOneField(
        AutomaticFinding, on_delete=models.PROTECT, null=True, blank=True, related_name="fact_change"
    )
    actor = models.ForeignKey("origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["deal", "created_at", "id"]
        verbose_name = _("fact change")
        verbose_name_plural = _("fact changes")
        indexes = [models.Index(fields=["deal", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.deal_id} {self.action} ({self.outcome})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
