"""Pages of the originator side."""

from django.urls import path

from . import views

urlpatterns = [
    path("data-assets/", views.data_asset_list, name="data_asset_list"),
    path("data-assets/<int:pk>/", views.data_asset_detail, name="data_asset_detail"),
    path("data-assets/<int:pk>/revenue/upload/", views.revenue_upload, name="revenue_upload"),
    path(
        "data-assets/<int:pk>/revenue/imports/<int:import_pk>/undo/",
        views.revenue_import_undo_view,
        name="revenue_import_undo",
    ),
    path("data-assets/<int:pk>/edit/", views.data_asset_edit, name="data_asset_edit"),
    path("data-assets/<int:pk>/rights/<int:right_pk>/remove/", views.data_right_remove, name="data_right_remove"),
    path("data-assets/<int:pk>/rights/<int:right_pk>/revoke/", views.data_right_revoke, name="data_right_revoke"),
]
