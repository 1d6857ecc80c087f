"""One error format for the whole API: {"code", "detail", "fields"}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import DomainError

_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    if detail is None or isinstance(detail, bool | int | float):
        return detail
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain, Django and DRF errors into the single API error body."""
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": exc.detail, "fields": _flatten(exc.fields)}, status=exc.status_code
        )
    if isinstance(exc, ValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        detail = "; ".join(exc.messages)
        return Response(
            {"code": "invalid", "detail": detail, "fields": _flatten(fields)}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _flatten(exc.detail)}
        response.data = {"code": code, "detail": "The request is invalid; see fields.", "fields": fields}
    else:
        response.data = {"code": code, "detail": str(exc.detail), "fields": {}}
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: an address under /api/ that matches no route answers the API's JSON error body."""
    if request.path.startswith("/api/"):
        body = {"code": "not_found", "detail": str(exceptions.NotFound.default_detail), "fields": {}}
        return JsonResponse(body, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler: under /api/ the API's JSON error body, elsewhere the static error page."""
    if request.path.startswith("/api/"):
        body = {"code": "server_error", "detail": _("The server could not complete this request."), "fields": {}}
        return JsonResponse(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 handler (a body over the upload limit, a suspicious request): JSON under /api/."""
    if request.path.startswith("/api/"):
        body = {"code": "bad_request", "detail": _("The request could not be read."), "fields": {}}
        return JsonResponse(body, status=status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception)
