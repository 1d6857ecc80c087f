"""REST API of the risk questionnaire, orders (indications of interest) and the book of a deal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deals.models import Tranche
from deals.selectors import deal_or_404, tranche_list_for
from origination.api import ScopedPrimaryKeyField, ScopedViewSetMixin, error_responses
from origination.errors import DomainError
from origination.limits import POSITIVE_MONEY_RANGE, RATE_RANGE
from origination.models import User

from . import orders, selectors, services
from .api import RiskProfileSerializer
from .models import IndicationOfInterest
from .questionnaire import DIMENSIONS, QUESTIONS


class QuestionnaireSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(), help_text=_("Question key -> chosen option value (GET the questions first).")
    )


class QuestionnaireView(APIView):
    """The risk questionnaire: GET its questions and options, POST answers to score them into C1-C5."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "dimensions": {key: str(label) for key, label in DIMENSIONS.items()},
                "questions": [
                    {
                        "key": q.key,
                        "dimension": q.dimension,
                        "text": str(q.text),
                        "options": [
                            {"value": o.value, "label": str(o.label), "level": f"C{o.level}"} for o in q.options
                        ],
                    }
                    for q in QUESTIONS
                ],
            }
        )

    @extend_schema(request=QuestionnaireSerializer, responses={200: RiskProfileSerializer, **error_responses(400, 403)})
    def post(self, request: Request) -> Response:
        body = QuestionnaireSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        if not user.is_investor:
            raise DomainError("forbidden", _("Only investor staff answer the risk questionnaire."), status=403)
        profile = services.risk_profile_submit_questionnaire(
            actor=user, investor=user.investor, answers=body.validated_data["answers"]
        )
        return Response(RiskProfileSerializer(profile, context={"request": request}).data)


class OrderSerializer(serializers.ModelSerializer):
    tranche = ScopedPrimaryKeyField(selector=tranche_list_for, model=Tranche)
    investor_name = serializers.CharField(source="investor.name", read_only=True)
    deal = serializers.IntegerField(source="tranche.deal_id", read_only=True)
    held_reasons = serializers.SerializerMethodField(
        help_text=_(
            "Why a held order was not allotted at issue (its investor's mandate or suitability then), "
            "for the investor and the arranger; empty otherwise."
        )
    )

    class Meta:
        model = IndicationOfInterest
        fields = [
            "id", "investor", "investor_name", "deal", "tranche", "amount", "yield_rate", "status",
            "supersedes", "created_at", "closed_at", "held_reasons",
        ]  # fmt: skip
        read_only_fields = ["id", "investor", "status", "supersedes", "created_at", "closed_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_held_reasons(self, order: IndicationOfInterest) -> list[str]:
        """The reasons in words, to the order's investor and the arranger (they name the investor's profile)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not selectors.may_read_order_reasons(user, order):
            return []
        return order.held_reason_texts


class OrderChangeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**POSITIVE_MONEY_RANGE.serializer())
    yield_rate = serializers.DecimalField(**RATE_RANGE.serializer())


class OrderViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Orders: an investor its own, an originator those on its deals, the arranger all. Amend and withdraw keep history."""

    model = IndicationOfInterest
    serializer_class = OrderSerializer
    filterset_fields = ["status", "tranche", "tranche__deal"]

    def scoped_queryset(self, user: User) -> QuerySet[IndicationOfInterest]:
        return selectors.order_list_for(user).order_by("-created_at", "-pk")

    @extend_schema(responses={201: OrderSerializer, **error_responses(400, 403, 409)})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = orders.order_place(
            actor=request.user,  # type: ignore[arg-type]
            tranche=body.validated_data["tranche"],
            amount=body.validated_data["amount"],
            yield_rate=body.validated_data["yield_rate"],
        )
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=OrderChangeSerializer, responses={201: OrderSerializer, **error_responses(400, 403, 404, 409)}
    )
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        """Replace the order with a new amount and yield; the old one is kept, marked amended."""
        # The order first: one the user may not see is a 404 whatever the body says.
        order = self.get_object()
        body = OrderChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = orders.order_amend(actor=request.user, order=order, **body.validated_data)  # type: ignore[arg-type]
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: OrderSerializer, **error_responses(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        """Withdraw the order while the book is open."""
        order = orders.order_withdraw(actor=request.user, order=self.get_object())  # type: ignore[arg-type]
        return Response(self.get_serializer(order).data)


class DealBookView(APIView):
    """The book of a deal per tranche: orders the user may see, coverage and clearing yield for originator and arranger, allocations."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **error_responses(404)})
    def get(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        deal = deal_or_404(user, pk, parts=False, among=selectors.book_deal_list_for)
        return Response(
            {
                "deal": deal.pk,
                "status": deal.status,
                "tranches": [_book_json(b, request) for b in selectors.book_for(user, deal)],
            }
        )


def _book_json(book: selectors.TrancheBook, request: Request) -> dict[str, Any]:
    summary = book.summary
    return {
        "tranche": book.tranche.pk,
        "name": book.tranche.name,
        "size": str(book.tranche.size),
        "orders": OrderSerializer(book.orders, many=True, context={"request": request}).data,
        "summary": None
        if summary is None
        else {
            "demand": str(summary.demand),
            "coverage": str(summary.coverage),
            "clearing_yield": None if summary.clearing_yield is None else str(summary.clearing_yield),
            "fully_covered": summary.fully_covered,
        },
        "allocations": [
            {
                "investor": a.investor_id,
                "investor_name": a.investor.name,
                "amount": str(a.amount),
                "clearing_yield": str(a.clearing_yield),
            }
            for a in book.allocations
        ],
    }
