"""Django admin for operators: originators, users, data assets, rights and revenue."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from .asset_hooks import facts_watched
from .forms import ThrottledAdminAuthenticationForm
from .models import DataAsset, DataRight, Originator, RevenueImport, RevenueRecord, User

# The admin's sign-in goes through the same throttle as the site's (origination.sign_in).
admin.site.login_form = ThrottledAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users with their role and organisation."""

    list_display = ("username", "email", "role", "originator", "investor", "is_staff")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (*BaseUserAdmin.fieldsets, ("DataABS", {"fields": ("role", "originator", "investor")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("DataABS", {"fields": ("role", "originator", "investor")}))


@admin.register(Originator)
class OriginatorAdmin(admin.ModelAdmin):
    """Originator companies."""

    list_display = ("name", "uscc", "ownership_type", "industry", "region", "credit_rating")
    list_filter = ("ownership_type", "credit_rating")
    search_fields = ("name", "uscc")


def backs_submitted_deal(asset: DataAsset | None) -> bool:
    """The asset backs a deal whose facts are frozen or recorded: it changes only through the platform's services,
    which version the change and tell each deal (docs/frozen_facts.md)."""
    if asset is None or asset.pk is None:
        return False
    return facts_watched(data_asset_id=asset.pk)


class DataRightInline(admin.TabularInline):
    model = DataRight
    extra = 0
    readonly_fields = ("revoked_at", "revocation_reason")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return not backs_submitted_deal(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not backs_submitted_deal(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return not backs_submitted_deal(obj) and super().has_delete_permission(request, obj)


@admin.register(DataAsset)
class DataAssetAdmin(SimpleHistoryAdmin):
    """Data assets with their rights and versions; read-only while a submitted deal relies on them."""

    list_display = ("name", "originator", "category", "classification_grade", "has_personal_info", "book_value")
    list_filter = ("category", "classification_grade", "has_personal_info", "accounting_status")
    search_fields = ("name", "originator__name")
    inlines = [DataRightInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return not backs_submitted_deal(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return not backs_submitted_deal(obj) and super().has_delete_permission(request, obj)


@admin.register(RevenueRecord)
class RevenueRecordAdmin(admin.ModelAdmin):
    """Monthly revenue records."""

    list_display = ("data_asset", "period", "counterparty", "revenue_type", "amount")
    list_filter = ("revenue_type",)
    search_fields = ("counterparty", "data_asset__name")
    date_hierarchy = "period"


@admin.register(RevenueImport)
class RevenueImportAdmin(admin.ModelAdmin):
    """Accepted revenue files."""

    list_display = ("data_asset", "file_name", "row_count", "total_amount", "uploaded_by", "created_at", "undone_at")
    readonly_fields = [f.name for f in RevenueImport._meta.fields]
