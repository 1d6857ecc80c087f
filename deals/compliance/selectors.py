"""Scoped reads of the compliance review: reviews, items, evidence, the queue, counts and the legal risk.

Compliance officers see the review of every deal they may see (every submitted
deal); originators only their own company's; the arranger all; investors none,
not even of published deals.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet

from deals.models import Deal
from deals.selectors import deal_list_for
from origination.models import User

from .choices import SEVERITY_ORDER, ItemOutcome
from .legal_risk import LegalRisk, base_stop_probability_life, legal_risk
from .models import (
    AutomaticFinding,
    ComplianceReview,
    Evidence,
    FactChange,
    ItemAnswer,
    ItemAssessment,
    ReviewItem,
    open_conditions_precedent_q,
    subquery_count,
)


def review_list_for(user: User) -> QuerySet[ComplianceReview]:
    """Reviews of the deals the user may see; none for investors."""
    if not user.is_authenticated or not user.role or user.is_investor:
        return ComplianceReview.objects.none()
    return ComplianceReview.objects.filter(deal__in=deal_list_for(user)).select_related("deal__originator", "template")


def review_item_list_for(user: User) -> QuerySet[ReviewItem]:
    """Checklist items of the reviews the user may see."""
    return ReviewItem.objects.filter(review__in=review_list_for(user)).select_related("template_item", "review__deal")


def evidence_list_for(user: User) -> QuerySet[Evidence]:
    """Evidence files of the reviews the user may see (another company's are never among them)."""
    return Evidence.objects.filter(item__review__in=review_list_for(user)).select_related(
        "item__template_item", "item__review__deal", "data_asset", "uploaded_by"
    )


def fact_change_list_for(user: User) -> QuerySet[FactChange]:
    """Changes to the facts of the deals whose review the user may see (investors see notices instead), newest first."""
    if not user.is_authenticated or not user.role or user.is_investor:
        return FactChange.objects.none()
    return (
        FactChange.objects.filter(deal__in=deal_list_for(user))
        .select_related("deal", "actor", "resolved_by", "finding")
        .order_by("-created_at", "-pk")
    )


def open_fact_findings_for(user: User) -> QuerySet[FactChange]:
    """Findings raised by changes after issue that the officer has not closed, oldest first (the officer's list)."""
    return (
        fact_change_list_for(user).filter(finding__isnull=False, resolved_at__isnull=True).order_by("created_at", "pk")
    )


def review_items_with_history(review: ComplianceReview) -> list[ReviewItem]:
    """The review's items in checklist order, each with its answers, evidence, findings and assessments loaded."""
    return list(
        review.items.select_related("template_item", "assessed_by")
        .prefetch_related(
            Prefetch("answers", queryset=ItemAnswer.objects.select_related("author").order_by("version")),
            Prefetch(
                "evidence",
                queryset=Evidence.objects.select_related("data_asset", "uploaded_by").order_by("uploaded_at", "pk"),
            ),
            Prefetch(
                "automatic_findings",
                queryset=AutomaticFinding.objects.select_related("data_asset").order_by("raised_at", "pk"),
            ),
            Prefetch(
                "assessments", queryset=ItemAssessment.objects.select_related("officer").order_by("created_at", "pk")
            ),
        )
        .order_by("template_item__position")
    )


def open_findings_by_severity(*, review: ComplianceReview) -> dict[str, int]:
    """Open findings by severity: the officer's (items found wanting) and the platform's (open automatic ones)."""
    counts = dict.fromkeys((s.value for s in SEVERITY_ORDER), 0)
    officer = review.items.filter(outcome=ItemOutcome.FINDING).values("severity").annotate(n=Count("pk"))
    automatic = review.automatic_findings.filter(cleared_at__isnull=True).values("severity").annotate(n=Count("pk"))
    for row in [*officer.order_by(), *automatic.order_by()]:
        counts[row["severity"]] = counts.get(row["severity"], 0) + row["n"]
    return counts


def review_queue_for(user: User) -> list[Deal]:
    """Submitted and in-review deals, oldest first, with counts of open findings and conditions precedent."""
    from deals.choices import DealStatus

    deal = OuterRef("pk")
    return list(
        deal_list_for(user)
        .filter(status__in=[DealStatus.SUBMITTED, DealStatus.IN_REVIEW])
        .annotate(
            has_review=Exists(ComplianceReview.objects.filter(deal=deal)),
            open_automatic=subquery_count(
                AutomaticFinding.objects.filter(review__deal=deal, cleared_at__isnull=True), "review"
            ),
            officer_findings=subquery_count(
                ReviewItem.objects.filter(review__deal=deal, outcome=ItemOutcome.FINDING), "review"
            ),
            open_cp=subquery_count(
                ReviewItem.objects.filter(open_conditions_precedent_q(), review__deal=deal), "review"
            ),
            not_assessed=subquery_count(ReviewItem.objects.filter(review__deal=deal, outcome=""), "review"),
            open_fact_changes=subquery_count(FactChange.objects.filter(deal=deal, resolved_at__isnull=True), "deal"),
        )
        .annotate(open_findings=F("open_automatic") + F("officer_findings"))
        .order_by(F("status_changed_at").asc(nulls_first=True), "created_at", "pk")
    )


def review_list_with_counts_for(user: User) -> QuerySet[ComplianceReview]:
    """Visible reviews, each with its open findings, open conditions precedent and items not assessed."""
    return review_list_for(user).with_counts()


def review_counts(*, review: ComplianceReview) -> dict[str, int]:
    """Open findings (the officer's and automatic), open conditions precedent and items not assessed, in one query."""
    return review.open_counts()


@dataclass(frozen=True)
class DealLegalRisk:
    """The legal-risk summary of a deal for valuation: whether a review is on file, and the risk figures."""

    review_on_file: bool
    open_conditions_precedent: int
    risk: LegalRisk


def legal_risk_for(deal: Deal, *, base: float | None = None) -> DealLegalRisk:
    """Open findings of the deal's review by severity, with the haircut and regulatory-stop probability.

    Unscoped (the valuation worker calls it with a deal id it was given); pages
    and the API reach it through a visible review. A deal without a review
    (approved before reviews existed) has no findings on file.
    """
    if base is None:
        base = base_stop_probability_life(deal.tenor_months)
    review = ComplianceReview.objects.filter(deal=deal).first()
    if review is None:
        return DealLegalRisk(review_on_file=False, open_conditions_precedent=0, risk=legal_risk({}, base=base))
    counts = open_findings_by_severity(review=review)
    open_cp = review.items.filter(open_conditions_precedent_q()).count()
    return DealLegalRisk(review_on_file=True, open_conditions_precedent=open_cp, risk=legal_risk(counts, base=base))
