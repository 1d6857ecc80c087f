"""Sign-in under django-axes, one attempt at a time per account and per address (docs/security.md).

django-axes refuses a locked-out account or address before the password is checked and counts each failure,
but on its own the check and the count are separate statements: fifty guesses sent at once would all pass the
check before any of them is counted. `authenticate_throttled` closes that gap on PostgreSQL by holding a
transaction-scoped advisory lock on the account and on the address while it checks, authenticates and counts.
"""

from __future__ import annotations

import hashlib
import math

from axes.helpers import get_client_ip_address, get_cool_off
from django.contrib.auth import authenticate
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import User

LOCKED_OUT_STATUS = 429


def _advisory_key(kind: str, value: str) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock, stable across processes."""
    digest = hashlib.sha256(f"dataabs-sign-in:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _serialise_attempts(*, username: str, address: str | None) -> None:
    """Wait for any other sign-in of this account, then of this address, to commit (PostgreSQL only).

    The order is fixed (account, then address) so two attempts never wait on each other. SQLite has no such
    lock; there attempts are counted but not serialised (docs/security.md).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key("account", username)])
        if address:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key("address", address)])


def authenticate_throttled(*, request: HttpRequest, username: str, password: str) -> User | None:
    """The user these credentials sign in, or None: wrong credentials, or a lock-out (`request.axes_locked_out`)."""
    with transaction.atomic():
        _serialise_attempts(username=username, address=get_client_ip_address(request))
        return authenticate(request, username=username, password=password)


def lockout_minutes(request: HttpRequest | None = None) -> int:
    """How long a lock-out lasts, in whole minutes (rounded up)."""
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds() / 60) if cool_off else 0


def lockout_message(request: HttpRequest | None = None) -> str:
    """What a locked-out user reads, in their language."""
    minutes = lockout_minutes(request)
    return ngettext(
        "Too many failed sign-in attempts for this account or from this address. Signing in is locked for "
        "%(minutes)d minute; the arranger can lift the lock sooner.",
        "Too many failed sign-in attempts for this account or from this address. Signing in is locked for "
        "%(minutes)d minutes; the arranger can lift the lock sooner.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a locked-out attempt: the API error body under /api/, a page elsewhere (HTTP 429)."""
    message = lockout_message(request)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": message, "fields": {}}, status=LOCKED_OUT_STATUS)
    else:
        context = {"message": message, "title": _("Signing in is locked")}
        response = render(request, "registration/locked_out.html", context, status=LOCKED_OUT_STATUS)
    response["Retry-After"] = str(lockout_minutes(request) * 60)
    return response
