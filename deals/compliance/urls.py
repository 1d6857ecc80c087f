"""Pages of the compliance review; included from deals/urls.py."""

from django.urls import path

from . import views

urlpatterns = [
    path("compliance/queue/", views.review_queue, name="compliance_queue"),
    path("deals/<int:pk>/review/", views.review_detail, name="compliance_review"),
    path("deals/<int:pk>/review/decision/", views.review_decide, name="compliance_review_decide"),
    path("deals/<int:pk>/review/export.xlsx", views.review_export, name="compliance_review_export"),
    path("deals/<int:pk>/review/rights/", views.right_renew, name="compliance_right_renew"),
    path(
        "deals/<int:pk>/review/fact-changes/<int:change_pk>/resolve/",
        views.fact_change_resolve,
        name="compliance_fact_change_resolve",
    ),
    path("deals/<int:pk>/review/items/<int:item_pk>/answer/", views.item_answer, name="compliance_item_answer"),
    path("deals/<int:pk>/review/items/<int:item_pk>/evidence/", views.evidence_add, name="compliance_evidence_add"),
    path("deals/<int:pk>/review/items/<int:item_pk>/assess/", views.item_assess, name="compliance_item_assess"),
    path(
        "deals/<int:pk>/review/evidence/<int:evidence_pk>/",
        views.evidence_download,
        name="compliance_evidence_download",
    ),
    path(
        "deals/<int:pk>/review/evidence/<int:evidence_pk>/withdraw/",
        views.evidence_withdraw,
        name="compliance_evidence_withdraw",
    ),
]
