"""The keyed hashes of the audit chain and the signature of its checkpoints (docs/audit.md); no database here.

An event's hash is HMAC-SHA256, under AUDIT_HMAC_KEY, of the previous event's
hash and the event's fields in canonical JSON. The key is a setting read from
the environment, never stored in the database: whoever can write the database
but does not hold the key cannot compute the hash of an event they forge. The
plain SHA-256 of the same message is what the chain used before it was keyed,
and what someone without the key would compute: verification recognises it to
say so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings

GENESIS_HASH = "0" * 64
# Domain separation: a checkpoint's signature can never be mistaken for an event's hash, nor the reverse.
_CHECKPOINT_TAG = b"dataabs-audit-checkpoint|"
_KEY_ID_TAG = b"dataabs-audit-key-id"


class ChainedEvent(Protocol):
    """The fields an event's hash covers (a model instance, historical or current, has them)."""

    deal_id: int
    sequence: int
    actor_id: int | None
    actor_label: str
    action: str
    from_status: str
    to_status: str
    reason: str
    created_at: datetime
    prev_hash: str


def _message(event: ChainedEvent) -> bytes:
    payload = json.dumps(
        [
            event.deal_id,
            event.sequence,
            event.actor_id,
            event.actor_label,
            event.action,
            event.from_status,
            event.to_status,
            event.reason,
            event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return f"{event.prev_hash}|{payload}".encode()


def event_hash(event: ChainedEvent, *, key: bytes) -> str:
    """HMAC-SHA256 under `key` of the previous event's hash and this event's fields."""
    return hmac.new(key, _message(event), hashlib.sha256).hexdigest()


def unkeyed_event_hash(event: ChainedEvent) -> str:
    """Plain SHA-256 of the same message: the chain before it was keyed, or a rewrite by someone without the key."""
    return hashlib.sha256(_message(event)).hexdigest()


def audit_key() -> bytes:
    """The current key of the chain (settings.AUDIT_HMAC_KEY)."""
    return settings.AUDIT_HMAC_KEY.encode()


def previous_audit_keys() -> list[bytes]:
    """Keys the chain was signed with before a rotation (settings.AUDIT_HMAC_PREVIOUS_KEYS)."""
    return [key.encode() for key in settings.AUDIT_HMAC_PREVIOUS_KEYS if key]


def key_id(key: bytes) -> str:
    """A short public name of a key, so a checkpoint says which key signed it without revealing it."""
    return hmac.new(key, _KEY_ID_TAG, hashlib.sha256).hexdigest()[:16]


def canonical_json(document: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers: sorted keys, no whitespace, so formatting does not matter."""
    return json.dumps(document, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_signature(document: dict[str, Any], *, key: bytes) -> str:
    """HMAC-SHA256 under `key` of a checkpoint document without its signature."""
    body = {name: value for name, value in document.items() if name != "signature"}
    return hmac.new(key, _CHECKPOINT_TAG + canonical_json(body), hashlib.sha256).hexdigest()
