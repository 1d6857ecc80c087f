"""Writes of the originator side: originators, data assets and their rights.

Revenue imports live in `revenue_import.py`.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .asset_hooks import data_asset_facts_changed, facts_watchers
from .errors import ConflictError, DomainError
from .models import DataAsset, DataRight, Originator, User


def full_clean_or_raise(obj: Any, *, exclude: list[str] | None = None) -> None:
    """Run model validation and turn it into a DomainError listing every field at fault."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
        raise DomainError("invalid", detail, fields=fields) from exc


def ensure_owns_originator(*, actor: User, originator: Originator) -> None:
    """Only the originator's own staff (or the arranger) write its data."""
    if not rules.test_rule("origination.manage_originator_data", actor, originator):
        raise DomainError("forbidden", _("You may only change your own company's data."), status=403)


def originator_create(*, actor: User, **fields: Any) -> Originator:
    """The arranger registers an originator company (its credit code is verified)."""
    if not actor.is_arranger:
        raise DomainError("forbidden", _("Only the arranger registers originators."), status=403)
    originator = Originator(**fields)
    originator.uscc = (originator.uscc or "").strip().upper()
    full_clean_or_raise(originator)
    originator.save()
    return originator


def data_asset_create(*, actor: User, originator: Originator, **fields: Any) -> DataAsset:
    """Register a data asset of the actor's company."""
    ensure_owns_originator(actor=actor, originator=originator)
    asset = DataAsset(originator=originator, **fields)
    full_clean_or_raise(asset)
    asset._history_user = actor  # type: ignore[attr-defined]  # read by django-simple-history on save
    with transaction.atomic():  # the asset and its first history version, together or not at all
        asset.save()
    return asset


def _apply_fields(obj: Any, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the fields, validate the whole object, and return {field: (old, new)} of what really changed."""
    before = {name: getattr(obj, name) for name in fields}
    for name, value in fields.items():
        setattr(obj, name, value)
    full_clean_or_raise(obj)
    return {name: (old, getattr(obj, name)) for name, old in before.items() if old != getattr(obj, name)}


def _save_version(obj: Any, *, actor: User, change: str) -> int | None:
    """Save the row as a new version (django-simple-history keeps every earlier one) and return the version's id."""
    obj._history_user = actor
    obj._change_reason = change
    obj.save()
    return _latest_version(obj)


def _latest_version(obj: Any) -> int | None:
    version: int | None = (
        type(obj).history.filter(id=obj.pk).order_by("-history_id").values_list("history_id", flat=True).first()
    )
    return version


def data_asset_update(*, actor: User, data_asset: DataAsset, **fields: Any) -> DataAsset:
    """Change a data asset of the actor's company.

    When the asset backs a submitted deal, the change is a new version, an audit
    event on every deal it backs, and reopens their review or, after issue,
    raises a finding (told through origination/asset_hooks.py; docs/frozen_facts.md).
    """
    ensure_owns_originator(actor=actor, originator=data_asset.originator)
    with transaction.atomic():
        watchers = facts_watchers(data_asset_id=data_asset.pk)  # what relies on the asset is locked first
        asset = DataAsset.objects.select_for_update().get(pk=data_asset.pk)
        name_before = asset.name
        changes = _apply_fields(asset, fields)
        if changes:
            version = _save_version(asset, actor=actor, change="data_asset_changed")
            for watcher in watchers:
                watcher.record(
                    actor=actor,
                    action="data_asset_changed",
                    data_asset_id=asset.pk,
                    part=asset,
                    name=name_before,
                    changes=changes,
                    version=version,
                )
            data_asset_facts_changed.fire(data_asset_id=asset.pk)
    return asset


# Set only by the revocation, never when a right is recorded.
_REVOCATION_FIELDS = frozenset({"revoked_at", "revocation_reason"})


def _right_details(right: DataRight) -> dict[str, Any]:
    """What names a right in the record of its change, beside its id and its asset's name."""
    return {"right_type": right.right_type, "certificate_no": right.certificate_no}


def data_right_create(*, actor: User, data_asset: DataAsset, **fields: Any) -> DataRight:
    """Record one of the three data rights of an asset, with its registration (a change to the facts of the
    submitted deals the asset backs: docs/frozen_facts.md)."""
    ensure_owns_originator(actor=actor, originator=data_asset.originator)
    refused = sorted(_REVOCATION_FIELDS.intersection(fields))
    if refused:
        raise DomainError(
            "invalid",
            _("A right is revoked through its revocation, not when it is recorded: %(names)s.")
            % {"names": ", ".join(refused)},
            fields={name: _("This field cannot be set here.") for name in refused},
        )
    with transaction.atomic():
        watchers = facts_watchers(data_asset_id=data_asset.pk)
        right = DataRight(data_asset=data_asset, **fields)
        full_clean_or_raise(right)
        version = _save_version(right, actor=actor, change="data_right_added")
        for watcher in watchers:
            watcher.record(
                actor=actor,
                action="data_right_added",
                data_asset_id=data_asset.pk,
                part=right,
                name=data_asset.name,
                version=version,
                **_right_details(right),
            )
        data_asset_facts_changed.fire(data_asset_id=data_asset.pk)
    return right


def _right_label(right: DataRight) -> str:
    return _("The %(right)s of “%(asset)s” (certificate %(certificate)s)") % {
        "right": right.get_right_type_display().lower(),
        "asset": right.data_asset.name,
        "certificate": right.certificate_no,
    }


def data_right_delete(*, actor: User, data_right: DataRight) -> None:
    """Remove a data right recorded in error; refused (409) while a submitted deal relies on it: revoke it instead."""
    ensure_owns_originator(actor=actor, originator=data_right.data_asset.originator)
    with transaction.atomic():
        watchers = facts_watchers(data_asset_id=data_right.data_asset_id)
        right = DataRight.objects.select_for_update().select_related("data_asset").get(pk=data_right.pk)
        for watcher in watchers:
            watcher.refuse_deletion(
                what=_right_label(right),
                instead=_(
                    "Revoke it instead: the registration stays on record, and the review of each deal is reopened "
                    "(or, once issued, a finding is raised)."
                ),
                code="right_backs_submitted_deal",
            )
        # Only deals sent back for changes remain here: the removal is recorded for their next review, in the same
        # transaction as the removal and while the row still has its id.
        for watcher in watchers:
            watcher.record(
                actor=actor,
                action="data_right_removed",
                data_asset_id=right.data_asset_id,
                part=right,
                name=right.data_asset.name,
                **_right_details(right),
            )
        right._history_user = actor  # type: ignore[attr-defined]  # read by django-simple-history on delete
        right._change_reason = "data_right_removed"  # type: ignore[attr-defined]
        right.delete()
        data_asset_facts_changed.fire(data_asset_id=right.data_asset_id)


def data_right_revoke(*, actor: User, data_right: DataRight, reason: str) -> DataRight:
    """Revoke a registration (cancelled at its registry, or recorded in error): it stays on record, no longer held.

    The way to take away a right a submitted deal relies on: a new version, an
    audit event on each deal, and their review reopened or, after issue, a
    finding raised (docs/frozen_facts.md).
    """
    ensure_owns_originator(actor=actor, originator=data_right.data_asset.originator)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "reason_required", _("Give a reason."), fields={"reason": _("Say why the registration is revoked.")}
        )
    with transaction.atomic():
        watchers = facts_watchers(data_asset_id=data_right.data_asset_id)
        right = DataRight.objects.select_for_update().select_related("data_asset").get(pk=data_right.pk)
        if right.is_revoked:
            raise ConflictError(
                "right_revoked",
                _("%(right)s was already revoked on %(date)s.")
                % {
                    "right": _right_label(right),
                    "date": right.revoked_at.date().isoformat() if right.revoked_at else "",
                },
            )
        right.revoked_at = timezone.now()
        right.revocation_reason = reason
        full_clean_or_raise(right)
        version = _save_version(right, actor=actor, change="data_right_revoked")
        for watcher in watchers:
            watcher.record(
                actor=actor,
                action="data_right_revoked",
                data_asset_id=right.data_asset_id,
                part=right,
                name=right.data_asset.name,
                version=version,
                reason=reason,
                **_right_details(right),
            )
        data_asset_facts_changed.fire(data_asset_id=right.data_asset_id)
    return right


def user_tokens_revoke(*, user: User) -> int:
    """Delete every API token of the user (knox); returns how many there were.

    Called when the password changes or the account is deactivated (origination.signals), and by logout-all.
    """
    from knox.models import get_token_model

    deleted: int
    deleted, _rows = get_token_model().objects.filter(user=user).delete()
    return deleted
