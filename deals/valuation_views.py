"""Pages of a deal's valuation: start it, follow its progress, read the results, download them.

The stored `ValuationRun.result` (the engine's `ValuationResult.to_dict()`) is
turned into rows a reader takes in at a glance; fractions are shown as
percentages, amounts in CNY. The page is scoped like the deal page (a deal the
user may not see is a 404), so investors see it only once the deal is public.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from origination.errors import DomainError
from origination.jobs import JobStatus
from origination.models import User
from origination.selectors import revenue_list_for

from . import workflow
from .models import Deal, PoolAsset, ValuationRun
from .selectors import deal_or_404
from .valuation_jobs import valuation_request
from .valuation_presenters import (
    error_words,
    result_is_current,
    results_context,
    status_text,
    summary_context,
)

logger = logging.getLogger(__name__)

QUEUED_TOO_LONG = dt.timedelta(seconds=60)
DEFAULT_PATHS = 10_000
PATH_CHOICES = (2_000, 10_000, 50_000, 200_000)


def _runs(deal: Deal) -> Any:
    return ValuationRun.objects.filter(deal=deal).select_related("market_parameters", "requested_by")


def _run_or_404(deal: Deal, run_id: int) -> ValuationRun:
    run = _runs(deal).filter(pk=run_id).first()
    if run is None:
        raise Http404(_("No such valuation run."))
    return run


def deal_revenue_by_month(*, user: User, deal: Deal) -> list[tuple[dt.date, float]]:
    """Total monthly revenue of the deal's data assets the user may see, oldest first (one query)."""
    backing = PoolAsset.data_assets.through.objects.filter(poolasset__deal=deal).values("dataasset_id")
    rows = (
        revenue_list_for(user)
        .filter(data_asset_id__in=backing)
        .values("period")
        .order_by("period")
        .annotate(total=Sum("amount"))
    )
    return [(row["period"], float(row["total"])) for row in rows]


def may_start(user: User, deal: Deal) -> bool:
    """Whether the user may start (or retry) a valuation of the deal now: the arranger, once compliance approved."""
    return any(t.action == "start_valuation" for t in workflow.available_transitions(deal=deal, actor=user))


def run_context(request: HttpRequest, deal: Deal, run: ValuationRun | None) -> dict[str, Any]:
    """What the page and its partials need about a run, whatever its status."""
    context: dict[str, Any] = {"deal": deal, "run": run, "may_start": may_start(request.user, deal),
                               "path_choices": PATH_CHOICES, "default_paths": DEFAULT_PATHS}  # fmt: skip
    if run is None:
        return context
    context["status_text"] = status_text(run)
    context["paths"] = f"{run.n_paths:,}"
    context["progress"] = round(run.progress)
    context["waiting_long"] = run.status == JobStatus.QUEUED and timezone.now() - run.created_at > QUEUED_TOO_LONG
    if run.status == JobStatus.FAILED:
        context["error_message"], context["error_kind"] = error_words(run.error or _("No reason was recorded."))
    if run.status == JobStatus.SUCCEEDED and run.result:
        if result_is_current(run.result):
            # The presenters run no query: the revenue the fan chart follows is loaded here.
            revenue = deal_revenue_by_month(user=request.user, deal=deal)
            start = deal.expected_issue_date or timezone.localdate()
            context["results"] = results_context(result=run.result, revenue=revenue, projection_start=start)
        else:  # stored by an earlier engine in another shape: value the deal again rather than misread it
            context["outdated"] = True
    return context


@login_required
def valuation_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal's latest valuation: its progress while it runs, the results once done, the error if it failed."""
    deal = deal_or_404(request.user, pk, parts=False)
    runs = list(_runs(deal).defer("result", "inputs").order_by("-created_at", "-pk"))
    run = _runs(deal).get(pk=runs[0].pk) if runs else None
    context = run_context(request, deal, run)
    context["earlier_runs"] = runs[1:]
    return render(request, "deals/valuation/page.html", context)


@login_required
def valuation_progress(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """The progress bar of a run (polled by htmx); once the run is finished, its outcome and a page refresh."""
    deal = deal_or_404(request.user, pk, parts=False)
    run = _run_or_404(deal, run_id)
    if not run.is_finished:
        return render(request, "deals/valuation/_progress.html", run_context(request, deal, run))
    deal.refresh_from_db(fields=["status"])  # the job moved the deal: the retry button depends on it
    response = render(request, "deals/valuation/_outcome.html", run_context(request, deal, run))
    if request.htmx:
        response["HX-Refresh"] = "true"  # charts, status badge and buttons are drawn by the full page
    return response


BROKER_AWAY = gettext_lazy(
    "The valuation is recorded, but the job queue is unavailable right now: it will start by itself as soon as "
    "the queue is back. This page follows its progress."
)


@login_required
@require_POST
def valuation_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The arranger starts (or retries) the valuation of a compliance-approved deal; a refusal is a message."""
    deal = deal_or_404(request.user, pk, parts=False)
    raw = request.POST.get("n_paths") or str(DEFAULT_PATHS)
    if not raw.isdigit():
        messages.error(request, _("The number of paths must be a whole number."))
        return redirect("deal_valuation", pk=deal.pk)
    try:
        run = valuation_request(actor=request.user, deal=deal, n_paths=int(raw))
    except DomainError as exc:
        messages.error(request, exc.detail)
    except Exception:
        # Jobs run in-process without a broker: the run row already holds the failure, which the page shows.
        logger.exception("valuation of deal %s failed in-process", deal.pk)
    else:
        run.refresh_from_db(fields=["status", "heartbeat_at"])
        if run.status == JobStatus.SUCCEEDED:  # run in-process (no broker): already done
            messages.success(request, _("Valuation finished."))
        elif run.waiting_for_broker:
            messages.warning(request, BROKER_AWAY)
        elif not run.is_finished:
            messages.success(request, _("Valuation started. This page follows its progress."))
    return redirect("deal_valuation", pk=deal.pk)


@login_required
def valuation_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """A read-only summary of the latest finished valuation (loaded into the investor's product page)."""
    deal = deal_or_404(request.user, pk, parts=False)
    run = _runs(deal).filter(status=JobStatus.SUCCEEDED).order_by("-finished_at", "-pk").first()
    context: dict[str, Any] = {"deal": deal, "run": run, "paths": f"{run.n_paths:,}" if run else ""}
    if run is not None and result_is_current(run.result):
        context["summary"] = summary_context(run.result)
    return render(request, "deals/valuation/_summary.html", context)


def _finished_run_or_404(request: HttpRequest, pk: int, run_id: int) -> tuple[Deal, ValuationRun]:
    deal = deal_or_404(request.user, pk, parts=False)
    run = _run_or_404(deal, run_id)
    if run.status != JobStatus.SUCCEEDED or not run.result:
        raise Http404(_("This run has no results to download."))
    if not result_is_current(run.result):
        raise Http404(_("This run was stored by an earlier version of the valuation; value the deal again."))
    return deal, run


@login_required
def valuation_download_xlsx(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """The run's results as an Excel workbook."""
    from .valuation_export import valuation_workbook_response

    deal, run = _finished_run_or_404(request, pk, run_id)
    return valuation_workbook_response(deal=deal, run=run)


@login_required
def valuation_download_csv(request: HttpRequest, pk: int, run_id: int) -> HttpResponse:
    """The run's tranche table (both ratings, expected loss with its standard error, coupon build-up) as CSV."""
    from .valuation_export import tranche_csv_response

    deal, run = _finished_run_or_404(request, pk, run_id)
    return tranche_csv_response(deal=deal, run=run)
