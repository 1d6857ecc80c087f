"""REST API of valuation: start a run of a deal, follow its progress, read its results; scoped like the deal."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from origination.api import ScopedViewSetMixin, error_responses
from origination.filters import path_id
from origination.limits import N_PATHS_RANGE
from origination.models import User

from . import valuation_jobs
from .models import ValuationRun
from .selectors import deal_list_for, valuation_run_list_for

BROKER_AWAY = _(
    "The valuation is recorded, but the job queue is unavailable right now: it will start by itself as soon as "
    "the queue is back."
)


class ValuationRunSerializer(serializers.ModelSerializer):
    """A run with its status and progress; `result` only once it succeeded (and only with ?full=1 in lists)."""

    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)  # null until the run finishes
    waiting_for_broker = serializers.BooleanField(
        read_only=True,
        help_text=_("Recorded, but the job queue was unavailable: it starts by itself once the queue is back."),
    )
    notice = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()

    class Meta:
        model = ValuationRun
        fields = [
            "id", "deal", "status", "progress", "attempts", "n_paths", "seed", "market_parameters", "error",
            "created_at", "started_at", "finished_at", "duration_seconds", "inputs", "result", "waiting_for_broker",
            "notice",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_notice(self, run: ValuationRun) -> str | None:
        """What the requester should know about a run that is not running yet (the job queue away)."""
        return str(BROKER_AWAY) if run.waiting_for_broker else None

    # Null until the run succeeds, and in lists unless ?full=1.
    @extend_schema_field({"type": "object", "additionalProperties": {}, "nullable": True})
    def get_result(self, run: ValuationRun) -> dict[str, Any] | None:
        return run.result if self.context.get("with_result", True) else None


class ValuationStartSerializer(serializers.Serializer):
    deal = serializers.IntegerField(help_text=_("The deal to value (compliance approved)."))
    n_paths = serializers.IntegerField(**N_PATHS_RANGE.serializer(), default=10_000)


class ValuationRunViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Valuation runs of the deals the user may see; POST starts one (arranger)."""

    model = ValuationRun
    serializer_class = ValuationRunSerializer
    filterset_fields = ["deal", "status"]
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self, user: User) -> QuerySet[ValuationRun]:
        return valuation_run_list_for(user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["with_result"] = self.action != "list" or self.request.query_params.get("full") == "1"
        return context

    @extend_schema(
        request=ValuationStartSerializer, responses={202: ValuationRunSerializer, **error_responses(400, 403, 404, 409)}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ValuationStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deal = deal_list_for(request.user).filter(pk=body.validated_data["deal"]).first()  # type: ignore[arg-type]
        if deal is None:
            raise Http404
        run = valuation_jobs.valuation_request(actor=request.user, deal=deal, n_paths=body.validated_data["n_paths"])  # type: ignore[arg-type]
        run.refresh_from_db()
        return Response(ValuationRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ValuationRunSerializer, **error_responses(404)})
    @action(detail=False, url_path=r"latest/(?P<deal_id>[0-9]+)")
    def latest(self, request: Request, deal_id: str) -> Response:
        """The latest run of a deal, any status: poll it for progress."""
        run = self.get_queryset().filter(deal_id=path_id(deal_id)).first()
        if run is None:
            raise Http404
        return Response(ValuationRunSerializer(run).data)
