"""Verify the audit chains, write and check signed checkpoints of them, and re-sign them after a key rotation.

Three defences, each catching what the one before cannot (docs/audit.md):

- the chain: every event's HMAC and its link to the previous event. An edited
  event fails, and so does a rewrite by someone without the key, even one that
  recomputes every following hash with plain SHA-256;
- the head on the deal: the chain's length and last hash, moved with each
  event. A deleted tail, or a whole chain deleted under a deal that remains,
  fails here, unless whoever deleted it also rewrote the deal's row;
- the checkpoint: a signed file, kept outside the database, of every deal's
  length and head at a moment. A tail deleted together with the deal's row
  rewritten, or a deal deleted outright, fails here.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .audit_hash import (
    GENESIS_HASH,
    ChainedEvent,
    audit_key,
    checkpoint_signature,
    event_hash,
    key_id,
    previous_audit_keys,
    unkeyed_event_hash,
)
from .models import AuditEvent, Deal

CHECKPOINT_FORMAT = "dataabs-audit-checkpoint/1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_EVENT_FIELDS = (
    "id", "deal_id", "sequence", "actor_id", "actor_label", "action", "from_status", "to_status", "reason",
    "created_at", "prev_hash", "hash",
)  # fmt: skip


@dataclass(frozen=True)
class ChainHead:
    """A deal's chain at a moment: how many events, the last one's hash and when it was written."""

    event_count: int
    head_hash: str
    head_at: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed checkpoint read back from its file: when it was taken and each deal's head then."""

    exported_at: str
    heads: dict[int, ChainHead]


@dataclass
class AuditVerification:
    """What a verification found: how much was checked, the problems (one per deal and defence) and each head."""

    deals_checked: int = 0
    events_checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[int, ChainHead] = field(default_factory=dict)

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


class CheckpointError(ValueError):
    """A checkpoint file that cannot be trusted or read; the message says why."""


def _problem(kind: str, deal_id: int, text: str, event: ChainedEvent | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "deal_id": deal_id,
        "event_id": getattr(event, "id", None),
        "sequence": event.sequence if event is not None else None,
        "problem": text,
    }


def _events(first: int, last: int) -> str:
    return f"event #{first} is" if first == last else f"events #{first}-#{last} are"


class _ChainWalk:
    """One deal's events, fed in sequence order and checked as they pass, under one key."""

    def __init__(self, deal_id: int, *, key: bytes, watch_sequence: int | None = None) -> None:
        self.deal_id = deal_id
        self.key = key
        self.length = 0  # the events verified so far, a gapless prefix of the chain
        self.head = GENESIS_HASH
        self.head_at = ""
        self.last_status: str | None = None
        self.rows = 0  # every event row seen, verified or not
        self.watch_sequence = watch_sequence
        self.hash_at_watch: str | None = None  # the hash of the event at a checkpoint's count
        self.problem: dict[str, Any] | None = None

    def see(self, event: AuditEvent) -> None:
        self.rows += 1
        if event.sequence == self.watch_sequence:
            self.hash_at_watch = event.hash
        if self.problem is not None:
            return
        expected = self.length + 1
        text = None
        if event.sequence != expected:
            text = (
                f"sequence {event.sequence} where {expected} was expected: "
                f"{_events(expected, event.sequence - 1)} missing (deleted)"
            )
        elif event.prev_hash != self.head:
            text = "its link to the previous event does not match (an earlier event was changed or removed)"
        elif not hmac.compare_digest(event_hash(event, key=self.key), event.hash):
            if hmac.compare_digest(unkeyed_event_hash(event), event.hash):
                text = (
                    "its hash is a plain SHA-256 of its contents, not the HMAC of the audit key: it was written "
                    "or rewritten by someone who does not hold the key"
                )
            else:
                text = "its contents do not match its keyed hash (the event was edited)"
        if text is not None:
            self.problem = _problem("chain", self.deal_id, text, event)
            return
        self.length, self.head, self.last_status = event.sequence, event.hash, event.to_status
        self.head_at = event.created_at.astimezone(UTC).isoformat(timespec="microseconds")

    def head_problem(self, *, status: str, count: int, head: str) -> dict[str, Any] | None:
        """Compare the verified chain with the count, head and status recorded on the deal."""
        if self.problem is not None:
            return self.problem
        if count > self.length:
            if self.length == 0:
                text = f"the deal records {count} audit events but none remain: its whole audit log was deleted"
            else:
                text = (
                    f"the deal records {count} audit events but its log ends at #{self.length}: "
                    f"{_events(self.length + 1, count)} missing (deleted from the end)"
                )
            return _problem("head", self.deal_id, text)
        if count < self.length:
            return _problem(
                "head",
                self.deal_id,
                f"its log has {self.length} events but the deal records only {count}: events were added outside "
                "the audit log, or the deal's count was rolled back",
            )
        if not hmac.compare_digest(head, self.head):
            return _problem(
                "head",
                self.deal_id,
                f"the head hash recorded on the deal is not the hash of event #{self.length}: the chain was replaced",
            )
        if self.length == 0:
            return _problem(
                "head",
                self.deal_id,
                "the deal has no audit event at all, though every deal's log begins when it is created: "
                "its log was deleted and the deal's count reset",
            )
        if self.last_status != status:
            return _problem(
                "status",
                self.deal_id,
                f"deal is '{status}' but its audit log ends at '{self.last_status}' (changed without an event)",
            )
        return None

    def checkpoint_problem(self, entry: ChainHead, *, exported_at: str) -> dict[str, Any] | None:
        """Compare the log with a checkpoint's head for this deal: it may have grown since, never shrunk or changed."""
        if self.rows < entry.event_count:
            text = (
                f"{self.rows} audit events where the checkpoint of {exported_at} recorded {entry.event_count}: "
                f"{_events(self.rows + 1, entry.event_count)} gone since"
            )
            return _problem("checkpoint", self.deal_id, text)
        if entry.event_count and (
            self.hash_at_watch is None or not hmac.compare_digest(self.hash_at_watch, entry.head_hash)
        ):
            text = (
                f"event #{entry.event_count} is not the head the checkpoint of {exported_at} recorded: "
                f"the log up to #{entry.event_count} was rewritten since"
            )
            return _problem("checkpoint", self.deal_id, text)
        return None


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read deals and events as of one moment, so an event committed during the check is not taken for tampering."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # SQLite holds one read snapshot for the whole transaction already.
        yield


def audit_verify(*, deal_ids: list[int] | None = None, checkpoint: Checkpoint | None = None) -> AuditVerification:
    """Check every chain (or those of `deal_ids`) against its key, the head on its deal and, if given, a checkpoint.

    Per deal, the first problem of the chain or of its recorded head is named,
    and separately whether the log lost or changed what the checkpoint held. A
    deal of the checkpoint that no longer exists is named too.
    """
    key = audit_key()
    result = AuditVerification()
    with _one_snapshot():
        deals = Deal.objects.order_by("pk")
        if deal_ids is not None:
            deals = deals.filter(pk__in=deal_ids)
        rows = deals.values_list("pk", "status", "audit_event_count", "audit_head_hash")
        records = {pk: (status, count, head) for pk, status, count, head in rows}
        expected = dict(checkpoint.heads) if checkpoint else {}
        exported_at = checkpoint.exported_at if checkpoint else ""
        if deal_ids is not None:
            scope = set(deal_ids)
            expected = {pk: entry for pk, entry in expected.items() if pk in scope}
        walks = {
            pk: _ChainWalk(pk, key=key, watch_sequence=expected[pk].event_count if pk in expected else None)
            for pk in records
        }
        events = AuditEvent.objects.order_by("deal_id", "sequence").only(*_EVENT_FIELDS)
        if deal_ids is not None:
            events = events.filter(deal_id__in=list(records))
        for event in events.iterator(2000):
            walk = walks.get(event.deal_id)
            if walk is not None:
                result.events_checked += 1
                walk.see(event)
    for pk, (status, count, head) in records.items():
        result.deals_checked += 1
        walk = walks[pk]
        problem = walk.head_problem(status=status, count=count, head=head)
        if problem is not None:
            result.problems.append(problem)
        else:
            result.heads[pk] = ChainHead(event_count=walk.length, head_hash=walk.head, head_at=walk.head_at)
        if pk in expected:
            problem = walk.checkpoint_problem(expected[pk], exported_at=exported_at)
            if problem is not None:
                result.problems.append(problem)
    for pk in sorted(set(expected) - set(records)):
        text = (
            f"the deal vanished: the checkpoint of {exported_at} recorded it with {expected[pk].event_count} "
            "audit events, and neither it nor its log exists now"
        )
        result.problems.append(_problem("checkpoint", pk, text))
    return result


# --- checkpoints ---------------------------------------------------------------------------------------------------


def checkpoint_document(verification: AuditVerification, *, exported_at: datetime | None = None) -> dict[str, Any]:
    """The signed checkpoint of the heads a clean verification read: per deal its id, count, head and time."""
    if not verification.ok:
        raise CheckpointError("the audit log does not verify: a checkpoint is only taken of a log that does")
    key = audit_key()
    document: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "exported_at": (exported_at or timezone.now()).astimezone(UTC).isoformat(timespec="seconds"),
        "key_id": key_id(key),
        "deals": [
            {"deal_id": pk, "event_count": head.event_count, "head_hash": head.head_hash, "head_at": head.head_at}
            for pk, head in sorted(verification.heads.items())
        ],
    }
    document["signature"] = checkpoint_signature(document, key=key)
    return document


def checkpoint_load(document: Any) -> Checkpoint:
    """A checkpoint from its parsed JSON, once its signature holds under the current key; CheckpointError if not."""
    if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"not an audit checkpoint (its format is not {CHECKPOINT_FORMAT})")
    key = audit_key()
    signature = document.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(signature, checkpoint_signature(document, key=key)):
        if document.get("key_id") != key_id(key):
            raise CheckpointError(
                f"it was signed with another audit key (key id {document.get('key_id')}, this server's is "
                f"{key_id(key)}): after a key rotation, compare with a checkpoint taken since"
            )
        raise CheckpointError("its signature does not match its contents: the file was altered after it was exported")
    heads: dict[int, ChainHead] = {}
    for index, entry in enumerate(document.get("deals") or []):
        try:
            deal_id, count, head = int(entry["deal_id"]), int(entry["event_count"]), str(entry["head_hash"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"entry {index + 1} of 'deals' is malformed ({exc})") from exc
        if deal_id < 1 or count < 0 or not _HEX64.fullmatch(head):
            raise CheckpointError(f"entry {index + 1} of 'deals' is malformed (deal {deal_id})")
        heads[deal_id] = ChainHead(event_count=count, head_hash=head, head_at=str(entry.get("head_at", "")))
    return Checkpoint(exported_at=str(document.get("exported_at", "")), heads=heads)


# --- key rotation --------------------------------------------------------------------------------------------------


@dataclass
class RekeyResult:
    """What a re-signing did: chains already under the current key, re-signed ones, and those refused with why."""

    current: int = 0
    rekeyed: int = 0
    events_rekeyed: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


def _walk_under(
    deal_id: int, events: list[AuditEvent], key: bytes, *, status: str, count: int, head: str
) -> tuple[_ChainWalk, dict[str, Any] | None]:
    walk = _ChainWalk(deal_id, key=key)
    for event in events:
        walk.see(event)
    return walk, walk.head_problem(status=status, count=count, head=head)


def audit_rekey() -> RekeyResult:
    """Re-sign with the current key every chain that verifies in full under a previous one (AUDIT_HMAC_PREVIOUS_KEYS).

    A chain that verifies under no key is left as it is and named: re-signing
    it would launder whatever broke it. The unkeyed SHA-256 of chains written
    before the key existed is not accepted here; migration 0011 re-signed those
    once, when the key was introduced.
    """
    result = RekeyResult()
    current, previous = audit_key(), previous_audit_keys()
    for deal_id in Deal.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            status, count, head = (
                Deal.objects.select_for_update()
                .filter(pk=deal_id)
                .values_list("status", "audit_event_count", "audit_head_hash")
                .get()
            )
            events = list(AuditEvent.objects.filter(deal_id=deal_id).order_by("sequence").only(*_EVENT_FIELDS))
            walk, problem = _walk_under(deal_id, events, current, status=status, count=count, head=head)
            if walk.problem is None and (problem is None or problem["kind"] == "status"):
                result.current += 1
                continue
            for key in previous:
                old_walk, old_problem = _walk_under(deal_id, events, key, status=status, count=count, head=head)
                if old_walk.problem is None and (old_problem is None or old_problem["kind"] == "status"):
                    prev = GENESIS_HASH
                    for event in events:
                        event.prev_hash = prev
                        event.hash = prev = event_hash(event, key=current)
                        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash)
                    Deal.objects.filter(pk=deal_id).update(audit_head_hash=prev)
                    result.rekeyed += 1
                    result.events_rekeyed += len(events)
                    break
            else:
                result.refused.append(problem or {"deal_id": deal_id, "problem": "verifies under no known key"})
    return result
