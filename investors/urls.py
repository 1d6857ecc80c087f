"""Pages of investors."""

from django.urls import path

from . import product_views, views

urlpatterns = [
    path("investors/", views.investor_list, name="investor_list"),
    path("investors/<int:pk>/", views.investor_detail, name="investor_detail"),
    path("investors/questionnaire/", views.questionnaire, name="questionnaire"),
    path("deals/<int:pk>/book/", views.deal_book, name="deal_book"),
    path("products/", product_views.product_list, name="product_list"),
    path("products/<int:pk>/", product_views.product_detail, name="product_detail"),
    path(
        "products/<int:pk>/tranches/<int:tranche_pk>/confirm-warning/",
        product_views.product_confirm_warning,
        name="product_confirm_warning",
    ),
    path("deals/<int:pk>/book/tranches/<int:tranche_pk>/order/", views.order_submit, name="order_submit"),
    path("deals/<int:pk>/book/orders/<int:order_pk>/withdraw/", views.order_cancel, name="order_cancel"),
]
