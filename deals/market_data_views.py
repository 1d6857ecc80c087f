"""Pages of market data: the dated market series (table, curve chart, upload, download) and comparable transactions.

Every signed-in user reads them; only the arranger uploads, adds and removes
(a refused write is a 403). Views parse input and call deals.market_data.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from origination.choices import DataCategory
from origination.errors import DomainError
from origination.filters import ID_PATTERN
from origination.formatting import MISSING, percent, rate_bp
from origination.models import User

from . import market_data
from .csv_upload import MAX_UPLOAD_BYTES, MarketFileError
from .models import ComparableTransaction, MarketParameters

SERIES_PAGE_SIZE = 50
COMPARABLES_PAGE_SIZE = 50
TABLE_TENORS = (1, 3, 5, 10)
DEFAULT_CURVES = 3  # dates drawn when none is selected: the latest ones in force
MAX_CURVES = 8
CSV_ACCEPT = ".csv,text/csv"
MAX_MB = f"{MAX_UPLOAD_BYTES / 1024 / 1024:g}"


class MarketUploadForm(forms.Form):
    """A market series CSV and where its figures come from; the rows are checked by the service."""

    file = forms.FileField(
        label=gettext_lazy("Market data file (CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )
    source = forms.CharField(
        label=gettext_lazy("Source"),
        max_length=market_data.SOURCE_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy(
            "Where the figures come from, e.g. ChinaBond close of 2025-11-28. Blank: the file's name."
        ),
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("Columns as_of, table, key, value; one or more dates. Up to %(mb)s MB.") % {
            "mb": MAX_MB
        }


class ComparableForm(forms.ModelForm):
    """One priced data transaction, entered by hand."""

    class Meta:
        model = ComparableTransaction
        fields = ["category", "description", "venue", "transaction_date", "price", "annual_revenue", "source"]
        widgets = {"transaction_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_price(self) -> Any:
        return market_data.positive_amount(self.cleaned_data.get("price"))

    def clean_annual_revenue(self) -> Any:
        return market_data.positive_amount(self.cleaned_data.get("annual_revenue"))


class ComparableUploadForm(forms.Form):
    """A comparables CSV; the rows are checked by the service."""

    file = forms.FileField(
        label=gettext_lazy("Comparable transactions file (CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": CSV_ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Columns category, description, venue, transaction_date, price, annual_revenue, source. Up to %(mb)s MB."
        ) % {"mb": MAX_MB}


def _ensure_may_maintain(user: User) -> None:
    if not market_data.may_maintain_market_data(user):
        raise PermissionDenied(_("Only the arranger maintains market data."))


# --- presenting the series --------------------------------------------------------------------------------------


def rate_at(curve: list[list[float]], years: float) -> tuple[float | None, bool]:
    """The curve's rate at `years`, linearly interpolated and flat outside (as valuation reads it); and whether
    it is a point of the curve rather than interpolated."""
    points = sorted((float(tenor), float(rate)) for tenor, rate in curve)
    if not points:
        return None, False
    exact = next((rate for tenor, rate in points if tenor == years), None)
    if exact is not None:
        return exact, True
    if years <= points[0][0]:
        return points[0][1], False
    if years >= points[-1][0]:
        return points[-1][1], False
    for (t0, r0), (t1, r1) in zip(points, points[1:], strict=False):
        if t0 < years < t1:
            return r0 + (r1 - r0) * (years - t0) / (t1 - t0), False
    return None, False  # unreachable: the points cover the range


def _bp(spread: Any) -> str:
    """The spread in basis points; '—' for a stored value that is not a number (the admin edits the JSON freely)."""
    try:
        return rate_bp(spread)
    except (TypeError, ValueError, ArithmeticError):
        return MISSING


def _series_row(market: MarketParameters, *, selected: set[int]) -> dict[str, Any]:
    rates = []
    for years in TABLE_TENORS:
        rate, exact = rate_at(market.benchmark_curve or [], years)
        rates.append({"text": percent(rate), "interpolated": not exact and rate is not None})
    return {
        "market": market,
        "rates": rates,
        "aaa_spread": _bp((market.rating_spreads or {}).get("AAA")),
        "uploaded_by": market.created_by.get_full_name() or market.created_by.username if market.created_by else "",
        "selected": market.pk in selected,
    }


def _selected_ids(request: HttpRequest, rows: list[MarketParameters]) -> set[int]:
    """The rows whose curves the chart draws: those ticked, else the latest dates in force on the page."""
    on_page = {market.pk for market in rows}
    ticked = {int(value) for value in request.GET.getlist("curve") if re.fullmatch(ID_PATTERN, value)} & on_page
    if ticked:
        return set(sorted(ticked, reverse=True)[:MAX_CURVES])
    in_force = [market.pk for market in rows if not market.superseded]
    return set(in_force[:DEFAULT_CURVES])


def _chart_data(rows: list[MarketParameters], selected: set[int]) -> dict[str, Any]:
    curves = [
        {
            "label": f"{market.as_of:%Y-%m-%d}" + (f" (#{market.pk})" if market.superseded else ""),
            "points": [{"x": float(tenor), "y": round(float(rate) * 100, 6)} for tenor, rate in market.benchmark_curve],
        }
        for market in rows
        if market.pk in selected
    ]
    return {"curves": curves, "text": {"x": _("Tenor (years)"), "y": _("Rate (%)"), "years": _("years")}}


@login_required
def series(request: HttpRequest) -> HttpResponse:
    """The market series, newest date first, with the curves of the selected dates drawn."""
    page = Paginator(market_data.market_parameters_list_for(request.user), SERIES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    selected = _selected_ids(request, rows)
    context = {
        "page": page,
        "rows": [_series_row(market, selected=selected) for market in rows],
        "tenors": TABLE_TENORS,
        "chart": _chart_data(rows, selected),
        "may_maintain": market_data.may_maintain_market_data(request.user),
    }
    return render(request, "deals/market_data/series.html", context)


def _upload_refused(exc: DomainError) -> tuple[str, list[dict[str, Any]], int]:
    if isinstance(exc, MarketFileError):
        return exc.detail, exc.row_errors, 400
    return exc.detail, [], exc.status_code


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The arranger uploads a market CSV; a file with any bad row saves nothing and lists every bad row."""
    _ensure_may_maintain(request.user)
    form = MarketUploadForm(request.POST, request.FILES) if request.method == "POST" else MarketUploadForm()
    error, row_errors, status = "", [], 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                result = market_data.market_parameters_upload(
                    actor=request.user,
                    uploaded_file=form.cleaned_data["file"],
                    source=form.cleaned_data["source"],
                    notes=form.cleaned_data["notes"],
                )
            except DomainError as exc:
                error, row_errors, status = _upload_refused(exc)
            else:
                _say_what_was_stored(request, result)
                return redirect("market_data")
    context = {"form": form, "error": error, "row_errors": row_errors}
    return render(request, "deals/market_data/upload.html", context, status=status)


def _say_what_was_stored(request: HttpRequest, result: market_data.MarketUpload) -> None:
    dates = ", ".join(f"{market.as_of:%Y-%m-%d}" for market in result.created)
    messages.success(
        request,
        ngettext(
            "Market data of %(count)d date stored: %(dates)s.",
            "Market data of %(count)d dates stored: %(dates)s.",
            len(result.created),
        )
        % {"count": len(result.created), "dates": dates},
    )
    if result.replaced:
        replaced = ", ".join(f"{day:%Y-%m-%d}" for day in result.replaced_dates)
        messages.info(
            request,
            _("%(dates)s already had market data: the new rows replace them for pricing (the old rows are kept).")
            % {"dates": replaced},
        )


@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """One date's parameters as a CSV in the upload format."""
    market = get_object_or_404(market_data.market_parameters_list_for(request.user), pk=pk)
    response = HttpResponse(
        "\ufeff" + market_data.market_parameters_csv(market), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="market-data-{market.as_of:%Y-%m-%d}-{market.pk}.csv"'
    return response


# --- comparable transactions ------------------------------------------------------------------------------------


def _comparables_context(request: HttpRequest, form: ComparableForm | None = None) -> dict[str, Any]:
    category = request.GET.get("category", "")
    if category not in DataCategory.values:
        category = ""
    entries = market_data.comparable_transaction_list_for(request.user, category=category)
    page = Paginator(entries, COMPARABLES_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.revenue_multiple = entry.price / entry.annual_revenue
    may_maintain = market_data.may_maintain_market_data(request.user)
    return {
        "page": page,
        "entries": page.object_list,
        "category": category,
        "pager_query": f"category={category}&" if category else "",
        "categories": DataCategory.choices,
        "may_maintain": may_maintain,
        "form": (form or ComparableForm()) if may_maintain else None,
    }


@login_required
def comparables(request: HttpRequest) -> HttpResponse:
    """The comparables register, latest transaction first, optionally of one category; the arranger's add form."""
    return render(request, "deals/market_data/comparables.html", _comparables_context(request))


def _add_domain_error(form: forms.Form, exc: DomainError) -> None:
    for name, problems in exc.fields.items():
        for problem in problems if isinstance(problems, list | tuple) else [problems]:
            form.add_error(name if name in form.fields else None, str(problem))
    if not exc.fields:
        form.add_error(None, exc.detail)


@login_required
@require_POST
def comparable_add(request: HttpRequest) -> HttpResponse:
    """The arranger registers one transaction by hand."""
    _ensure_may_maintain(request.user)
    form = ComparableForm(request.POST)
    if form.is_valid():
        try:
            entry = market_data.comparable_transaction_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _add_domain_error(form, exc)
        else:
            messages.success(request, _("“%(entry)s” added to the register.") % {"entry": entry})
            return redirect("market_data_comparables")
    context = _comparables_context(request, form)
    return render(request, "deals/market_data/comparables.html", context, status=400)


@login_required
def comparables_upload(request: HttpRequest) -> HttpResponse:
    """The arranger adds transactions from a CSV; a file with any bad row adds nothing and lists every bad row."""
    _ensure_may_maintain(request.user)
    form = ComparableUploadForm(request.POST, request.FILES) if request.method == "POST" else ComparableUploadForm()
    error, row_errors, status = "", [], 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                created = market_data.comparable_transactions_upload(
                    actor=request.user, uploaded_file=form.cleaned_data["file"]
                )
            except DomainError as exc:
                error, row_errors, status = _upload_refused(exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d transaction added to the register.",
                        "%(count)d transactions added to the register.",
                        len(created),
                    )
                    % {"count": len(created)},
                )
                return redirect("market_data_comparables")
    context = {"form": form, "error": error, "row_errors": row_errors}
    return render(request, "deals/market_data/comparables_upload.html", context, status=status)


@login_required
@require_POST
def comparable_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """The arranger removes an entry registered by mistake."""
    _ensure_may_maintain(request.user)
    entry = get_object_or_404(market_data.comparable_transaction_list_for(request.user), pk=pk)
    market_data.comparable_transaction_delete(actor=request.user, comparable=entry)
    messages.success(request, _("“%(entry)s” removed from the register.") % {"entry": entry})
    return redirect("market_data_comparables")
