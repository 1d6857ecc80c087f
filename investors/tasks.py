"""Thin Celery wrappers of the matching job: ids in, the MatchRun row holds the result."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, name="investors.tasks.run_matching")
def run_matching(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run the MatchRun `run_id`."""
    from origination.jobs import job_task_run

    from .match_jobs import match_execute

    job_task_run(self, match_execute, run_id)


@shared_task(name="investors.tasks.nightly_matching")
def nightly_matching() -> None:
    """Celery beat: re-match everything once a night."""
    from .match_jobs import match_request

    match_request()
