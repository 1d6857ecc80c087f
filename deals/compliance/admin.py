"""Django admin of the compliance review, for operators: everything is read-only.

Templates change only by a new version (a data migration); answers, evidence,
findings and decisions change only through the services, so the admin shows
them and never edits them. Imported from `deals/admin.py`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    AutomaticFinding,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ComplianceReview,
    Evidence,
    FactChange,
    ReviewItem,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; adds, changes and deletes nothing."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    fields = ("position", "code", "title_zh", "title_en", "legal_basis_zh", "answered_by", "condition_precedent")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    """Checklist versions with their items."""

    list_display = ("deal_type", "version", "title_en", "effective_from")
    list_filter = ("deal_type",)
    inlines = [ChecklistTemplateItemInline]


class ReviewItemInline(admin.TabularInline):
    model = ReviewItem
    fields = ("template_item", "outcome", "severity", "comment", "assessed_by", "assessed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ComplianceReview)
class ComplianceReviewAdmin(ReadOnlyAdmin):
    """Reviews with the officer's current finding on each item."""

    list_display = ("deal", "template", "submissions", "checked_at", "updated_at")
    search_fields = ("deal__name", "deal__originator__name")
    inlines = [ReviewItemInline]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    """Documents filed (the files are served only by the review's download view)."""

    list_display = ("file_name", "item", "kind", "size", "sha256", "status", "uploaded_by", "uploaded_at")
    list_filter = ("status", "kind")
    search_fields = ("file_name", "sha256")


@admin.register(AutomaticFinding)
class AutomaticFindingAdmin(ReadOnlyAdmin):
    """Findings the platform raised and cleared."""

    list_display = ("review", "rule", "subject", "severity", "raised_at", "cleared_at")
    list_filter = ("rule", "severity")


@admin.register(FactChange)
class FactChangeAdmin(ReadOnlyAdmin):
    """Changes to the facts of submitted deals and what they did (docs/frozen_facts.md)."""

    list_display = ("deal", "action", "deal_status", "outcome", "actor", "created_at", "resolved_at")
    list_filter = ("outcome", "action")
    search_fields = ("deal__name",)
