"""The stale-job sweep: what the broker lost is sent again from the job rows (docs/jobs.md).

Every worker runs it every JOB_SWEEP_SECONDS in a thread of its parent process
(origination/worker_steps.py, added to every worker by config/celery.py); `manage.py jobs_recover` runs it once, and in the
embedded default (no broker) resumes interrupted jobs in-process. It sends:

- a queued row whose send failed (heartbeat cleared by job_enqueue): the broker was away;
- a running row whose heartbeat stopped for JOB_STALE_AFTER_SECONDS: its worker died (the row goes back
  to queued, the attempt it used stays counted, and its old claim can write nothing more);
- a queued row sent more than JOB_STALE_AFTER_SECONDS ago while its queue holds no message: the message was
  lost with the broker's memory or with a dead worker's prefetch. While a backlog waits in the queue, nothing
  of it is sent again.

Rows are picked with SELECT ... FOR UPDATE SKIP LOCKED and marked sent in the same
transaction, so several sweeps running at once send each row once; a duplicate
would be harmless anyway (the claim leaves a live or finished job alone).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .jobs import JobRun, JobStatus, job_enqueue

logger = logging.getLogger(__name__)


@dataclass
class SweepOutcome:
    """What one sweep did: rows sent again, by reason, and rows it could not send (broker still away)."""

    unsent: int = 0
    abandoned: int = 0
    lost: int = 0
    failed_to_send: int = 0
    sent_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return self.unsent + self.abandoned + self.lost - self.failed_to_send


def _queue_is_empty(task) -> bool | None:  # type: ignore[no-untyped-def]
    """Whether the task's queue holds no waiting message; None when the broker cannot say (unreachable)."""
    app = task.app
    if app.conf.task_always_eager:
        return None
    from kombu.exceptions import ChannelError

    queue = app.amqp.router.route({}, task.name, args=(), kwargs={})["queue"]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return conn.default_channel.queue_declare(queue=queue.name, passive=True).message_count == 0
    except ChannelError:  # no such queue: Redis drops an empty list (and a restarted Redis has none at all)
        return True
    except Exception as exc:  # noqa: BLE001 - any broker failure: the sweep tries again next time
        logger.info("sweep: cannot read the %s queue (%s)", queue.name, exc)
        return None


def _pick(model: type[JobRun], condition: Q, limit: int) -> list[int]:
    return list(
        model.objects.select_for_update(skip_locked=True)
        .filter(condition)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def jobs_sweep(*, limit: int = 500, embedded: bool = False, started_at: datetime | None = None) -> SweepOutcome:
    """One pass over every job kind (JOB_KINDS); safe to run in several processes at once.

    `embedded`: this process is the only one that runs jobs (the in-process default, at start): every row open
    since before `started_at` (default: now) was interrupted by the restart, and each runs again here, in turn.
    """
    from celery.utils.imports import symbol_by_name

    outcome = SweepOutcome()
    now = timezone.now()
    stale = (started_at or now) if embedded else now - timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    for task_name, label in settings.JOB_KINDS.items():
        model = apps.get_model(label)
        task = symbol_by_name(task_name)  # the task object (JOB_KINDS names it by its import path)
        queue_empty = True if embedded else _queue_is_empty(task)
        with transaction.atomic():
            unsent = _pick(model, Q(status=JobStatus.QUEUED, heartbeat_at__isnull=True), limit)
            abandoned = _pick(model, Q(status=JobStatus.RUNNING, heartbeat_at__lte=stale), limit)
            lost = []
            if queue_empty:
                lost = _pick(model, Q(status=JobStatus.QUEUED, heartbeat_at__lte=stale), limit)
            if unsent or lost:
                model.objects.filter(pk__in=unsent + lost).update(heartbeat_at=now)
            if abandoned:
                model.objects.filter(pk__in=abandoned).update(
                    status=JobStatus.QUEUED, claim_token=None, heartbeat_at=now
                )
        ids = unsent + abandoned + lost
        outcome.unsent += len(unsent)
        outcome.abandoned += len(abandoned)
        outcome.lost += len(lost)
        for n, pk in enumerate(ids):
            try:
                if not job_enqueue(task, pk):
                    # The broker is away: the rest are left "not sent" for the next sweep, without a try each.
                    model.objects.filter(pk__in=ids[n:], status=JobStatus.QUEUED).update(heartbeat_at=None)
                    outcome.failed_to_send += len(ids) - n
                    break
            except Exception:  # in-process (embedded): the job failed, its row says why; go on with the next
                logger.exception("sweep: job %s %s failed in-process", label, pk)
        if ids:
            outcome.sent_ids[label] = ids
            logger.warning(
                "sweep %s: sent again %d not sent, %d abandoned by a dead worker, %d lost by the broker",
                label, len(unsent), len(abandoned), len(lost),
            )  # fmt: skip
    return outcome
