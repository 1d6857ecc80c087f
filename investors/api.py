"""REST API of investors and their risk profiles; investor staff change their own mandate limits."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from deals.choices import DealType
from origination.api import ScopedViewSetMixin, error_responses
from origination.models import User

from . import selectors, services
from .models import Investor, RiskProfile


class InvestorSerializer(serializers.ModelSerializer):
    risk_profile = serializers.SerializerMethodField()
    risk_tolerance = serializers.SerializerMethodField()

    class Meta:
        model = Investor
        fields = ["id", "name", "investor_type", "is_qualified", "is_professional", "risk_profile", "risk_tolerance"]
        read_only_fields = fields

    def get_risk_profile(self, investor: Investor) -> int | None:
        """Id of the investor's risk profile, if it has filled one."""
        profile = getattr(investor, "risk_profile", None)
        return profile.pk if profile else None

    def get_risk_tolerance(self, investor: Investor) -> str | None:
        """C1-C5, the binding level of the investor's questionnaire."""
        profile = getattr(investor, "risk_profile", None)
        return profile.risk_tolerance if profile else None


class RiskProfileSerializer(serializers.ModelSerializer):
    investor_name = serializers.CharField(source="investor.name", read_only=True)
    allowed_deal_types = serializers.ListField(
        child=serializers.ChoiceField(choices=DealType.choices),
        required=False,
        help_text=_("Deal types the mandate allows; empty means all."),
    )
    excluded_industries = serializers.ListField(child=serializers.CharField(max_length=100), required=False)

    class Meta:
        model = RiskProfile
        fields = [
            "id",
            "investor",
            "investor_name",
            "risk_tolerance",
            "dimension_levels",
            "tolerance_reasons",
            "min_rating",
            "max_tenor_months",
            "min_coupon",
            "ticket_min",
            "ticket_max",
            "allowed_deal_types",
            "excluded_industries",
            "no_personal_info",
            "require_pipia",
            "max_guarantee_dependence",
            "updated_at",
        ]
        # The risk tolerance is scored from the questionnaire, never typed in.
        read_only_fields = ["id", "investor", "risk_tolerance", "dimension_levels", "tolerance_reasons", "updated_at"]


class InvestorViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Investor institutions: investor staff see their own, the arranger sees all."""

    model = Investor
    serializer_class = InvestorSerializer
    filterset_fields = ["investor_type"]
    ordering_fields = ["name"]

    def scoped_queryset(self, user: User) -> QuerySet[Investor]:
        return selectors.investor_list_for(user)


@extend_schema_view(
    partial_update=extend_schema(responses={200: RiskProfileSerializer, **error_responses(400, 403, 404)}),
)
class RiskProfileViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Risk profiles; investor staff PATCH their own institution's mandate limits."""

    model = RiskProfile
    serializer_class = RiskProfileSerializer
    filterset_fields = ["risk_tolerance"]
    ordering_fields = ["updated_at"]
    http_method_names = ["get", "patch", "head", "options"]

    def scoped_queryset(self, user: User) -> QuerySet[RiskProfile]:
        return selectors.risk_profile_list_for(user).order_by("investor__name", "pk")

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        fields: dict[str, Any] = dict(serializer.validated_data)
        serializer.instance = services.risk_profile_update_limits(
            actor=self.request.user, risk_profile=serializer.instance, **fields
        )
