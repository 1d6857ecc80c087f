"""Writes of a deal application: the deal, its pool, pledges, credit enhancement and tranches.

Workflow moves live in `workflow.py`. Every write here checks that the actor is
the deal's originator and that the application may still be edited, locks the
deal row, validates the whole object before saving anything, and appends an
audit event naming what changed (`deals.audit.CHANGE_ACTIONS`) in the same
transaction.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db import models, transaction
from django.utils.translation import gettext as _

from origination.errors import ConflictError, DomainError
from origination.models import DataAsset, User
from origination.services import ensure_owns_originator, full_clean_or_raise

from .audit import audit_append, change_reason
from .choices import FACT_CHANGE_RECORDED_STATES, CashSource, DealType, PledgeStatus, PoolAssetKind, RepaymentSource
from .compliance import services as review_services
from .facts import fact_change_record
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
     "created_by_id", "created_at", "updated_at", "audit_event_count", "audit_head_hash"}
)  # fmt: skip
# A part always stays with its deal; a tranche's ratings and risk level are written by the valuation only.
_PROTECTED_PART_FIELDS = frozenset({"id", "pk", "deal", "deal_id"})
TRANCHE_VALUATION_OUTPUTS = frozenset(
    {"product_risk_level", "product_risk_factors", "implied_rating", "underlying_rating", "rating_facts"}
)
# Of a pledge only its filing in the registry changes; the asset, the deal and the status do not.
PLEDGE_EDITABLE_FIELDS = frozenset({"registry_filing_no", "filed_on"})


def _ensure_unprotected(fields: dict[str, Any]) -> None:
    protected = sorted(_PROTECTED_DEAL_FIELDS.intersection(fields))
    if protected:
        raise DomainError(
            "invalid",
            _("These fields change only through the workflow: %(names)s.") % {"names": ", ".join(protected)},
            fields={name: _("This field cannot be set here.") for name in protected},
        )
    _ensure_known(Deal, fields, writable=None)


def _ensure_known(model: type[models.Model], fields: dict[str, Any], *, writable: frozenset[str] | None) -> None:
    """Refuse names that are not fields of the model one may set here (a typo would otherwise be ignored)."""
    names = {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
    allowed = names if writable is None else writable
    refused = sorted(name for name in fields if name not in allowed)
    if refused:
        raise DomainError(
            "invalid",
            _("These fields cannot be set here: %(names)s.") % {"names": ", ".join(refused)},
            fields={name: _("This field cannot be set here.") for name in refused},
        )


def _writable(model: type[models.Model], *, read_only: frozenset[str] = frozenset()) -> frozenset[str]:
    fields = {f.name for f in model._meta.concrete_fields if f.editable}
    return frozenset(fields - _PROTECTED_PART_FIELDS - read_only)


def _ensure_own_assets(*, deal: Deal, data_assets: list[DataAsset]) -> None:
    foreign = [a.name for a in data_assets if a.originator_id != deal.originator_id]
    if foreign:
        raise DomainError(
            "invalid",
            _("Data assets of another company cannot back this deal: %(names)s.") % {"names": ", ".join(foreign)},
            fields={"data_assets": _("Choose your own company's data assets.")},
        )


def _record_change(*, deal: Deal, actor: User, action: str, reason: str) -> None:
    """Append the change to the deal's audit chain; the status stays where it is. The caller holds the deal's lock."""
    audit_append(
        deal=deal,
        actor=actor,
        actor_label=_actor_label(actor),
        action=action,
        from_status=deal.status,
        to_status=deal.status,
        reason=reason,
    )


def _findings_follow(*, deal: Deal, data_asset_ids: tuple[int, ...] = ()) -> None:
    """Check again the compliance findings these facts weigh on: the deal's own review while it is worked, and,
    for a pledged asset, the reviews of the other deals it backs (deals/compliance/services.py)."""
    review_services.reviews_refresh_affected(deal_ids=[deal.pk], data_asset_ids=data_asset_ids)


def _apply(
    obj: models.Model, fields: dict[str, Any], *, exclude: list[str] | None = None
) -> dict[str, tuple[Any, Any]]:
    """Set the fields, validate the whole object, and return {field: (old, new)} of what really changed."""
    before = {name: getattr(obj, name) for name in fields}
    for name, value in fields.items():
        setattr(obj, name, value)
    full_clean_or_raise(obj, exclude=exclude)
    return {name: (old, getattr(obj, name)) for name, old in before.items() if old != getattr(obj, name)}


def _locked_deal(deal_id: int, *, actor: User) -> Deal:
    deal = Deal.objects.select_for_update().get(pk=deal_id)
    _ensure_can_edit(actor=actor, deal=deal)
    return deal


# --- the deal's terms ------------------------------------------------------------------------------------------


def deal_create(*, actor: User, **fields: Any) -> Deal:
    """An originator opens a draft deal for its company; the audit chain starts here."""
    if not actor.is_originator:
        raise DomainError("forbidden", _("Only originator staff file deals."), status=403)
    originator = actor.originator
    if originator is None:
        raise DomainError("forbidden", _("Only originator staff file deals."), status=403)
    ensure_owns_originator(actor=actor, originator=originator)
    _ensure_unprotected(fields)
    with transaction.atomic():
        deal = Deal(originator=originator, created_by=actor, **fields)
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
    """Change the terms and structure of a draft (or returned) deal; status and ownership are not terms."""
    with transaction.atomic():
        deal = _locked_deal(deal.pk, actor=actor)
        _ensure_unprotected(fields)
        changes = _apply(deal, fields)
        if changes:
            deal.save()
            _record_change(deal=deal, actor=actor, action="terms_updated", reason=change_reason(changes=changes))
            _findings_follow(deal=deal)  # the legal maturity the rights are checked against
    return deal


# --- the pool --------------------------------------------------------------------------------------------------


def default_cash_source(*, kind: str, deal_type: str) -> tuple[str, str]:
    """Where a claim's cash comes from when the originator does not say: (cash source, repayment source).

    A licence stream is generated by data; a data-pledge deal's claim is secured
    by data and, unless stated, repaid from the obligor's operating revenue (the
    conservative reading: the data is collateral, not the source); an
    empowerment pool's claim is priced with data.
    """
    if kind == PoolAssetKind.LICENCE_REVENUE:
        return CashSource.DATA_GENERATED, ""
    if deal_type == DealType.DATA_PLEDGE:
        return CashSource.DATA_SECURED, RepaymentSource.OPERATING_REVENUE
    if deal_type == DealType.EMPOWERMENT:
        return CashSource.DATA_EMPOWERED, ""
    return CashSource.OTHER, ""


def _fill_cash_source(fields: dict[str, Any], *, kind: str, deal_type: str, repayment_source: str = "") -> None:
    """A blank cash source given is derived from the claim's kind and the deal type; a data-secured claim without a
    repayment source (neither given nor already recorded) is read as repaid from the obligor's operating revenue."""
    repayment_source = fields.get("repayment_source", repayment_source)
    if "cash_source" in fields and not fields["cash_source"]:
        source, default_repayment = default_cash_source(kind=kind, deal_type=deal_type)
        fields["cash_source"] = source
        if not repayment_source and default_repayment:
            fields["repayment_source"] = default_repayment
    elif fields.get("cash_source") == CashSource.DATA_SECURED and not repayment_source:
        fields["repayment_source"] = RepaymentSource.OPERATING_REVENUE


def pool_asset_create(
    *, actor: User, deal: Deal, data_assets: list[DataAsset] | None = None, **fields: Any
) -> PoolAsset:
    """Add an underlying claim to the pool, linked to the data assets that are its source or pledge."""
    data_assets = list(data_assets or [])
    with transaction.atomic():
        deal = _locked_deal(deal.pk, actor=actor)
        _ensure_known(PoolAsset, fields, writable=_writable(PoolAsset))
        _ensure_own_assets(deal=deal, data_assets=data_assets)
        fields.setdefault("cash_source", "")
        _fill_cash_source(fields, kind=fields.get("kind", ""), deal_type=deal.deal_type)
        pool_asset = PoolAsset(deal=deal, **fields)
        full_clean_or_raise(pool_asset)
        pool_asset.save()
        pool_asset.data_assets.set(data_assets)
        _record_change(
            deal=deal,
            actor=actor,
            action="pool_asset_added",
            reason=change_reason(part=pool_asset, name=pool_asset.obligor),
        )
        _findings_follow(deal=deal)
    return pool_asset


def pool_asset_update(
    *, actor: User, pool_asset: PoolAsset, data_assets: list[DataAsset] | None = None, **fields: Any
) -> PoolAsset:
    """Change a claim of an editable deal's pool; `data_assets`, when given, replaces the linked data assets."""
    with transaction.atomic():
        deal = _locked_deal(pool_asset.deal_id, actor=actor)
        _ensure_known(PoolAsset, fields, writable=_writable(PoolAsset))
        pool_asset = PoolAsset.objects.get(pk=pool_asset.pk, deal=deal)
        _fill_cash_source(
            fields,
            kind=fields.get("kind", pool_asset.kind),
            deal_type=deal.deal_type,
            repayment_source=pool_asset.repayment_source,
        )
        changes = _apply(pool_asset, fields)
        if data_assets is not None:
            data_assets = list(data_assets)
            _ensure_own_assets(deal=deal, data_assets=data_assets)
            linked = sorted(pool_asset.data_assets.all(), key=lambda a: a.pk)
            wanted = sorted(set(data_assets), key=lambda a: a.pk)
            if [a.pk for a in linked] != [a.pk for a in wanted]:
                changes["data_assets"] = ([a.name for a in linked], [a.name for a in wanted])
        if changes:
            pool_asset.save()
            if data_assets is not None:
                pool_asset.data_assets.set(data_assets)
            _record_change(
                deal=deal,
                actor=actor,
                action="pool_asset_changed",
                reason=change_reason(part=pool_asset, name=pool_asset.obligor, changes=changes),
            )
            _findings_follow(deal=deal)
    return pool_asset


def pool_asset_delete(*, actor: User, pool_asset: PoolAsset) -> None:
    """Remove a claim from the pool of an editable deal."""
    with transaction.atomic():
        deal = _locked_deal(pool_asset.deal_id, actor=actor)
        reason = change_reason(part=pool_asset, name=pool_asset.obligor)
        pool_asset.delete()
        _record_change(deal=deal, actor=actor, action="pool_asset_removed", reason=reason)
        _findings_follow(deal=deal)


# --- the notes -------------------------------------------------------------------------------------------------

_TRANCHE_WRITABLE = _writable(Tranche, read_only=TRANCHE_VALUATION_OUTPUTS)


def tranche_create(*, actor: User, deal: Deal, **fields: Any) -> Tranche:
    """Add a class of notes to the deal's capital structure."""
    with transaction.atomic():
        deal = _locked_deal(deal.pk, actor=actor)
        _ensure_known(Tranche, fields, writable=_TRANCHE_WRITABLE)
        tranche = Tranche(deal=deal, **fields)
        full_clean_or_raise(tranche)
        tranche.save()
        _record_change(
            deal=deal, actor=actor, action="tranche_added", reason=change_reason(part=tranche, name=tranche.name)
        )
    return tranche


def tranche_update(*, actor: User, tranche: Tranche, **fields: Any) -> Tranche:
    """Change a class of notes of an editable deal; its ratings and risk level are the valuation's, not the user's."""
    with transaction.atomic():
        deal = _locked_deal(tranche.deal_id, actor=actor)
        _ensure_known(Tranche, fields, writable=_TRANCHE_WRITABLE)
        tranche = Tranche.objects.get(pk=tranche.pk, deal=deal)
        name_before = tranche.name
        changes = _apply(tranche, fields)
        if changes:
            tranche.save()
            _record_change(
                deal=deal,
                actor=actor,
                action="tranche_changed",
                reason=change_reason(part=tranche, name=name_before, changes=changes),
            )
    return tranche


def tranche_delete(*, actor: User, tranche: Tranche) -> None:
    """Remove a class of notes from an editable deal."""
    with transaction.atomic():
        deal = _locked_deal(tranche.deal_id, actor=actor)
        reason = change_reason(part=tranche, name=tranche.name)
        tranche.delete()
        _record_change(deal=deal, actor=actor, action="tranche_removed", reason=reason)


# --- credit enhancement ----------------------------------------------------------------------------------------


def _enhancement_reason(enhancement: CreditEnhancement, **kwargs: Any) -> str:
    return change_reason(part=enhancement, name=enhancement.provider, kind=enhancement.kind, **kwargs)


def credit_enhancement_create(*, actor: User, deal: Deal, **fields: Any) -> CreditEnhancement:
    """Add a guarantee, shortfall undertaking, reserve, overcollateralisation or subordination to the deal."""
    with transaction.atomic():
        deal = _locked_deal(deal.pk, actor=actor)
        _ensure_known(CreditEnhancement, fields, writable=_writable(CreditEnhancement))
        enhancement = CreditEnhancement(deal=deal, **fields)
        full_clean_or_raise(enhancement)
        enhancement.save()
        _record_change(
            deal=deal, actor=actor, action="credit_enhancement_added", reason=_enhancement_reason(enhancement)
        )
    return enhancement


def credit_enhancement_update(
    *, actor: User, credit_enhancement: CreditEnhancement, **fields: Any
) -> CreditEnhancement:
    """Change a credit enhancement of an editable deal."""
    with transaction.atomic():
        deal = _locked_deal(credit_enhancement.deal_id, actor=actor)
        _ensure_known(CreditEnhancement, fields, writable=_writable(CreditEnhancement))
        enhancement = CreditEnhancement.objects.get(pk=credit_enhancement.pk, deal=deal)
        changes = _apply(enhancement, fields)
        if changes:
            enhancement.save()
            _record_change(
                deal=deal,
                actor=actor,
                action="credit_enhancement_changed",
                reason=_enhancement_reason(enhancement, changes=changes),
            )
    return enhancement


def credit_enhancement_delete(*, actor: User, credit_enhancement: CreditEnhancement) -> None:
    """Remove a credit enhancement from an editable deal."""
    with transaction.atomic():
        deal = _locked_deal(credit_enhancement.deal_id, actor=actor)
        reason = _enhancement_reason(credit_enhancement)
        credit_enhancement.delete()
        _record_change(deal=deal, actor=actor, action="credit_enhancement_removed", reason=reason)


# --- pledges ---------------------------------------------------------------------------------------------------


def pledge_create(*, actor: User, deal: Deal, data_asset: DataAsset, **fields: Any) -> Pledge:
    """Pledge a data asset to the deal; a second active pledge of the same asset is refused."""
    with transaction.atomic():
        deal = _locked_deal(deal.pk, actor=actor)
        _ensure_known(Pledge, fields, writable=PLEDGE_EDITABLE_FIELDS)
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
        _record_change(
            deal=deal, actor=actor, action="pledge_added", reason=change_reason(part=pledge, name=data_asset.name)
        )
        _findings_follow(deal=deal, data_asset_ids=(data_asset.pk,))
    return pledge


def pledge_update(*, actor: User, pledge: Pledge, **fields: Any) -> Pledge:
    """Record or correct an active pledge's filing in the PBoC registry (number and date) while the deal is editable."""
    with transaction.atomic():
        deal = _locked_deal(pledge.deal_id, actor=actor)
        _ensure_known(Pledge, fields, writable=PLEDGE_EDITABLE_FIELDS)
        pledge = Pledge.objects.select_related("data_asset").get(pk=pledge.pk, deal=deal)
        if pledge.status != PledgeStatus.ACTIVE:
            raise ConflictError(
                "pledge_released",
                _("The pledge of '%(asset)s' was released; its filing stays as it was.")
                % {"asset": pledge.data_asset.name},
            )
        changes = _apply(pledge, fields)
        if changes:
            pledge.save()
            _record_change(
                deal=deal,
                actor=actor,
                action="pledge_changed",
                reason=change_reason(part=pledge, name=pledge.data_asset.name, changes=changes),
            )
            _findings_follow(deal=deal)
    return pledge


def pledge_release(*, actor: User, pledge: Pledge) -> Pledge:
    """Release a pledge (the arranger, or the originator while the deal is editable); on a submitted deal it is a
    change to the deal's facts."""
    with transaction.atomic():
        # The deal first, then the pledge: the same order as every other write of a deal.
        deal = Deal.objects.select_for_update().get(pk=pledge.deal_id)
        if not actor.is_arranger:
            _ensure_can_edit(actor=actor, deal=deal)
        pledge = Pledge.objects.select_for_update().select_related("data_asset").get(pk=pledge.pk)
        if pledge.status == PledgeStatus.RELEASED:
            return pledge
        pledge.status = PledgeStatus.RELEASED
        pledge.save(update_fields=["status"])
        reason = change_reason(part=pledge, name=pledge.data_asset.name)
        if deal.status in FACT_CHANGE_RECORDED_STATES:
            # A submitted deal relies on its pledges: the release reopens its review, or after issue raises a
            # finding (docs/frozen_facts.md).
            fact_change_record(
                deals=[deal], actor=actor, action="pledge_released", reason=reason, data_asset_id=pledge.data_asset_id
            )
        else:
            _record_change(deal=deal, actor=actor, action="pledge_released", reason=reason)
        _findings_follow(deal=deal, data_asset_ids=(pledge.data_asset_id,))
    return pledge
