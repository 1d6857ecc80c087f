"""The faults of issue 10, each against real worker processes: every job completes exactly once, by itself.

Each test starts its own redis-server and worker(s) with fast job timings
(harness.FAST_JOBS), inflicts the fault, lets it clear, and measures the time
from then until every job is finished; it asserts one result and one audit event
per deal, no deal left 'valuing', and recovery under 30 s. Nothing is run by
hand: recovery comes from the workers' own sweep and the claim protocol.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
from django.db import connection

from config.celery import app as celery_app
from deals import valuation_jobs
from deals.models import ValuationRun
from deals.tasks import run_valuation
from origination.jobs import JobStatus
from tests.deals.test_valuation_job import _approved_licence_deal

from .harness import (
    FAST_JOBS,
    WORKER_APPLICATION_NAME,
    RedisServer,
    assert_exactly_once,
    fault_worker,
    kill_parent_only,
    outcome_of,
    use_broker,
    wait_all_finished,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(tmp_path, settings):
    """A private Redis for this test, the test process publishing to it, and the harness's job timings."""
    for name, value in FAST_JOBS.items():
        setattr(settings, name, float(value))
    original = celery_app.conf.broker_url
    server = RedisServer(tmp_path / "redis.log").start()
    use_broker(server.url)
    yield server
    server.kill()
    use_broker(original)
    celery_app.conf.task_always_eager = True


@pytest.fixture
def workers():
    """Every worker a test starts is stopped afterwards, its orphaned pool children included."""
    started = []
    yield started
    for worker in started:
        worker.stop(sig=signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.killpg(worker.proc.pid, signal.SIGKILL)  # children left by a parent killed alone


def _deals(n, user, officer):  # type: ignore[no-untyped-def]
    return [_approved_licence_deal(user, officer) for _ in range(n)]


def _request(deals, actor, n_paths):  # type: ignore[no-untyped-def]
    return [valuation_jobs.valuation_request(actor=actor, deal=d, n_paths=n_paths).pk for d in deals]


def _wait(predicate, timeout, what):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(what)


def test_redis_crash_during_a_burst_larger_than_the_pool(broker, workers, tmp_path, user_a, compliance_user,
                                                         arranger_user):  # fmt: skip
    """16 valuations for 2 worker processes; Redis killed (messages lost) with most still waiting, back 8 s later."""
    deals = _deals(16, user_a, compliance_user)
    workers.append(fault_worker(tmp_path, "worker", broker).start())
    run_ids = _request(deals, arranger_user, n_paths=5000)
    _wait(lambda: ValuationRun.objects.filter(pk__in=run_ids, status="succeeded").exists(), 60, "a first run done")
    broker.kill()
    waiting = ValuationRun.objects.filter(pk__in=run_ids, status="queued").count()
    assert waiting >= 6, "the burst should still have a backlog when Redis dies"
    time.sleep(8)
    broker.start()
    cleared, cleared_at = time.monotonic(), time.time()
    done = wait_all_finished(run_ids, timeout=60, workers=workers)
    outcome = outcome_of(f"Redis killed during a burst of 16 (pool 2, {waiting} waiting), back 8 s later", run_ids,
                         recovery_seconds=done - cleared, cleared_at=cleared_at)  # fmt: skip
    assert_exactly_once(outcome)


def test_a_request_while_redis_is_down_is_recorded_and_starts_when_it_is_back(
    broker, workers, tmp_path, user_a, compliance_user, arranger_user
):
    (deal,) = _deals(1, user_a, compliance_user)
    workers.append(fault_worker(tmp_path, "worker", broker).start())
    broker.kill()
    asked = time.monotonic()
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)
    answered = time.monotonic() - asked
    run.refresh_from_db()
    assert run.waiting_for_broker, "the request must know its job was not sent"
    assert answered < 5, f"the request waited {answered:.1f}s for the broker"
    time.sleep(2)
    broker.start()
    cleared, cleared_at = time.monotonic(), time.time()
    done = wait_all_finished([run.pk], timeout=60, workers=workers)
    assert_exactly_once(
        outcome_of(
            "valuation requested while Redis is down", [run.pk], recovery_seconds=done - cleared, cleared_at=cleared_at
        )
    )


def test_worker_database_connections_terminated_mid_job(broker, workers, tmp_path, user_a, compliance_user,
                                                        arranger_user):  # fmt: skip
    deals = _deals(7, user_a, compliance_user)
    workers.append(fault_worker(tmp_path, "worker", broker).start())
    run_ids = _request(deals, arranger_user, n_paths=40_000)
    _wait(lambda: ValuationRun.objects.filter(pk__in=run_ids, status="running", progress__gt=0).count() >= 2, 60,
          "two runs part-way")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            [WORKER_APPLICATION_NAME],
        )
        terminated = cursor.fetchone()[0]
    cleared, cleared_at = time.monotonic(), time.time()
    assert terminated >= 2
    done = wait_all_finished(run_ids, timeout=90, workers=workers)
    outcome = outcome_of(f"worker's PostgreSQL connections terminated mid-job ({terminated} killed)", run_ids,
                         recovery_seconds=done - cleared, cleared_at=cleared_at)  # fmt: skip
    assert_exactly_once(outcome)
    # A lost connection is a retry, not a failure: no attempt was spent on it.
    assert outcome.attempts == len(run_ids), outcome


def test_worker_parent_killed_with_sigkill(broker, workers, tmp_path, user_a, compliance_user, arranger_user):
    """The parent dies at once; its message stays unacked in Redis for the visibility timeout (an hour).

    The pool child running the job dies with it (billiard gives its children a parent-death signal), so the
    job's heartbeat stops and the new worker's sweep takes it back within the staleness limit.
    """
    (deal,) = _deals(1, user_a, compliance_user)
    first = fault_worker(tmp_path, "first", broker, concurrency=1).start()
    workers.append(first)
    (run_id,) = _request([deal], arranger_user, n_paths=100_000)
    _wait(lambda: ValuationRun.objects.filter(pk=run_id, status="running", progress__gt=0).exists(), 60,
          "the run part-way")  # fmt: skip
    kill_parent_only(first)
    second = fault_worker(tmp_path, "second", broker, concurrency=1).start()
    workers.append(second)
    cleared, cleared_at = time.monotonic(), time.time()
    done = wait_all_finished([run_id], timeout=60, workers=workers)
    outcome = outcome_of("worker parent killed with SIGKILL mid-job", [run_id], recovery_seconds=done - cleared,
                         cleared_at=cleared_at)  # fmt: skip
    assert_exactly_once(outcome)
    assert outcome.attempts == 2  # the killed run, and the one that finished


def test_duplicate_deliveries_of_a_running_job_leave_it_alone(broker, workers, tmp_path, user_a, compliance_user,
                                                              arranger_user):  # fmt: skip
    (deal,) = _deals(1, user_a, compliance_user)
    workers.append(fault_worker(tmp_path, "worker", broker, concurrency=2).start())
    (run_id,) = _request([deal], arranger_user, n_paths=60_000)
    _wait(lambda: ValuationRun.objects.filter(pk=run_id, status="running", progress__gt=0).exists(), 60,
          "the run part-way")  # fmt: skip
    sent = time.monotonic()
    for _ in range(4):  # more than JOB_MAX_ATTEMPTS deliveries, while the job is alive
        run_valuation.delay(run_id)
    done = wait_all_finished([run_id], timeout=60, workers=workers)
    outcome = outcome_of("4 duplicate deliveries of a running job", [run_id], recovery_seconds=done - sent)
    assert_exactly_once(outcome)
    assert outcome.attempts == 1
    assert ValuationRun.objects.get(pk=run_id).status == JobStatus.SUCCEEDED


def test_a_backlog_is_not_sent_again(broker, workers, tmp_path, user_a, compliance_user, arranger_user):
    """12 jobs for one worker process: the backlog waits longer than the staleness limit, and is not re-sent."""
    deals = _deals(12, user_a, compliance_user)
    worker = fault_worker(tmp_path, "worker", broker, concurrency=1).start()
    workers.append(worker)
    started = time.monotonic()
    run_ids = _request(deals, arranger_user, n_paths=5000)
    done = wait_all_finished(run_ids, timeout=90, workers=workers)
    assert done - started > float(FAST_JOBS["JOB_STALE_AFTER_SECONDS"]) * 2, "the backlog must outlive the limit"
    outcome = outcome_of("burst of 12 for 1 process, no fault (backlog)", run_ids, recovery_seconds=None)
    assert_exactly_once(outcome)
    assert outcome.attempts == len(run_ids)
    log = worker.log_path.read_text(errors="replace")
    assert "sent again" not in log, "the sweep re-sent part of a healthy backlog"
