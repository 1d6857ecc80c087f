"""REST API of the originator side: originators, data assets, data rights and revenue.

Views are thin: reads go through the scoped selectors, writes through the
services. An object the user may not see is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django_filters
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors, services
from .errors import DomainError
from .filters import PATH_ID, FilterSet, IdFilter
from .limits import SUM_OF_MONEY
from .models import DataAsset, DataRight, Originator, RevenueImport, RevenueRecord, User
from .revenue_undo import revenue_import_undo


class ErrorSerializer(serializers.Serializer):
    """The error body every endpoint answers with when it refuses a request."""

    code = serializers.CharField(help_text=_("Stable error code, safe to match on."))
    detail = serializers.CharField(help_text=_("Human-readable message."))
    fields = serializers.DictField(help_text=_("Messages by field at fault."))


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error statuses an endpoint may answer with."""
    return {code: OpenApiResponse(response=ErrorSerializer) for code in codes}


class ScopedViewSetMixin:
    """Reads through a selector scoped to the requesting user: every viewset defines `scoped_queryset(user)`.

    A viewset that forgets it fails when its module is imported, not on a request.
    """

    model: type[Model]
    request: Request
    lookup_value_regex = PATH_ID  # ASCII digits; path_id() answers 404 for what no key can hold
    scoped_queryset: Callable[[User], QuerySet[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "scoped_queryset", None)):
            raise TypeError(f"{cls.__name__} must define scoped_queryset(user) with a selector")

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.model._default_manager.none()
        return self.scoped_queryset(self.request.user)  # type: ignore[arg-type]


def _scoped_field_queryset(serializer: serializers.Serializer, selector: Any, model: type[Model]) -> QuerySet[Any]:
    """Related objects a serializer may point at: only those the requesting user can see."""
    request = serializer.context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return model._default_manager.none()
    return selector(user)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A primary key that only resolves to objects the requesting user may see (others read as missing)."""

    def __init__(self, *, selector: Any, model: type[Model], **kwargs: Any) -> None:
        self.selector = selector
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return _scoped_field_queryset(self.root, self.selector, self.model)

    def use_pk_only_optimization(self) -> bool:
        return True


# --- originators -----------------------------------------------------------------------------------------------


class OriginatorSerializer(serializers.ModelSerializer):
    # Validated by the service, which first strips and upper-cases the code.
    uscc = serializers.CharField(max_length=24, help_text=_("Unified social credit code, 18 characters."))
    is_soe = serializers.BooleanField(read_only=True)

    class Meta:
        model = Originator
        fields = ["id", "name", "uscc", "ownership_type", "industry", "region", "credit_rating", "is_soe", "created_at"]
        read_only_fields = ["id", "created_at"]


class OriginatorFilter(FilterSet):
    class Meta:
        model = Originator
        fields = ["ownership_type", "credit_rating"]


@extend_schema_view(
    create=extend_schema(responses={201: OriginatorSerializer, **error_responses(400, 403)}),
)
class OriginatorViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Originator companies; the arranger registers new ones."""

    model = Originator
    serializer_class = OriginatorSerializer
    filterset_class = OriginatorFilter
    ordering_fields = ["name", "created_at"]

    def scoped_queryset(self, user: User) -> QuerySet[Originator]:
        return selectors.originator_list_for(user)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.originator_create(actor=self.request.user, **serializer.validated_data)


# --- data assets -----------------------------------------------------------------------------------------------


class DataAssetSerializer(serializers.ModelSerializer):
    originator = ScopedPrimaryKeyField(
        selector=selectors.originator_list_for,
        model=Originator,
        required=False,
        help_text=_("Defaults to the signed-in originator's own company."),
    )
    originator_name = serializers.CharField(source="originator.name", read_only=True)
    quality_mean = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = DataAsset
        fields = [
            "id",
            "originator",
            "originator_name",
            "name",
            "category",
            "description",
            "volume",
            "update_frequency",
            "source",
            "classification_grade",
            "has_personal_info",
            "has_sensitive_personal_info",
            "deidentification_method",
            "cross_border_flow",
            "accounting_status",
            "book_value",
            *DataAsset.QUALITY_FIELDS,
            "quality_mean",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class DataAssetUpdateSerializer(DataAssetSerializer):
    """The same fields; an asset never moves to another company."""

    originator = serializers.PrimaryKeyRelatedField(read_only=True)


class DataAssetFilter(FilterSet):
    originator = IdFilter(field_name="originator_id")

    class Meta:
        model = DataAsset
        fields = ["category", "classification_grade", "originator"]


class RevenueImportSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    undone_by = serializers.CharField(
        source="undone_by.username", read_only=True, allow_null=True, default=None,
        help_text=_("Who undid the import; null while its rows stand."),
    )  # fmt: skip

    class Meta:
        model = RevenueImport
        fields = [
            "id",
            "data_asset",
            "file_name",
            "sha256",
            "row_count",
            "total_amount",
            "uploaded_by",
            "created_at",
            "undone_at",
            "undone_by",
        ]
        read_only_fields = fields


class RevenueUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV or Excel file of monthly revenue rows."))


class MonthlyRevenueSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("Month, YYYY-MM."))
    total = serializers.DecimalField(**SUM_OF_MONEY, help_text=_("Revenue of the month (CNY)."))


class RevenueSummarySerializer(serializers.Serializer):
    """A data asset's revenue as aggregates that name no counterparty: what everyone who sees the asset reads."""

    data_asset = serializers.IntegerField()
    months = serializers.IntegerField(help_text=_("Months with revenue recorded."))
    monthly = MonthlyRevenueSerializer(many=True, help_text=_("Revenue per month, oldest first."))
    total = serializers.DecimalField(**SUM_OF_MONEY, help_text=_("Revenue over all months (CNY)."))
    counterparties = serializers.IntegerField(help_text=_("Counterparties that paid anything."))
    top_counterparty_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text=_("The largest counterparty's share of revenue.")
    )
    top5_share = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text=_("The five largest counterparties' share.")
    )
    hhi = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text=_("Herfindahl-Hirschman index of the counterparties' shares (0-1)."),
    )


def revenue_summary_data(data_asset: DataAsset) -> dict[str, Any]:
    """The summary of an asset the user may see, as the serializer reads it."""
    summary = selectors.revenue_summary(data_asset=data_asset)
    return {
        "data_asset": data_asset.pk,
        "months": summary.months,
        "monthly": [{"month": month, "total": total} for month, total in summary.monthly],
        "total": summary.total,
        "counterparties": summary.counterparties,
        "top_counterparty_share": summary.top_counterparty_share,
        "top5_share": summary.top5_share,
        "hhi": summary.hhi,
    }


@extend_schema_view(
    create=extend_schema(responses={201: DataAssetSerializer, **error_responses(400, 403)}),
    partial_update=extend_schema(responses={200: DataAssetUpdateSerializer, **error_responses(400, 403, 404)}),
    update=extend_schema(responses={200: DataAssetUpdateSerializer, **error_responses(400, 403, 404)}),
)
class DataAssetViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Data assets: the originator's staff register and change their own; others see those backing visible deals."""

    model = DataAsset
    filterset_class = DataAssetFilter
    ordering_fields = ["name", "created_at", "book_value"]

    def scoped_queryset(self, user: User) -> QuerySet[DataAsset]:
        return selectors.data_asset_list_for(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action in ("update", "partial_update"):
            return DataAssetUpdateSerializer
        if self.action == "revenue_upload":
            return RevenueUploadSerializer
        if self.action == "revenue_summary":
            return RevenueSummarySerializer
        return DataAssetSerializer

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        user = self.request.user
        originator = data.pop("originator", None) or user.originator
        if originator is None:
            raise serializers.ValidationError({"originator": [_("Name the company that holds this data asset.")]})
        serializer.instance = services.data_asset_create(actor=user, originator=originator, **data)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = services.data_asset_update(
            actor=self.request.user, data_asset=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        request={"multipart/form-data": RevenueUploadSerializer},
        responses={201: RevenueImportSerializer, **error_responses(400, 403, 404)},
        description=(
            _(
                "Import monthly revenue rows from a CSV or Excel file. A file with any bad row saves nothing; "
                "the error lists each bad row (code revenue_rows_invalid)."
            )
        ),
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="revenue-upload",
        parser_classes=[MultiPartParser, FormParser],
    )
    def revenue_upload(self, request: Request, pk: str | None = None) -> Response:
        """Upload a revenue file for one data asset of the user's company."""
        data_asset = self.get_object()
        upload = RevenueUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        # Imported here so the API loads even where the import module is not installed yet.
        from .revenue_import import revenue_import

        revenue_file = revenue_import(
            actor=request.user, data_asset=data_asset, uploaded_file=upload.validated_data["file"]
        )
        return Response(RevenueImportSerializer(revenue_file).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: RevenueSummarySerializer, **error_responses(404)})
    @action(detail=True, methods=["get"], url_path="revenue-summary")
    def revenue_summary(self, request: Request, pk: str | None = None) -> Response:
        """The asset's revenue as aggregates: monthly totals, number of counterparties, concentration; no names."""
        return Response(RevenueSummarySerializer(revenue_summary_data(self.get_object())).data)


# --- data rights -----------------------------------------------------------------------------------------------


class DataRightSerializer(serializers.ModelSerializer):
    data_asset = ScopedPrimaryKeyField(selector=selectors.data_asset_list_for, model=DataAsset)

    class Meta:
        model = DataRight
        fields = [
            "id",
            "data_asset",
            "right_type",
            "holder",
            "certificate_no",
            "registry",
            "registry_type",
            "issued_on",
            "expires_on",
            "revoked_at",
            "revocation_reason",
        ]
        read_only_fields = ["id", "revoked_at", "revocation_reason"]


class DataRightRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text=_("Why the registration is revoked (cancelled at the registry, recorded in error).")
    )


class DataRightFilter(FilterSet):
    data_asset = IdFilter(field_name="data_asset_id")

    class Meta:
        model = DataRight
        fields = ["data_asset", "right_type"]


@extend_schema_view(
    create=extend_schema(responses={201: DataRightSerializer, **error_responses(400, 403)}),
    destroy=extend_schema(
        responses={204: None, **error_responses(403, 404, 409)},
        description=_(
            "Delete a right recorded in error. 409 right_backs_submitted_deal while a deal submitted for review or "
            "issued relies on it (the deals are named): revoke it instead."
        ),
    ),
)
class DataRightViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The three separated rights of the data assets the user may see; filter with ?data_asset=."""

    model = DataRight
    serializer_class = DataRightSerializer
    filterset_class = DataRightFilter
    ordering_fields = ["expires_on", "issued_on"]

    def scoped_queryset(self, user: User) -> QuerySet[DataRight]:
        return selectors.data_right_list_for(user).select_related("data_asset__originator")

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = dict(serializer.validated_data)
        data_asset = data.pop("data_asset")
        serializer.instance = services.data_right_create(actor=self.request.user, data_asset=data_asset, **data)

    def perform_destroy(self, instance: DataRight) -> None:
        services.data_right_delete(actor=self.request.user, data_right=instance)

    @extend_schema(
        request=DataRightRevokeSerializer,
        responses={200: DataRightSerializer, **error_responses(400, 403, 404, 409)},
        description=_(
            "Revoke the registration: it stays on record, no longer counted as held. On a right a submitted deal "
            "relies on this is a change to the deal's facts: an audit event on each deal, its review reopened, or "
            "after issue a finding for compliance and a notice to its investors. 409 right_revoked if already revoked."
        ),
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke a registration of a right (the versioned way to take away a right a deal relies on)."""
        right = self.get_object()
        data = DataRightRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        right = services.data_right_revoke(actor=request.user, data_right=right, reason=data.validated_data["reason"])
        return Response(DataRightSerializer(right, context=self.get_serializer_context()).data)


# --- revenue ---------------------------------------------------------------------------------------------------


class RevenueRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevenueRecord
        fields = [
            "id",
            "data_asset",
            "period",
            "amount",
            "revenue_type",
            "counterparty",
            "contract_ref",
            "source_import",
        ]
        read_only_fields = fields


class RevenueFilter(FilterSet):
    data_asset = IdFilter(field_name="data_asset_id")
    period_from = django_filters.DateFilter(
        field_name="period", lookup_expr="gte", help_text=_("First month included (YYYY-MM-DD).")
    )
    period_to = django_filters.DateFilter(
        field_name="period", lookup_expr="lte", help_text=_("Last month included (YYYY-MM-DD).")
    )

    class Meta:
        model = RevenueRecord
        fields = ["data_asset", "revenue_type", "period_from", "period_to"]


class RevenueImportFilter(FilterSet):
    data_asset = IdFilter(field_name="data_asset_id")

    class Meta:
        model = RevenueImport
        fields = ["data_asset"]


class RevenueImportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Revenue files imported for the data assets the user may see; their own company may undo one."""

    model = RevenueImport
    serializer_class = RevenueImportSerializer
    filterset_class = RevenueImportFilter
    ordering_fields = ["created_at"]

    def scoped_queryset(self, user: User) -> QuerySet[RevenueImport]:
        return selectors.revenue_import_list_for(user)

    @extend_schema(
        request=None,
        responses={200: RevenueImportSerializer, **error_responses(403, 404, 409)},
        description=_(
            "Delete exactly the revenue rows this import saved. Only the data asset's own company may; refused "
            "with 409 (code revenue_import_in_use) once a deal past draft uses the data asset, or "
            "revenue_import_already_undone."
        ),
    )
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str | None = None) -> Response:
        """Undo one import of the user's company."""
        revenue_file = revenue_import_undo(actor=request.user, revenue_import=self.get_object())
        return Response(RevenueImportSerializer(revenue_file).data)


@extend_schema_view(
    list=extend_schema(responses={200: RevenueRecordSerializer(many=True), **error_responses(403)}),
    retrieve=extend_schema(responses={200: RevenueRecordSerializer, **error_responses(403, 404)}),
)
class RevenueRecordViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Monthly revenue rows, with counterparty and contract, of the data assets the user may see.

    For the originator (its own assets), compliance and the arranger. Investors
    are refused (403 revenue_rows_not_disclosed): they read each asset's
    aggregates at /api/data-assets/{id}/revenue-summary/.
    """

    model = RevenueRecord
    serializer_class = RevenueRecordSerializer
    filterset_class = RevenueFilter
    ordering_fields = ["period", "amount"]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not selectors.may_read_counterparties(request.user):  # type: ignore[arg-type]
            raise DomainError(
                "revenue_rows_not_disclosed",
                _(
                    "Revenue rows name the originator's counterparties and contracts and are not disclosed to "
                    "investors. Read each data asset's monthly totals, number of counterparties and concentration "
                    "at /api/data-assets/{id}/revenue-summary/."
                ),
                status=403,
            )

    def scoped_queryset(self, user: User) -> QuerySet[RevenueRecord]:
        return selectors.revenue_list_for(user)
