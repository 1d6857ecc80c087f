"""The job protocol without services (SQLite): claim, heartbeat, attempts, transient retries, fresh connections,
the sweep's choices, a send the broker refuses, and the embedded default resuming what a restart interrupted.

The clock is moved with time-machine, never slept on.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from config.celery import app as celery_app
from deals import valuation_jobs
from deals.choices import DealStatus
from deals.models import AuditEvent, AuditVerificationRun, ValuationRun
from deals.tasks import run_audit_verification, run_valuation
from origination import job_sweep, jobs
from origination.jobs import (
    JobRetry,
    JobStatus,
    job_claim,
    job_enqueue,
    job_progress,
    job_run,
    on_fresh_connection,
)
from tests.deals.test_valuation_job import _approved_licence_deal

pytestmark = pytest.mark.django_db


def _run(**fields) -> AuditVerificationRun:  # type: ignore[no-untyped-def]
    return AuditVerificationRun.objects.create(inputs={"scope": "all_deals"}, **fields)


def _later(seconds: float):  # type: ignore[no-untyped-def]
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=False)


def test_a_second_delivery_of_a_live_job_leaves_it_alone_and_spends_no_attempt(settings):
    run = _run()
    token = job_claim(model=AuditVerificationRun, job_id=run.pk)
    assert token is not None
    with _later(settings.JOB_STALE_AFTER_SECONDS - 1):  # the heartbeat is still fresh
        for _ in range(settings.JOB_MAX_ATTEMPTS + 1):
            assert job_claim(model=AuditVerificationRun, job_id=run.pk) is None
    run.refresh_from_db()
    assert (run.status, run.attempts, run.claim_token) == (JobStatus.RUNNING, 1, token)


def test_a_job_whose_heartbeat_stopped_is_retaken_and_the_old_run_can_write_nothing(settings):
    run = _run()
    first = job_claim(model=AuditVerificationRun, job_id=run.pk)
    with _later(settings.JOB_STALE_AFTER_SECONDS + 1):
        second = job_claim(model=AuditVerificationRun, job_id=run.pk)
        assert second is not None
        assert second != first
        assert not job_progress(model=AuditVerificationRun, job_id=run.pk, token=first, progress=50)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.claim_token == second


def test_the_attempt_cap_counts_workers_that_died_not_deliveries(settings):
    run = _run()
    for n in range(settings.JOB_MAX_ATTEMPTS):
        with _later((n + 1) * (settings.JOB_STALE_AFTER_SECONDS + 1)):
            assert job_claim(model=AuditVerificationRun, job_id=run.pk) is not None
            assert job_claim(model=AuditVerificationRun, job_id=run.pk) is None  # a duplicate: free
    run.refresh_from_db()
    assert (run.status, run.attempts) == (JobStatus.RUNNING, settings.JOB_MAX_ATTEMPTS)
    with _later((settings.JOB_MAX_ATTEMPTS + 1) * (settings.JOB_STALE_AFTER_SECONDS + 1)):
        assert job_claim(model=AuditVerificationRun, job_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "Gave up after" in run.error


def test_a_transient_error_releases_the_job_for_a_retry_with_backoff(settings):
    settings.JOB_RETRY_BACKOFF_SECONDS = 1.0
    settings.JOB_RETRY_BACKOFF_MAX_SECONDS = 30.0
    run = _run()

    def lose_the_connection(token):  # type: ignore[no-untyped-def]
        raise OperationalError("terminating connection due to administrator command")

    countdowns = []
    for retries in range(3):
        with pytest.raises(JobRetry) as retry:
            job_run(model=AuditVerificationRun, job_id=run.pk, work=lose_the_connection, retries_done=retries)
        countdowns.append(retry.value.countdown)
        run.refresh_from_db()
        assert run.status == JobStatus.QUEUED
        assert run.attempts == 0  # a lost connection is not the job's failure
        assert run.claim_token is None
        assert "terminating connection" in run.error
        # The sweep leaves it to the retry's own message until the retry is due.
        assert run.heartbeat_at > timezone.now()
    assert [0.8 <= c / 2**n <= 1.2 for n, c in enumerate(countdowns)] == [True, True, True]

    with pytest.raises(OperationalError):  # retries used up: failed, with the message
        job_run(model=AuditVerificationRun, job_id=run.pk, work=lose_the_connection,
                retries_done=settings.JOB_TRANSIENT_RETRIES)  # fmt: skip
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.error.startswith("OperationalError: terminating connection")


def test_another_error_fails_the_job_with_its_message_and_its_failure_hook():
    run = _run()
    seen = []

    def broken(token):  # type: ignore[no-untyped-def]
        raise ValueError("the pool has no cash flows")

    with pytest.raises(ValueError, match="no cash flows"):
        job_run(model=AuditVerificationRun, job_id=run.pk, work=broken, on_failure=seen.append)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert run.error == "ValueError: the pool has no cash flows"
    assert seen == ["ValueError: the pool has no cash flows"]


@pytest.mark.django_db(transaction=True)
def test_the_failure_is_written_on_a_fresh_connection_after_the_old_one_died(monkeypatch):
    """The job's connection is dead: the failure write fails on it, succeeds on a new one, never left 'running'."""
    run = _run()
    real_fail = jobs.job_fail
    calls = []
    closed = []

    def fail_once_on_the_dead_connection(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_fail(**kwargs)

    monkeypatch.setattr(jobs, "job_fail", fail_once_on_the_dead_connection)
    real_close = jobs.connection.close
    monkeypatch.setattr(jobs.connection, "close", lambda: closed.append(1) or real_close())
    monkeypatch.setattr(jobs.time, "sleep", lambda s: None)

    def broken(token):  # type: ignore[no-untyped-def]
        raise KeyError("tranche")

    with pytest.raises(KeyError):
        job_run(model=AuditVerificationRun, job_id=run.pk, work=broken)
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert len(calls) == 2
    assert closed, "the dead connection must be closed before writing again"


def test_on_fresh_connection_gives_up_after_its_tries(monkeypatch):
    monkeypatch.setattr(jobs.time, "sleep", lambda s: None)
    tries = []

    def always_down():  # type: ignore[no-untyped-def]
        tries.append(1)
        raise OperationalError("could not connect")

    with pytest.raises(OperationalError):
        on_fresh_connection(always_down, tries=3)
    assert len(tries) == 1  # in a transaction (the test's) the connection cannot be replaced: one try


@pytest.fixture
def with_broker():
    """Tasks go to a broker (not in-process) for this test; what is sent is recorded, not delivered."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def test_a_send_the_broker_refuses_leaves_the_row_recorded_and_not_sent(with_broker, monkeypatch):
    run = _run()

    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(run_audit_verification, "apply_async", refused)
    assert job_enqueue(run_audit_verification, run.pk) is False
    run.refresh_from_db()
    assert run.status == JobStatus.QUEUED
    assert run.waiting_for_broker


@pytest.mark.django_db(transaction=True)  # the request commits, so its send happens before it answers
def test_the_api_and_the_page_say_a_valuation_waits_for_the_broker(with_broker, monkeypatch, user_a, compliance_user,
                                                                   arranger_user, api_as, client):  # fmt: skip
    def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise BrokerError("Connection refused.")

    monkeypatch.setattr(run_valuation, "apply_async", refused)
    deal = _approved_licence_deal(user_a, compliance_user)
    started = api_as(arranger_user).post("/api/valuation-runs/", {"deal": deal.pk, "n_paths": 1000})
    assert started.status_code == 202
    assert started.json()["waiting_for_broker"] is True
    assert "will start by itself" in started.json()["notice"]

    other = _approved_licence_deal(user_a, compliance_user)
    client.force_login(arranger_user)
    page = client.post(f"/deals/{other.pk}/valuation/start/", {"n_paths": "1000"}, follow=True)
    assert "will start by itself as soon as the queue is back" in page.content.decode()

    third = _approved_licence_deal(user_a, compliance_user)  # the deal page's "start valuation" button
    page = client.post(f"/deals/{third.pk}/transition/", {"action": "start_valuation"}, follow=True)
    assert "will start by itself as soon as the queue is back" in page.content.decode()


def test_the_sweep_sends_what_was_lost_and_leaves_a_live_job_and_a_backlog_alone(with_broker, monkeypatch, settings):
    sent = []
    monkeypatch.setattr(job_sweep, "job_enqueue", lambda task, pk: sent.append(pk) or True)
    queue_empty = {"value": False}
    monkeypatch.setattr(job_sweep, "_queue_is_empty", lambda task: queue_empty["value"])
    now = timezone.now()
    old = now - dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    not_sent = _run(heartbeat_at=None)
    AuditVerificationRun.objects.filter(pk=not_sent.pk).update(heartbeat_at=None)
    abandoned = _run(status=JobStatus.RUNNING, attempts=1, heartbeat_at=old)
    live = _run(status=JobStatus.RUNNING, attempts=1, heartbeat_at=now)
    backlog = _run(heartbeat_at=old)  # queued long ago, its message still waiting in a busy queue
    fresh = _run()
    done = _run(status=JobStatus.SUCCEEDED, heartbeat_at=old)

    outcome = job_sweep.jobs_sweep()
    assert sorted(sent) == sorted([not_sent.pk, abandoned.pk])
    assert (outcome.unsent, outcome.abandoned, outcome.lost) == (1, 1, 0)
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.attempts, abandoned.claim_token) == (JobStatus.QUEUED, 1, None)

    sent.clear()
    assert job_sweep.jobs_sweep().sent == 0  # marked sent: not sent twice
    assert sent == []

    queue_empty["value"] = True  # the queue holds nothing, yet the row waits: its message was lost
    job_sweep.jobs_sweep()
    assert sent == [backlog.pk]
    assert {live.pk, fresh.pk, done.pk}.isdisjoint(sent)


def test_embedded_default_resumes_a_valuation_a_restart_interrupted(user_a, compliance_user, arranger_user):
    """No broker: `make run` calls jobs_recover before the server starts; the run finishes, the deal is valued."""
    deal = _approved_licence_deal(user_a, compliance_user)
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)  # on_commit never fires here
    ValuationRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, attempts=1, progress=35.0)
    call_command("jobs_recover", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123 - discarded output
    run.refresh_from_db()
    deal.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert run.attempts == 2
    assert deal.status == DealStatus.VALUED
    assert AuditEvent.objects.filter(deal=deal, action="complete_valuation").count() == 1


def test_embedded_default_fails_cleanly_a_valuation_out_of_attempts(user_a, compliance_user, arranger_user, settings):
    deal = _approved_licence_deal(user_a, compliance_user)
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)
    ValuationRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, attempts=settings.JOB_MAX_ATTEMPTS)
    call_command("jobs_recover", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    run.refresh_from_db()
    deal.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "Gave up after" in run.error
    assert deal.status == DealStatus.COMPLIANCE_APPROVED  # not left 'valuing': it can be valued again


def test_a_sweep_while_the_broker_is_away_leaves_every_row_not_sent_for_the_next(with_broker, monkeypatch, settings):
    tries = []
    monkeypatch.setattr(job_sweep, "job_enqueue", lambda task, pk: tries.append(pk) and False)
    monkeypatch.setattr(job_sweep, "_queue_is_empty", lambda task: None)  # the broker cannot say
    old = timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS + 5)
    abandoned = [_run(status=JobStatus.RUNNING, attempts=1, heartbeat_at=old) for _ in range(3)]
    outcome = job_sweep.jobs_sweep()
    assert len(tries) == 1  # one refused send is enough to know
    assert outcome.failed_to_send == 3
    rows = AuditVerificationRun.objects.filter(pk__in=[r.pk for r in abandoned])
    assert all(r.status == JobStatus.QUEUED and r.waiting_for_broker for r in rows)


@pytest.mark.django_db(transaction=True)
def test_each_start_of_the_embedded_server_resumes_what_was_interrupted_before_it(user_a, compliance_user,
                                                                                   arranger_user):  # fmt: skip
    """runserver (autoreloads included) resumes rows open before it started, and leaves a newer one alone.

    In a thread of its own, as the server runs it: it closes its connection when done (committed rows, so the
    thread sees them on PostgreSQL too).
    """
    from origination.management.commands.runserver import resume_interrupted_jobs

    deal = _approved_licence_deal(user_a, compliance_user)
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)
    ValuationRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, attempts=1)
    with _later(5):
        started_at = timezone.now()
        newer = _run(status=JobStatus.RUNNING, attempts=1, heartbeat_at=started_at + dt.timedelta(seconds=1))
        resumer = threading.Thread(target=resume_interrupted_jobs, args=(started_at,))
        resumer.start()
        resumer.join(timeout=120)
    run.refresh_from_db()
    deal.refresh_from_db()
    newer.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert deal.status == DealStatus.VALUED
    assert (newer.status, newer.attempts) == (JobStatus.RUNNING, 1)
