"""Pages of investors: the institution, its risk questionnaire, and the book of a deal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from deals.choices import DealType
from deals.compliance.presenters import with_text
from deals.models import Tranche
from deals.selectors import deal_or_404
from origination.errors import DomainError
from origination.models import User

from .forms import OrderForm, QuestionnaireForm
from .mandate import breach_text
from .models import IndicationOfInterest, Investor, RiskProfile
from .orders import BOOK_OPEN_STATES, order_amend, order_place, order_withdraw
from .selectors import (
    book_deal_list_for,
    book_for,
    fact_notices_for,
    investor_list_for,
    may_read_order_reasons,
    order_list_for,
)
from .services import risk_profile_submit_questionnaire
from .suitability import order_breaches


def risk_profile_display(investor: Investor | None) -> tuple[RiskProfile | None, list[str]]:
    """The investor's risk profile, and its allowed deal types in words."""
    if investor is None:
        return None, []
    try:
        profile = investor.risk_profile
    except ObjectDoesNotExist:
        return None, []
    valid = set(DealType.values)
    return profile, [str(DealType(value).label) for value in profile.allowed_deal_types if value in valid]


@login_required
def investor_list(request: HttpRequest) -> HttpResponse:
    """Investors the user may see; investor staff go straight to their own institution."""
    investors = list(investor_list_for(request.user))
    if request.user.is_investor and len(investors) == 1:
        return redirect("investor_detail", pk=investors[0].pk)
    rows: list[dict[str, Any]] = []
    for investor in investors:
        profile, _types = risk_profile_display(investor)
        rows.append({"investor": investor, "profile": profile})
    return render(request, "investors/investor_list.html", {"rows": rows})


@login_required
def investor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An institution and its risk profile: tolerance and mandate limits."""
    investor = investor_list_for(request.user).filter(pk=pk).first()
    if investor is None:
        raise Http404(_("No such investor."))
    profile, deal_types = risk_profile_display(investor)
    context = {"institution": investor, "profile": profile, "allowed_deal_types": deal_types}
    return render(request, "investors/investor_detail.html", context)


@login_required
def questionnaire(request: HttpRequest) -> HttpResponse:
    """Investor staff answer the risk questionnaire; the result and its reasons replace the risk tolerance."""
    if not request.user.is_investor:
        raise PermissionDenied(_("Only investor staff fill in the risk questionnaire."))
    investor = request.user.investor
    profile = RiskProfile.objects.filter(investor=investor).first()
    initial = profile.answers if profile else {}
    form = QuestionnaireForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            risk_profile_submit_questionnaire(actor=request.user, investor=investor, answers=form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Your risk profile was updated; matching runs again for your institution."))
            return redirect("investor_detail", pk=investor.pk)
    return render(request, "investors/questionnaire.html", {"form": form, "profile": profile})


@login_required
def deal_book(request: HttpRequest, pk: int) -> HttpResponse:
    """The book of a published deal: an investor's own orders and forms; the whole book for originator and arranger."""
    deal = deal_or_404(request.user, pk, parts=False, among=book_deal_list_for)
    books = book_for(request.user, deal)
    for book in books:
        book.form = OrderForm(prefix=f"t{book.tranche.pk}")
        book.active_order = next((o for o in book.orders if o.status == "active"), None)
        for order in book.orders:
            order.reasons = _order_reasons(request.user, order, book_open=deal.status in BOOK_OPEN_STATES)
    context = {
        "deal": deal,
        "books": books,
        "book_open": deal.status in BOOK_OPEN_STATES,
        "fact_notices": with_text(fact_notices_for(request.user, deal)),
    }
    return render(request, "investors/book.html", context)


def _order_reasons(user: User, order: IndicationOfInterest, *, book_open: bool) -> list[str]:
    """For the order's investor and the arranger: why a held order was not allotted, or, while the book is open,
    why an active order would be held at issue if nothing changes (its investor's profile as it is now)."""
    if not may_read_order_reasons(user, order):
        return []
    if order.status == "held":
        return order.held_reason_texts
    if order.status == "active" and book_open:
        return [
            breach_text(b) for b in order_breaches(investor=order.investor, tranche=order.tranche, amount=order.amount)
        ]
    return []


@login_required
@require_POST
def order_submit(request: HttpRequest, pk: int, tranche_pk: int) -> HttpResponse:
    """Place (or amend, when one is active) the investor's order on a tranche."""
    deal = deal_or_404(request.user, pk, parts=False)
    tranche = Tranche.objects.filter(deal=deal, pk=tranche_pk).first()
    if tranche is None:
        raise Http404(_("No such tranche."))
    form = OrderForm(request.POST, prefix=f"t{tranche.pk}")
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[name].label}: {' '.join(errs)}" for name, errs in form.errors.items())
        messages.error(request, errors)
        return redirect("deal_book", pk=deal.pk)
    active = order_list_for(request.user).filter(tranche=tranche, status="active").first()
    try:
        if active is None:
            order_place(
                actor=request.user, tranche=tranche, amount=form.cleaned_data["amount"], yield_rate=form.yield_rate
            )
            messages.success(request, _("Your order is in the book."))
        else:
            order_amend(
                actor=request.user, order=active, amount=form.cleaned_data["amount"], yield_rate=form.yield_rate
            )
            messages.success(request, _("Your order was amended; the previous one is kept in the record."))
    except DomainError as exc:
        messages.error(request, exc.detail)
        if exc.code == "suitability_warning_required":
            messages.info(request, exc.fields["tranche"])
    return redirect("deal_book", pk=deal.pk)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int, order_pk: int) -> HttpResponse:
    """Withdraw the investor's own active order."""
    deal = deal_or_404(request.user, pk, parts=False)
    order = order_list_for(request.user).filter(tranche__deal=deal, pk=order_pk).first()
    if order is None:
        raise Http404(_("No such order."))
    try:
        order_withdraw(actor=request.user, order=order)
        messages.success(request, _("Your order was withdrawn."))
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("deal_book", pk=deal.pk)
