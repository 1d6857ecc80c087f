"""Services of the valuation job: request a run (the workflow move to 'valuing'), and execute a claimed run.

The ValuationRun row is the source of truth: the task claims it, runs the
engine with progress, stores the result only while it holds the claim, and in
the same transaction sets each tranche's product risk level and moves the deal
to 'valued'. A failure stores the reason and moves the deal back so it can be
retried. Running the task twice stores one result.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from origination.errors import ConflictError, DomainError
from origination.jobs import ClaimLost, job_enqueue, job_finish, job_progress, job_run
from origination.limits import N_PATHS_RANGE
from origination.models import User

from . import workflow
from .choices import DealStatus
from .market_data import market_parameters_for
from .models import Deal, Tranche, ValuationRun
from .product_risk import TrancheRiskInputs, risk_facts
from .valuation import DEFAULT_SEED, history_metrics, to_plain, value_deal
from .valuation_inputs import pricing_date_for, valuation_inputs_for

PROGRESS_STEP = 5.0  # percent between two progress writes


def valuation_request(
    *, actor: User | None, deal: Deal, n_paths: int = 10_000, seed: int = DEFAULT_SEED
) -> ValuationRun:
    """Start valuing an approved deal: the workflow move to 'valuing', which queues the run (`on_start_valuation`)."""
    with transaction.atomic():
        workflow.deal_start_valuation(deal=deal, actor=actor, n_paths=n_paths, seed=seed)
        return ValuationRun.objects.filter(deal=deal).latest("pk")


def on_start_valuation(move: workflow.Move) -> ValuationRun:
    """The start_valuation move's hook (deals/apps.py): a queued run of the deal, enqueued after commit."""
    n_paths = 10_000 if move.n_paths is None else move.n_paths
    seed = DEFAULT_SEED if move.seed is None else move.seed
    if not N_PATHS_RANGE.contains(n_paths):
        raise DomainError("invalid", _("Between 1,000 and 200,000 paths."), fields={"n_paths": _("Out of range.")})
    from .tasks import run_valuation

    deal = move.deal
    if ValuationRun.objects.filter(deal=deal, status__in=["queued", "running"]).exists():
        raise ConflictError("valuation_running", _("A valuation of this deal is already running."))
    pricing_date = pricing_date_for(deal)
    run = ValuationRun.objects.create(
        deal=deal, requested_by=move.actor, market_parameters=market_parameters_for(pricing_date),
        pricing_date=pricing_date, n_paths=n_paths, seed=seed,
    )  # fmt: skip
    transaction.on_commit(lambda: job_enqueue(run_valuation, run.pk))
    return run


def _legal_risk(deal: Deal) -> tuple[float, float, int]:
    """The review's haircut, its regulatory-stop probability over the deal's life, and its open findings."""
    from .compliance.selectors import legal_risk_for

    risk = legal_risk_for(deal).risk
    return risk.haircut, risk.regulatory_stop_probability_life, risk.total_open


def tranche_product_risk(*, result: dict[str, Any], deal: Deal) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each tranche's product risk level R1-R5 and its factors and inputs, from the valuation result (by priority).

    A class reads its own enhanced and underlying ratings and the share of its
    stand-alone expected loss its support removes; the residual class is NR.
    """
    history = result.get("history") or {}
    sources = result.get("cash_sources") or {}
    stability = float(history.get("stability_score") or 0.0)
    data_share = min(1.0, max(0.0, float(sources.get("data_cash_share") or 0.0)))
    levels = {}
    for t in result["tranches"]:
        rating = t["implied_rating"] if t.get("rated", True) else "NR"
        underlying = t.get("underlying_rating") or rating
        # Dependence counts where the support lifts the rating: a class AAA on its own does not rely on a
        # guarantee, however much of its (tiny) expected loss the guarantee also removes.
        lifted = bool(t.get("support_notches"))
        dependence = min(1.0, max(0.0, float(t.get("support_loss_share") or 0.0))) if lifted else 0.0
        inputs = TrancheRiskInputs(
            rating=rating, underlying_rating=underlying, stability_score=stability, data_share=data_share,
            guarantee_dependence=dependence, suggested_coupon=(t.get("suggested_coupon") or {}).get("coupon"),
        )  # fmt: skip
        levels[int(t["priority"])] = risk_facts(inputs, tenor_months=deal.tenor_months)
    return levels


def tranche_rating_facts(result: dict[str, Any]) -> dict[int, tuple[str, str, dict[str, Any]]]:
    """Each tranche's enhanced and underlying ratings and how they were decided (by priority)."""
    found = {}
    for t in result["tranches"]:
        rated = t.get("rated", True)
        decision = t.get("rating") or {}
        alone = t.get("underlying") or {}
        facts = {
            "rated": rated,
            "decided": decision.get("decided"),
            "range": decision.get("range"),
            "expected_loss": t.get("expected_loss"),
            "expected_loss_standard_error": t.get("expected_loss_standard_error"),
            "underlying_decided": alone.get("decided"),
            "underlying_range": alone.get("range"),
            "support_notches": t.get("support_notches"),
            "support_loss_share": t.get("support_loss_share"),
        }
        found[int(t["priority"])] = (
            t["implied_rating"] if rated else "NR",
            (t.get("underlying_rating") or t["implied_rating"]) if rated else "NR",
            facts,
        )
    return found


def valuation_execute(*, run_id: int, retries_done: int = 0) -> None:
    """Claim the run, value the deal, store the result and move the deal to 'valued'; safe to run twice.

    A transient error (connection lost) raises JobRetry with the run queued again; any other one fails the run
    and moves the deal back, with the reason (origination/jobs.py).
    """

    def work(token: uuid.UUID) -> None:
        _value(run_id, token)

    def failed(reason: str) -> None:
        deal = Deal.objects.get(pk=ValuationRun.objects.values_list("deal_id", flat=True).get(pk=run_id))
        if deal.status == DealStatus.VALUING:
            workflow.deal_fail_valuation(deal=deal, reason=_("Valuation failed: %(reason)s") % {"reason": reason})

    if not job_run(model=ValuationRun, job_id=run_id, work=work, on_failure=failed, retries_done=retries_done):
        _release_deal_of_abandoned_run(run_id)


def _value(run_id: int, token: uuid.UUID) -> None:
    run = ValuationRun.objects.select_related("deal", "market_parameters").get(pk=run_id)
    deal = run.deal
    pricing_date = run.pricing_date or pricing_date_for(deal)
    market = run.market_parameters or market_parameters_for(pricing_date)
    haircut, stop_life, open_findings = _legal_risk(deal)
    inputs, extra = valuation_inputs_for(
        deal=deal, market=market, legal_haircut=haircut, legal_stop_life=stop_life, open_findings=open_findings,
        pricing_date=pricing_date,
    )  # fmt: skip
    ValuationRun.objects.filter(pk=run_id, claim_token=token).update(inputs=extra["snapshot"])
    last = [0.0]

    def report(fraction: float) -> None:
        percent = 100.0 * fraction
        if percent - last[0] >= PROGRESS_STEP:
            last[0] = percent
            if not job_progress(model=ValuationRun, job_id=run_id, token=token, progress=min(percent, 99.0)):
                raise ClaimLost

    result = value_deal(inputs, n_paths=run.n_paths, seed=run.seed, progress=report).to_dict()
    if result.get("history") is None and extra["history"] is not None:
        # Pledge and empowerment deals: the data's revenue is not the pool's cash, but its stability still counts.
        result["history"] = to_plain(history_metrics(extra["history"], inputs.assumptions))
    levels = tranche_product_risk(result=result, deal=deal)
    ratings = tranche_rating_facts(result)
    with transaction.atomic():
        if not job_finish(model=ValuationRun, job_id=run_id, token=token, result=result):
            raise ClaimLost
        for tranche in Tranche.objects.filter(deal=deal):
            level, facts = levels.get(tranche.payment_priority, ("", {}))
            enhanced, underlying, decided = ratings.get(tranche.payment_priority, ("", "", {}))
            Tranche.objects.filter(pk=tranche.pk).update(
                product_risk_level=level, product_risk_factors=facts, implied_rating=enhanced,
                underlying_rating=underlying, rating_facts=decided,
            )  # fmt: skip
        if Deal.objects.get(pk=deal.pk).status == DealStatus.VALUING:
            workflow.deal_complete_valuation(deal=deal)


def _release_deal_of_abandoned_run(run_id: int) -> None:
    """A run given up after too many attempts leaves its deal 'valuing': move it back, with the run's reason."""
    run = ValuationRun.objects.select_related("deal").filter(pk=run_id, status="failed").first()
    if run is None or run.deal.status != DealStatus.VALUING:
        return
    if ValuationRun.objects.filter(deal=run.deal, status__in=["queued", "running"]).exists():
        return
    with contextlib.suppress(DomainError):  # another path moved the deal meanwhile
        workflow.deal_fail_valuation(deal=run.deal, reason=run.error or _("The valuation was given up."))


def on_fail_valuation(move: workflow.Move) -> None:
    """The fail_valuation move's hook (deals/apps.py): runs still queued or running are closed with its reason."""
    from django.utils import timezone

    ValuationRun.objects.filter(deal=move.deal, status__in=["queued", "running"]).update(
        status="failed", error=_("Recorded as failed by the arranger."), finished_at=timezone.now(), claim_token=None
    )
