"""Requests that lose a race with another request answer 409 or 503 with a retry hint, never a 500 (docs/api.md).

The embedded SQLite database takes one writer at a time: with WAL and a busy timeout (settings.DATABASES) a writer
waits for the one before it, and `BEGIN IMMEDIATE` makes a transaction take the write lock when it starts rather than
fail when a read inside it turns into a write. Should the wait still run out ("database is locked"), or PostgreSQL
cancel a transaction to break a deadlock or a serialization conflict, the request answers 503 with `Retry-After`;
a row another request created with the same key in the same instant (a unique constraint) answers 409. Under
/api/ the body is the API's error format, elsewhere a page in the reader's language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
# PostgreSQL SQLSTATEs of a transaction cancelled because of other transactions, not because of this request.
_PG_CONTENTION = {"40001", "40P01", "55P03"}  # serialization_failure, deadlock_detected, lock_not_available


def _is_unique_race(exc: BaseException) -> bool:
    """A unique constraint hit because another request inserted the same key in the same instant.

    Only that: a CHECK, NOT NULL or foreign-key failure is a value that slipped past validation or a bug, and
    stays a 500 with its traceback in the log.
    """
    if not isinstance(exc, IntegrityError):
        return False
    if getattr(exc.__cause__, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return "unique constraint failed" in str(exc).lower()  # SQLite


def _is_contention(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in _PG_CONTENTION:
        return True
    message = str(exc).lower()
    return "database is locked" in message or "database table is locked" in message


def contention_response(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """The 503/409 answer to a request that lost a race, or None for any other error."""
    if _is_contention(exc):
        status, code = 503, "busy"
        detail = _("The database is busy with other requests; nothing was saved. Try again in %(seconds)s seconds.")
    elif _is_unique_race(exc):
        status, code = 409, "conflict"
        detail = _(
            "Another request changed the same record at the same moment; nothing was saved. "
            "Reload it and try again in %(seconds)s seconds."
        )
    else:
        return None
    logger.warning("%s %s lost a race: %s", request.method, request.path, exc, exc_info=exc)
    detail = detail % {"seconds": RETRY_AFTER_SECONDS}
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"code": code, "detail": detail, "fields": {}}, status=status)
    else:
        response = render(request, "busy.html", {"message": detail}, status=status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class ContentionMiddleware:
    """Turns a lost race raised by a view into `contention_response` (DEBUG on or off)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return contention_response(request, exception)
