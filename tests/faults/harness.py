"""The fault harness's tools: a private Redis to kill, workers with short job timings, and the measured outcome.

Each fault runs against real worker processes, on the test PostgreSQL database
and a redis-server of its own (started here on a free port, so killing it
touches no shared Redis). The workers get a short heartbeat, staleness and sweep
interval through the environment (JOB_* settings), so a fault recovers in
seconds and the whole harness stays within a few minutes. Each fault's figures
are written to a JSON file that `python -m tests.faults.report` prints as a table.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import kombu.pools

from config.celery import app as celery_app
from deals.models import AuditEvent, Deal, ValuationRun
from origination.jobs import JobStatus
from tests.integration.worker import WorkerProcess, test_database_url

# The job timings of the harness's workers (and of the test process): seconds, not the production defaults.
FAST_JOBS = {
    "JOB_HEARTBEAT_SECONDS": "0.5",
    "JOB_STALE_AFTER_SECONDS": "2",
    "JOB_SWEEP_SECONDS": "0.5",
    "JOB_RETRY_BACKOFF_SECONDS": "0.3",
    "JOB_RETRY_BACKOFF_MAX_SECONDS": "2",
}
WORKER_APPLICATION_NAME = "dataabs-fault-worker"
RECOVERY_LIMIT_SECONDS = 30.0
REPORT_DIR = Path(os.environ.get("FAULTS_REPORT_DIR") or Path(tempfile.gettempdir()) / "dataabs-faults")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server of the test's own, without persistence: killing it loses every message, as a crash would."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def kill(self) -> None:
        """Crash it: SIGKILL, nothing saved."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def use_broker(url: str) -> None:
    """Send this process's tasks to `url` (the Celery app keeps its connection pools: drop them)."""
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    # kombu keeps its connection and producer pools in process-wide registries keyed by URL: closing one pool
    # and leaving it registered broke every later publish to that URL in this process ("Acquire on closed pool",
    # seen when other worker tests ran after the harness in the same xdist process). Close and forget them all.
    kombu.pools.reset()
    celery_app._pool = None  # noqa: SLF001 - the app caches its pool of broker connections
    celery_app.amqp._producer_pool = None  # noqa: SLF001


def fault_worker(tmp_path: Path, name: str, broker: RedisServer, *, concurrency: int = 2) -> WorkerProcess:
    """A worker on the private broker, with fast job timings and a database name the fault can find."""
    env = {
        **FAST_JOBS,
        "REDIS_URL": broker.url,
        "DATABASE_URL": f"{test_database_url()}?application_name={WORKER_APPLICATION_NAME}",
    }
    return WorkerProcess(log_path=tmp_path / f"{name}.log", concurrency=concurrency, env=env)


def open_runs(run_ids: list[int]) -> int:
    return (
        ValuationRun.objects.filter(pk__in=run_ids).exclude(status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]).count()
    )


def wait_all_finished(run_ids: list[int], *, timeout: float, workers: list[WorkerProcess]) -> float:
    """Poll until every run is finished; the monotonic time it happened. Fails with the workers' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if open_runs(run_ids) == 0:
            return time.monotonic()
        time.sleep(0.1)
    states = list(ValuationRun.objects.filter(pk__in=run_ids).values_list("pk", "status", "attempts", "error"))
    logs = "\n\n".join(w.log_tail(60) for w in workers)
    raise AssertionError(f"runs still open after {timeout}s: {states}\n{logs}")


@dataclass
class FaultOutcome:
    """One row of the fault table."""

    fault: str
    sent: int
    completed: int
    duplicated: int
    failed: int
    attempts: int
    recovery_seconds: float | None
    deals_still_valuing: int
    resumed_seconds: float | None = None
    measured_at: float = 0.0

    def save(self) -> None:
        self.measured_at = time.time()
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in self.fault.lower())[:60]
        (REPORT_DIR / f"{slug}.json").write_text(json.dumps(asdict(self), indent=1))


def outcome_of(
    fault: str, run_ids: list[int], *, recovery_seconds: float | None, cleared_at: float | None = None
) -> FaultOutcome:
    """Count what became of the runs: each deal must have one result and one 'complete_valuation' audit event.

    `cleared_at` (time.time() when the fault cleared): the first job started after it gives the time the
    system took to resume work, before the waiting jobs' own run time.
    """
    runs = list(ValuationRun.objects.filter(pk__in=run_ids))
    resumed = None
    if cleared_at is not None:
        starts = [r.started_at.timestamp() - cleared_at for r in runs if r.started_at.timestamp() >= cleared_at]
        resumed = round(min(starts), 2) if starts else None
    deal_ids = [r.deal_id for r in runs]
    succeeded = sum(r.status == JobStatus.SUCCEEDED for r in runs)
    events = dict.fromkeys(deal_ids, 0)
    for deal_id in AuditEvent.objects.filter(deal_id__in=deal_ids, action="complete_valuation").values_list(
        "deal_id", flat=True
    ):
        events[deal_id] += 1
    results = dict.fromkeys(deal_ids, 0)
    for deal_id in ValuationRun.objects.filter(deal_id__in=deal_ids, status=JobStatus.SUCCEEDED).values_list(
        "deal_id", flat=True
    ):
        results[deal_id] += 1
    duplicated = sum(1 for d in deal_ids if events[d] > 1 or results[d] > 1)
    outcome = FaultOutcome(
        fault=fault,
        sent=len(run_ids),
        completed=sum(1 for d in deal_ids if events[d] >= 1),
        duplicated=duplicated,
        failed=sum(r.status == JobStatus.FAILED for r in runs),
        attempts=sum(r.attempts for r in runs),
        recovery_seconds=None if recovery_seconds is None else round(recovery_seconds, 2),
        deals_still_valuing=Deal.objects.filter(pk__in=deal_ids, status="valuing").count(),
        resumed_seconds=resumed,
    )
    outcome.save()
    assert succeeded == len(run_ids), [(r.pk, r.status, r.error) for r in runs if r.status != JobStatus.SUCCEEDED]
    return outcome


def assert_exactly_once(outcome: FaultOutcome) -> None:
    assert outcome.completed == outcome.sent, outcome
    assert outcome.duplicated == 0, outcome
    assert outcome.failed == 0, outcome
    assert outcome.deals_still_valuing == 0, outcome
    if outcome.recovery_seconds is not None:
        assert outcome.recovery_seconds < RECOVERY_LIMIT_SECONDS, outcome


def kill_parent_only(worker: WorkerProcess) -> None:
    """SIGKILL the worker's parent process, leaving its pool children to fend for themselves."""
    assert worker.proc is not None
    os.kill(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
