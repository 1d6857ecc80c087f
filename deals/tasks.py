"""Thin Celery wrappers of the deal jobs: ids in, the job row holds the result."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="deals.tasks.run_audit_verification")
def run_audit_verification(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Verify every deal's audit chain for the AuditVerificationRun `run_id`."""
    from .jobs import audit_verification_execute

    audit_verification_execute(run_id=run_id)


@shared_task(name="deals.tasks.nightly_audit_verification")
def nightly_audit_verification() -> None:
    """Celery beat: verify every audit chain once a night (the run row holds the result)."""
    from .jobs import audit_verification_request

    audit_verification_request(actor=None)


@shared_task(name="deals.tasks.reap_stale_jobs")
def reap_stale_jobs() -> int:
    """Celery beat: re-enqueue jobs whose worker went silent, so a killed job recovers in minutes, not hours."""
    from django.conf import settings

    from investors.models import MatchRun
    from investors.tasks import run_matching
    from origination.jobs import job_stale_ids

    from .models import AuditVerificationRun, ValuationRun

    requeued = 0
    for model, task in (
        (AuditVerificationRun, run_audit_verification),
        (ValuationRun, run_valuation),
        (MatchRun, run_matching),
    ):
        for run_id in job_stale_ids(model=model, older_than_seconds=settings.JOB_STALE_AFTER_SECONDS):
            task.delay(run_id)
            requeued += 1
    return requeued


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="deals.tasks.run_valuation")
def run_valuation(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Value the deal of the ValuationRun `run_id` (the valuation queue)."""
    from .valuation_jobs import valuation_execute

    valuation_execute(run_id=run_id)
