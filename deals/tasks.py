"""Thin Celery wrappers of the deal jobs: ids in, the job row holds the result."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="deals.tasks.run_audit_verification")
def run_audit_verification(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Verify every deal's audit chain for the AuditVerificationRun `run_id`."""
    from origination.jobs import job_task_run

    from .jobs import audit_verification_execute

    job_task_run(self, audit_verification_execute, run_id)


@shared_task(name="deals.tasks.nightly_audit_verification")
def nightly_audit_verification() -> None:
    """Celery beat: verify every audit chain once a night (the run row holds the result)."""
    from .jobs import audit_verification_request

    audit_verification_request(actor=None)


@shared_task(name="deals.tasks.refresh_compliance_findings")
def refresh_compliance_findings() -> int:
    """Celery beat: check again the automatic findings of every review being worked (how many were checked).

    The writes that change a finding's facts check it at once; this catches what no write announces (time
    passing, data changed outside the services), so the pages can only read (deals/compliance/services.py).
    """
    from .compliance.services import reviews_refresh_open

    return reviews_refresh_open()


@shared_task(name="deals.tasks.reap_stale_jobs")
def reap_stale_jobs() -> int:
    """The stale-job sweep as a task, for an operator; every worker already runs it on its own (docs/jobs.md)."""
    from origination.job_sweep import jobs_sweep

    return jobs_sweep().sent


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="deals.tasks.run_valuation")
def run_valuation(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Value the deal of the ValuationRun `run_id` (the valuation queue)."""
    from origination.jobs import job_task_run

    from .valuation_jobs import valuation_execute

    job_task_run(self, valuation_execute, run_id)
