"""Pages of deals."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/new/", views.deal_create, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/transition/", views.deal_transition, name="deal_transition"),
    path("deals/<int:pk>/pool-assets/", views.pool_asset_add, name="deal_pool_asset_add"),
    path("deals/<int:pk>/pool-assets/<int:part_pk>/remove/", views.pool_asset_remove, name="deal_pool_asset_remove"),
    path("deals/<int:pk>/tranches/", views.tranche_add, name="deal_tranche_add"),
    path("deals/<int:pk>/tranches/<int:part_pk>/remove/", views.tranche_remove, name="deal_tranche_remove"),
    path("deals/<int:pk>/enhancements/", views.enhancement_add, name="deal_enhancement_add"),
    path("deals/<int:pk>/enhancements/<int:part_pk>/remove/", views.enhancement_remove, name="deal_enhancement_remove"),
    path("deals/<int:pk>/pledges/", views.pledge_add, name="deal_pledge_add"),
    path("deals/<int:pk>/pledges/<int:part_pk>/release/", views.pledge_release, name="deal_pledge_release"),
    path("market/", views.market, name="market"),
    path("", include("deals.compliance.urls")),
]
