"""Django admin for investors and risk profiles."""

from django.contrib import admin

from .models import Investor, RiskProfile


class RiskProfileInline(admin.StackedInline):
    model = RiskProfile
    extra = 0


@admin.register(Investor)
class InvestorAdmin(admin.ModelAdmin):
    """Investor institutions with their risk profile."""

    list_display = ("name", "investor_type", "is_qualified", "is_professional")
    list_filter = ("investor_type",)
    search_fields = ("name",)
    inlines = [RiskProfileInline]
