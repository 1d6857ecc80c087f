"""REST API of market data: the dated market series (list, one row, CSV upload and download) and the comparables register.

Every signed-in user reads; only the arranger uploads, adds and removes (403
`forbidden` otherwise). A refused file answers 400 with `market_file_refused`
(the file as a whole) or `market_rows_invalid`, whose `fields.rows` lists every
bad row as {"line", "column", "message"}.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from origination.api import ScopedViewSetMixin, error_responses
from origination.filters import FilterSet
from origination.models import User

from . import market_data
from .models import ComparableTransaction, MarketParameters

# --- the market series ------------------------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """Lets a client ask for text/csv (the download answers CSV itself; an error body stays JSON text)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class MarketParametersSerializer(serializers.ModelSerializer):
    """One date of the series; `superseded` is true once a later upload of the same date replaced it."""

    benchmark_curve = serializers.JSONField(help_text=_("[[tenor in years, annual rate], ...], increasing tenors."))
    rating_spreads = serializers.JSONField(help_text=_("{rating: annual spread over the benchmark}, AAA to CCC."))
    support_premiums = serializers.JSONField(help_text=_("{support type: {provider rating: annual premium}}."))
    provider_default_rates = serializers.JSONField(help_text=_("{rating: annual default probability}."))
    superseded = serializers.SerializerMethodField()
    # Null for the rows the platform ships (loaded by a migration, not uploaded by anyone).
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = MarketParameters
        fields = [
            "id", "as_of", "benchmark_name", "benchmark_curve", "rating_spreads", "support_premiums",
            "provider_default_rates", "liquidity_premium", "tenor_premium_per_year", "source", "notes",
            "superseded", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_superseded(self, market: MarketParameters) -> bool:
        return bool(getattr(market, "superseded", False))


class MarketUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV with the columns as_of,table,key,value (docs/market_data.md)."))
    source = serializers.CharField(
        max_length=market_data.SOURCE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text=_("Where the figures come from (default: the file's name)."),
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class MarketUploadResultSerializer(serializers.Serializer):
    created = MarketParametersSerializer(many=True, help_text=_("One new row per date of the file."))
    replaced_dates = serializers.ListField(
        child=serializers.DateField(),
        help_text=_("Dates that already had a row: the new row is now the one in force."),
    )


class MarketParametersFilter(FilterSet):
    as_of_from = django_filters.DateFilter(
        field_name="as_of", lookup_expr="gte", help_text=_("First date included (YYYY-MM-DD).")
    )
    as_of_to = django_filters.DateFilter(
        field_name="as_of", lookup_expr="lte", help_text=_("Last date included (YYYY-MM-DD).")
    )

    class Meta:
        model = MarketParameters
        fields = ["as_of_from", "as_of_to"]


class MarketParametersViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The dated market series valuation prices against, newest date first; the arranger uploads new dates as CSV."""

    model = MarketParameters
    serializer_class = MarketParametersSerializer
    filterset_class = MarketParametersFilter
    ordering_fields = ["as_of", "created_at"]

    def scoped_queryset(self, user: User) -> QuerySet[MarketParameters]:
        return market_data.market_parameters_list_for(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "upload":
            return MarketUploadSerializer
        return MarketParametersSerializer

    @extend_schema(
        request={"multipart/form-data": MarketUploadSerializer},
        responses={201: MarketUploadResultSerializer, **error_responses(400, 403)},
        description=_(
            "Upload a market CSV: each date becomes a new row (a date already in the series gets a new row, which "
            "is then in force). A file with any bad row saves nothing; the error (code market_rows_invalid) lists "
            "every bad row in fields.rows."
        ),
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        """Upload a CSV of one or more dates (arranger)."""
        market_data.ensure_may_maintain_market_data(request.user)  # type: ignore[arg-type]
        body = MarketUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = market_data.market_parameters_upload(
            actor=request.user,  # type: ignore[arg-type]
            uploaded_file=body.validated_data["file"],
            source=body.validated_data.get("source", ""),
            notes=body.validated_data.get("notes", ""),
        )
        data = {"created": result.created, "replaced_dates": result.replaced_dates}
        return Response(MarketUploadResultSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(
                response=OpenApiTypes.STR, description=_("The row in the upload format (as_of,table,key,value).")
            ),
            **error_responses(404),
        }
    )
    @action(detail=True, methods=["get"], url_path="csv", renderer_classes=[JSONRenderer, CSVRenderer])
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        """One row of the series as CSV; uploading it gives the same parameters back."""
        market = self.get_object()
        response = HttpResponse(market_data.market_parameters_csv(market), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="market-data-{market.as_of:%Y-%m-%d}-{market.pk}.csv"'
        return response


# --- comparable transactions ------------------------------------------------------------------------------------


class ComparableTransactionSerializer(serializers.ModelSerializer):
    """A priced data transaction; `revenue_multiple` is price / annual revenue, the figure the market method reads."""

    revenue_multiple = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ComparableTransaction
        fields = [
            "id", "category", "description", "venue", "transaction_date", "price", "annual_revenue",
            "revenue_multiple", "source", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = ["id", "revenue_multiple", "created_by", "created_at"]

    def validate_price(self, value: Decimal) -> Decimal:
        return self._positive(value)

    def validate_annual_revenue(self, value: Decimal) -> Decimal:
        return self._positive(value)

    @staticmethod
    def _positive(value: Decimal) -> Decimal:
        try:
            market_data.positive_amount(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value

    @extend_schema_field(serializers.DecimalField(max_digits=20, decimal_places=4))
    def get_revenue_multiple(self, entry: ComparableTransaction) -> str:
        return str((entry.price / entry.annual_revenue).quantize(Decimal("0.0001")))


class ComparableUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("CSV with the columns category,description,venue,transaction_date,price,annual_revenue,source.")
    )


class ComparableTransactionFilter(FilterSet):
    date_from = django_filters.DateFilter(field_name="transaction_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="transaction_date", lookup_expr="lte")

    class Meta:
        model = ComparableTransaction
        fields = ["category", "date_from", "date_to"]


@extend_schema_view(
    create=extend_schema(responses={201: ComparableTransactionSerializer, **error_responses(400, 403, 409)}),
    destroy=extend_schema(responses={204: None, **error_responses(403, 404)}),
)
class ComparableTransactionViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The comparables register, latest transaction first (filter with ?category=); the arranger adds and removes."""

    model = ComparableTransaction
    serializer_class = ComparableTransactionSerializer
    filterset_class = ComparableTransactionFilter
    ordering_fields = ["transaction_date", "price"]

    def scoped_queryset(self, user: User) -> QuerySet[ComparableTransaction]:
        return market_data.comparable_transaction_list_for(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "upload":
            return ComparableUploadSerializer
        return ComparableTransactionSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The guard comes before the body is checked: anyone but the arranger is a 403, whatever it sends.
        market_data.ensure_may_maintain_market_data(request.user)  # type: ignore[arg-type]
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = market_data.comparable_transaction_create(
            actor=self.request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: ComparableTransaction) -> None:
        market_data.comparable_transaction_delete(actor=self.request.user, comparable=instance)  # type: ignore[arg-type]

    @extend_schema(
        request={"multipart/form-data": ComparableUploadSerializer},
        responses={201: ComparableTransactionSerializer(many=True), **error_responses(400, 403)},
        description=_(
            "Add the transactions of a CSV. A file with any bad row, or a row already in the register, adds "
            "nothing; the error (code market_rows_invalid) lists every such row in fields.rows."
        ),
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request: Request) -> Response:
        """Upload a CSV of transactions (arranger)."""
        market_data.ensure_may_maintain_market_data(request.user)  # type: ignore[arg-type]
        body = ComparableUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = market_data.comparable_transactions_upload(
            actor=request.user,  # type: ignore[arg-type]
            uploaded_file=body.validated_data["file"],
        )
        return Response(ComparableTransactionSerializer(created, many=True).data, status=status.HTTP_201_CREATED)
