"""runserver, which in the embedded default (no broker) first resumes the jobs a restart interrupted.

Each start of the serving process, the autoreloader's restarts included, runs
the embedded sweep (origination/job_sweep.py, docs/jobs.md) in a background
thread: a valuation cut off by a code change or a Ctrl-C is run again, or failed
at its attempt cap, instead of leaving its deal 'valuing'. With a broker the
workers do this and the server does nothing more. The rest is WhiteNoise's
runserver (static files served by WhiteNoise), which this one extends.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from celery import current_app
from django.utils import timezone
from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

logger = logging.getLogger("origination.job_sweep")


def resume_interrupted_jobs(started_at: datetime) -> None:
    """The embedded sweep of rows open since before this process started, on its own connection."""
    from django.db import connection

    from origination.job_sweep import jobs_sweep

    try:
        outcome = jobs_sweep(embedded=True, started_at=started_at)
        if outcome.abandoned or outcome.unsent or outcome.lost:
            logger.warning(
                "resumed %d interrupted job(s) in-process", outcome.abandoned + outcome.unsent + outcome.lost
            )
    except Exception:  # noqa: BLE001 - never stop the server for it
        logger.exception("resuming interrupted jobs failed")
    finally:
        connection.close()


class Command(WhiteNoiseRunserver):
    def inner_run(self, *args: Any, **options: Any) -> None:
        # The project's Celery app (config/celery.py), as every reusable app reaches it: origination imports no config.
        if current_app.conf.task_always_eager:
            # Only rows open before now: a valuation a request starts meanwhile is that request's, not interrupted.
            started_at = timezone.now()
            threading.Thread(
                target=resume_interrupted_jobs, args=(started_at,), name="resume-jobs", daemon=True
            ).start()
        super().inner_run(*args, **options)
