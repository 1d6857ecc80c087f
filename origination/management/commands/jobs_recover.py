"""Send again, or resume, the jobs a crash or a lost broker left behind (docs/jobs.md).

`make run` calls it before the server starts: with no broker (jobs in-process)
every queued or running row was interrupted by the restart, and each is run
again here, in turn, or failed at its attempt cap, so no deal stays 'valuing'.
With a broker it runs the sweep every worker already runs, once.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.core.management.base import BaseCommand

from origination.job_sweep import jobs_sweep


class Command(BaseCommand):
    help = "Resume (no broker) or send again (broker) the jobs left queued or running by a crash or a lost broker."

    def handle(self, *args: Any, **options: Any) -> None:
        # The project's Celery app (config/celery.py), as every reusable app reaches it: origination imports no config.
        embedded = bool(current_app.conf.task_always_eager)
        outcome = jobs_sweep(embedded=embedded)
        where = "run in-process" if embedded else "sent to the broker"
        self.stdout.write(
            f"jobs_recover: {outcome.unsent + outcome.abandoned + outcome.lost} job(s) {where} "
            f"({outcome.abandoned} interrupted, {outcome.unsent} never sent, {outcome.lost} lost by the broker; "
            f"{outcome.failed_to_send} could not be sent)"
        )
