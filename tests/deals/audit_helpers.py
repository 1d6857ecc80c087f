"""Deals with a real audit chain, and what an attacker who can write the database (but lacks the key) would do.

The attacker's tools write the database directly, as someone with a database
login would, around the model's append-only guards. Their plain SHA-256 is
written here from the chain's published format (docs/audit.md), not taken from
the application's code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC

from django.db import connection

from deals import workflow
from deals.models import AuditEvent, Deal
from origination.models import User
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal


def walk_deal(*, originator: User, officer: User, arranger: User) -> Deal:
    """A deal taken through a round of changes to publication: 10 events (create + 9 moves)."""
    deal = submittable_deal(originator)
    workflow.deal_submit(deal=deal, actor=originator)
    workflow.deal_start_review(deal=deal, actor=officer)
    workflow.deal_request_changes(deal=deal, actor=officer, reason="Attach the PIPIA report.")
    workflow.deal_submit(deal=deal, actor=originator)
    workflow.deal_start_review(deal=deal, actor=officer)
    pass_review(deal, officer=officer)
    workflow.deal_approve(deal=deal, actor=officer)
    workflow.deal_start_valuation(deal=deal, actor=arranger)
    workflow.deal_complete_valuation(deal=deal)
    workflow.deal_publish(deal=deal, actor=arranger)
    deal.refresh_from_db()
    return deal


def start_deal(*, originator: User, officer: User) -> Deal:
    """A deal of another company taken into review: 3 events."""
    deal = submittable_deal(originator)
    workflow.deal_submit(deal=deal, actor=originator)
    workflow.deal_start_review(deal=deal, actor=officer)
    return deal


# --- the attacker -----------------------------------------------------------------------------------------------


def _sql(statement: str, params: list) -> None:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def delete_events(deal: Deal, *, from_sequence: int = 1) -> None:
    """DELETE the deal's events from `from_sequence` on, in SQL (the model refuses to)."""
    _sql(f"DELETE FROM {AuditEvent._meta.db_table} WHERE deal_id = %s AND sequence >= %s", [deal.pk, from_sequence])  # noqa: S608


def set_deal_row(deal: Deal, **columns: object) -> None:
    """UPDATE columns of the deal's row in SQL."""
    assignments = ", ".join(f"{name} = %s" for name in columns)
    _sql(f"UPDATE {Deal._meta.db_table} SET {assignments} WHERE id = %s", [*columns.values(), deal.pk])  # noqa: S608


def chain_message(event: AuditEvent, prev_hash: str) -> bytes:
    """The bytes an event's hash covers: the previous hash, '|', and the event's fields as compact JSON."""
    fields = [
        event.deal_id, event.sequence, event.actor_id, event.actor_label, event.action, event.from_status,
        event.to_status, event.reason, event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    ]  # fmt: skip
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return f"{prev_hash}|{payload}".encode()


def delete_deal(deal: Deal) -> None:
    """DELETE the deal's events, its review, its valuation runs and the deal itself with everything hanging off it."""
    from deals.compliance.models import ComplianceReview
    from deals.models import ValuationRun

    delete_events(deal)
    ComplianceReview.objects.filter(deal=deal).delete()
    ValuationRun.objects.filter(deal=deal).delete()  # a walked deal was valued: start_valuation queues its run
    Deal.objects.filter(pk=deal.pk).delete()


def plain_sha256(event: AuditEvent, prev_hash: str) -> str:
    """What an attacker without the key computes: plain SHA-256 of the chain message."""
    return hashlib.sha256(chain_message(event, prev_hash)).hexdigest()


def hmac_with(key: bytes):  # type: ignore[no-untyped-def]
    """An attacker's HMAC under a key they guessed."""
    return lambda event, prev_hash: hmac.new(key, chain_message(event, prev_hash), hashlib.sha256).hexdigest()


def rewrite_event(deal: Deal, sequence: int, *, rehash, **changes: object) -> str:  # type: ignore[no-untyped-def]
    """Edit one event and recompute its hash and every following one with `rehash(event, prev)`; return the new head.

    The links stay consistent, so only the hash function itself can give the rewrite away.
    """
    events = list(AuditEvent.objects.filter(deal=deal).order_by("sequence"))
    prev = events[sequence - 2].hash if sequence > 1 else "0" * 64
    for event in events[sequence - 1 :]:
        for name, value in changes.items() if event.sequence == sequence else ():
            setattr(event, name, value)
        event.prev_hash = prev
        event.hash = prev = rehash(event, prev)
        AuditEvent.objects.filter(pk=event.pk).update(
            prev_hash=event.prev_hash, hash=event.hash, **(changes if event.sequence == sequence else {})
        )
    return prev
