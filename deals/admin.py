"""Django admin for deals. Status is read-only here: it changes only through the workflow services."""

from typing import Any

from django.contrib import admin

from .models import (
    AuditEvent,
    AuditVerificationRun,
    ComparableTransaction,
    CreditEnhancement,
    Deal,
    MarketParameters,
    Pledge,
    PoolAsset,
    Tranche,
    ValuationRun,
)


def _frozen(deal: Any) -> bool:
    """A submitted deal is changed only by sending it back (its facts are frozen: docs/frozen_facts.md)."""
    return deal is not None and deal.pk is not None and not deal.is_editable


class _PartInline(admin.TabularInline):
    """A part of a deal: read-only once the deal is submitted."""

    extra = 0

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class PoolAssetInline(_PartInline):
    model = PoolAsset
    filter_horizontal = ("data_assets",)


class TrancheInline(_PartInline):
    model = Tranche


class CreditEnhancementInline(_PartInline):
    model = CreditEnhancement


class PledgeInline(_PartInline):
    model = Pledge


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    """Deals with their pool, tranches, enhancement and pledges."""

    list_display = ("name", "originator", "deal_type", "target_size", "tenor_months", "status", "issue_date")
    list_filter = ("status", "deal_type", "exchange")
    search_fields = ("name", "originator__name")
    readonly_fields = (
        "status", "status_changed_at", "created_by", "created_at", "updated_at", "audit_event_count",
        "audit_head_hash",
    )  # fmt: skip
    inlines = [PoolAssetInline, TrancheInline, CreditEnhancementInline, PledgeInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The append-only audit log: viewable, never editable."""

    list_display = ("deal", "sequence", "action", "from_status", "to_status", "actor_label", "created_at")
    list_filter = ("action",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AuditVerificationRun)
class AuditVerificationRunAdmin(admin.ModelAdmin):
    """Background audit-chain checks."""

    list_display = ("id", "status", "progress", "attempts", "created_at", "finished_at")
    readonly_fields = [f.name for f in AuditVerificationRun._meta.fields]


@admin.register(MarketParameters)
class MarketParametersAdmin(admin.ModelAdmin):
    """Benchmark curve and spreads; add a new row to change them (the latest is in force)."""

    list_display = ("as_of", "benchmark_name", "created_by", "created_at")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ComparableTransaction)
class ComparableTransactionAdmin(admin.ModelAdmin):
    """The comparables register, read-only: the arranger keeps it on the market data pages (or the API)."""

    list_display = ("transaction_date", "category", "description", "venue", "price", "annual_revenue", "created_by")
    list_filter = ("category",)
    search_fields = ("description", "venue", "source")
    readonly_fields = [f.name for f in ComparableTransaction._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ValuationRun)
class ValuationRunAdmin(admin.ModelAdmin):
    """Valuation jobs: status, progress, attempts and error."""

    list_display = ("id", "deal", "status", "progress", "attempts", "n_paths", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ValuationRun._meta.fields]


from .compliance import admin as _compliance_admin  # noqa: E402, F401
