"""Writes of a deal application: the deal, its pool, pledges, credit enhancement and tranches.

Workflow moves live in `workflow.py`; every write here checks that the actor is
the deal's originator and that the application may still be edited.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db import transaction
from django.utils.translation import gettext as _

from origination.errors import ConflictError, DomainError
from origination.models import DataAsset, User
from origination.services import ensure_owns_originator, full_clean_or_raise

from .audit import audit_append
from .choices import PledgeStatus
from .models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from .workflow import _actor_label


def _ensure_can_edit(*, actor: User, deal: Deal) -> None:
    if not rules.test_rule("deals.author_deal", actor, deal):
        raise DomainError("forbidden", _("Only the deal's originator may change the application."), status=403)
    if not deal.is_editable:
        raise ConflictError(
            "deal_not_editable",
            _("A deal that is '%(status)s' can no longer be changed.") % {"status": deal.get_status_display()},
        )


# Set only by deal_create and the workflow: changing them here would move a deal without an audit event.
_PROTECTED_DEAL_FIELDS = frozenset(
    {"id", "pk", "status", "status_changed_at", "issue_date", "originator", "originator_id", "created_by",
     "created_by_id", "created_at", "updated_at"}
)  # fmt: skip


def _ensure_unprotected(fields: dict[str, Any]) -> None:
    protected = sorted(_PROTECTED_DEAL_FIELDS.intersection(fields))
    if protected:
        raise DomainError(
            "invalid",
            _("These fields change only through the workflow: %(names)s.") % {"names": ", ".join(protected)},
            fields={name: _("This field cannot be set here.") for name in protected},
        )


def _ensure_own_assets(*, deal: Deal, data_assets: list[DataAsset]) -> None:
    foreign = [a.name for a in data_assets if a.originator_id != deal.originator_id]
    if foreign:
        raise DomainError(
            "invalid",
            _("Data assets of another company cannot back this deal: %(names)s.") % {"names": ", ".join(foreign)},
            fields={"data_assets": _("Choose your own company's data assets.")},
        )


def deal_create(*, actor: User, **fields: Any) -> Deal:
    """An originator opens a draft deal for its company; the audit chain starts here."""
    if not actor.is_originator:
        raise DomainError("forbidden", _("Only originator staff file deals."), status=403)
    ensure_owns_originator(actor=actor, originator=actor.originator)
    _ensure_unprotected(fields)
    with transaction.atomic():
        deal = Deal(originator=actor.originator, created_by=actor, **fields)
        full_clean_or_raise(deal, exclude=["created_by"])
        deal.save()
        audit_append(
            deal=deal,
            actor=actor,
            actor_label=_actor_label(actor),
            action="create",
            from_status="",
            to_status=deal.status,
            reason="",
        )
    return deal


def deal_update(*, actor: User, deal: Deal, **fields: Any) -> Deal:
    """Change the terms of a draft (or returned) deal; status and ownership are not terms."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _ensure_can_edit(actor=actor, deal=deal)
        _ensure_unprotected(fields)
        for name, value in fields.items():
            setattr(deal, name, value)
        full_clean_or_raise(deal)
        deal.save()
    return deal


def pool_asset_create(
    *, actor: User, deal: Deal, data_assets: list[DataAsset] | None = None, **fields: Any
) -> PoolAsset:
    """Add an underlying claim to the pool, linked to the data assets that are its source or pledge."""
    data_assets = list(data_assets or [])
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _ensure_can_edit(actor=actor, deal=deal)
        _ensure_own_assets(deal=deal, data_assets=data_assets)
        pool_asset = PoolAsset(deal=deal, **fields)
        full_clean_or_raise(pool_asset)
        pool_asset.save()
        pool_asset.data_assets.set(data_assets)
    return pool_asset


def pool_asset_delete(*, actor: User, pool_asset: PoolAsset) -> None:
    """Remove a claim from the pool of an editable deal."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=pool_asset.deal_id)
        _ensure_can_edit(actor=actor, deal=deal)
        pool_asset.delete()


def tranche_create(*, actor: User, deal: Deal, **fields: Any) -> Tranche:
    """Add a class of notes to the deal's capital structure."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _ensure_can_edit(actor=actor, deal=deal)
        tranche = Tranche(deal=deal, **fields)
        full_clean_or_raise(tranche)
        tranche.save()
    return tranche


def tranche_delete(*, actor: User, tranche: Tranche) -> None:
    """Remove a class of notes from an editable deal."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=tranche.deal_id)
        _ensure_can_edit(actor=actor, deal=deal)
        tranche.delete()


def credit_enhancement_create(*, actor: User, deal: Deal, **fields: Any) -> CreditEnhancement:
    """Add a guarantee, reserve, overcollateralisation or subordination to the deal."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _ensure_can_edit(actor=actor, deal=deal)
        enhancement = CreditEnhancement(deal=deal, **fields)
        full_clean_or_raise(enhancement)
        enhancement.save()
    return enhancement


def credit_enhancement_delete(*, actor: User, credit_enhancement: CreditEnhancement) -> None:
    """Remove a credit enhancement from an editable deal."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=credit_enhancement.deal_id)
        _ensure_can_edit(actor=actor, deal=deal)
        credit_enhancement.delete()


def pledge_create(*, actor: User, deal: Deal, data_asset: DataAsset, **fields: Any) -> Pledge:
    """Pledge a data asset to the deal; a second active pledge of the same asset is refused."""
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _ensure_can_edit(actor=actor, deal=deal)
        _ensure_own_assets(deal=deal, data_assets=[data_asset])
        # Lock the asset so two pledges of it cannot race past the check.
        DataAsset.objects.select_for_update().get(pk=data_asset.pk)
        existing = (
            Pledge.objects.filter(data_asset=data_asset, status=PledgeStatus.ACTIVE).select_related("deal").first()
        )
        if existing is not None:
            raise ConflictError(
                "double_pledge",
                _("'%(asset)s' is already pledged to '%(deal)s'; release that pledge first.")
                % {"asset": data_asset.name, "deal": existing.deal.name},
                fields={"data_asset": _("This data asset has an active pledge.")},
            )
        pledge = Pledge(deal=deal, data_asset=data_asset, **fields)
        full_clean_or_raise(pledge)
        pledge.save()
    return pledge


def pledge_release(*, actor: User, pledge: Pledge) -> Pledge:
    """Release a pledge (the arranger, or the originator while the deal is editable)."""
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("deal").get(pk=pledge.pk)
        if not actor.is_arranger:
            _ensure_can_edit(actor=actor, deal=pledge.deal)
        pledge.status = PledgeStatus.RELEASED
        pledge.save(update_fields=["status"])
    return pledge
