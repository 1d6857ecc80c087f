"""The job row every background job uses, and the claim / heartbeat / finish protocol (docs/jobs.md).

The row in the database is the source of truth for a job; the broker's message
is only a wake-up. A task claims its row with a conditional UPDATE that takes a
queued row, or a running one whose heartbeat stopped, never a live one (so a
duplicate delivery does nothing and spends no attempt); it counts its attempts
(so a job that keeps killing its worker ends failed instead of being redelivered
forever); while it runs a thread keeps its heartbeat fresh; it writes its result
only while it still holds the claim token (so a stale run cannot overwrite a
newer one). A transient error (a lost database connection, a serialization
failure, the broker unavailable) releases the row for a retry with backoff; any
other error fails it with its message. Both writes go through a fresh connection.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .limits import JOB_ATTEMPTS_RANGE, PROGRESS_RANGE


class JobStatus(models.TextChoices):
    """Where a job stands."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


JOB_FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})
JOB_OPEN = (JobStatus.QUEUED, JobStatus.RUNNING)

logger = logging.getLogger(__name__)


class JobRun(models.Model):
    """Abstract job row: status, progress, attempts, inputs, result, error and timings."""

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0, validators=PROGRESS_RANGE.validators())  # percent
    attempts = models.PositiveSmallIntegerField(default=0, validators=JOB_ATTEMPTS_RANGE.validators())
    inputs = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        "origination.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claim_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            PROGRESS_RANGE.check("%(app_label)s_%(class)s", "progress"),
            JOB_ATTEMPTS_RANGE.check("%(app_label)s_%(class)s", "attempts"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new queued row counts as sent now: its message goes out on commit (job_enqueue). If that send fails
        # the row's heartbeat is cleared, which the sweep reads as "not sent yet" (origination/job_sweep.py).
        if self._state.adding and self.status == JobStatus.QUEUED and self.heartbeat_at is None:
            self.heartbeat_at = timezone.now()
        super().save(*args, **kwargs)

    @property
    def waiting_for_broker(self) -> bool:
        """Recorded, but its message could not be sent: it starts once the broker is back (the sweep sends it)."""
        return self.status == JobStatus.QUEUED and self.heartbeat_at is None

    @property
    def is_finished(self) -> bool:
        return self.status in JOB_FINISHED

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the last attempt, once finished."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ClaimLost(Exception):
    """Another run of the same job took it over (its heartbeat had stopped); this one stops without writing."""


class JobRetry(Exception):
    """A transient error released the job: the task sends it again after `countdown` seconds."""

    def __init__(self, countdown: float, reason: str):
        super().__init__(reason)
        self.countdown = countdown
        self.reason = reason


def _stale_cutoff(stale_after_seconds: float | None = None):  # type: ignore[no-untyped-def]
    seconds = settings.JOB_STALE_AFTER_SECONDS if stale_after_seconds is None else stale_after_seconds
    return timezone.now() - timedelta(seconds=seconds)


def job_claim(*, model: type[JobRun], job_id: int) -> uuid.UUID | None:
    """Claim a queued job, or a running one whose heartbeat stopped; None otherwise (and no attempt spent).

    None when the job is finished, when another worker holds it and its heartbeat
    is fresh (a duplicate delivery), or when it is out of attempts (then it is
    failed here, with the reason on the row).
    """
    now = timezone.now()
    token = uuid.uuid4()
    max_attempts = settings.JOB_MAX_ATTEMPTS
    takeable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=_stale_cutoff())
    claimed = (
        model.objects.filter(pk=job_id, attempts__lt=max_attempts)
        .filter(takeable)
        .update(
            status=JobStatus.RUNNING,
            attempts=F("attempts") + 1,
            claim_token=token,
            started_at=now,
            heartbeat_at=now,
            error="",
        )
    )
    if claimed:
        return token
    # Out of attempts: a job that keeps dying must end, with the reason on the row.
    model.objects.filter(pk=job_id, attempts__gte=max_attempts).filter(takeable).update(
        status=JobStatus.FAILED,
        finished_at=now,
        claim_token=None,
        error=f"Gave up after {max_attempts} attempts (the worker stopped each time before finishing).",
    )
    return None


def job_progress(*, model: type[JobRun], job_id: int, token: uuid.UUID, progress: float) -> bool:
    """Record progress (0-100) while the claim is held; False if another run took over."""
    return bool(
        model.objects.filter(pk=job_id, claim_token=token, status=JobStatus.RUNNING).update(
            progress=max(0.0, min(100.0, progress)), heartbeat_at=timezone.now()
        )
    )


def job_heartbeat(*, model: type[JobRun], job_id: int, token: uuid.UUID) -> bool:
    """Mark the claim alive; False if another run took over."""
    return bool(
        model.objects.filter(pk=job_id, claim_token=token, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())
    )


def job_finish(*, model: type[JobRun], job_id: int, token: uuid.UUID, result: Any) -> bool:
    """Store the result and mark the job succeeded, only if this run still holds the claim."""
    return bool(
        model.objects.filter(pk=job_id, claim_token=token, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED, progress=100.0, result=result, finished_at=timezone.now()
        )
    )


def job_fail(*, model: type[JobRun], job_id: int, token: uuid.UUID, error: str) -> bool:
    """Mark the job failed with a reason a user can read, only if this run still holds the claim."""
    return bool(
        model.objects.filter(pk=job_id, claim_token=token, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=error[:4000], finished_at=timezone.now()
        )
    )


def job_release(*, model: type[JobRun], job_id: int, token: uuid.UUID, error: str, retry_in: float) -> bool:
    """Give the job back after a transient error: queued again, the attempt not counted, due in `retry_in` s.

    The heartbeat is set to when the retry is due, so the sweep leaves the row to
    the retry's own message and sends a new one only if that one is lost too.
    """
    return bool(
        model.objects.filter(pk=job_id, claim_token=token, status=JobStatus.RUNNING).update(
            status=JobStatus.QUEUED,
            attempts=F("attempts") - 1,
            claim_token=None,
            heartbeat_at=timezone.now() + timedelta(seconds=retry_in),
            error=error[:4000],
        )
    )


def job_is_transient(exc: BaseException) -> bool:
    """Errors worth a retry: the database connection lost or a serialization/deadlock abort, the broker away."""
    from kombu.exceptions import OperationalError as BrokerError

    if isinstance(exc, OperationalError | InterfaceError | BrokerError | ConnectionError | TimeoutError):
        return True
    # psycopg's serialization failure and deadlock (SQLSTATE 40001 / 40P01) reach Django as DatabaseError subclasses.
    cause = exc.__cause__
    return isinstance(exc, DatabaseError) and getattr(cause, "sqlstate", None) in {"40001", "40P01"}


def on_fresh_connection(write: Callable[[], Any], *, tries: int = 5) -> Any:
    """Run a write after dropping a connection that failed, retrying on a new one with a short backoff.

    The job's own connection may be the reason it failed (terminated by the
    server, a network cut): writing the outcome on it would fail too and leave the
    row 'running'. Inside a transaction (the tests' own) the connection cannot be
    replaced, so the write is tried once.
    """
    for attempt in range(tries):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
        try:
            return write()
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block or attempt == tries - 1:
                raise
            connection.close()
            time.sleep(min(2.0, 0.1 * 2**attempt))
    return None  # pragma: no cover - the loop returns or raises


class Heartbeat:
    """While a job runs, a thread refreshes its heartbeat every JOB_HEARTBEAT_SECONDS on its own connection.

    A live worker keeps its claim however long a step takes between two progress
    writes; a dead one stops the heartbeat and the sweep gives the job to another.
    On SQLite (the embedded default, a single process) the progress writes serve.
    """

    def __init__(self, *, model: type[JobRun], job_id: int, token: uuid.UUID):
        self.model, self.job_id, self.token = model, job_id, token
        self.interval = float(settings.JOB_HEARTBEAT_SECONDS)
        self.enabled = self.interval > 0 and connection.vendor != "sqlite"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.enabled:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.job_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _beat(self) -> None:
        from django.db import connection as own  # this thread's connection

        try:
            while not self._stop.wait(self.interval):
                try:
                    if not job_heartbeat(model=self.model, job_id=self.job_id, token=self.token):
                        return  # finished, or taken over
                except DatabaseError:
                    own.close()  # the database is away: try again on a new connection at the next beat
        finally:
            own.close()


def retry_countdown(retries_done: int) -> float:
    """Seconds before the next try after a transient error: exponential, capped, with jitter."""
    base = min(settings.JOB_RETRY_BACKOFF_MAX_SECONDS, settings.JOB_RETRY_BACKOFF_SECONDS * 2**retries_done)
    return round(base * random.uniform(0.8, 1.2), 2)  # noqa: S311 - jitter, not security


def job_run(
    *,
    model: type[JobRun],
    job_id: int,
    work: Callable[[uuid.UUID], None],
    on_failure: Callable[[str], None] | None = None,
    retries_done: int = 0,
) -> bool:
    """Claim the job and run `work(token)` with a heartbeat; False if there was nothing to claim.

    A transient error releases the job and raises JobRetry (the task sends it
    again after the backoff), until JOB_TRANSIENT_RETRIES; any other error fails
    it with its message, `on_failure(reason)` in the same transaction, and is
    raised again. ClaimLost (another run took over) ends quietly.
    """
    try:
        token = on_fresh_connection(lambda: job_claim(model=model, job_id=job_id))
    except (OperationalError, InterfaceError) as exc:  # the database is away: the row is untouched, try later
        if retries_done >= settings.JOB_TRANSIENT_RETRIES:
            raise
        raise JobRetry(retry_countdown(retries_done), f"{type(exc).__name__}: {exc}") from exc
    if token is None:
        return False
    try:
        with Heartbeat(model=model, job_id=job_id, token=token):
            work(token)
    except ClaimLost:
        return True
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if job_is_transient(exc) and retries_done < settings.JOB_TRANSIENT_RETRIES:
            countdown = retry_countdown(retries_done)
            on_fresh_connection(
                lambda: job_release(model=model, job_id=job_id, token=token, error=reason, retry_in=countdown)
            )
            logger.warning("job %s %s: transient error, retry in %ss: %s", model.__name__, job_id, countdown, reason)
            raise JobRetry(countdown, reason) from exc

        def fail() -> None:
            with transaction.atomic():
                if job_fail(model=model, job_id=job_id, token=token, error=reason) and on_failure is not None:
                    on_failure(reason)

        on_fresh_connection(fail)
        raise
    return True


def job_enqueue(task: Any, job_id: int, *, countdown: float | None = None, retries: int = 0) -> bool:
    """Send the job's message; if the broker cannot take it, mark the row "not sent" and return False.

    The row is committed already: the sweep sends it once the broker is back. In
    the embedded default (no broker) the task runs here, in-process.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args=[job_id], retries=retries)
        return True
    try:
        task.apply_async(
            args=[job_id],
            countdown=countdown,
            retries=retries,
            retry_policy=settings.JOB_PUBLISH_RETRY_POLICY,
        )
    except Exception as exc:
        if not job_is_transient(exc) and not isinstance(exc, OSError):
            raise
        logger.warning("job %s %s not sent, the broker is unavailable (%s): the sweep sends it", task.name, job_id, exc)
        model = job_model_of(task.name)
        on_fresh_connection(lambda: model.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(heartbeat_at=None))
        return False
    return True


def job_model_of(task_name: str) -> type[JobRun]:
    """The job row model a task runs (JOB_KINDS in settings)."""
    from django.apps import apps

    return apps.get_model(settings.JOB_KINDS[task_name])


def job_task_run(task: Any, execute: Callable[..., Any], job_id: int) -> None:
    """The body of every job task: run the service; on JobRetry send the job again after its backoff.

    The retry is a new message (the delivered one is acknowledged): if the broker
    is away too, the row is left "not sent" and the sweep sends it when it is back.
    """
    retries = int(task.request.retries or 0)
    try:
        execute(run_id=job_id, retries_done=retries)
    except JobRetry as retry:
        if task.request.is_eager:
            time.sleep(min(retry.countdown, 1.0))  # in-process: a short pause, then again
        job_enqueue(task, job_id, countdown=retry.countdown, retries=retries + 1)
