"""API sign-in with expiring, revocable tokens (django-rest-knox) under the sign-in throttle.

`POST /api/auth/token/` takes the same body as before (`username`, `password`) and answers the token and its
expiry; `POST /api/auth/logout/` revokes the token it is called with, `POST /api/auth/logout-all/` every token
of the account. Send the token as `Authorization: Token <token>`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.views import LoginView as KnoxLoginView
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .api import ErrorSerializer, error_responses
from .sign_in import authenticate_throttled


class TokenRequestSerializer(serializers.Serializer):
    """The credentials exchanged for a token."""

    username = serializers.CharField(label=_("Username"))
    password = serializers.CharField(
        label=_("Password"), style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request: Request = self.context["request"]
        # The Django request, so django-axes marks the lock-out where its middleware looks for it.
        user = authenticate_throttled(request=request._request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(_("Unable to log in with provided credentials."), code="authorization")
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    """A new token: shown once, stored only as a hash."""

    token = serializers.CharField(help_text=_("Send as the header `Authorization: Token <token>`."))
    expiry = serializers.DateTimeField(help_text=_("When the token stops working; sign in again after it."))


LOCKED_OUT = OpenApiResponse(
    response=ErrorSerializer,
    description=_("Too many failed sign-ins for this account or address (code `locked_out`); see Retry-After."),
)


class TokenLoginView(KnoxLoginView):
    """Exchange a username and password for an expiring API token."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, **error_responses(400), 429: LOCKED_OUT},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request, format: str | None = None) -> Response:  # noqa: A002 - DRF's signature
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)


class TokenLogoutView(KnoxLogoutView):
    """Revoke the token this request is signed with."""

    @extend_schema(request=None, responses={204: None, **error_responses(401)}, tags=["auth"])
    def post(self, request: Request, format: str | None = None) -> Response:  # noqa: A002
        if request.auth is None:  # signed in some other way (a test's forced user): there is no token to revoke
            raise NotAuthenticated()
        return super().post(request, format=format)


class TokenLogoutAllView(KnoxLogoutAllView):
    """Revoke every token of the signed-in account (all devices and scripts)."""

    @extend_schema(request=None, responses={204: None, **error_responses(401)}, tags=["auth"])
    def post(self, request: Request, format: str | None = None) -> Response:  # noqa: A002
        return super().post(request, format=format)
