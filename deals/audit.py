"""The hash-chained audit log of a deal: workflow moves and changes to the application; append, verify, render.

A change to an editable application (terms, a part added, changed or removed, a
pledge recorded or released) is an event whose `from_status` and `to_status`
are both the deal's status. Its `action` is a stable code (CHANGE_ACTIONS) and
its `reason` is canonical JSON of language-neutral parameters (the part's id
and name, the fields with their old and new values), so the hashed record
never depends on the language of whoever made the change. `audit_reason_text`
renders it in the reader's language.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from origination.models import DataAsset, DataRight

from .choices import ALLOWED_TRANSITIONS, TrancheClass
from .models import AuditEvent, CreditEnhancement, Deal, Pledge, PoolAsset, Tranche

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


# --- changes to an editable application --------------------------------------------------------------------------

# Action code -> (the model whose fields the reason names, the kind of change, the label of the action).
CHANGE_ACTIONS: dict[str, tuple[type[models.Model], str, Any]] = {
    "terms_updated": (Deal, "changed", gettext_lazy("Terms updated")),
    "pool_asset_added": (PoolAsset, "added", gettext_lazy("Pool asset added")),
    "pool_asset_changed": (PoolAsset, "changed", gettext_lazy("Pool asset changed")),
    "pool_asset_removed": (PoolAsset, "removed", gettext_lazy("Pool asset removed")),
    "tranche_added": (Tranche, "added", gettext_lazy("Tranche added")),
    "tranche_changed": (Tranche, "changed", gettext_lazy("Tranche changed")),
    "tranche_removed": (Tranche, "removed", gettext_lazy("Tranche removed")),
    "credit_enhancement_added": (CreditEnhancement, "added", gettext_lazy("Credit enhancement added")),
    "credit_enhancement_changed": (CreditEnhancement, "changed", gettext_lazy("Credit enhancement changed")),
    "credit_enhancement_removed": (CreditEnhancement, "removed", gettext_lazy("Credit enhancement removed")),
    "pledge_added": (Pledge, "added", gettext_lazy("Pledge recorded")),
    "pledge_changed": (Pledge, "changed", gettext_lazy("Pledge filing changed")),
    "pledge_released": (Pledge, "released", gettext_lazy("Pledge released")),
    # Changes to the facts a submitted deal relies on, recorded on each deal they back (docs/frozen_facts.md).
    "data_asset_changed": (DataAsset, "changed", gettext_lazy("Data asset changed")),
    "data_right_added": (DataRight, "added", gettext_lazy("Data right registered")),
    "data_right_revoked": (DataRight, "revoked", gettext_lazy("Data right revoked")),
    "data_right_removed": (DataRight, "removed", gettext_lazy("Data right removed")),
}


def plain_value(value: Any) -> Any:
    """A field value as language-neutral JSON: decimals and dates as strings, lists element by element."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def change_reason(
    *, part: models.Model | None = None, name: str = "", changes: dict[str, tuple[Any, Any]] | None = None, **extra: Any
) -> str:
    """The stored reason of a change: canonical JSON of the part's id and name and each field's (old, new) value."""
    payload: dict[str, Any] = {key: plain_value(value) for key, value in extra.items()}
    if part is not None:
        payload["id"] = part.pk
        payload["name"] = name
    if changes is not None:
        payload["changes"] = {field: [plain_value(old), plain_value(new)] for field, (old, new) in changes.items()}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def audit_action_label(action: str) -> str:
    """The words for an action recorded in the audit log, in the active language."""
    if action == "create":
        return _("Created")
    if action in CHANGE_ACTIONS:
        return str(CHANGE_ACTIONS[action][2])
    transition = ALLOWED_TRANSITIONS.get(action)
    return str(transition.label) if transition else action


def is_workflow_move(action: str) -> bool:
    """The event moved the deal through its workflow (as opposed to creating it or changing the application)."""
    return action in ALLOWED_TRANSITIONS


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field removed since the event was written is shown by its name
        return None


def _value_text(field: Any, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        labels = dict(TrancheClass.choices) if getattr(field, "name", "") == "covered_classes" else {}
        return pgettext("list separator", ", ").join(str(labels.get(v, v)) for v in value)
    choices = dict(field.flatchoices) if field is not None and getattr(field, "choices", None) else {}
    return str(choices.get(value, value))


def _changes_text(model: type[models.Model], changes: dict[str, Any]) -> str:
    # In the order the model declares its fields (the stored JSON is sorted by name).
    order = {field.name: index for index, field in enumerate(model._meta.get_fields())}
    parts = []
    for name, values in sorted(changes.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        old, new = values if isinstance(values, list) and len(values) == 2 else (None, values)
        field = _field(model, name)
        label = capfirst(str(field.verbose_name)) if field is not None else name
        parts.append(
            _("%(field)s from %(old)s to %(new)s")
            % {"field": label, "old": _value_text(field, old), "new": _value_text(field, new)}
        )
    return pgettext("clause separator", "; ").join(parts)


def _part_text(model: type[models.Model], params: dict[str, Any]) -> str:
    values = {"id": params.get("id", "?"), "name": params.get("name", "")}
    if model is PoolAsset:
        return _("pool asset “%(name)s” (#%(id)s)") % values
    if model is Tranche:
        return _("tranche “%(name)s” (#%(id)s)") % values
    if model is Pledge:
        return _("pledge of “%(name)s” (#%(id)s)") % values
    if model is DataAsset:
        return _("data asset “%(name)s” (#%(id)s)") % values
    if model is DataRight:
        right = _value_text(_field(DataRight, "right_type"), params.get("right_type"))
        return _("%(right)s of “%(name)s” (certificate %(certificate)s)") % {
            "right": right[:1].lower() + right[1:],  # inside a sentence
            "name": values["name"],
            "certificate": params.get("certificate_no", ""),
        }
    kind = _value_text(_field(CreditEnhancement, "kind"), params.get("kind"))
    if values["name"]:
        kind = _("%(kind)s, %(provider)s") % {"kind": kind, "provider": values["name"]}
    return _("credit enhancement “%(name)s” (#%(id)s)") % {"name": kind, "id": values["id"]}


def _reopen_text(reason: str) -> str:
    """The platform's reason for reopening a review: the change it was made on, rendered from its parameters."""
    try:
        params = json.loads(reason)
    except ValueError:
        return reason
    if not isinstance(params, dict) or params.get("change") not in CHANGE_ACTIONS:
        return reason
    change = params.pop("change")
    inner = audit_reason_text(change, json.dumps(params, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return _("A fact the review relied on changed, so the deal is back in the review queue: %(change)s") % {
        "change": inner
    }


def audit_reason_text(action: str, reason: str) -> str:
    """An event's reason in the active language: a change is rendered from its parameters, a move's reason as typed."""
    if action == "reopen_review":
        return _reopen_text(reason)
    spec = CHANGE_ACTIONS.get(action)
    if spec is None or not reason:
        return reason
    try:
        params = json.loads(reason)
    except ValueError:
        return reason
    if not isinstance(params, dict):
        return reason
    model, change, _label = spec
    changes = _changes_text(model, params.get("changes") or {})
    if model is Deal:
        return _("Changed the terms: %(changes)s.") % {"changes": changes}
    part = _part_text(model, params)
    if change == "added":
        return _("Added %(part)s.") % {"part": part}
    if change == "removed":
        return _("Removed %(part)s.") % {"part": part}
    if change == "released":
        return _("Released %(part)s.") % {"part": part}
    if change == "revoked":
        return _("Revoked %(part)s: %(reason)s.") % {
            "part": part,
            "reason": str(params.get("reason", "")).rstrip(".。"),
        }
    return _("Changed %(part)s: %(changes)s.") % {"part": part, "changes": changes}
