"""Pages of deals."""

from django.urls import include, path

from . import valuation_views, views

urlpatterns = [
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/transition/", views.deal_transition, name="deal_transition"),
    path("deals/<int:pk>/pool-assets/", views.pool_asset_add, name="deal_pool_asset_add"),
    path("deals/<int:pk>/pool-assets/<int:part_pk>/edit/", views.pool_asset_edit, name="deal_pool_asset_edit"),
    path("deals/<int:pk>/pool-assets/<int:part_pk>/remove/", views.pool_asset_remove, name="deal_pool_asset_remove"),
    path("deals/<int:pk>/tranches/", views.tranche_add, name="deal_tranche_add"),
    path("deals/<int:pk>/tranches/<int:part_pk>/edit/", views.tranche_edit, name="deal_tranche_edit"),
    path("deals/<int:pk>/tranches/<int:part_pk>/remove/", views.tranche_remove, name="deal_tranche_remove"),
    path("deals/<int:pk>/enhancements/", views.enhancement_add, name="deal_enhancement_add"),
    path("deals/<int:pk>/enhancements/<int:part_pk>/edit/", views.enhancement_edit, name="deal_enhancement_edit"),
    path("deals/<int:pk>/enhancements/<int:part_pk>/remove/", views.enhancement_remove, name="deal_enhancement_remove"),
    path("deals/<int:pk>/pledges/", views.pledge_add, name="deal_pledge_add"),
    path("deals/<int:pk>/pledges/<int:part_pk>/edit/", views.pledge_edit, name="deal_pledge_edit"),
    path("deals/<int:pk>/pledges/<int:part_pk>/release/", views.pledge_release, name="deal_pledge_release"),
    path("deals/<int:pk>/valuation/", valuation_views.valuation_page, name="deal_valuation"),
    path("deals/<int:pk>/valuation/start/", valuation_views.valuation_start, name="deal_valuation_start"),
    path("deals/<int:pk>/valuation/summary/", valuation_views.valuation_summary, name="deal_valuation_summary"),
    path(
        "deals/<int:pk>/valuation/<int:run_id>/progress/",
        valuation_views.valuation_progress,
        name="deal_valuation_progress",
    ),
    path(
        "deals/<int:pk>/valuation/<int:run_id>/download.xlsx",
        valuation_views.valuation_download_xlsx,
        name="deal_valuation_xlsx",
    ),
    path(
        "deals/<int:pk>/valuation/<int:run_id>/download.csv",
        valuation_views.valuation_download_csv,
        name="deal_valuation_csv",
    ),
    path("market/", views.market, name="market"),
    path("market-data/", include("deals.market_data_urls")),
    path("", include("deals.compliance.urls")),
]
