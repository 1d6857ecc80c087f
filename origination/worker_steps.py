"""What every worker adds to Celery: the stale-job sweep and prompt reconnection to a lost broker.

Every worker runs the stale-job sweep (origination/job_sweep.py) in a thread of
its parent process, every JOB_SWEEP_SECONDS: recovery needs no other process
(docs/jobs.md). The Celery application itself is config/celery.py.
"""

import functools
import logging
import threading

from celery import bootsteps
from celery.worker.consumer import Consumer

logger = logging.getLogger("origination.job_sweep")


class JobSweep(bootsteps.StartStopStep):
    """A thread in the worker's parent that sweeps stale jobs every JOB_SWEEP_SECONDS (first at start)."""

    requires = {"celery.worker.components:Pool"}  # after the pool has forked its children

    def __init__(self, worker, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(worker, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, worker):  # type: ignore[no-untyped-def]
        self._thread = threading.Thread(target=self._loop, name="job-sweep", daemon=True)
        self._thread.start()

    def stop(self, worker):  # type: ignore[no-untyped-def]
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        from django.conf import settings
        from django.db import connection

        from .job_sweep import jobs_sweep

        interval = float(settings.JOB_SWEEP_SECONDS)
        wait = min(interval, 1.0)  # the first sweep soon after start: a restarted worker picks up at once
        while not self._stop.wait(wait):
            wait = interval
            try:
                jobs_sweep()
            except Exception:  # noqa: BLE001 - the database or broker is away: next time
                logger.warning("job sweep failed; trying again in %ss", interval, exc_info=True)
            finally:
                connection.close()  # one short connection per sweep: nothing open when the pool forks a child


class PromptReconnectConsumer(Consumer):
    """The worker's consumer, reconnecting to a lost broker every BROKER_RECONNECT_SECONDS at most.

    Celery's own backoff grows by 2 s a try up to 30 s: after a long outage a
    worker would notice the broker back only up to 30 s later. Trying every few
    seconds costs one refused connection each time.
    """

    def ensure_connected(self, conn):  # type: ignore[no-untyped-def]
        from django.conf import settings

        most = float(settings.BROKER_RECONNECT_SECONDS)
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=min(1.0, most), interval_step=1.0, interval_max=most
        )
        return super().ensure_connected(conn)
