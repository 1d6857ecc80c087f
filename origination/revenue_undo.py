"""Undoing a revenue import: its rows go, exactly them, until a submitted deal relies on the data.

A file imported by mistake (values shifted into the wrong columns, the wrong
asset, the wrong year) is taken back by the company that uploaded it. Once a
deal past draft names the data asset in its pool or its pledges, compliance
reviews, values and sells on that revenue, so the import stands and a correction
goes through the deal (docs/revenue_import.md, "Undoing an import").
"""

from __future__ import annotations

import rules
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .asset_hooks import data_asset_facts_changed
from .errors import ConflictError, DomainError
from .models import DataAsset, RevenueImport, RevenueRecord, User

IN_USE = "revenue_import_in_use"
ALREADY_UNDONE = "revenue_import_already_undone"


def submitted_deals_using(*, data_asset: DataAsset) -> QuerySet:
    """Deals past draft whose pool or pledges reference the data asset: they were submitted relying on its data.

    A deal withdrawn while still a draft was never submitted, so it relies on nothing.
    """
    from deals.choices import DealStatus
    from deals.models import AuditEvent, Deal

    using = Deal.objects.filter(Q(pool_assets__data_assets=data_asset) | Q(pledges__data_asset=data_asset))
    submitted_once = AuditEvent.objects.filter(deal=OuterRef("pk"), action="submit")
    return (
        Deal.objects.filter(pk__in=using.values("pk"))
        .exclude(status=DealStatus.DRAFT)
        .exclude(Q(status=DealStatus.WITHDRAWN) & ~Exists(submitted_once))
        .order_by("pk")
    )


def revenue_import_undo_blocker(*, actor: User, revenue_import: RevenueImport) -> str:
    """Why this import cannot be undone now, as the user reads it; empty when it can."""
    if revenue_import.is_undone:
        return _("This import was already undone.")
    return revenue_imports_in_use_reason(actor=actor, data_asset=revenue_import.data_asset)


def revenue_imports_in_use_reason(*, actor: User, data_asset: DataAsset) -> str:
    """Why no import of this asset can be undone any more (a submitted deal relies on it); empty when none does.

    Only the deals the actor may see are named.
    """
    deals = list(submitted_deals_using(data_asset=data_asset).values_list("pk", flat=True))
    if not deals:
        return ""
    from deals.selectors import deal_list_for

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


def revenue_import_undo(*, actor: User, revenue_import: RevenueImport) -> RevenueImport:
    """Delete exactly the rows one import saved, as its company's originator, unless a submitted deal relies on them.

    The import row stays, marked undone with who and when; its history records
    the event. Refused with 403 for anyone but the asset's company and 409 once
    a deal past draft uses the asset or when the import was already undone.
    """
    data_asset = revenue_import.data_asset
    if not rules.test_rule("origination.undo_revenue_import", actor, data_asset):
        raise DomainError("forbidden", _("Only the data asset's own company undoes its revenue imports."), status=403)
    from deals.models import Deal

    with transaction.atomic():
        # Locks in a fixed order: the deals using the asset (a workflow move locks its deal, so none is submitted
        # while we look), then the asset (an import of the same asset waits), then the import itself.
        using = Deal.objects.filter(Q(pool_assets__data_assets=data_asset) | Q(pledges__data_asset=data_asset))
        list(Deal.objects.select_for_update().filter(pk__in=using.values("pk")).order_by("pk").values_list("pk"))
        list(DataAsset.objects.select_for_update().filter(pk=data_asset.pk).order_by().values_list("pk"))
        locked = RevenueImport.objects.select_for_update().select_related("data_asset").get(pk=revenue_import.pk)
        blocker = revenue_import_undo_blocker(actor=actor, revenue_import=locked)
        if blocker:
            raise ConflictError(ALREADY_UNDONE if locked.is_undone else IN_USE, blocker)
        deleted, _by_model = RevenueRecord.objects.filter(source_import=locked).delete()
        locked.undone_at = timezone.now()
        locked.undone_by = actor
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = f"undo: {deleted} revenue rows deleted"  # type: ignore[attr-defined]
        locked.save(update_fields=["undone_at", "undone_by"])
        data_asset_facts_changed.fire(data_asset_id=data_asset.pk)
    return locked
