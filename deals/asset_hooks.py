"""What deals answer when origination asks about a data asset (origination/asset_hooks.py, docs/architecture.md).

A data asset backs the deals whose pool links it or to which it is pledged.
Origination, the ground floor, does not import deals: it fires its hooks and
`connect`, called once from DealsConfig.ready, registers these handlers. They
scope what a user sees of originators and assets through the deals, lock and
tell the deals of a change to the facts they rely on (deals.facts,
docs/frozen_facts.md), keep a revenue import a submitted deal relies on
(docs/revenue_import.md), and give the asset's pages the deals and pledges.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from origination import asset_hooks
from origination.models import DataAsset, User

from . import facts
from .audit import change_reason
from .choices import FACT_CHANGE_RECORDED_STATES, DealStatus
from .models import AuditEvent, Deal, PoolAsset
from .selectors import deal_list_for, pledge_list_for

# --- who sees what -----------------------------------------------------------------------------------------------


def originators_of_visible_deals(*, user: User) -> Exists:
    """The originators of the deals the user may see (for investors: the issuers of the deals on the market)."""
    return Exists(deal_list_for(user).filter(originator=OuterRef("pk")))


def data_assets_of_visible_deals(*, user: User) -> Exists:
    """The data assets linked to the pool of a deal the user may see, so assets follow the deal scoping rules."""
    return Exists(PoolAsset.objects.filter(data_assets=OuterRef("pk"), deal__in=deal_list_for(user).values("pk")))


# --- a change to the facts the deals rely on ---------------------------------------------------------------------


@dataclass
class DealsBackedBy:
    """The deals a data asset backs, locked in the write that changes its facts (origination.services)."""

    deals: list[Deal]

    def refuse_deletion(self, *, what: str, instead: str, code: str) -> None:
        """A frozen deal relies on the fact: 409 `code`, naming the deals and what to do instead."""
        facts.ensure_deletable(deals=self.deals, what=what, instead=instead, code=code)

    def record(
        self,
        *,
        actor: User,
        action: str,
        data_asset_id: int,
        part: Model,
        name: str,
        version: int | None = None,
        changes: dict[str, tuple[Any, Any]] | None = None,
        **details: Any,
    ) -> None:
        """An audit event and a FactChange on each deal, and its review reopened or a finding raised by its state."""
        facts.fact_change_record(
            deals=self.deals,
            actor=actor,
            action=action,
            reason=change_reason(part=part, name=name, changes=changes, **details),
            data_asset_id=data_asset_id,
            version=version,
        )


def deals_backed_by_locked(*, data_asset_id: int) -> DealsBackedBy:
    """Lock the deals the asset backs (deals first, as every write of a deal) for the change under way."""
    return DealsBackedBy(deals=facts.lock_deals_backed_by(data_asset_id=data_asset_id))


def fact_change_recorded(*, data_asset_id: int) -> bool:
    """Whether a deal the asset backs records a change to its facts (submitted up to issued, or sent back)."""
    ids = facts.deal_ids_backed_by(data_asset_id=data_asset_id)
    return Deal.objects.filter(pk__in=ids, status__in=FACT_CHANGE_RECORDED_STATES).exists()


# --- the revenue a submitted deal relies on ----------------------------------------------------------------------


def _deals_using(data_asset: DataAsset) -> QuerySet[Deal]:
    """Deals whose pool or pledges (of any status) reference the data asset."""
    return Deal.objects.filter(Q(pool_assets__data_assets=data_asset) | Q(pledges__data_asset=data_asset))


def submitted_deals_using(*, data_asset: DataAsset) -> QuerySet[Deal]:
    """Deals past draft whose pool or pledges reference the data asset: they were submitted relying on its data.

    A deal withdrawn while still a draft was never submitted, so it relies on nothing.
    """
    submitted_once = AuditEvent.objects.filter(deal=OuterRef("pk"), action="submit")
    return (
        Deal.objects.filter(pk__in=_deals_using(data_asset).values("pk"))
        .exclude(status=DealStatus.DRAFT)
        .exclude(Q(status=DealStatus.WITHDRAWN) & ~Exists(submitted_once))
        .order_by("pk")
    )


def revenue_in_use(*, actor: User, data_asset: DataAsset, lock: bool = False) -> str:
    """Why no import of the asset can be undone any more (a submitted deal relies on it); empty when none does.

    Only the deals the actor may see are named. With `lock`, the deals using the
    asset are locked first: a workflow move locks its deal, so none is submitted
    while the undo looks.
    """
    if lock:
        using = _deals_using(data_asset)
        list(Deal.objects.select_for_update().filter(pk__in=using.values("pk")).order_by("pk").values_list("pk"))
    deals = list(submitted_deals_using(data_asset=data_asset).values_list("pk", flat=True))
    if not deals:
        return ""
    visible = deal_list_for(actor).filter(pk__in=deals).order_by("name").values_list("name", flat=True)
    names = pgettext("list separator", ", ").join(f"“{name}”" for name in visible)
    if names:
        message = _(
            "This import cannot be undone: a submitted deal relies on this data asset's revenue (%(deals)s). "
            "Correct it through the deal instead."
        )
        return message % {"deals": names}
    return _(
        "This import cannot be undone: a submitted deal relies on this data asset's revenue. "
        "Correct it through the deal instead."
    )


# --- what the asset's pages say ----------------------------------------------------------------------------------


def deal_facts_for_pages(*, user: User, data_asset: DataAsset) -> dict[str, Any]:
    """The frozen deals the asset backs that the user may see (the warning before a change) and its pledges."""
    return {
        "frozen_deals": facts.frozen_deals_backed_by(data_asset_id=data_asset.pk, visible=deal_list_for(user)),
        # Read when the page shows them (the asset's page; not its edit form).
        "pledges": pledge_list_for(user).filter(data_asset=data_asset).select_related("deal").order_by("-created_at"),
    }


def fact_changes_summary(*, data_asset_id: int, actor: User, since: datetime.datetime) -> str:
    """What one write of `actor` did to the deals the asset backs, one sentence per outcome."""
    return facts.fact_change_summary(facts.fact_changes_made(data_asset_id=data_asset_id, actor=actor, since=since))


def connect() -> None:
    """Register the handlers of origination's data asset hooks (called once from DealsConfig.ready)."""
    asset_hooks.originator_visibility.register(originators_of_visible_deals)
    asset_hooks.data_asset_visibility.register(data_assets_of_visible_deals)
    asset_hooks.data_asset_facts_changing.register(deals_backed_by_locked)
    asset_hooks.data_asset_facts_watched.register(fact_change_recorded)
    asset_hooks.data_asset_revenue_in_use.register(revenue_in_use)
    asset_hooks.data_asset_deal_facts.register(deal_facts_for_pages)
    asset_hooks.data_asset_fact_changes_told.register(fact_changes_summary)
