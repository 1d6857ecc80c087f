"""Writes of the compliance review: build it on submit, answers, evidence, the officer's findings, decisions.

Every write locks the deal row first (the workflow locks it too), so an answer
cannot slip in while the officer approves. The originator writes answers and
evidence; the officer writes findings; neither writes the other's.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

import rules
from django.apps import apps as django_apps
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.choices import PledgeStatus
from deals.models import Deal, Pledge
from origination.errors import ConflictError, DomainError
from origination.models import DataAsset, User

from . import rules as _rules  # noqa: F401 - registers the review's rules
from .checks import collect_violations, deal_data_assets, finding_message
from .choices import (
    ANSWERABLE_STATES,
    ASSESSABLE_STATES,
    CLOSED_OUTCOMES,
    IN_PROGRESS_STATES,
    EvidenceStatus,
    FactChangeOutcome,
    FindingRule,
    ItemOutcome,
    Severity,
)
from .evidence import discard, inspect_upload, store
from .models import (
    AutomaticFinding,
    ChecklistTemplate,
    ComplianceReview,
    Evidence,
    FactChange,
    ItemAnswer,
    ItemAssessment,
    ReviewItem,
)

# --- building the review --------------------------------------------------------------------------------------


def current_template(*, deal_type: str) -> ChecklistTemplate:
    """The newest checklist version of a deal type (version 1 is reloaded if a test flushed the tables)."""
    template = ChecklistTemplate.objects.filter(deal_type=deal_type).order_by("-version").first()
    if template is None:
        importlib.import_module("deals.migrations.0006_checklist_template_v1").load_v1(django_apps, None)
        template = ChecklistTemplate.objects.filter(deal_type=deal_type).order_by("-version").first()
    if template is None:
        raise DomainError("no_checklist", _("No compliance checklist exists for this deal type."))
    return template


def _review_build(*, deal: Deal) -> ComplianceReview:
    template = current_template(deal_type=deal.deal_type)
    review = ComplianceReview.objects.create(deal=deal, template=template)
    ReviewItem.objects.bulk_create(ReviewItem(review=review, template_item=item) for item in template.items.all())
    return review


def review_ensure(*, deal: Deal) -> ComplianceReview | None:
    """The deal's review; built now for a deal under review that has none (filed before reviews existed).

    A write: called by writers (approval, a change to the facts, the periodic check), never by a page.
    """
    review = ComplianceReview.objects.filter(deal=deal).select_related("template").first()
    if review is None and deal.status in IN_PROGRESS_STATES:
        with transaction.atomic():
            locked = Deal.objects.select_for_update().get(pk=deal.pk)
            review = ComplianceReview.objects.filter(deal=locked).first() or _review_build(deal=locked)
            review_refresh(review=review)
    return review


def review_on_submit(*, deal: Deal) -> ComplianceReview:
    """On each submit (inside the workflow's transaction): build the review the first time, then re-check."""
    review = ComplianceReview.objects.filter(deal=deal).first() or _review_build(deal=deal)
    ComplianceReview.objects.filter(pk=review.pk).update(submissions=F("submissions") + 1)
    review.refresh_from_db()
    review_refresh(review=review)
    return review


def review_refresh(*, review: ComplianceReview) -> tuple[int, int]:
    """Raise the automatic findings the data shows now and clear those it no longer shows; (raised, cleared).

    Only while the review is worked: a decided review keeps its findings as they stood at the decision.
    """
    deal = Deal.objects.only("status").get(pk=review.deal_id)
    if deal.status not in IN_PROGRESS_STATES:
        return (0, 0)
    now = timezone.now()
    with transaction.atomic():
        # One refresh of a review at a time (two page views at once must not raise the same finding twice).
        ComplianceReview.objects.select_for_update().only("pk").get(pk=review.pk)
        wanted = {(v.rule, v.subject): v for v in collect_violations(review)}
        # A fact changed after issue is closed by the officer, never by the checks (docs/frozen_facts.md).
        open_now = {
            (f.rule, f.subject): f
            for f in AutomaticFinding.objects.select_for_update()
            .filter(review=review, cleared_at__isnull=True)
            .exclude(rule=FindingRule.FACTS_CHANGED_AFTER_ISSUE)
        }
        items = dict(review.items.values_list("template_item__code", "pk"))
        cleared = [f.pk for key, f in open_now.items() if key not in wanted]
        AutomaticFinding.objects.filter(pk__in=cleared).update(cleared_at=now)
        raised = []
        for key, violation in wanted.items():
            finding = open_now.get(key)
            if finding is None:
                raised.append(
                    AutomaticFinding(
                        review=review,
                        item_id=items.get(violation.item_code),
                        rule=violation.rule,
                        subject=violation.subject,
                        data_asset_id=violation.data_asset_id,
                        severity=violation.severity,
                        details=violation.details,
                        raised_at=now,
                    )
                )
            elif finding.details != violation.details:
                finding.details = violation.details
                finding.save(update_fields=["details"])
        AutomaticFinding.objects.bulk_create(raised)
        ComplianceReview.objects.filter(pk=review.pk).update(checked_at=now)
    return (len(raised), len(cleared))


# --- keeping the findings current -----------------------------------------------------------------------------
#
# The automatic findings are refreshed where their facts change, inside the writer's transaction: evidence filed
# or withdrawn (here), the deal submitted (review_on_submit), a pledge recorded, refiled or released and the pool
# or the terms changed (deals/services.py), a data asset, its rights or its revenue changed (origination fires
# `data_asset_facts_changed`, whose handler deals/apps.py registers), a deal that held a pledge withdrawn or
# rejected (deals/workflow.py). `reviews_refresh_open` runs every quarter of an hour (Celery beat) for what no writer
# announces: the passing of time and data changed outside the services. Pages and the API only read.


def _reviews_being_worked() -> Any:
    return ComplianceReview.objects.filter(deal__status__in=IN_PROGRESS_STATES)


def reviews_refresh_affected(*, deal_ids: Iterable[int] = (), data_asset_ids: Iterable[int] = ()) -> int:
    """Check again the findings of the reviews being worked of these deals and of every deal these data assets
    back (linked to its pool or actively pledged to it); how many reviews were checked.

    A data asset's facts weigh on every deal it backs: a pledge of it to one deal is a finding on another deal
    it backs (`pledged_to_another_deal`). Each review is locked last, after the writer's own locks.
    """
    deal_ids, data_asset_ids = set(deal_ids), set(data_asset_ids)
    if not deal_ids and not data_asset_ids:
        return 0
    backed = Q(deal_id__in=deal_ids) | Q(deal__pool_assets__data_assets__in=data_asset_ids)
    backed |= Q(deal__pledges__data_asset__in=data_asset_ids, deal__pledges__status=PledgeStatus.ACTIVE)
    review_ids = _reviews_being_worked().filter(backed).values_list("pk", flat=True).distinct()
    reviews = list(ComplianceReview.objects.filter(pk__in=list(review_ids)).order_by("pk"))
    for review in reviews:
        review_refresh(review=review)
    return len(reviews)


def data_asset_facts_changed(*, data_asset_id: int, **_kwargs: Any) -> None:
    """Handler of origination's `data_asset_facts_changed` hook (registered in deals/apps.py)."""
    reviews_refresh_affected(data_asset_ids=[data_asset_id])


def deal_pledges_freed(deal: Deal) -> None:
    """A withdrawn or rejected deal no longer binds the data assets pledged to it: check again the reviews of the
    other deals they back (called by the withdraw and reject moves, deals/workflow.py, in the move's transaction)."""
    assets = Pledge.objects.filter(deal=deal).values_list("data_asset_id", flat=True)
    reviews_refresh_affected(data_asset_ids=list(assets))


def reviews_refresh_open() -> int:
    """Check again every review being worked (the periodic task); how many were checked.

    A deal under review filed before reviews existed gets its review here. Each review is checked in its own
    transaction, so a long run holds no lock for long.
    """
    for deal in Deal.objects.filter(status__in=IN_PROGRESS_STATES, compliance_review__isnull=True).order_by("pk"):
        review_ensure(deal=deal)
    reviews = list(_reviews_being_worked().order_by("pk"))
    for review in reviews:
        review_refresh(review=review)
    return len(reviews)


# --- what the workflow asks -----------------------------------------------------------------------------------


def _item_label(item: ReviewItem) -> str:
    return f"{item.template_item.position}. {item.template_item.title}"


def open_conditions_precedent(*, review: ComplianceReview) -> list[tuple[ReviewItem, list[str]]]:
    """Conditions precedent still open, each with why: not assessed, the officer's finding, automatic findings."""
    open_automatic: dict[int, list[AutomaticFinding]] = {}
    for finding in review.automatic_findings.filter(cleared_at__isnull=True).order_by("raised_at", "pk"):
        if finding.item_id is not None:
            open_automatic.setdefault(finding.item_id, []).append(finding)
    result = []
    items = review.items.select_related("template_item").filter(template_item__condition_precedent=True)
    for item in items.order_by("template_item__position"):
        reasons = [finding_message(f).rstrip("。.") for f in open_automatic.get(item.pk, [])]
        if item.outcome == ItemOutcome.FINDING:
            reasons.insert(0, _("finding: %(comment)s") % {"comment": item.comment})
        elif item.outcome not in CLOSED_OUTCOMES:
            reasons.insert(0, _("not assessed yet"))
        if reasons:
            result.append((item, reasons))
    return result


def approval_problems(*, deal: Deal) -> dict[str, str]:
    """Why the deal cannot be approved yet: every condition precedent still open, with its reasons."""
    review = review_ensure(deal=deal)
    if review is None:
        return {"review": _("The deal has no compliance review.")}
    review_refresh(review=review)
    open_items = open_conditions_precedent(review=review)
    if not open_items:
        return {}
    problems = {
        "conditions_precedent": _("Approval needs every condition precedent closed; %(count)d still open:")
        % {"count": len(open_items)}
    }
    for item, reasons in open_items:
        problems[f"item_{item.template_item.code}"] = f"{_item_label(item)}: {'; '.join(reasons)}."
    return problems


def reason_with_open_items(*, deal: Deal, reason: str) -> str:
    """The officer's reason for sending the deal back, followed by the items found wanting (by the officer or
    the platform), which the originator must address; the reason alone when there are none."""
    review = ComplianceReview.objects.filter(deal=deal).first()
    if review is None:
        return reason
    review_refresh(review=review)
    lines = []
    automatic: dict[int | None, list[str]] = {}
    for finding in review.automatic_findings.filter(cleared_at__isnull=True).order_by("raised_at", "pk"):
        automatic.setdefault(finding.item_id, []).append(finding_message(finding))
    for item in review.items.select_related("template_item").order_by("template_item__position"):
        notes = []
        if item.outcome == ItemOutcome.FINDING:
            notes.append(_("finding: %(comment)s") % {"comment": item.comment})
        notes += automatic.get(item.pk, [])
        if notes:
            lines.append(f"- {_item_label(item)}: {' '.join(notes)}")
    if not lines:
        return reason
    return "\n".join([reason, "", _("Open items:"), *lines])


# --- the originator's answers and evidence --------------------------------------------------------------------


def _lock_deal(deal_id: int) -> Deal:
    return Deal.objects.select_for_update().get(pk=deal_id)


def _ensure_may_answer(*, actor: User, deal: Deal) -> None:
    if not rules.test_rule("compliance.answer_review", actor, deal):
        raise DomainError("forbidden", _("Only the deal's originator answers its compliance review."), status=403)
    if deal.status not in ANSWERABLE_STATES:
        raise ConflictError(
            "review_closed",
            _("The review of a deal that is '%(status)s' takes no more answers.")
            % {"status": deal.get_status_display()},
        )


def item_answer(*, actor: User, item: ReviewItem, text: str) -> ItemAnswer:
    """The originator answers an item; a new answer becomes the next version and the earlier ones stay."""
    text = (text or "").strip()
    if not text:
        raise DomainError("invalid", _("Write an answer."), fields={"text": _("This field is required.")})
    with transaction.atomic():
        deal = _lock_deal(item.review.deal_id)
        _ensure_may_answer(actor=actor, deal=deal)
        current = ItemAnswer.objects.filter(item=item).order_by("-version").first()
        if current is not None and current.text == text:
            raise ConflictError(
                "answer_unchanged",
                _("This is already the current answer."),
                fields={"text": _("Change the answer or leave it as it is.")},
            )
        answer = ItemAnswer.objects.create(
            item=item, version=(current.version + 1) if current else 1, text=text, author=actor
        )
        ComplianceReview.objects.filter(pk=item.review_id).update(updated_at=timezone.now())
    return answer


def _ensure_asset_of_deal(*, deal: Deal, data_asset: DataAsset | None) -> None:
    if data_asset is not None and data_asset.pk not in {a.pk for a in deal_data_assets(deal)}:
        raise DomainError(
            "invalid",
            _("“%(asset)s” does not back this deal.") % {"asset": data_asset.name},
            fields={"data_asset": _("Choose one of the deal's data assets, or none for all of them.")},
        )


def evidence_add(
    *,
    actor: User,
    item: ReviewItem,
    uploaded_file: Any,
    data_asset: DataAsset | None = None,
    replaces: Evidence | None = None,
) -> Evidence:
    """File a document for an item (optionally replacing a current one, which stays on record as replaced).

    The file is refused with nothing saved (no row, no file) when it is over
    20 MB, empty, or its content is not an accepted document type.
    """
    with transaction.atomic():
        deal = _lock_deal(item.review.deal_id)
        _ensure_may_answer(actor=actor, deal=deal)
        _ensure_asset_of_deal(deal=deal, data_asset=data_asset)
        if replaces is not None:
            replaces = Evidence.objects.select_for_update().get(pk=replaces.pk)
            if replaces.item_id != item.pk or not replaces.is_current:
                raise ConflictError(
                    "evidence_not_current",
                    _("Only a current document of this item can be replaced."),
                    fields={"replaces": _("Choose a current document of this item.")},
                )
        inspected = inspect_upload(uploaded_file)
        duplicate = Evidence.objects.filter(item=item, status=EvidenceStatus.CURRENT, sha256=inspected.sha256)
        others = duplicate.filter(data_asset=data_asset)
        if replaces is not None:
            others = others.exclude(pk=replaces.pk)
        if others.exists():
            raise ConflictError(
                "duplicate_evidence",
                _("This very file is already on file for this item."),
                fields={"file": _("This file is already attached.")},
            )
        created = store(uploaded_file, inspected)
        try:
            evidence = Evidence.objects.create(
                item=item,
                data_asset=data_asset,
                file_name=inspected.display_name,
                sha256=inspected.sha256,
                size=inspected.size,
                content_type=inspected.file_type.content_type,
                kind=inspected.file_type.kind,
                replaces=replaces,
                uploaded_by=actor,
            )
            if replaces is not None:
                replaces.status = EvidenceStatus.REPLACED
                replaces.status_changed_at = timezone.now()
                replaces.save(update_fields=["status", "status_changed_at"])
            review_refresh(review=item.review)
        except BaseException:
            if created:
                discard(inspected.sha256)
            raise
    return evidence


def evidence_withdraw(*, actor: User, evidence: Evidence) -> Evidence:
    """Withdraw a current document; it stays on record (and its file stays stored) as withdrawn."""
    with transaction.atomic():
        deal = _lock_deal(evidence.item.review.deal_id)
        _ensure_may_answer(actor=actor, deal=deal)
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if not evidence.is_current:
            raise ConflictError("evidence_not_current", _("This document is no longer current."))
        evidence.status = EvidenceStatus.WITHDRAWN
        evidence.status_changed_at = timezone.now()
        evidence.save(update_fields=["status", "status_changed_at"])
        review_refresh(review=evidence.item.review)
    return evidence


# --- the officer's findings and decisions ---------------------------------------------------------------------


def item_assess(*, actor: User, item: ReviewItem, outcome: str, severity: str = "", comment: str = "") -> ReviewItem:
    """The officer sets pass, finding or not applicable on an item, with a comment (required for the last two)."""
    if not rules.test_rule("compliance.assess_review", actor):
        raise DomainError("forbidden", _("Only compliance officers record findings."), status=403)
    if outcome not in ItemOutcome.values:
        raise DomainError("invalid", _("Choose pass, finding or not applicable."), fields={"outcome": _("Invalid.")})
    if severity and severity not in Severity.values:
        raise DomainError("invalid", _("Choose high, medium or low."), fields={"severity": _("Invalid.")})
    comment = (comment or "").strip()
    if outcome != ItemOutcome.PASS and not comment:
        raise DomainError(
            "invalid",
            _("Say why in a comment."),
            fields={"comment": _("A finding or 'not applicable' needs a comment.")},
        )
    with transaction.atomic():
        deal = _lock_deal(item.review.deal_id)
        if deal.status not in ASSESSABLE_STATES:
            raise ConflictError(
                "review_not_in_progress",
                _("Findings are recorded on a deal in review; this one is '%(status)s'.")
                % {"status": deal.get_status_display()},
            )
        item = ReviewItem.objects.select_for_update().select_related("template_item").get(pk=item.pk)
        review_refresh(review=item.review)
        open_automatic = list(item.automatic_findings.filter(cleared_at__isnull=True))
        if outcome in CLOSED_OUTCOMES and open_automatic:
            raise ConflictError(
                "automatic_findings_open",
                _("This item cannot be closed while the platform's findings on it are open: %(findings)s")
                % {"findings": " ".join(finding_message(f) for f in open_automatic)},
                fields={"outcome": _("Open automatic findings clear themselves once the data is fixed.")},
            )
        item.outcome = outcome
        item.severity = (severity or item.template_item.severity) if outcome == ItemOutcome.FINDING else ""
        item.comment = comment
        item.assessed_by = actor
        item.assessed_at = timezone.now()
        item.save(update_fields=["outcome", "severity", "comment", "assessed_by", "assessed_at"])
        ItemAssessment.objects.create(
            item=item, outcome=outcome, severity=item.severity, comment=comment, officer=actor
        )
    return item


# --- facts changed after issue (docs/frozen_facts.md) ---------------------------------------------------------


def fact_change_finding_raise(*, deal: Deal, fact_change: FactChange) -> AutomaticFinding:
    """A fact of an issued deal changed: raise a high finding on its review for the officer (inside the change's
    transaction, the deal locked). The review is built if the deal was issued before reviews existed."""
    review = ComplianceReview.objects.filter(deal=deal).first() or _review_build(deal=deal)
    return AutomaticFinding.objects.create(
        review=review,
        rule=FindingRule.FACTS_CHANGED_AFTER_ISSUE,
        subject=f"change:{fact_change.pk}",
        data_asset_id=fact_change.data_asset_id,
        severity=Severity.HIGH,
        details={
            "asset": fact_change.params.get("name", ""),
            "action": fact_change.action,
            "params": fact_change.params,
        },
        raised_at=fact_change.created_at,
    )


def fact_change_resolve(*, actor: User, fact_change: FactChange, resolution: str) -> FactChange:
    """The officer closes the finding a change after issue raised, saying what was assessed and done."""
    if not rules.test_rule("compliance.assess_review", actor):
        raise DomainError("forbidden", _("Only compliance officers close findings."), status=403)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(
            "invalid",
            _("Say what was assessed and done."),
            fields={"resolution": _("This field is required.")},
        )
    with transaction.atomic():
        _lock_deal(fact_change.deal_id)
        change = FactChange.objects.select_for_update().get(pk=fact_change.pk)
        if change.outcome != FactChangeOutcome.FINDING_RAISED or change.resolved_at is not None:
            raise ConflictError("finding_not_open", _("This finding is not open."))
        now = timezone.now()
        change.resolved_at, change.resolved_by, change.resolution = now, actor, resolution
        change.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        if change.finding_id is not None:
            AutomaticFinding.objects.filter(pk=change.finding_id, cleared_at__isnull=True).update(cleared_at=now)
    return change
