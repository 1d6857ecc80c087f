"""The job row every background job uses, and the claim / progress / finish protocol.

The row in the database is the source of truth for a job, not the broker: a
task claims its row with a conditional UPDATE (so a duplicate delivery finds
nothing to do), counts its attempts (so a job that keeps killing its worker
ends failed instead of being redelivered forever), and writes its result only
while it still holds the claim token (so a stale run cannot overwrite a newer
one).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
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

    @property
    def is_finished(self) -> bool:
        return self.status in JOB_FINISHED

    @property
    def duration_seconds(self) -> float | None:
        """Wall time of the last attempt, once finished."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


def job_claim(*, model: type[JobRun], job_id: int) -> uuid.UUID | None:
    """Claim a queued (or abandoned running) job; None when it is finished or out of attempts."""
    now = timezone.now()
    token = uuid.uuid4()
    max_attempts = settings.JOB_MAX_ATTEMPTS
    claimed = model.objects.filter(
        pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING], attempts__lt=max_attempts
    ).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        claim_token=token,
        started_at=now,
        heartbeat_at=now,
        error="",
    )
    if claimed:
        return token
    # Out of attempts: a job that keeps dying must end, with the reason on the row.
    model.objects.filter(pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).filter(
        attempts__gte=max_attempts
    ).update(
        status=JobStatus.FAILED,
        finished_at=now,
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


def job_stale_ids(*, model: type[JobRun], older_than_seconds: int) -> list[int]:
    """Jobs queued or running whose heartbeat is older than the limit: candidates for re-enqueueing."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        model.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))
        .values_list("pk", flat=True)
    )
