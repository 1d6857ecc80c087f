"""Services of the valuation job: request a run (the workflow move to 'valuing'), and execute a claimed run.

The ValuationRun row is the source of truth: the task claims it, runs the
engine with progress, stores the result only while it holds the claim, and in
the same transaction sets each tranche's product risk level and moves the deal
to 'valued'. A failure stores the reason and moves the deal back so it can be
retried. Running the task twice stores one result.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from investors.product_risk import product_risk
from origination.errors import ConflictError, DomainError
from origination.jobs import job_claim, job_fail, job_finish, job_progress
from origination.models import User

from . import workflow
from .choices import DealStatus
from .models import Deal, MarketParameters, Tranche, ValuationRun
from .valuation import DEFAULT_SEED, history_metrics, to_plain, value_deal
from .valuation_inputs import valuation_inputs_for

PROGRESS_STEP = 5.0  # percent between two progress writes


class ClaimLost(Exception):
    """Another run of the same job took it over; this one stops without writing."""


def valuation_request(
    *, actor: User | None, deal: Deal, n_paths: int = 10_000, seed: int = DEFAULT_SEED
) -> ValuationRun:
    """Start valuing an approved deal: the workflow move to 'valuing' and a queued run, enqueued after commit."""
    if not 1_000 <= n_paths <= 200_000:
        raise DomainError("invalid", _("Between 1,000 and 200,000 paths."), fields={"n_paths": _("Out of range.")})
    from .tasks import run_valuation

    with transaction.atomic():
        if ValuationRun.objects.filter(deal=deal, status__in=["queued", "running"]).exists():
            raise ConflictError("valuation_running", _("A valuation of this deal is already running."))
        workflow.deal_start_valuation(deal=deal, actor=actor)
        market = MarketParameters.objects.order_by("-as_of", "-pk").first()
        run = ValuationRun.objects.create(
            deal=deal, requested_by=actor, market_parameters=market, n_paths=n_paths, seed=seed
        )
        transaction.on_commit(lambda: run_valuation.delay(run.pk))
    return run


def _legal_risk(deal: Deal) -> tuple[float, float, int]:
    from .compliance.selectors import legal_risk_for

    legal = legal_risk_for(deal)
    risk = legal.risk
    addon = max(0.0, risk.regulatory_stop_probability - risk.base_stop_probability)
    return risk.haircut, addon, risk.total_open


def tranche_product_risk(*, result: dict[str, Any], deal: Deal) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each tranche's product risk level R1-R5 and its factors, from the valuation result (by priority)."""
    history = result.get("history") or {}
    coverage = result.get("coverage") or {}
    stability = float(history.get("stability_score") or 0.0)
    data_share = min(1.0, max(0.0, float(coverage.get("data_cash_share") or 0.0)))
    dependence = min(1.0, max(0.0, float(coverage.get("guarantee_dependence") or 0.0)))
    levels = {}
    for t in result["tranches"]:
        risk = product_risk(
            rating=t["implied_rating"], tenor_months=deal.tenor_months, stability_score=stability,
            data_share=data_share, guarantee_dependence=dependence,
        )  # fmt: skip
        coupon = (t.get("suggested_coupon") or {}).get("coupon")
        facts = {
            **risk.as_dict(),
            "inputs": {"rating": t["implied_rating"], "stability_score": stability, "data_share": data_share,
                       "guarantee_dependence": dependence, "suggested_coupon": coupon},
        }  # fmt: skip
        levels[int(t["priority"])] = (risk.label, facts)
    return levels


def valuation_execute(*, run_id: int) -> None:
    """Claim the run, value the deal, store the result and move the deal to 'valued'; safe to run twice."""
    token = job_claim(model=ValuationRun, job_id=run_id)
    if token is None:
        _release_deal_of_abandoned_run(run_id)
        return
    run = ValuationRun.objects.select_related("deal", "market_parameters").get(pk=run_id)
    deal = run.deal
    try:
        market = run.market_parameters or MarketParameters.objects.order_by("-as_of", "-pk").first()
        haircut, stop_addon, open_findings = _legal_risk(deal)
        inputs, extra = valuation_inputs_for(
            deal=deal, market=market, legal_haircut=haircut, legal_stop_addon=stop_addon, open_findings=open_findings
        )
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
        with transaction.atomic():
            if not job_finish(model=ValuationRun, job_id=run_id, token=token, result=result):
                return
            for tranche in Tranche.objects.filter(deal=deal):
                level, facts = levels.get(tranche.payment_priority, ("", {}))
                Tranche.objects.filter(pk=tranche.pk).update(product_risk_level=level, product_risk_factors=facts)
            if Deal.objects.get(pk=deal.pk).status == DealStatus.VALUING:
                workflow.deal_complete_valuation(deal=deal)
    except ClaimLost:
        return
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            if job_fail(model=ValuationRun, job_id=run_id, token=token, error=reason) and (
                Deal.objects.get(pk=deal.pk).status == DealStatus.VALUING
            ):
                workflow.deal_fail_valuation(deal=deal, reason=_("Valuation failed: %(reason)s") % {"reason": reason})
        raise


def _release_deal_of_abandoned_run(run_id: int) -> None:
    """A run given up after too many attempts leaves its deal 'valuing': move it back, with the run's reason."""
    run = ValuationRun.objects.select_related("deal").filter(pk=run_id, status="failed").first()
    if run is None or run.deal.status != DealStatus.VALUING:
        return
    if ValuationRun.objects.filter(deal=run.deal, status__in=["queued", "running"]).exists():
        return
    with contextlib.suppress(DomainError):  # another path moved the deal meanwhile
        workflow.deal_fail_valuation(deal=run.deal, reason=run.error or _("The valuation was given up."))


def _close_open_runs(deal: Deal) -> None:
    """The arranger recorded the valuation as failed: runs still queued or running are closed with that reason."""
    from django.utils import timezone

    ValuationRun.objects.filter(deal=deal, status__in=["queued", "running"]).update(
        status="failed", error=_("Recorded as failed by the arranger."), finished_at=timezone.now(), claim_token=None
    )


workflow.register_transition_effect("fail_valuation", _close_open_runs)


def latest_valuation(*, deal: Deal) -> ValuationRun | None:
    """The deal's most recent run (any status), for the page and the API."""
    return ValuationRun.objects.filter(deal=deal).order_by("-created_at", "-pk").first()


def latest_result(*, deal: Deal) -> ValuationRun | None:
    """The deal's most recent successful run."""
    return ValuationRun.objects.filter(deal=deal, status="succeeded").order_by("-finished_at", "-pk").first()
