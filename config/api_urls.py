"""The REST API: one router for every app's viewsets, plus the token (sign-in, logout) and market summary endpoints."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from deals.api import DealViewSet, MarketSummaryView
from deals.api_market_data import ComparableTransactionViewSet, MarketParametersViewSet
from deals.api_valuation import ValuationRunViewSet
from deals.compliance.api import ChecklistTemplateViewSet, ComplianceReviewViewSet, EvidenceViewSet, ReviewItemViewSet
from investors.api import InvestorViewSet, RiskProfileViewSet
from investors.api_book import DealBookView, OrderViewSet, QuestionnaireView
from origination.api import (
    DataAssetViewSet,
    DataRightViewSet,
    OriginatorViewSet,
    RevenueImportViewSet,
    RevenueRecordViewSet,
)
from origination.api_auth import TokenLoginView, TokenLogoutAllView, TokenLogoutView

router = DefaultRouter()
router.register("originators", OriginatorViewSet, basename="originator")
router.register("data-assets", DataAssetViewSet, basename="data-asset")
router.register("data-rights", DataRightViewSet, basename="data-right")
router.register("revenue", RevenueRecordViewSet, basename="revenue")
router.register("revenue-imports", RevenueImportViewSet, basename="revenue-import")
router.register("deals", DealViewSet, basename="deal")
router.register("valuation-runs", ValuationRunViewSet, basename="valuation-run")
router.register("market-parameters", MarketParametersViewSet, basename="market-parameters")
router.register("comparable-transactions", ComparableTransactionViewSet, basename="comparable-transaction")
router.register("investors", InvestorViewSet, basename="investor")
router.register("risk-profiles", RiskProfileViewSet, basename="risk-profile")
router.register("orders", OrderViewSet, basename="order")
router.register("checklist-templates", ChecklistTemplateViewSet, basename="checklist-template")
router.register("compliance-reviews", ComplianceReviewViewSet, basename="compliance-review")
router.register("review-items", ReviewItemViewSet, basename="review-item")
router.register("review-evidence", EvidenceViewSet, basename="review-evidence")

urlpatterns = [
    path("auth/token/", TokenLoginView.as_view(), name="api-token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", TokenLogoutAllView.as_view(), name="api-logout-all"),
    path("market/summary/", MarketSummaryView.as_view(), name="api-market-summary"),
    path("questionnaire/", QuestionnaireView.as_view(), name="api-questionnaire"),
    path("deals/<int:pk>/book/", DealBookView.as_view(), name="api-deal-book"),
    path("", include(router.urls)),
]
