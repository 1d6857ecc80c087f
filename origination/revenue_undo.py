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
from django.utils import timezone
from django.utils.translation import gettext as _

from .asset_hooks import data_asset_facts_changed, revenue_in_use_reason
from .errors import ConflictError, DomainError
from .models import DataAsset, RevenueImport, RevenueRecord, User

IN_USE = "revenue_import_in_use"
ALREADY_UNDONE = "revenue_import_already_undone"


def revenue_import_undo(*, actor: User, revenue_import: RevenueImport) -> RevenueImport:
    """Delete exactly the rows one import saved, as its company's originator, unless a submitted deal relies on them.

    The import row stays, marked undone with who and when; its history records
    the event. Refused with 403 for anyone but the asset's company and 409 once
    a deal past draft uses the asset or when the import was already undone.
    """
    data_asset = revenue_import.data_asset
    if not rules.test_rule("origination.undo_revenue_import", actor, data_asset):
        raise DomainError("forbidden", _("Only the data asset's own company undoes its revenue imports."), status=403)
    with transaction.atomic():
        # Locks in a fixed order: the deals using the asset (a workflow move locks its deal, so none is submitted
        # while we look; the handler locks them and says whether one relies on the revenue), then the asset (an
        # import of the same asset waits), then the import itself.
        in_use = revenue_in_use_reason(actor=actor, data_asset=data_asset, lock=True)
        list(DataAsset.objects.select_for_update().filter(pk=data_asset.pk).order_by().values_list("pk"))
        locked = RevenueImport.objects.select_for_update().select_related("data_asset").get(pk=revenue_import.pk)
        if locked.is_undone:
            raise ConflictError(ALREADY_UNDONE, _("This import was already undone."))
        if in_use:
            raise ConflictError(IN_USE, in_use)
        deleted, _by_model = RevenueRecord.objects.filter(source_import=locked).delete()
        locked.undone_at = timezone.now()
        locked.undone_by = actor
        locked._history_user = actor  # type: ignore[attr-defined]
        locked._change_reason = f"undo: {deleted} revenue rows deleted"  # type: ignore[attr-defined]
        locked.save(update_fields=["undone_at", "undone_by"])
        data_asset_facts_changed.fire(data_asset_id=data_asset.pk)
    return locked
