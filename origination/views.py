"""Pages of the originator side (the role home page is config/views.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import services
from .asset_hooks import deal_facts_context, fact_changes_told, revenue_in_use_reason
from .choices import RightType
from .errors import DomainError
from .forms import DataAssetForm, RevenueUploadForm, RightRevocationForm
from .models import DataAsset, DataRight, RevenueImport, User
from .revenue_undo import revenue_import_undo
from .selectors import (
    data_asset_get_for,
    data_asset_list_for,
    data_right_list_for,
    revenue_import_list_for,
    revenue_monthly_totals,
    revenue_summary,
)

# A right that expires within this many days is flagged before it actually lapses.
RIGHT_EXPIRY_WARNING_DAYS = 180


def _asset_or_404(user: User, pk: int) -> DataAsset:
    try:
        return data_asset_get_for(user, pk)
    except DataAsset.DoesNotExist:
        raise Http404(_("No such data asset.")) from None


def _may_upload_revenue(user: User, asset: DataAsset) -> bool:
    """Only the asset's own company's staff upload its revenue."""
    return rules.test_rule("origination.upload_revenue", user, asset)


@login_required
def data_asset_list(request: HttpRequest) -> HttpResponse:
    """Data assets the user may see, with their revenue history depth."""
    assets = (
        data_asset_list_for(request.user)
        .annotate(revenue_months=Count("revenue_records__period", distinct=True))
        .order_by("originator__name", "name")
    )
    return render(request, "origination/data_asset_list.html", {"assets": assets})


def _may_manage(user: User, asset: DataAsset) -> bool:
    """The asset's own company's staff (or the arranger) change it and its rights."""
    return rules.test_rule("origination.manage_originator_data", user, asset.originator)


def _rights_by_type(user: User, asset: DataAsset) -> list[dict[str, Any]]:
    """The three separated rights, in their fixed order, with the registrations recorded for each (may be none)."""
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=RIGHT_EXPIRY_WARNING_DAYS)
    rights = list(data_right_list_for(user).filter(data_asset=asset).order_by("right_type", "expires_on"))
    for right in rights:
        right.is_expired = right.expires_on < today
        right.expires_soon = not right.is_expired and right.expires_on <= soon
    return [
        {"type": right_type, "rights": [r for r in rights if r.right_type == right_type.value]}
        for right_type in RightType
    ]


@login_required
def data_asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A data asset: attributes, quality, the three rights, pledges and the monthly revenue chart."""
    user = request.user
    asset = _asset_or_404(user, pk)
    monthly = revenue_monthly_totals(data_asset=asset)
    summary = revenue_summary(data_asset=asset)
    scores = [
        {"label": DataAsset._meta.get_field(field).verbose_name, "value": getattr(asset, field)}
        for field in DataAsset.QUALITY_FIELDS
    ]
    context = {
        "asset": asset,
        "scores": scores,
        "rights_by_type": _rights_by_type(user, asset),
        "monthly": monthly,
        "chart_data": {"labels": [month for month, _total in monthly], "values": [total for _m, total in monthly]},
        "revenue_total": sum((Decimal(str(total)) for _m, total in monthly), Decimal("0")),
        "revenue_counterparties": summary.counterparties,
        "revenue_top_share": summary.top_counterparty_share,
        "may_upload": _may_upload_revenue(user, asset),
        **_revenue_imports_context(user, asset),
        "may_manage": _may_manage(user, asset),
        "revocation_form": RightRevocationForm(),
        # The deals the asset backs (the warning before a change) and its pledges: origination/asset_hooks.py.
        **deal_facts_context(user=user, data_asset=asset),
    }
    return render(request, "origination/data_asset_detail.html", context)


def _revenue_imports_context(user: User, asset: DataAsset) -> dict[str, Any]:
    """The asset's imports the user may see, whether the user may undo them, and why not any more."""
    imports = list(revenue_import_list_for(user).filter(data_asset=asset))
    may_undo = bool(imports) and rules.test_rule("origination.undo_revenue_import", user, asset)
    in_use = revenue_in_use_reason(actor=user, data_asset=asset) if may_undo else ""
    return {"revenue_imports": imports, "may_undo_imports": may_undo, "imports_in_use": in_use}


def _after_fact_change(request: HttpRequest, asset: DataAsset, since: datetime.datetime, done: str) -> None:
    """Say what was saved and what it did to the deals the asset backs (docs/frozen_facts.md)."""
    consequences = fact_changes_told(data_asset_id=asset.pk, actor=request.user, since=since)
    messages.success(request, f"{done} {consequences}".strip())


@login_required
def data_asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a data asset; when submitted deals rely on it, the page says what the change will do to them."""
    user = request.user
    asset = _asset_or_404(user, pk)
    if not _may_manage(user, asset):
        raise Http404(_("No such data asset."))
    # The form works on a copy: the service reads the asset afresh under its lock.
    form = DataAssetForm(request.POST if request.method == "POST" else None, instance=_asset_or_404(user, pk))
    if request.method == "POST" and form.is_valid():
        since = timezone.now()
        try:
            services.data_asset_update(
                actor=user, data_asset=asset, **{name: form.cleaned_data[name] for name in form.fields}
            )
        except DomainError as exc:
            for name, problem in (exc.fields or {"__all__": exc.detail}).items():
                problems = problem if isinstance(problem, list | tuple) else [problem]
                for message in problems:
                    form.add_error(name if name in form.fields else None, str(message))
        else:
            _after_fact_change(request, asset, since, _("Data asset saved."))
            return redirect("data_asset_detail", pk=asset.pk)
    status = 400 if request.method == "POST" else 200
    context = {"asset": asset, "form": form, **deal_facts_context(user=user, data_asset=asset)}
    return render(request, "origination/data_asset_form.html", context, status=status)


def _right_or_404(user: User, asset: DataAsset, right_pk: int) -> DataRight:
    right = data_right_list_for(user).filter(pk=right_pk, data_asset=asset).first()
    if right is None or not _may_manage(user, asset):
        raise Http404(_("No such data right."))
    return right


@login_required
@require_POST
def data_right_remove(request: HttpRequest, pk: int, right_pk: int) -> HttpResponse:
    """Delete a right recorded in error; refused, with why, while a submitted deal relies on it."""
    user = request.user
    asset = _asset_or_404(user, pk)
    right = _right_or_404(user, asset, right_pk)
    since = timezone.now()
    try:
        services.data_right_delete(actor=user, data_right=right)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        _after_fact_change(request, asset, since, _("Data right deleted."))
    return redirect(f"{reverse('data_asset_detail', args=[asset.pk])}#rights-h")


@login_required
@require_POST
def data_right_revoke(request: HttpRequest, pk: int, right_pk: int) -> HttpResponse:
    """Revoke a registration: it stays on record, and the deals relying on it are told (docs/frozen_facts.md)."""
    user = request.user
    asset = _asset_or_404(user, pk)
    right = _right_or_404(user, asset, right_pk)
    form = RightRevocationForm(request.POST)
    since = timezone.now()
    try:
        if not form.is_valid():
            raise DomainError("reason_required", _("Say why the registration is revoked."))
        services.data_right_revoke(actor=user, data_right=right, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        _after_fact_change(request, asset, since, _("Data right revoked; it stays on record."))
    return redirect(f"{reverse('data_asset_detail', args=[asset.pk])}#rights-h")


@login_required
def revenue_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV or Excel revenue file for an asset; a file with any bad row saves nothing and lists them."""
    user = request.user
    asset = _asset_or_404(user, pk)
    if not _may_upload_revenue(user, asset):
        raise Http404(_("No such data asset."))
    form = RevenueUploadForm(request.POST, request.FILES) if request.method == "POST" else RevenueUploadForm()
    row_errors: list[dict[str, Any]] = []
    error = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            # Imported here: the import module is optional for the rest of the pages.
            from .revenue_import import RevenueFileError, revenue_import

            uploaded = form.cleaned_data["file"]
            try:
                result = revenue_import(actor=user, data_asset=asset, uploaded_file=uploaded)
            except RevenueFileError as exc:
                error = exc.detail
                row_errors = list(getattr(exc, "row_errors", None) or exc.fields.get("rows") or [])
                status = 400
            except DomainError as exc:
                error = exc.detail
                status = exc.status_code
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d revenue row imported from %(file)s.",
                        "%(count)d revenue rows imported from %(file)s.",
                        result.row_count,
                    )
                    % {"count": result.row_count, "file": result.file_name},
                )
                return redirect("data_asset_detail", pk=asset.pk)
        else:
            status = 400
    context = {"asset": asset, "form": form, "error": error, "row_errors": row_errors}
    return render(request, "origination/revenue_upload.html", context, status=status)


@login_required
@require_POST
def revenue_import_undo_view(request: HttpRequest, pk: int, import_pk: int) -> HttpResponse:
    """Undo one revenue import of an asset (its own company only); the asset's page then tells what happened."""
    user = request.user
    asset = _asset_or_404(user, pk)
    try:
        revenue_file = revenue_import_list_for(user).get(pk=import_pk, data_asset=asset)
    except RevenueImport.DoesNotExist:
        raise Http404(_("No such revenue import.")) from None
    try:
        result = revenue_import_undo(actor=user, revenue_import=revenue_file)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            ngettext(
                "The import of %(file)s was undone: its %(count)d revenue row was deleted.",
                "The import of %(file)s was undone: its %(count)d revenue rows were deleted.",
                result.row_count,
            )
            % {"count": result.row_count, "file": result.file_name},
        )
    url = reverse("data_asset_detail", args=[asset.pk])
    # The chart, the totals and the list all change: htmx reloads the page rather than patching one part.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
