"""The hash-chained audit log of deal workflow moves: append and verify."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from .models import AuditEvent, Deal

GENESIS_HASH = "0" * 64


def audit_event_hash(
    *,
    deal_id: int,
    sequence: int,
    actor_id: int | None,
    actor_label: str,
    action: str,
    from_status: str,
    to_status: str,
    reason: str,
    created_at: datetime,
    prev_hash: str,
) -> str:
    """SHA-256 over the previous event's hash and this event's fields in canonical JSON."""
    payload = json.dumps(
        [
            deal_id,
            sequence,
            actor_id,
            actor_label,
            action,
            from_status,
            to_status,
            reason,
            created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def _hash_of(event: AuditEvent) -> str:
    return audit_event_hash(
        deal_id=event.deal_id,
        sequence=event.sequence,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
        created_at=event.created_at,
        prev_hash=event.prev_hash,
    )


def audit_append(
    *, deal: Deal, actor: Any, actor_label: str, action: str, from_status: str, to_status: str, reason: str
) -> AuditEvent:
    """Append the next event of a deal's chain. The caller holds the deal's row lock."""
    last = AuditEvent.objects.filter(deal=deal).order_by("-sequence").only("sequence", "hash").first()
    sequence = (last.sequence + 1) if last else 1
    prev_hash = last.hash if last else GENESIS_HASH
    event = AuditEvent(
        deal=deal,
        sequence=sequence,
        actor=actor,
        actor_label=actor_label,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        created_at=timezone.now(),
        prev_hash=prev_hash,
    )
    event.hash = _hash_of(event)
    event.save(force_insert=True)
    return event


@dataclass
class AuditVerification:
    """What a verification found: how much was checked and the first broken event, if any."""

    deals_checked: int = 0
    events_checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "deals_checked": self.deals_checked,
            "events_checked": self.events_checked,
            "problems": self.problems,
        }


def audit_verify(*, deal_ids: list[int] | None = None) -> AuditVerification:
    """Recompute every chain; report per deal the first event whose hash, link or sequence is wrong.

    A deal whose current status differs from its last event's `to_status` is
    reported too: its state was changed without an audit event.
    """
    result = AuditVerification()
    deals = Deal.objects.order_by("pk")
    if deal_ids is not None:
        deals = deals.filter(pk__in=deal_ids)
    statuses = dict(deals.values_list("pk", "status"))
    events = AuditEvent.objects.filter(deal_id__in=list(statuses)).order_by("deal_id", "sequence").iterator(2000)
    current_deal: int | None = None
    expected_prev = GENESIS_HASH
    expected_seq = 1
    broken: set[int] = set()
    last_status: dict[int, str] = {}
    for event in events:
        if event.deal_id != current_deal:
            current_deal, expected_prev, expected_seq = event.deal_id, GENESIS_HASH, 1
        result.events_checked += 1
        last_status[event.deal_id] = event.to_status
        if event.deal_id in broken:
            continue
        problem = None
        if event.sequence != expected_seq:
            problem = f"sequence {event.sequence} where {expected_seq} was expected (an event is missing)"
        elif event.prev_hash != expected_prev:
            problem = "its link to the previous event does not match (an earlier event was changed or removed)"
        elif _hash_of(event) != event.hash:
            problem = "its contents do not match its hash (the event was edited)"
        if problem:
            broken.add(event.deal_id)
            result.problems.append(
                {"deal_id": event.deal_id, "event_id": event.pk, "sequence": event.sequence, "problem": problem}
            )
        expected_prev = event.hash
        expected_seq = event.sequence + 1
    for deal_id, status in statuses.items():
        result.deals_checked += 1
        if deal_id in broken:
            continue
        recorded = last_status.get(deal_id, "draft")
        if recorded != status:
            result.problems.append(
                {
                    "deal_id": deal_id,
                    "event_id": None,
                    "sequence": None,
                    "problem": f"deal is '{status}' but its audit log ends at '{recorded}' (changed without an event)",
                }
            )
    return result
