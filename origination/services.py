"""Writes of the originator side: originators, data assets and their rights.

Revenue imports live in `revenue_import.py`.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .errors import DomainError
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
    asset.save()
    return asset


def data_asset_update(*, actor: User, data_asset: DataAsset, **fields: Any) -> DataAsset:
    """Change a data asset of the actor's company."""
    ensure_owns_originator(actor=actor, originator=data_asset.originator)
    with transaction.atomic():
        asset = DataAsset.objects.select_for_update().get(pk=data_asset.pk)
        for name, value in fields.items():
            setattr(asset, name, value)
        full_clean_or_raise(asset)
        asset.save()
    return asset


def data_right_create(*, actor: User, data_asset: DataAsset, **fields: Any) -> DataRight:
    """Record one of the three data rights of an asset, with its registration."""
    ensure_owns_originator(actor=actor, originator=data_asset.originator)
    right = DataRight(data_asset=data_asset, **fields)
    full_clean_or_raise(right)
    right.save()
    return right


def data_right_delete(*, actor: User, data_right: DataRight) -> None:
    """Remove a data right recorded in error."""
    ensure_owns_originator(actor=actor, originator=data_right.data_asset.originator)
    data_right.delete()


def user_tokens_revoke(*, user: User) -> int:
    """Delete every API token of the user (knox); returns how many there were.

    Called when the password changes or the account is deactivated (origination.signals), and by logout-all.
    """
    from knox.models import get_token_model

    deleted, _rows = get_token_model().objects.filter(user=user).delete()
    return deleted
