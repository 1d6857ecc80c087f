"""Thin Celery wrappers of the deal jobs: ids in, the job row holds the result."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="deals.tasks.run_audit_verification")
def run_audit_verification(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Verify every deal's audit chain for the AuditVerificationRun `run_id`."""
    from .jobs import audit_verification_execute

    audit_verification_execute(run_id=run_id)
