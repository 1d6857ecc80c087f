"""The hash-chained audit log of a deal: workflow moves, changes to the application and the book; append, render.

The keyed hash is in audit_hash.py, verification and checkpoints in
audit_verify.py; what the chain proves and what it cannot is in docs/audit.md.

A change to an editable application (terms, a part added, changed or removed, a
pledge recorded or released) is an event whose `from_status` and `to_status`
are both the deal's status. Its `action` is a stable code (CHANGE_ACTIONS) and
its `reason` is canonical JSON of language-neutral parameters (the part's id
and name, the fields with their old and new values), so the hashed record
never depends on the language of whoever made the change. `audit_reason_text`
renders it in the reader's language. The book's events (orders and the
allotment at issue) are written by investors/orders.py through `audit_record`
and rendered here too; who may read them is in audit_read.py. docs/audit.md,
"What is recorded", lists every action.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from origination.errors import ConflictError
from origination.models import DataAsset, DataRight

from .audit_hash import GENESIS_HASH, audit_key, event_hash
from .audit_read import BOOK_ACTIONS, book_params
from .audit_verify import AuditVerification, audit_verify  # noqa: F401 - re-exported: callers import it from here
from .choices import ALLOWED_TRANSITIONS, TrancheClass
from .models import AuditEvent, CreditEnhancement, Deal, Pledge, PoolAsset, Tranche


def audit_append(
    *, deal: Deal, actor: Any, actor_label: str, action: str, from_status: str, to_status: str, reason: str
) -> AuditEvent:
    """Append the next event of a deal's chain and move the head recorded on the deal, under the deal's row lock.

    The lock (taken here, harmless when the caller already holds it) serialises
    appends, so two concurrent moves cannot both extend the same head. The next
    event follows the head recorded on the deal, not the last row of the log: a
    log whose tail was deleted is refused rather than quietly continued, so the
    evidence stays for `verify_audit` (docs/audit.md).
    """
    with transaction.atomic(savepoint=False):
        count, head = (
            Deal.objects.select_for_update()
            .filter(pk=deal.pk)
            .values_list("audit_event_count", "audit_head_hash")
            .get()
        )
        last = AuditEvent.objects.filter(deal_id=deal.pk).order_by("-sequence").values_list("sequence", "hash").first()
        if (last or (0, GENESIS_HASH)) != (count, head):
            raise ConflictError(
                "audit_log_broken",
                _(
                    "This deal's audit log does not end where the deal says it does: it may have been tampered "
                    "with. Nothing was changed; the arranger must check it with verify_audit first."
                ),
            )
        event = AuditEvent(
            deal=deal,
            sequence=count + 1,
            actor=actor,
            actor_label=actor_label,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            created_at=timezone.now(),
            prev_hash=head,
        )
        event.hash = event_hash(event, key=audit_key())
        event.save(force_insert=True)
        Deal.objects.filter(pk=deal.pk).update(audit_event_count=event.sequence, audit_head_hash=event.hash)
        deal.audit_event_count, deal.audit_head_hash = event.sequence, event.hash
    return event


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


# --- recording a change that leaves the deal where it stands ----------------------------------------------------


def audit_actor_label(actor: Any) -> str:
    """Who acted, as the event records it: name (role, organisation); "system" for the platform."""
    if actor is None:
        return "system"
    org = actor.organisation
    name = actor.get_full_name() or actor.username
    return f"{name} ({actor.role}{', ' + str(org) if org else ''})"


def audit_record(*, deal: Deal, actor: Any, action: str, reason: str, status: str | None = None) -> AuditEvent:
    """Append a change that leaves the deal where it stands (`status`, by default the deal's) to its chain."""
    status = deal.status if status is None else status
    return audit_append(
        deal=deal,
        actor=actor,
        actor_label=audit_actor_label(actor),
        action=action,
        from_status=status,
        to_status=status,
        reason=reason,
    )


# --- the book: orders and allotment ---------------------------------------------------------------------------------
#
# An investor's order (placed, amended, withdrawn, held at issue) and each allotment at issue are events of the
# deal's chain too. Their parameters name the order, its investor and tranche, the amount and the yield; the
# investors app writes them (investors/orders.py), so their words are here rather than a model's fields; who
# reads them is in audit_read.py.


def _money_text(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _yield_text(value: Any) -> str:
    try:
        return f"{Decimal(str(value)) * 100:.2f} %"
    except (InvalidOperation, ValueError):
        return str(value)


def _book_text(action: str, params: dict[str, Any]) -> str:
    values = {
        "id": params.get("id", "?"),
        "investor": params.get("investor", ""),
        "tranche": params.get("tranche", ""),
        "amount": _money_text(params.get("amount", "")),
        "yield": _yield_text(params.get("yield_rate", "")),
    }
    if action == "order_placed":
        return _("%(investor)s ordered %(amount)s CNY of tranche “%(tranche)s” at %(yield)s (order #%(id)s).") % values
    if action == "order_amended":
        changes = params.get("changes") or {}
        parts = []
        if "amount" in changes:
            old, new = changes["amount"]
            parts.append(_("amount from %(old)s to %(new)s CNY") % {"old": _money_text(old), "new": _money_text(new)})
        if "yield_rate" in changes:
            old, new = changes["yield_rate"]
            parts.append(_("yield from %(old)s to %(new)s") % {"old": _yield_text(old), "new": _yield_text(new)})
        values["supersedes"] = params.get("supersedes", "?")
        values["changes"] = pgettext("clause separator", "; ").join(parts) or _("same figures")
        return (
            _("%(investor)s amended order #%(supersedes)s for tranche “%(tranche)s” as order #%(id)s: %(changes)s.")
            % values
        )
    if action == "order_withdrawn":
        return (
            _("%(investor)s withdrew order #%(id)s for tranche “%(tranche)s” (%(amount)s CNY at %(yield)s).") % values
        )
    if action == "order_held":
        return (
            _(
                "Order #%(id)s of %(investor)s for tranche “%(tranche)s” (%(amount)s CNY) was held at issue: it no "
                "longer meets the investor's mandate or suitability, so nothing was allotted."
            )
            % values
        )
    values["order"] = params.get("order", "?")
    return (
        _(
            "%(investor)s was allotted %(amount)s CNY of tranche “%(tranche)s” at the clearing yield %(yield)s (order "
            "#%(order)s)."
        )  # fmt: skip
        % values
    )


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
    if action in BOOK_ACTIONS:
        return str(BOOK_ACTIONS[action])
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
    if action in BOOK_ACTIONS:
        params = book_params(reason)
        return _book_text(action, params) if params else reason
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
