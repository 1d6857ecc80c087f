"""Pages of deals: list, application form, the deal page with its workflow buttons, and the market."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import rules
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from origination.errors import DomainError
from origination.models import User
from origination.selectors import data_asset_list_for

from . import services, workflow
from .audit import audit_action_label, audit_reason_text, is_workflow_move
from .choices import ALLOWED_TRANSITIONS, DealStatus, PledgeStatus, TrancheClass
from .forms import (
    CreditEnhancementForm,
    DealForm,
    PledgeFilingForm,
    PledgeForm,
    PoolAssetForm,
    TrancheForm,
    TransitionForm,
)
from .models import Deal, Tranche
from .selectors import (
    MARKET_YEAR_MAX,
    MARKET_YEAR_MIN,
    audit_log_for,
    credit_enhancement_list_for,
    deal_list_for,
    deal_or_404,
    deal_status_counts_for,
    latest_valuation,
    market_summary,
    pledge_list_for,
    pool_asset_list_for,
    tranche_list_for,
)
from .valuation_views import BROKER_AWAY

# The market page opens on this issue year when deals were issued in it (the year docs/market_data.md reports).
DEFAULT_MARKET_YEAR = 2025
HASH_SHOWN = 12
_STATUS_LABELS = dict(DealStatus.choices)


def action_label(action: str) -> str:
    """The words for an action recorded in the audit log (a move, or a change to the application)."""
    return audit_action_label(action)


def status_label(status: str) -> str:
    """The words for a deal status value (empty for none)."""
    return str(_STATUS_LABELS.get(status, status)) if status else ""


def actor_display(actor: User | None) -> dict[str, str]:
    """Who made a move, in the reader's language: name, role and organisation; None is the system worker."""
    if actor is None:
        return {"name": _("System"), "role": _("valuation worker"), "organisation": ""}
    return {
        "name": actor.get_full_name() or actor.username,
        "role": str(actor.get_role_display()),
        "organisation": str(actor.organisation or ""),
    }


def _audit_rows(user: User, deal: Deal) -> list[dict[str, Any]]:
    events = audit_log_for(user, deal)
    return [
        {
            "sequence": event.sequence,
            "created_at": event.created_at,
            "actor": actor_display(event.actor),
            "actor_label": event.actor_label,
            "action": action_label(event.action),
            "action_code": event.action,
            "is_move": is_workflow_move(event.action),
            "from_status": event.from_status,
            "from_label": status_label(event.from_status),
            "to_status": event.to_status,
            "to_label": status_label(event.to_status),
            # Changes are stored as language-neutral parameters and rendered in the reader's language.
            "reason": audit_reason_text(event.action, event.reason),
            "hash": event.hash,
            "short_hash": event.hash[:HASH_SHOWN],
        }
        for event in events
    ]


def _pending_reason(key: str, deal: Deal, problems: dict[str, str]) -> str:
    """Why a check cannot say yet (it waits on data an earlier item or a term provides); empty when it can."""
    if key == "revenue" and "pool" in problems:
        return _("Checked once a data asset backs the pool.")
    if key == "legal_maturity_date" and not (deal.expected_issue_date and deal.legal_maturity_date):
        return _("Checked once the expected issue date and the legal maturity date are set.")
    if key == "pool_maturity" and not (deal.expected_issue_date or deal.legal_maturity_date):
        return _("Checked once the expected issue date or the legal maturity date is set.")
    if key == "pool_principal" and not (deal.pool_assets.all() and deal.tranches.all()):
        return _("Checked once the pool and the tranches are in.")
    return ""


def _submission_checklist(deal: Deal) -> list[dict[str, str]]:
    """The submit checks as a list the originator can work through: done, to do, or waiting on an earlier item."""
    problems = workflow.deal_submission_problems(deal=deal)
    items = []
    for key, label in workflow.SUBMISSION_CHECKS:
        text = str(label) % {"months": workflow.MIN_REVENUE_MONTHS} if key == "revenue" else str(label)
        pending = _pending_reason(key, deal, problems)
        if key in problems:
            state, detail = "todo", problems[key]
        elif pending:
            state, detail = "pending", pending
        else:
            state, detail = "ok", ""
        items.append({"key": key, "label": text, "state": state, "detail": detail})
    return items


def _edit_forms(user: User, deal: Deal) -> dict[str, forms.Form]:
    own_assets = data_asset_list_for(user).filter(originator_id=deal.originator_id).order_by("name")
    return {
        "pool_asset_form": PoolAssetForm(data_assets=own_assets, prefix="pool"),
        "tranche_form": TrancheForm(prefix="tranche", initial={"payment_priority": _next_priority(deal)}),
        "enhancement_form": CreditEnhancementForm(prefix="ce"),
        "pledge_form": PledgeForm(data_assets=own_assets, prefix="pledge"),
    }


def _next_priority(deal: Deal) -> int:
    """The payment priority a new tranche most likely takes: one after the last (tranches are prefetched)."""
    return max((t.payment_priority for t in deal.tranches.all()), default=0) + 1


def _may_edit(user: User, deal: Deal) -> bool:
    return rules.test_rule("deals.edit_deal", user, deal)


def _deal_page(
    request: HttpRequest, deal: Deal, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    pool_assets = list(deal.pool_assets.all())
    tranches = list(deal.tranches.all())
    for tranche in tranches:
        tranche.share = tranche.size / deal.target_size
    enhancements = list(deal.credit_enhancements.all())
    class_labels = dict(TrancheClass.choices)
    for enhancement in enhancements:
        enhancement.covered_labels = pgettext("list separator", ", ").join(
            str(class_labels.get(c, c)) for c in enhancement.covered_classes or []
        )
    pool_total = sum((p.principal for p in pool_assets), Decimal("0"))
    tranche_total = sum((t.size for t in tranches), Decimal("0"))
    may_edit = _may_edit(user, deal)
    transitions = workflow.available_transitions(deal=deal, actor=user)
    audit_rows = _audit_rows(user, deal)
    moves = [row for row in audit_rows if row["is_move"]]
    context: dict[str, Any] = {
        "deal": deal,
        "pool_assets": pool_assets,
        "pool_total": pool_total,
        "tranches": tranches,
        "tranche_total": tranche_total,
        "tranches_match": tranche_total == deal.target_size,
        "enhancements": enhancements,
        "pledges": list(deal.pledges.all()),
        "audit_rows": audit_rows,
        # The reason behind the latest move (changes requested, rejection, withdrawal), shown on top; the originator's
        # edits since then do not hide it.
        "latest_reason": moves[-1] if moves and moves[-1]["reason"] else None,
        "simple_transitions": [t for t in transitions if not t.reason_required],
        "reasoned_transitions": [t for t in transitions if t.reason_required],
        "transitions": transitions,
        "checklist": _submission_checklist(deal) if may_edit else [],
        "may_edit": may_edit,
    }
    if may_edit:
        context.update(_edit_forms(user, deal))
        context.update(bound or {})
    return render(request, "deals/deal_detail.html", context, status=status)


@login_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A deal: terms, pool, capital structure, enhancement, pledges, audit log and the moves the user can make."""
    return _deal_page(request, deal_or_404(request.user, pk))


@login_required
@require_POST
def deal_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Make one workflow move from a button on the deal page; a refused move is shown, never a server error."""
    user = request.user
    deal = deal_or_404(user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That move was not understood; reload the page and try again."))
        return redirect("deal_detail", pk=deal.pk)
    action = form.cleaned_data["action"]
    try:
        deal = workflow.deal_move(
            deal=deal,
            action=action,
            actor=user,
            reason=form.cleaned_data["reason"],
            issue_date=form.cleaned_data["issue_date"],
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            _("%(move)s: the deal is now “%(status)s”.")
            % {"move": ALLOWED_TRANSITIONS[action].label, "status": deal.get_status_display()},
        )
        run = latest_valuation(deal=deal) if deal.status == DealStatus.VALUING else None
        if run is not None and run.waiting_for_broker:
            messages.warning(request, BROKER_AWAY)
    return redirect("deal_detail", pk=deal.pk)


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    """The deals the user may see, optionally of one status."""
    user = request.user
    counts = deal_status_counts_for(user)
    status = request.GET.get("status", "")
    deals = deal_list_for(user).prefetch_related(
        Prefetch("tranches", queryset=Tranche.objects.order_by("payment_priority"))
    )
    if status in DealStatus.values:
        deals = deals.filter(status=status)
    else:
        status = ""
    deals = list(deals.order_by("-updated_at", "-pk"))
    for deal in deals:
        first = next(iter(deal.tranches.all()), None)
        deal.senior_coupon = first.coupon if first else None
    context = {
        "deals": deals,
        "status": status,
        "status_label": status_label(status),
        "tabs": [(s, counts[s.value]) for s in DealStatus if counts.get(s.value)],
        "total": sum(counts.values()),
    }
    return render(request, "deals/deal_list.html", context)


@login_required
def deal_create(request: HttpRequest) -> HttpResponse:
    """An originator opens a draft deal for its company."""
    user = request.user
    if not user.is_originator:
        raise PermissionDenied(_("Only originator staff file deals."))
    form = DealForm(request.POST) if request.method == "POST" else DealForm()
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(actor=user, **form.cleaned_data)
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Draft “%(name)s” created. Now add its pool, tranches and enhancement.") % {"name": deal.name},
            )
            return redirect("deal_detail", pk=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deals/deal_form.html", {"form": form}, status=status)


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The originator changes the terms and structure of a draft or returned deal."""
    user = request.user
    deal = deal_or_404(user, pk)
    if not _may_edit(user, deal):
        messages.error(request, _("This application can no longer be changed."))
        return redirect("deal_detail", pk=deal.pk)
    # The form works on a copy: the service reads the deal afresh under its lock.
    form = DealForm(request.POST if request.method == "POST" else None, instance=deal_or_404(user, pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(actor=user, deal=deal, **form.cleaned_data)
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("Terms saved."))
            return redirect("deal_detail", pk=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deals/deal_form.html", {"form": form, "deal": deal}, status=status)


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Put a refused write's messages on the form: on the field at fault where the form has it, else on top."""
    if not exc.fields:
        form.add_error(None, exc.detail)
        return
    for name, problem in exc.fields.items():
        messages_ = [str(m) for m in (problem if isinstance(problem, list | tuple) else [problem])]
        # The forms take rates as percentages: the model's `coupon` is the form's `coupon_pct`.
        target = next((n for n in (name, f"{name}_pct") if n in form.fields), None)
        for message in messages_:
            if target:
                form.add_error(target, message)
            elif name in ("__all__", "non_field_errors"):
                form.add_error(None, message)
            else:
                form.add_error(None, f"{name}: {message}")


def _edit(request: HttpRequest, pk: int, form_key: str, make_form: Any, save: Any, done: str) -> HttpResponse:
    """Shared flow of the application edits: parse, call the service, show the deal page with the outcome."""
    user = request.user
    deal = deal_or_404(user, pk)
    if not _may_edit(user, deal):
        messages.error(request, _("This application can no longer be changed."))
        return redirect("deal_detail", pk=deal.pk)
    form = make_form(user, deal)
    if form.is_valid():
        try:
            save(user, deal, form)
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("deal_detail", pk=deal.pk)
    return _deal_page(request, deal_or_404(user, pk), bound={form_key: form}, status=400)


def _own_assets(user: User, deal: Deal) -> Any:
    return data_asset_list_for(user).filter(originator_id=deal.originator_id).order_by("name")


@login_required
@require_POST
def pool_asset_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a claim to the pool of an editable deal."""
    return _edit(
        request,
        pk,
        "pool_asset_form",
        lambda user, deal: PoolAssetForm(request.POST, data_assets=_own_assets(user, deal), prefix="pool"),
        lambda user, deal, form: services.pool_asset_create(actor=user, deal=deal, **form.service_fields()),
        _("Pool asset added."),
    )


@login_required
@require_POST
def tranche_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a class of notes to an editable deal."""
    return _edit(
        request,
        pk,
        "tranche_form",
        lambda user, deal: TrancheForm(request.POST, prefix="tranche"),
        lambda user, deal, form: services.tranche_create(actor=user, deal=deal, **form.service_fields()),
        _("Tranche added."),
    )


@login_required
@require_POST
def enhancement_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a credit enhancement to an editable deal."""
    return _edit(
        request,
        pk,
        "enhancement_form",
        lambda user, deal: CreditEnhancementForm(request.POST, prefix="ce"),
        lambda user, deal, form: services.credit_enhancement_create(actor=user, deal=deal, **form.service_fields()),
        _("Credit enhancement added."),
    )


@login_required
@require_POST
def pledge_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Pledge one of the company's data assets to an editable deal (a second active pledge is refused)."""
    return _edit(
        request,
        pk,
        "pledge_form",
        lambda user, deal: PledgeForm(request.POST, data_assets=_own_assets(user, deal), prefix="pledge"),
        lambda user, deal, form: services.pledge_create(actor=user, deal=deal, **form.cleaned_data),
        _("Pledge recorded."),
    )


def _remove(request: HttpRequest, pk: int, find: Any, remove: Any, done: str) -> HttpResponse:
    user = request.user
    deal = deal_or_404(user, pk)
    try:
        remove(user, find(user, deal))
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("deal_detail", pk=deal.pk)


def _part_or_404(queryset: Any, part_pk: int) -> Any:
    obj = queryset.filter(pk=part_pk).first()
    if obj is None:
        raise Http404(_("Not part of this deal."))
    return obj


@login_required
@require_POST
def pool_asset_remove(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Remove a claim from the pool of an editable deal."""
    return _remove(
        request,
        pk,
        lambda user, deal: _part_or_404(pool_asset_list_for(user).filter(deal=deal), part_pk),
        lambda user, obj: services.pool_asset_delete(actor=user, pool_asset=obj),
        _("Pool asset removed."),
    )


@login_required
@require_POST
def tranche_remove(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Remove a class of notes from an editable deal."""
    return _remove(
        request,
        pk,
        lambda user, deal: _part_or_404(tranche_list_for(user).filter(deal=deal), part_pk),
        lambda user, obj: services.tranche_delete(actor=user, tranche=obj),
        _("Tranche removed."),
    )


@login_required
@require_POST
def enhancement_remove(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Remove a credit enhancement from an editable deal."""
    return _remove(
        request,
        pk,
        lambda user, deal: _part_or_404(credit_enhancement_list_for(user).filter(deal=deal), part_pk),
        lambda user, obj: services.credit_enhancement_delete(actor=user, credit_enhancement=obj),
        _("Credit enhancement removed."),
    )


@login_required
@require_POST
def pledge_release(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Release an active pledge (the arranger, or the originator while the deal is editable)."""
    return _remove(
        request,
        pk,
        lambda user, deal: _part_or_404(pledge_list_for(user).filter(deal=deal, status=PledgeStatus.ACTIVE), part_pk),
        lambda user, obj: services.pledge_release(actor=user, pledge=obj),
        _("Pledge released."),
    )


def _edit_part(
    request: HttpRequest, pk: int, *, find: Any, make_form: Any, save: Any, done: str, title: str, anchor: str
) -> HttpResponse:
    """Shared flow of the edit pages of a deal's parts: the form filled with the part, the service, back to the deal."""
    user = request.user
    deal = deal_or_404(user, pk)
    part = find(user, deal)
    if not _may_edit(user, deal):
        messages.error(request, _("This application can no longer be changed."))
        return redirect("deal_detail", pk=deal.pk)
    form = make_form(user, deal, part, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            save(user, part, form)
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(reverse("deal_detail", args=[deal.pk]) + anchor)
    context = {"deal": deal, "part": part, "form": form, "title": title, "anchor": anchor}
    return render(request, "deals/part_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def pool_asset_edit(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Change a claim of the pool of an editable deal."""
    return _edit_part(
        request,
        pk,
        find=lambda user, deal: _part_or_404(pool_asset_list_for(user).filter(deal=deal), part_pk),
        make_form=lambda user, deal, part, data: PoolAssetForm(
            data, data_assets=_own_assets(user, deal), initial=PoolAssetForm.initial_from(part)
        ),
        save=lambda user, part, form: services.pool_asset_update(actor=user, pool_asset=part, **form.service_fields()),
        done=_("Pool asset saved."),
        title=_("Edit a pool asset"),
        anchor="#pool",
    )


@login_required
def tranche_edit(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Change a class of notes of an editable deal."""
    return _edit_part(
        request,
        pk,
        find=lambda user, deal: _part_or_404(tranche_list_for(user).filter(deal=deal), part_pk),
        make_form=lambda user, deal, part, data: TrancheForm(data, initial=TrancheForm.initial_from(part)),
        save=lambda user, part, form: services.tranche_update(actor=user, tranche=part, **form.service_fields()),
        done=_("Tranche saved."),
        title=_("Edit a tranche"),
        anchor="#tranches",
    )


@login_required
def enhancement_edit(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Change a credit enhancement of an editable deal."""
    return _edit_part(
        request,
        pk,
        find=lambda user, deal: _part_or_404(credit_enhancement_list_for(user).filter(deal=deal), part_pk),
        make_form=lambda user, deal, part, data: CreditEnhancementForm(
            data, initial=CreditEnhancementForm.initial_from(part)
        ),
        save=lambda user, part, form: services.credit_enhancement_update(
            actor=user, credit_enhancement=part, **form.service_fields()
        ),
        done=_("Credit enhancement saved."),
        title=_("Edit a credit enhancement"),
        anchor="#enhancement",
    )


@login_required
def pledge_edit(request: HttpRequest, pk: int, part_pk: int) -> HttpResponse:
    """Record or correct the registry filing of an active pledge of an editable deal."""
    return _edit_part(
        request,
        pk,
        find=lambda user, deal: _part_or_404(
            pledge_list_for(user).filter(deal=deal, status=PledgeStatus.ACTIVE), part_pk
        ),
        make_form=lambda user, deal, part, data: PledgeFilingForm(data, initial=PledgeFilingForm.initial_from(part)),
        save=lambda user, part, form: services.pledge_update(actor=user, pledge=part, **form.service_fields()),
        done=_("Pledge filing saved."),
        title=_("Edit a pledge's registry filing"),
        anchor="#pledges",
    )


class BadQuery(ValueError):
    """A query-string parameter of a page is out of its range; the page answers 400 saying which and why."""


def _market_year(raw: str | None, years: list[int]) -> int | None:
    if raw == "all":
        return None
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and MARKET_YEAR_MIN <= int(raw) <= MARKET_YEAR_MAX):
            raise BadQuery(
                _("year: enter an issue year from %(min)s to %(max)s, or 'all'.")
                % {"min": MARKET_YEAR_MIN, "max": MARKET_YEAR_MAX}
            )
        return int(raw)
    if DEFAULT_MARKET_YEAR in years:
        return DEFAULT_MARKET_YEAR
    return years[-1] if years else None


@login_required
def market(request: HttpRequest) -> HttpResponse:
    """The market figures of issued deals (docs/market_data.md), for one issue year or all."""
    overall = market_summary()
    years = [row["year"] for row in overall["by_year"]]
    try:
        year = _market_year(request.GET.get("year"), years)
    except BadQuery as error:
        return render(request, "bad_query.html", {"message": str(error)}, status=400)
    summary = overall if year is None else market_summary(year=year)
    issued = (
        deal_list_for(request.user)
        .filter(status=DealStatus.ISSUED)
        .prefetch_related(Prefetch("tranches", queryset=Tranche.objects.order_by("payment_priority")))
        .order_by("-issue_date", "-pk")
    )
    if year is not None:
        issued = issued.filter(issue_date__year=year)
    issued = list(issued)
    for deal in issued:
        first = next(iter(deal.tranches.all()), None)
        deal.senior_coupon = first.coupon if first else None
        deal.senior_rating = first.get_target_rating_display() if first else ""
    context = {
        "summary": summary,
        "year": year,
        "years": years,
        "by_year": overall["by_year"],
        "issued": issued,
    }
    template = "deals/_market_body.html" if request.htmx else "deals/market.html"
    return render(request, template, context)
