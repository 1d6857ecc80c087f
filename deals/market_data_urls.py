"""Pages of market data, under /market-data/: the market series and the comparable transactions register."""

from django.urls import path

from . import market_data_views as views

urlpatterns = [
    path("", views.series, name="market_data"),
    path("upload/", views.upload, name="market_data_upload"),
    path("<int:pk>/download.csv", views.download, name="market_data_download"),
    path("comparables/", views.comparables, name="market_data_comparables"),
    path("comparables/add/", views.comparable_add, name="market_data_comparable_add"),
    path("comparables/upload/", views.comparables_upload, name="market_data_comparables_upload"),
    path("comparables/<int:pk>/remove/", views.comparable_remove, name="market_data_comparable_remove"),
]
