"""REST API of deals: the application and its parts, the workflow, the audit log and the market summary.

Reads go through `deals.selectors`, writes through `deals.services` and
`deals.workflow`; a deal the user may not see is a 404 on every endpoint.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from origination.api import ScopedPrimaryKeyField, ScopedViewSetMixin, error_responses
from origination.filters import FilterSet, path_id
from origination.limits import SUM_OF_MONEY
from origination.models import DataAsset, User
from origination.selectors import data_asset_list_for

from . import selectors, services, workflow
from .audit import audit_action_label, audit_reason_text
from .choices import TrancheClass
from .models import DEAL_STRUCTURE_FIELDS, DEAL_TERMS_FIELDS, CreditEnhancement, Deal, Pledge, PoolAsset, Tranche

# --- parts of a deal -------------------------------------------------------------------------------------------


class _ScopedPrimaryKeyList(serializers.ManyRelatedField):
    """A list of primary keys resolved in one query (not one per key), each only among what the user may see."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        child = self.child_relation
        keys = []
        for item in data:
            try:
                if isinstance(item, bool):
                    raise TypeError
                keys.append(int(item))
            except (TypeError, ValueError):
                child.fail("incorrect_type", data_type=type(item).__name__)
        found = {obj.pk: obj for obj in child.get_queryset().filter(pk__in=keys)}
        missing = [key for key in keys if key not in found]
        if missing:
            child.fail("does_not_exist", pk_value=missing[0])
        return [found[key] for key in dict.fromkeys(keys)]


class ScopedPrimaryKeysField(ScopedPrimaryKeyField):
    """`ScopedPrimaryKeyField` whose `many=True` form validates the whole list with one query."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> serializers.ManyRelatedField:
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return _ScopedPrimaryKeyList(**list_kwargs)


class PoolAssetSerializer(serializers.ModelSerializer):
    data_assets = ScopedPrimaryKeysField(
        selector=data_asset_list_for,
        model=DataAsset,
        many=True,
        required=False,
        help_text=_("Ids of the data assets that are this claim's revenue source or pledge."),
    )

    class Meta:
        model = PoolAsset
        fields = [
            "id",
            "obligor",
            "obligor_city",
            "kind",
            "principal",
            "rate",
            "maturity_date",
            "default_probability",
            "recovery_rate",
            "default_probability_without_data",
            "cash_source",
            "repayment_source",
            "collateral_kind",
            "collateral_value",
            "data_assets",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            # Blank or left out: derived from the claim's kind and the deal's type (deals.services.default_cash_source).
            "cash_source": {"required": False, "allow_blank": True},
        }


_TRANCHE_VALUATION_OUTPUTS = [
    "product_risk_level",
    "product_risk_factors",
    "implied_rating",
    "underlying_rating",
    "rating_facts",
]


class TrancheSerializer(serializers.ModelSerializer):
    """A class of notes; its product risk level and ratings are the latest valuation's outputs, read-only."""

    class Meta:
        model = Tranche
        fields = [
            "id",
            "name",
            "tranche_class",
            "size",
            "coupon",
            "target_rating",
            "payment_priority",
            *_TRANCHE_VALUATION_OUTPUTS,
        ]
        read_only_fields = ["id", *_TRANCHE_VALUATION_OUTPUTS]


class CreditEnhancementSerializer(serializers.ModelSerializer):
    covered_classes = serializers.ListField(
        # Values only: with the labels the schema would name TrancheClassEnum twice (and warn about it).
        child=serializers.ChoiceField(choices=TrancheClass.values),
        required=False,
        help_text=_("Guarantees and shortfall undertakings: the tranche classes they support (senior by default)."),
    )

    class Meta:
        model = CreditEnhancement
        fields = [
            "id",
            "kind",
            "guarantor_type",
            "provider",
            "amount",
            "description",
            "covered_classes",
            "coverage",
            "provider_rating",
        ]
        read_only_fields = ["id"]


class PledgeSerializer(serializers.ModelSerializer):
    data_asset = ScopedPrimaryKeyField(selector=data_asset_list_for, model=DataAsset)
    data_asset_name = serializers.CharField(source="data_asset.name", read_only=True)

    class Meta:
        model = Pledge
        fields = ["id", "data_asset", "data_asset_name", "registry_filing_no", "filed_on", "status", "created_at"]
        read_only_fields = ["id", "status", "created_at"]
        # The one-active-pledge rule is the service's: it answers 409 double_pledge and names the other deal.
        validators: list = []


class PledgeFilingSerializer(serializers.ModelSerializer):
    """What changes on a pledge: its filing in the PBoC unified movable-property registry."""

    class Meta:
        model = Pledge
        fields = ["registry_filing_no", "filed_on"]


# --- deals -----------------------------------------------------------------------------------------------------

_DEAL_SUMMARY_FIELDS = [
    "id",
    "name",
    "originator",
    "originator_name",
    "deal_type",
    "status",
    "target_size",
    "tenor_months",
    "payment_frequency",
    "exchange",
    "manager",
    "expected_issue_date",
    "issue_date",
    "status_changed_at",
    "created_at",
]


class DealListSerializer(serializers.ModelSerializer):
    originator_name = serializers.CharField(source="originator.name", read_only=True)

    class Meta:
        model = Deal
        fields = _DEAL_SUMMARY_FIELDS
        read_only_fields = fields


class AvailableActionSerializer(serializers.Serializer):
    """A workflow move the requesting user can make now."""

    action = serializers.CharField()
    label = serializers.CharField()
    reason_required = serializers.BooleanField()


class DealDetailSerializer(DealListSerializer):
    pool_assets = PoolAssetSerializer(many=True, read_only=True)
    tranches = TrancheSerializer(many=True, read_only=True)
    credit_enhancements = CreditEnhancementSerializer(many=True, read_only=True)
    pledges = PledgeSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = [
            *_DEAL_SUMMARY_FIELDS,
            "trustee",
            "legal_maturity_date",
            *DEAL_STRUCTURE_FIELDS,
            "updated_at",
            "pool_assets",
            "tranches",
            "credit_enhancements",
            "pledges",
            "available_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(AvailableActionSerializer(many=True))
    def get_available_actions(self, deal: Deal) -> list[dict[str, Any]]:
        """The workflow moves the requesting user can make on this deal now."""
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return []
        return [
            {"action": t.action, "label": str(t.label), "reason_required": t.reason_required}
            for t in workflow.available_transitions(deal=deal, actor=request.user)
        ]


class DealWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deal
        fields = [*DEAL_TERMS_FIELDS, *DEAL_STRUCTURE_FIELDS]


class DealTransitionSerializer(serializers.Serializer):
    # A plain string: an unknown move is refused by the workflow with the stable code `unknown_action`.
    action = serializers.CharField(help_text=_("Workflow move, e.g. submit, start_review, approve, publish, withdraw."))
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    issue_date = serializers.DateField(
        required=False, help_text=_("Only for 'issue': the issue date (today by default).")
    )


class AuditEventSerializer(serializers.Serializer):
    """One hash-chained event: a workflow move, or a change to the application (`from` equals `to`).

    `action` is a stable code and `reason` the stored, hashed text: what the user typed for a move, canonical JSON
    of language-neutral parameters for a change. `action_label` and `reason_text` are both in the reader's language.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        # Built here because `from` is a Python keyword and cannot be a class attribute.
        return {
            "sequence": serializers.IntegerField(read_only=True),
            "action": serializers.CharField(read_only=True),
            "action_label": serializers.SerializerMethodField(),
            "from": serializers.CharField(source="from_status", read_only=True),
            "to": serializers.CharField(source="to_status", read_only=True),
            "actor_label": serializers.CharField(read_only=True),
            "reason": serializers.CharField(read_only=True),
            "reason_text": serializers.SerializerMethodField(),
            "created_at": serializers.DateTimeField(read_only=True),
            "prev_hash": serializers.CharField(read_only=True),
            "hash": serializers.CharField(read_only=True),
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_action_label(self, event: Any) -> str:
        """The action in the reader's language."""
        return audit_action_label(event.action)

    @extend_schema_field(OpenApiTypes.STR)
    def get_reason_text(self, event: Any) -> str:
        """The reason in the reader's language: a change is rendered from its stored parameters."""
        return audit_reason_text(event.action, event.reason)


class DealFilter(FilterSet):
    class Meta:
        model = Deal
        fields = ["status", "deal_type", "exchange"]


_DEAL_ERRORS = error_responses(400, 403, 404, 409)
_ITEM_PARAMETER = OpenApiParameter("item_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Id of the part."))


@extend_schema_view(
    create=extend_schema(request=DealWriteSerializer, responses={201: DealDetailSerializer, **_DEAL_ERRORS}),
    partial_update=extend_schema(request=DealWriteSerializer, responses={200: DealDetailSerializer, **_DEAL_ERRORS}),
    retrieve=extend_schema(responses={200: DealDetailSerializer, **error_responses(404)}),
)
class DealViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Deal applications: the originator files and edits them, the workflow moves them, everyone reads what they may."""

    model = Deal
    filterset_class = DealFilter
    ordering_fields = ["created_at", "target_size", "name", "status_changed_at"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self, user: User) -> QuerySet[Deal]:
        return selectors.deal_list_for(user)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {
            "list": DealListSerializer,
            "create": DealWriteSerializer,
            "partial_update": DealWriteSerializer,
            "transition": DealTransitionSerializer,
            "audit": AuditEventSerializer,
            "pool_assets": PoolAssetSerializer,
            "tranches": TrancheSerializer,
            "credit_enhancements": CreditEnhancementSerializer,
            "pledges": PledgeSerializer,
            "pool_asset_update": PoolAssetSerializer,
            "tranche_update": TrancheSerializer,
            "credit_enhancement_update": CreditEnhancementSerializer,
            "pledge_update": PledgeFilingSerializer,
        }.get(self.action, DealDetailSerializer)

    # Reads ----------------------------------------------------------------------------------------------------

    def _visible_deal(self) -> Deal:
        """The deal named in the URL if the user may see it (no parts loaded), else 404."""
        deal = selectors.deal_or_404(self.request.user, path_id(self.kwargs["pk"]), parts=False)
        self.check_object_permissions(self.request, deal)
        return deal

    def _detail_response(self, deal_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        deal = selectors.deal_or_404(self.request.user, deal_id)
        self.check_object_permissions(self.request, deal)
        return Response(DealDetailSerializer(deal, context=self.get_serializer_context()).data, status=status_code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One deal with its pool, tranches, enhancement, pledges and the moves the user can make."""
        return self._detail_response(path_id(self.kwargs["pk"]))

    # Writes of the application --------------------------------------------------------------------------------

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """An originator opens a draft deal for its company."""
        serializer = DealWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        deal = services.deal_create(actor=request.user, **serializer.validated_data)
        return self._detail_response(deal.pk, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The originator changes the terms of a draft or returned deal."""
        deal = self._visible_deal()
        serializer = DealWriteSerializer(deal, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        services.deal_update(actor=request.user, deal=deal, **serializer.validated_data)
        return self._detail_response(deal.pk)

    def _create_part(self, serializer_class: type[serializers.ModelSerializer], service: Any) -> Response:
        deal = self._visible_deal()
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        part = service(actor=self.request.user, deal=deal, **serializer.validated_data)
        return Response(
            serializer_class(part, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    def _part(self, queryset: QuerySet[Any], item_pk: str) -> Any:
        try:
            return queryset.get(deal_id=self._visible_deal().pk, pk=path_id(item_pk))
        except queryset.model.DoesNotExist as exc:
            raise Http404 from exc

    def _update_part(
        self, serializer_class: type[serializers.ModelSerializer], part: Any, service: Any, part_name: str
    ) -> Response:
        serializer = serializer_class(part, data=self.request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        part = service(actor=self.request.user, **{part_name: part}, **serializer.validated_data)
        return Response(serializer_class(part, context=self.get_serializer_context()).data)

    @extend_schema(request=PoolAssetSerializer, responses={201: PoolAssetSerializer, **_DEAL_ERRORS})
    @action(detail=True, methods=["post"], url_path="pool-assets")
    def pool_assets(self, request: Request, pk: str | None = None) -> Response:
        """Add a claim to the pool, linked to its data assets."""
        return self._create_part(PoolAssetSerializer, services.pool_asset_create)

    @extend_schema(parameters=[_ITEM_PARAMETER], request=None, responses={204: None, **_DEAL_ERRORS})
    @action(detail=True, methods=["delete"], url_path=r"pool-assets/(?P<item_pk>[0-9]+)")
    def pool_asset_delete(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Remove a claim from the pool."""
        pool_asset = self._part(selectors.pool_asset_list_for(request.user), item_pk)
        services.pool_asset_delete(actor=request.user, pool_asset=pool_asset)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[_ITEM_PARAMETER],
        request=PoolAssetSerializer,
        responses={200: PoolAssetSerializer, **_DEAL_ERRORS},
        description=_("Change a claim of an editable deal; `data_assets`, when sent, replaces its data assets."),
    )
    @pool_asset_delete.mapping.patch
    def pool_asset_update(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Change a claim of the pool."""
        pool_asset = self._part(selectors.pool_asset_list_for(request.user), item_pk)
        return self._update_part(PoolAssetSerializer, pool_asset, services.pool_asset_update, "pool_asset")

    @extend_schema(request=TrancheSerializer, responses={201: TrancheSerializer, **_DEAL_ERRORS})
    @action(detail=True, methods=["post"], url_path="tranches")
    def tranches(self, request: Request, pk: str | None = None) -> Response:
        """Add a class of notes."""
        return self._create_part(TrancheSerializer, services.tranche_create)

    @extend_schema(parameters=[_ITEM_PARAMETER], request=None, responses={204: None, **_DEAL_ERRORS})
    @action(detail=True, methods=["delete"], url_path=r"tranches/(?P<item_pk>[0-9]+)")
    def tranche_delete(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Remove a class of notes."""
        tranche = self._part(selectors.tranche_list_for(request.user), item_pk)
        services.tranche_delete(actor=request.user, tranche=tranche)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[_ITEM_PARAMETER],
        request=TrancheSerializer,
        responses={200: TrancheSerializer, **_DEAL_ERRORS},
        description=_("Change a class of notes of an editable deal; its ratings and risk level are read-only."),
    )
    @tranche_delete.mapping.patch
    def tranche_update(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Change a class of notes."""
        tranche = self._part(selectors.tranche_list_for(request.user), item_pk)
        return self._update_part(TrancheSerializer, tranche, services.tranche_update, "tranche")

    @extend_schema(request=CreditEnhancementSerializer, responses={201: CreditEnhancementSerializer, **_DEAL_ERRORS})
    @action(detail=True, methods=["post"], url_path="credit-enhancements")
    def credit_enhancements(self, request: Request, pk: str | None = None) -> Response:
        """Add a guarantee, reserve account, overcollateralisation or subordination."""
        return self._create_part(CreditEnhancementSerializer, services.credit_enhancement_create)

    @extend_schema(parameters=[_ITEM_PARAMETER], request=None, responses={204: None, **_DEAL_ERRORS})
    @action(detail=True, methods=["delete"], url_path=r"credit-enhancements/(?P<item_pk>[0-9]+)")
    def credit_enhancement_delete(
        self, request: Request, pk: str | None = None, item_pk: str | None = None
    ) -> Response:
        """Remove a credit enhancement."""
        enhancement = self._part(selectors.credit_enhancement_list_for(request.user), item_pk)
        services.credit_enhancement_delete(actor=request.user, credit_enhancement=enhancement)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[_ITEM_PARAMETER],
        request=CreditEnhancementSerializer,
        responses={200: CreditEnhancementSerializer, **_DEAL_ERRORS},
        description=_("Change a credit enhancement of an editable deal."),
    )
    @credit_enhancement_delete.mapping.patch
    def credit_enhancement_update(
        self, request: Request, pk: str | None = None, item_pk: str | None = None
    ) -> Response:
        """Change a credit enhancement."""
        enhancement = self._part(selectors.credit_enhancement_list_for(request.user), item_pk)
        return self._update_part(
            CreditEnhancementSerializer, enhancement, services.credit_enhancement_update, "credit_enhancement"
        )

    @extend_schema(
        request=PledgeSerializer,
        responses={201: PledgeSerializer, **_DEAL_ERRORS},
        description=(_("Pledge a data asset to the deal; a second active pledge of an asset is a 409 double_pledge.")),
    )
    @action(detail=True, methods=["post"], url_path="pledges")
    def pledges(self, request: Request, pk: str | None = None) -> Response:
        """Pledge one of the company's data assets to the deal."""
        return self._create_part(PledgeSerializer, services.pledge_create)

    @extend_schema(
        parameters=[_ITEM_PARAMETER],
        request=None,
        responses={200: PledgeSerializer, **_DEAL_ERRORS},
        description=(_("Release the pledge: it stays on record with status 'released'.")),
    )
    @action(detail=True, methods=["delete"], url_path=r"pledges/(?P<item_pk>[0-9]+)")
    def pledge_release(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Release a pledge of the deal."""
        pledge = self._part(selectors.pledge_list_for(request.user), item_pk)
        pledge = services.pledge_release(actor=request.user, pledge=pledge)
        return Response(PledgeSerializer(pledge).data)

    @extend_schema(
        parameters=[_ITEM_PARAMETER],
        request=PledgeFilingSerializer,
        responses={200: PledgeSerializer, **_DEAL_ERRORS},
        description=_(
            "Record or correct an active pledge's registry filing (number and date) while the deal is editable; "
            "a released pledge is a 409 pledge_released."
        ),
    )
    @pledge_release.mapping.patch
    def pledge_update(self, request: Request, pk: str | None = None, item_pk: str | None = None) -> Response:
        """Change the registry filing of a pledge."""
        pledge = self._part(selectors.pledge_list_for(request.user), item_pk)
        serializer = PledgeFilingSerializer(pledge, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        pledge = services.pledge_update(actor=request.user, pledge=pledge, **serializer.validated_data)
        return Response(PledgeSerializer(pledge, context=self.get_serializer_context()).data)

    # Workflow and audit ---------------------------------------------------------------------------------------

    @extend_schema(
        request=DealTransitionSerializer,
        responses={200: DealDetailSerializer, **_DEAL_ERRORS},
        description=(
            _(
                "Make a workflow move. 400 unknown_action, reason_required or preconditions_not_met (with fields); "
                "403 forbidden when the role may not make it; 409 invalid_transition when the status does not allow it."
            )
        ),
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the deal through its workflow by action name."""
        deal = self._visible_deal()
        serializer = DealTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workflow.deal_move(
            deal=deal,
            action=data["action"],
            actor=request.user,
            reason=data["reason"],
            issue_date=data.get("issue_date"),
        )
        return self._detail_response(deal.pk)

    @extend_schema(responses={200: AuditEventSerializer(many=True), **error_responses(404)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def audit(self, request: Request, pk: str | None = None) -> Response:
        """The deal's hash-chained audit log, oldest first."""
        deal = self._visible_deal()
        events = selectors.audit_log_for(request.user, deal)
        return Response(AuditEventSerializer(events, many=True).data)


# --- market summary --------------------------------------------------------------------------------------------


class MarketYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    products = serializers.IntegerField()
    total_cny = serializers.DecimalField(**SUM_OF_MONEY)


class MarketSummarySerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True)
    products_issued = serializers.IntegerField()
    total_issuance_cny = serializers.DecimalField(**SUM_OF_MONEY)
    total_issuance_bn_cny = serializers.DecimalField(**SUM_OF_MONEY)
    data_asset_abs = serializers.IntegerField()
    empowerment_abs = serializers.IntegerField()
    soe_initiated = serializers.IntegerField()
    soe_initiated_pct = serializers.DecimalField(max_digits=5, decimal_places=1)
    average_senior_coupon_pct = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    by_year = MarketYearSerializer(many=True)


class MarketSummaryQuerySerializer(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=selectors.MARKET_YEAR_MIN, max_value=selectors.MARKET_YEAR_MAX
    )


class MarketSummaryView(APIView):
    """The market figures of issued deals (count, issuance, types, SOE share, average senior coupon)."""

    @extend_schema(
        parameters=[MarketSummaryQuerySerializer],
        responses={200: MarketSummarySerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        """Market summary of issued deals, optionally of one issue year; money and rates are decimal strings."""
        query = MarketSummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = selectors.market_summary(year=query.validated_data.get("year"))
        return Response(MarketSummarySerializer(summary).data)
