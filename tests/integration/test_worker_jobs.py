"""Valuation and matching through a real worker on PostgreSQL and Redis, including a worker killed mid-run."""

from __future__ import annotations

import datetime
import signal

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from deals import valuation_jobs, workflow
from deals.models import AuditEvent, ValuationRun
from investors.models import Match, MatchRun
from origination.jobs import JobStatus
from tests.deals.test_valuation_job import _approved_licence_deal

from .worker import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_broker():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


def _finished(model, pk):  # type: ignore[no-untyped-def]
    run = model.objects.get(pk=pk)
    return run if run.is_finished else None


def test_killed_worker_mid_valuation_completes_exactly_once_on_a_new_worker(
    real_broker, tmp_path, settings, user_a, compliance_user, arranger_user
):
    settings.JOB_STALE_AFTER_SECONDS = 5
    deal = _approved_licence_deal(user_a, compliance_user)
    first = WorkerProcess(log_path=tmp_path / "first.log").start()
    try:
        run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=150_000)
        wait_for(
            lambda: ValuationRun.objects.filter(pk=run.pk, status="running", progress__gt=0).exists(),
            timeout=90,
            what="the first worker to be part-way through the valuation",
        )
    finally:
        first.stop(sig=signal.SIGKILL)  # the whole worker, parent and child, dies at once
    killed = ValuationRun.objects.get(pk=run.pk)
    assert killed.status == JobStatus.RUNNING
    assert killed.attempts == 1

    # The heartbeat goes silent; the new worker's own sweep gives the run back, nothing is run by hand.
    second = WorkerProcess(log_path=tmp_path / "second.log", env={"JOB_STALE_AFTER_SECONDS": "5"}).start()
    try:
        done = wait_for(lambda: _finished(ValuationRun, run.pk), timeout=180, what="the second worker to finish")
    finally:
        second.stop()
    assert done.status == JobStatus.SUCCEEDED, done.error + second.log_tail()
    assert done.attempts == 2
    assert AuditEvent.objects.filter(deal=deal, action="complete_valuation").count() == 1
    deal.refresh_from_db()
    assert deal.status == "valued"


def test_publishing_a_deal_updates_matches_through_a_real_worker(
    real_broker, tmp_path, user_a, compliance_user, arranger_user
):
    from tests.investors.test_match_job import _investor

    deal = _approved_licence_deal(user_a, compliance_user)
    investor = _investor("Broad Mandate Pension", risk_tolerance="C5", min_rating="NR", min_coupon=0)
    worker = WorkerProcess(log_path=tmp_path / "worker.log").start()
    try:
        run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=2000)
        wait_for(lambda: _finished(ValuationRun, run.pk), timeout=120, what="the valuation")
        deal.refresh_from_db()
        started = timezone.now() - datetime.timedelta(seconds=1)
        workflow.deal_publish(deal=deal, actor=arranger_user)
        match_run = wait_for(
            lambda: MatchRun.objects.filter(scope="deal", scope_id=deal.pk, created_at__gte=started).first(),
            timeout=30,
            what="the publish move to queue a matching run",
        )
        done = wait_for(lambda: _finished(MatchRun, match_run.pk), timeout=120, what="the matching run")
    finally:
        worker.stop()
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.result["tranches"] == 2
    assert Match.objects.filter(deal=deal, investor=investor).exists()
