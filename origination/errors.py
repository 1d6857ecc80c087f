"""The one domain error type: a stable code, a human message and the fields at fault."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused an action; `code` is stable and safe to match on."""

    status_code = 400

    def __init__(self, code: str, detail: str, *, fields: dict[str, Any] | None = None, status: int | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = str(detail)
        self.fields = fields or {}
        if status is not None:
            self.status_code = status


class ConflictError(DomainError):
    """The action does not fit the current state of the object (HTTP 409)."""

    status_code = 409
