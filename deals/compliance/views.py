"""Pages of the compliance review: the officer's queue, the review page and its forms, evidence and the export."""

from __future__ import annotations

from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deals import workflow
from deals.choices import ALLOWED_TRANSITIONS
from deals.facts import facts_differences
from deals.models import Deal
from deals.selectors import deal_or_404
from origination.errors import DomainError
from origination.models import User
from origination.services import data_right_create

from . import selectors, services
from .checks import deal_data_assets, deal_maturity, finding_message
from .choices import ANSWERABLE_STATES, ASSESSABLE_STATES, DECISIONS, IN_PROGRESS_STATES, EvidenceStatus, FindingRule
from .evidence import ACCEPT_ATTRIBUTE, open_stored
from .export import review_workbook_response
from .forms import AssessmentForm, DecisionForm, EvidenceForm, RightRenewalForm
from .models import ComplianceReview, ReviewItem
from .presenters import fact_findings_for, item_rows, sections, with_text


class NoReview(Http404):
    """The deal, which the user may see, has no compliance review (a draft: it is built on submission)."""

    def __init__(self, deal: Deal) -> None:
        super().__init__(_("This deal has no compliance review."))
        self.deal = deal


def _review_or_404(user: User, deal: Deal) -> ComplianceReview:
    """The deal's review if the user may see it (never investors), as it stands: reading it writes nothing.

    Its automatic findings are kept current by the writes that change their facts and by a periodic check
    (services.py, "keeping the findings current").
    """
    review = selectors.review_list_for(user).filter(deal=deal).first()
    if review is None:
        if user.is_investor:
            raise Http404(_("This deal has no compliance review."))
        raise NoReview(deal)
    return review


def _no_review_page(request: HttpRequest, deal: Deal) -> HttpResponse:
    """A deal without a review says so plainly (404: there is no review to show)."""
    context = {"deal": deal, "in_progress": deal.status in IN_PROGRESS_STATES}
    return render(request, "deals/compliance/no_review.html", context, status=404)


def may_answer(user: User, deal: Deal) -> bool:
    """The originator's staff answer while the review is worked."""
    return deal.status in ANSWERABLE_STATES and rules.test_rule("compliance.answer_review", user, deal)


def may_assess(user: User, deal: Deal) -> bool:
    """Officers record findings on a deal in review."""
    return deal.status in ASSESSABLE_STATES and rules.test_rule("compliance.assess_review", user)


def _review_page(
    request: HttpRequest,
    deal: Deal,
    review: ComplianceReview,
    *,
    errors: dict[int, dict[str, str]] | None = None,
    drafts: dict[int, str] | None = None,
    decision_error: DomainError | None = None,
    renewal_form: RightRenewalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    rows = item_rows(selectors.review_items_with_history(review), errors=errors, drafts=drafts)
    assets = deal_data_assets(deal)
    answering = may_answer(user, deal)
    open_rights = [r for r in rows for f in r.open_automatic
                   if f["finding"].rule == FindingRule.RIGHT_EXPIRES_BEFORE_MATURITY]  # fmt: skip
    decisions = [t for t in workflow.available_transitions(deal=deal, actor=user) if t.action in DECISIONS]
    context: dict[str, Any] = {
        "deal": deal,
        "review": review,
        "rows": rows,
        "sections": sections(rows),
        "counts": selectors.review_counts(review=review),
        "legal_risk": selectors.legal_risk_for(deal),
        "unattached_findings": [
            finding_message(f) for f in review.automatic_findings.filter(item__isnull=True, cleared_at__isnull=True)
        ],
        "assets": assets,
        "maturity": deal_maturity(deal),
        "may_answer": answering,
        "may_assess": may_assess(user, deal),
        "decisions": decisions,
        "decision_error": decision_error,
        "decision_summary": (decision_error.fields.get("conditions_precedent") or decision_error.detail)
        if decision_error
        else "",
        "decision_problems": [v for k, v in decision_error.fields.items() if k.startswith("item_")]
        if decision_error
        else [],
        "renewal_form": (renewal_form or RightRenewalForm(data_assets=assets, prefix="right"))
        if answering and open_rights
        else None,
        "assessment_form": AssessmentForm(),
        "evidence_help": EvidenceForm(data_assets=assets, current=review.items.none()).fields["file"].help_text,
        "evidence_accept": ACCEPT_ATTRIBUTE,
    }
    changes = with_text(selectors.fact_change_list_for(user).filter(deal=deal))
    context.update(
        {
            "facts_changed": facts_differences(review=review),
            "fact_changes": changes,
            "may_resolve": rules.test_rule("compliance.assess_review", user),
        }
    )
    return render(request, "deals/compliance/review.html", context, status=status)


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The review of a deal: each item with its answer, evidence, automatic findings and the officer's finding."""
    deal = deal_or_404(request.user, pk, parts=False)
    try:
        review = _review_or_404(request.user, deal)
    except NoReview:
        return _no_review_page(request, deal)
    return _review_page(request, deal, review)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """The officer's queue: submitted and in-review deals, oldest first, with open findings and conditions."""
    user = request.user
    if not (user.is_compliance or user.is_arranger):
        raise PermissionDenied(_("The review queue is for compliance officers."))
    # The counts are as the last check left them: the writes that change a finding's facts check again.
    context = {"queue": selectors.review_queue_for(user), "fact_findings": fact_findings_for(user)}
    return render(request, "deals/compliance/queue.html", context)


@login_required
@require_POST
def fact_change_resolve(request: HttpRequest, pk: int, change_pk: int) -> HttpResponse:
    """The officer closes the finding a change after issue raised, saying what was assessed and done."""
    deal = deal_or_404(request.user, pk, parts=False)
    change = selectors.fact_change_list_for(request.user).filter(deal=deal, pk=change_pk).first()
    if change is None:
        raise Http404(_("No such change."))
    try:
        services.fact_change_resolve(
            actor=request.user, fact_change=change, resolution=request.POST.get("resolution", "")
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Finding closed."))
    return redirect(f"{reverse('compliance_review', args=[deal.pk])}#facts-changed")


def _item_or_404(user: User, deal: Deal, item_pk: int) -> ReviewItem:
    item = selectors.review_item_list_for(user).filter(pk=item_pk, review__deal=deal).first()
    if item is None:
        raise Http404(_("Not an item of this review."))
    return item


def _after_item_write(request: HttpRequest, deal: Deal, item: ReviewItem, done: str) -> HttpResponse:
    messages.success(request, done)
    return redirect(f"{reverse('compliance_review', args=[deal.pk])}#item-{item.template_item.code}")


@login_required
@require_POST
def item_answer(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The originator answers an item (earlier answers stay as versions)."""
    deal = deal_or_404(request.user, pk, parts=False)
    item = _item_or_404(request.user, deal, item_pk)
    text = request.POST.get("text", "")
    try:
        services.item_answer(actor=request.user, item=item, text=text)
    except DomainError as exc:
        review = _review_or_404(request.user, deal)
        return _review_page(request, deal, review, errors={item.pk: {"answer": exc.detail}},
                            drafts={item.pk: text}, status=exc.status_code)  # fmt: skip
    return _after_item_write(request, deal, item, _("Answer saved."))


@login_required
@require_POST
def evidence_add(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The originator files a document for an item; a refused file leaves nothing behind and says why."""
    deal = deal_or_404(request.user, pk, parts=False)
    item = _item_or_404(request.user, deal, item_pk)
    current = item.evidence.filter(status=EvidenceStatus.CURRENT)
    form = EvidenceForm(request.POST, request.FILES, data_assets=deal_data_assets(deal), current=current)
    try:
        if not form.is_valid():
            first = next(iter(form.errors.values()))[0]
            raise DomainError("invalid", str(first))
        services.evidence_add(
            actor=request.user,
            item=item,
            uploaded_file=form.cleaned_data["file"],
            data_asset=form.cleaned_data["data_asset"],
            replaces=form.cleaned_data["replaces"],
        )
    except DomainError as exc:
        review = _review_or_404(request.user, deal)
        return _review_page(request, deal, review, errors={item.pk: {"evidence": exc.detail}}, status=exc.status_code)
    return _after_item_write(request, deal, item, _("Document filed."))


@login_required
@require_POST
def evidence_withdraw(request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
    """The originator withdraws a current document (it stays on record)."""
    deal = deal_or_404(request.user, pk, parts=False)
    evidence = selectors.evidence_list_for(request.user).filter(pk=evidence_pk, item__review__deal=deal).first()
    if evidence is None:
        raise Http404(_("No such document."))
    try:
        services.evidence_withdraw(actor=request.user, evidence=evidence)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Document withdrawn; it stays on record."))
    return redirect(f"{reverse('compliance_review', args=[deal.pk])}#item-{evidence.item.template_item.code}")


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """A document of a review the user may see, as an attachment (never rendered inline)."""
    deal = deal_or_404(request.user, pk, parts=False)
    evidence = selectors.evidence_list_for(request.user).filter(pk=evidence_pk, item__review__deal=deal).first()
    if evidence is None:
        raise Http404(_("No such document."))
    return evidence_file_response(evidence)


def evidence_file_response(evidence: Any) -> FileResponse:
    """The stored file as a download with its sniffed type, `nosniff` and no caching by shared caches."""
    try:
        handle = open_stored(evidence.sha256)
    except FileNotFoundError:
        raise Http404(_("The stored file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.file_name, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_POST
def item_assess(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The officer sets pass, finding or not applicable on an item, with a comment."""
    deal = deal_or_404(request.user, pk, parts=False)
    item = _item_or_404(request.user, deal, item_pk)
    form = AssessmentForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("invalid", _("Choose pass, finding or not applicable."))
        services.item_assess(actor=request.user, item=item, **form.cleaned_data)
    except DomainError as exc:
        review = _review_or_404(request.user, deal)
        return _review_page(request, deal, review, errors={item.pk: {"assess": exc.detail}}, status=exc.status_code)
    return _after_item_write(request, deal, item, _("Finding recorded."))


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Start review, request changes, approve or reject from the review page (each a workflow move, audited)."""
    deal = deal_or_404(request.user, pk, parts=False)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That decision was not understood; reload the page and try again."))
        return redirect("compliance_review", pk=deal.pk)
    decision = form.cleaned_data["decision"]
    try:
        deal = workflow.deal_move(deal=deal, action=decision, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _review_page(
            request, deal, _review_or_404(request.user, deal), decision_error=exc, status=exc.status_code
        )
    messages.success(
        request,
        _("%(move)s: the deal is now “%(status)s”.")
        % {"move": ALLOWED_TRANSITIONS[decision].label, "status": deal.get_status_display()},
    )
    return redirect("compliance_review", pk=deal.pk)


@login_required
@require_POST
def right_renew(request: HttpRequest, pk: int) -> HttpResponse:
    """The originator records a renewed registration of a data right flagged as expiring before maturity."""
    user = request.user
    deal = deal_or_404(user, pk, parts=False)
    review = _review_or_404(user, deal)
    if not may_answer(user, deal):
        raise Http404(_("This review takes no more answers."))
    form = RightRenewalForm(request.POST, data_assets=deal_data_assets(deal), prefix="right")
    if form.is_valid():
        try:
            data_right_create(actor=user, data_asset=form.cleaned_data["data_asset"], **form.service_fields())
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            # Recording the right checked the review again (origination fires `data_asset_facts_changed`).
            messages.success(request, _("Renewed right recorded; the automatic checks have been run again."))
            return redirect(f"{reverse('compliance_review', args=[deal.pk])}#item-chain_of_title")
    return _review_page(request, deal, review, renewal_form=form, status=400)


@login_required
def review_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole review as an Excel workbook a regulator can read: items, answers, evidence hashes, audit trail."""
    deal = deal_or_404(request.user, pk, parts=False)
    try:
        review = _review_or_404(request.user, deal)
    except NoReview:
        return _no_review_page(request, deal)
    return review_workbook_response(review=review, user=request.user)
