"""Services of the deal jobs: request a run (enqueued after commit) and execute a claimed run."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from origination.errors import DomainError
from origination.jobs import ClaimLost, job_enqueue, job_finish, job_progress, job_run
from origination.models import User

from .audit import audit_verify
from .models import AuditVerificationRun, Deal


def audit_verification_request(*, actor: User | None) -> AuditVerificationRun:
    """Queue a check of every deal's audit chain (arranger or the nightly schedule)."""
    if actor is not None and not actor.is_arranger:
        raise DomainError("forbidden", _("Only the arranger verifies the audit log."), status=403)
    from .tasks import run_audit_verification

    with transaction.atomic():
        run = AuditVerificationRun.objects.create(requested_by=actor, inputs={"scope": "all_deals"})
        transaction.on_commit(lambda: job_enqueue(run_audit_verification, run.pk))
    return run


def audit_verification_execute(*, run_id: int, retries_done: int = 0) -> None:
    """Claim the run and verify every chain, deal by deal, with progress; safe to call twice."""

    def work(token: uuid.UUID) -> None:
        deal_ids = list(Deal.objects.order_by("pk").values_list("pk", flat=True))
        totals = {"ok": True, "deals_checked": 0, "events_checked": 0, "problems": []}
        step = max(1, len(deal_ids) // 20)
        for start in range(0, len(deal_ids), step):
            part = audit_verify(deal_ids=deal_ids[start : start + step]).as_dict()
            totals["deals_checked"] += part["deals_checked"]
            totals["events_checked"] += part["events_checked"]
            totals["problems"].extend(part["problems"])
            if not job_progress(
                model=AuditVerificationRun,
                job_id=run_id,
                token=token,
                progress=100.0 * min(len(deal_ids), start + step) / max(1, len(deal_ids)),
            ):
                raise ClaimLost
        totals["ok"] = not totals["problems"]
        job_finish(model=AuditVerificationRun, job_id=run_id, token=token, result=totals)

    job_run(model=AuditVerificationRun, job_id=run_id, work=work, retries_done=retries_done)
