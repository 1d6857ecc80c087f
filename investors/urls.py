"""Pages of investors."""

from django.urls import path

from . import views

urlpatterns = [
    path("investors/", views.investor_list, name="investor_list"),
    path("investors/<int:pk>/", views.investor_detail, name="investor_detail"),
]
