"""REST API of the compliance review: templates, reviews, items (answers, evidence, findings), documents, decisions.

Scoped as the pages are: a review, item or document the user may not see is a
404 (investors see none); the originator answers and uploads, the officer
records findings and decides; writes go through `services.py`.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deals import workflow
from deals.api import DealDetailSerializer
from deals.audit import audit_action_label
from deals.facts import fact_change_text, facts_differences
from deals.selectors import deal_get_for
from origination.api import ScopedViewSetMixin, error_responses
from origination.filters import FilterSet, IdFilter, path_id
from origination.models import User
from origination.parsers import BoundedJSONParser
from origination.selectors import data_asset_list_for

from . import selectors, services
from .checks import finding_message
from .choices import DECISIONS, IN_PROGRESS_STATES, ItemOutcome, Severity
from .evidence import EVIDENCE_CONTENT_TYPES
from .export import XLSX, review_workbook_response
from .models import (
    AutomaticFinding,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ComplianceReview,
    Evidence,
    FactChange,
    ReviewItem,
)
from .views import evidence_file_response

_TEXT_FIELDS = ["title", "question", "legal_basis", "evidence_required"]


class ChecklistTemplateItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistTemplateItem
        fields = ["id", "code", "position", "section", *[f"{n}_{lang}" for n in _TEXT_FIELDS for lang in ("zh", "en")],
                  "answered_by", "condition_precedent", "severity"]  # fmt: skip
        read_only_fields = fields


class ChecklistTemplateSerializer(serializers.ModelSerializer):
    items = ChecklistTemplateItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "deal_type", "version", "title_zh", "title_en", "effective_from", "items"]
        read_only_fields = fields


class AnswerSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class EvidenceSerializer(serializers.ModelSerializer):
    # Null for a document that covers every data asset of the deal.
    data_asset_name = serializers.CharField(source="data_asset.name", read_only=True, default=None, allow_null=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "item", "file_name", "kind", "content_type", "size", "sha256", "data_asset", "data_asset_name",
                  "status", "replaces", "uploaded_by", "uploaded_at", "status_changed_at", "download_url"]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, evidence: Evidence) -> str:
        return f"/api/review-evidence/{evidence.pk}/download/"


class AutomaticFindingSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = AutomaticFinding
        fields = ["id", "item", "rule", "data_asset", "subject", "severity", "message", "details", "raised_at",
                  "cleared_at", "is_open"]  # fmt: skip
        read_only_fields = fields

    def get_message(self, finding: AutomaticFinding) -> str:
        return finding_message(finding)


class AssessmentSerializer(serializers.Serializer):
    outcome = serializers.CharField(read_only=True)
    severity = serializers.CharField(read_only=True)
    comment = serializers.CharField(read_only=True)
    officer = serializers.CharField(source="officer.username", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class ReviewItemSerializer(serializers.ModelSerializer):
    checklist_item = ChecklistTemplateItemSerializer(source="template_item", read_only=True)
    # Blank until the officer assesses the item; a pass or not-applicable has no severity.
    outcome = serializers.ChoiceField(choices=ItemOutcome.choices, allow_blank=True, read_only=True)
    severity = serializers.ChoiceField(choices=Severity.choices, allow_blank=True, read_only=True)
    assessed_by = serializers.CharField(source="assessed_by.username", read_only=True, default=None, allow_null=True)
    answers = AnswerSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    automatic_findings = AutomaticFindingSerializer(many=True, read_only=True)
    assessments = AssessmentSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewItem
        fields = ["id", "review", "checklist_item", "outcome", "severity", "comment", "assessed_by", "assessed_at",
                  "answers", "evidence", "automatic_findings", "assessments"]  # fmt: skip
        read_only_fields = fields


class LegalRiskSerializer(serializers.Serializer):
    review_on_file = serializers.BooleanField()
    open_conditions_precedent = serializers.IntegerField()
    open_findings = serializers.DictField(child=serializers.IntegerField(), source="risk.open_findings")
    haircut = serializers.FloatField(source="risk.haircut")
    regulatory_stop_probability_life = serializers.FloatField(source="risk.regulatory_stop_probability_life")
    base_stop_probability_life = serializers.FloatField(source="risk.base_stop_probability_life")


class ReviewListSerializer(serializers.ModelSerializer):
    deal_name = serializers.CharField(source="deal.name", read_only=True)
    deal_status = serializers.CharField(source="deal.status", read_only=True)
    originator_name = serializers.CharField(source="deal.originator.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)
    open_findings = serializers.IntegerField(read_only=True)
    open_automatic = serializers.IntegerField(read_only=True)
    open_cp = serializers.IntegerField(read_only=True, help_text=_("Open conditions precedent."))
    not_assessed = serializers.IntegerField(read_only=True)

    class Meta:
        model = ComplianceReview
        fields = ["id", "deal", "deal_name", "deal_status", "originator_name", "template", "template_version",
                  "submissions", "checked_at", "open_findings", "open_automatic", "open_cp", "not_assessed"]  # fmt: skip
        read_only_fields = fields


class FactChangeSerializer(serializers.ModelSerializer):
    """A change to a fact the deal relies on: what changed (language-neutral `params`, rendered `text`) and what it
    did to the deal (`outcome`)."""

    action_label = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    resolved_by = serializers.CharField(source="resolved_by.username", read_only=True, default=None)
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = FactChange
        fields = ["id", "deal", "data_asset", "action", "action_label", "text", "params", "version", "deal_status",
                  "outcome", "finding", "actor", "created_at", "is_open", "resolved_at", "resolved_by",
                  "resolution"]  # fmt: skip
        read_only_fields = fields

    def get_action_label(self, change: FactChange) -> str:
        return audit_action_label(change.action)

    def get_text(self, change: FactChange) -> str:
        return fact_change_text(change)


class FactDifferenceSerializer(serializers.Serializer):
    subject = serializers.CharField()
    field = serializers.CharField()
    as_reviewed = serializers.CharField()
    now = serializers.CharField()


class ReviewDetailSerializer(ReviewListSerializer):
    items = serializers.SerializerMethodField()
    legal_risk = serializers.SerializerMethodField()
    facts_changed = serializers.SerializerMethodField(
        help_text=_("Each fact that differs from the record the review relied on (at facts_reviewed_at): as then, now.")
    )
    fact_changes = serializers.SerializerMethodField()

    class Meta(ReviewListSerializer.Meta):
        fields = [*ReviewListSerializer.Meta.fields, "legal_risk", "facts_reviewed_at", "facts_changed",
                  "fact_changes", "items"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(FactDifferenceSerializer(many=True))
    def get_facts_changed(self, review: ComplianceReview) -> list[dict[str, Any]]:
        return FactDifferenceSerializer(facts_differences(review=review), many=True).data

    @extend_schema_field(FactChangeSerializer(many=True))
    def get_fact_changes(self, review: ComplianceReview) -> list[dict[str, Any]]:
        return FactChangeSerializer(FactChange.objects.filter(deal_id=review.deal_id).order_by("-created_at", "-pk"),
                                    many=True).data  # fmt: skip

    @extend_schema_field(ReviewItemSerializer(many=True))
    def get_items(self, review: ComplianceReview) -> list[dict[str, Any]]:
        return ReviewItemSerializer(selectors.review_items_with_history(review), many=True).data

    @extend_schema_field(LegalRiskSerializer)
    def get_legal_risk(self, review: ComplianceReview) -> dict[str, Any]:
        return LegalRiskSerializer(selectors.legal_risk_for(review.deal)).data


class AnswerWriteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=True)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text=_("PDF, image or Office document; 20 MB at most."))
    data_asset = serializers.IntegerField(
        required=False, allow_null=True,
        help_text=_("Id of the data asset the document covers; empty for every data asset of the deal."),
    )  # fmt: skip
    replaces = serializers.IntegerField(required=False, allow_null=True, help_text=_("Id of a current document."))


class AssessmentWriteSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ItemOutcome.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class ResolutionSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=10_000, help_text=_("What was assessed and done."))


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(d, d) for d in DECISIONS])
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewFilter(FilterSet):
    deal = IdFilter(field_name="deal_id")
    status = django_filters.ChoiceFilter(field_name="deal__status", choices=[(s, s) for s in IN_PROGRESS_STATES])

    class Meta:
        model = ComplianceReview
        fields = ["deal", "status"]


_WRITE_ERRORS = error_responses(400, 403, 404, 409)


class ChecklistTemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """The versioned checklists, one per deal type and version, with every item's legal basis."""

    serializer_class = ChecklistTemplateSerializer
    queryset = ChecklistTemplate.objects.prefetch_related("items").order_by("deal_type", "-version")
    filterset_fields = ["deal_type", "version"]


@extend_schema_view(retrieve=extend_schema(responses={200: ReviewDetailSerializer, **error_responses(404)}))
class ComplianceReviewViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Compliance reviews of the deals the user may see (filter ?deal= or ?status=); none for investors."""

    model = ComplianceReview
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "checked_at"]

    def scoped_queryset(self, user: User) -> QuerySet[ComplianceReview]:
        return selectors.review_list_with_counts_for(user).order_by("deal__status_changed_at", "pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"list": ReviewListSerializer, "decision": DecisionSerializer,
                "resolve_fact_change": ResolutionSerializer}.get(self.action, ReviewDetailSerializer)  # fmt: skip

    def _review(self) -> ComplianceReview:
        """The review as it stands: reading writes nothing (the writes that change its facts keep it current)."""
        return self.get_object()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """One review with every item, its answers, documents, automatic findings and the officer's findings."""
        return Response(ReviewDetailSerializer(self._review(), context=self.get_serializer_context()).data)

    @extend_schema(responses={200: LegalRiskSerializer, **error_responses(404)})
    @action(detail=True, methods=["get"], url_path="legal-risk")
    def legal_risk(self, request: Request, pk: str | None = None) -> Response:
        """Open findings by severity, the valuation haircut and the regulatory-stop probability."""
        return Response(LegalRiskSerializer(selectors.legal_risk_for(self._review().deal)).data)

    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY), **error_responses(404)})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> Any:
        """The whole review as an Excel workbook (items, answers, evidence hashes, findings, audit trail)."""
        return review_workbook_response(review=self._review(), user=request.user)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: DealDetailSerializer, **_WRITE_ERRORS},
        description=_("start_review, request_changes (reason), approve (400 preconditions_not_met while a condition "
                      "precedent is open, each open item in fields) or reject (reason)."),
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        """The officer's decision: a workflow move with its audit event."""
        review = self._review()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision, reason = data.validated_data["decision"], data.validated_data["reason"]
        deal = workflow.deal_move(deal=review.deal, action=decision, actor=request.user, reason=reason)
        return Response(DealDetailSerializer(deal_get_for(request.user, deal.pk), context={"request": request}).data)

    @extend_schema(
        request=ResolutionSerializer,
        responses={200: FactChangeSerializer, **_WRITE_ERRORS},
        description=_("The officer closes the finding a change to the facts of an issued deal raised, saying what was "
                      "assessed and done; 409 finding_not_open if it is not an open finding."),
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path=r"fact-changes/(?P<change_pk>[0-9]+)/resolve")
    def resolve_fact_change(self, request: Request, pk: str | None = None, change_pk: str | None = None) -> Response:
        """Close the finding a change after issue raised."""
        review = self._review()
        change = (
            selectors.fact_change_list_for(request.user).filter(deal_id=review.deal_id, pk=path_id(change_pk)).first()
        )
        if change is None:
            raise Http404
        data = ResolutionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = services.fact_change_resolve(
            actor=request.user, fact_change=change, resolution=data.validated_data["resolution"]
        )
        return Response(FactChangeSerializer(change).data)


class ReviewItemViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Checklist items of visible reviews: the originator answers and uploads, the officer records findings."""

    model = ReviewItem
    filterset_fields = ["review"]
    parser_classes = [BoundedJSONParser, MultiPartParser, FormParser]

    def scoped_queryset(self, user: User) -> QuerySet[ReviewItem]:
        return selectors.review_item_list_for(user).prefetch_related(
            "answers__author", "evidence__data_asset", "evidence__uploaded_by", "automatic_findings",
            "assessments__officer",
        ).order_by("review", "template_item__position")  # fmt: skip

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return {"answer": AnswerWriteSerializer, "evidence": EvidenceUploadSerializer,
                "assessment": AssessmentWriteSerializer}.get(self.action, ReviewItemSerializer)  # fmt: skip

    def _item_response(self, item: ReviewItem, code: int = status.HTTP_200_OK) -> Response:
        return Response(ReviewItemSerializer(self.get_queryset().get(pk=item.pk)).data, status=code)

    @extend_schema(request=AnswerWriteSerializer, responses={201: ReviewItemSerializer, **_WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: str | None = None) -> Response:
        """The originator answers the item; the answer becomes its next version."""
        item = self.get_object()
        data = AnswerWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_answer(actor=request.user, item=item, text=data.validated_data["text"])
        return self._item_response(item, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **_WRITE_ERRORS},
        description=_("File a document: 400 evidence_file_refused (over 20 MB, empty, or content not an accepted "
                      "type) saves nothing."),
    )  # fmt: skip
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        """The originator files a document for the item, optionally replacing a current one."""
        item = self.get_object()
        data = EvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        data_asset = replaces = None
        if data.validated_data.get("data_asset"):
            data_asset = data_asset_list_for(request.user).filter(pk=data.validated_data["data_asset"]).first()
            if data_asset is None:
                raise serializers.ValidationError({"data_asset": [_("No such data asset.")]})
        if data.validated_data.get("replaces"):
            replaces = selectors.evidence_list_for(request.user).filter(pk=data.validated_data["replaces"]).first()
            if replaces is None:
                raise Http404
        evidence = services.evidence_add(
            actor=request.user,
            item=item,
            uploaded_file=data.validated_data["file"],
            data_asset=data_asset,
            replaces=replaces,
        )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentWriteSerializer, responses={200: ReviewItemSerializer, **_WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def assessment(self, request: Request, pk: str | None = None) -> Response:
        """The officer records pass, finding or not applicable, with a comment."""
        item = self.get_object()
        data = AssessmentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.item_assess(actor=request.user, item=item, **data.validated_data)
        return self._item_response(item)


@extend_schema_view(destroy=extend_schema(responses={200: EvidenceSerializer, **_WRITE_ERRORS}))
class EvidenceViewSet(ScopedViewSetMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Documents of visible reviews (metadata); `download` serves the file, DELETE withdraws it (kept on record)."""

    model = Evidence
    serializer_class = EvidenceSerializer
    filterset_fields = ["item", "status"]

    def scoped_queryset(self, user: User) -> QuerySet[Evidence]:
        return selectors.evidence_list_for(user).order_by("item", "uploaded_at", "pk")

    @extend_schema(responses={**{(200, media_type): OpenApiResponse(OpenApiTypes.BINARY) for media_type in
                                 EVIDENCE_CONTENT_TYPES}, **error_responses(404)})  # fmt: skip
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The document itself, as an attachment with its sniffed content type."""
        return evidence_file_response(self.get_object())

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Withdraw the document: it stays on record with status 'withdrawn'."""
        evidence = services.evidence_withdraw(actor=request.user, evidence=self.get_object())
        return Response(EvidenceSerializer(evidence).data)
