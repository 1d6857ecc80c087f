"""The error answers every API operation documents, added to the generated OpenAPI schema in one place.

Views document what is particular to them (a 409 when a state forbids the move, a 400 of a business rule); the
answers that come from the framework around every view are added here, so a new view cannot forget them:

- 401 and 403: no or a bad credential (token authentication comes first, so an anonymous call is a 401), a CSRF
  failure of a session call, a role that may not act;
- 400: a body or query string that does not validate (any operation with either);
- 404: an object id in the path that names nothing the user may see, or a page number past the last page;
- 415: a body of a media type the operation does not parse.

All share the error body `{"code", "detail", "fields"}` (origination/api_errors.py), in JSON unless the operation
documents its errors in other media types too (a CSV download asked for with ?format=csv answers its errors as CSV).

Two more corrections make the schema say what the API accepts:

- an optional query parameter sent empty (`?status=`, `?page=`) is read as not sent, by django-filter and DRF
  alike: `allowEmptyValue`;
- a decimal string needs at least one digit: drf-spectacular's pattern admits "" and "." (DRF refuses both).
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

ERROR_COMPONENT = "Error"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
_ERROR_SCHEMA = {
    "type": "object",
    "description": "The error body every endpoint answers with when it refuses a request.",
    "properties": {
        "code": {"type": "string", "description": "Stable error code, safe to match on."},
        "detail": {"type": "string", "description": "Human-readable message."},
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "description": "Messages by field at fault.",
        },
    },
    "required": ["code", "detail", "fields"],
}
_DESCRIPTIONS = {
    400: _("The request body or query string is invalid; `fields` names each value at fault."),
    401: _("No credentials, or credentials that are not valid (code not_authenticated or authentication_failed)."),
    403: _("The signed-in user may not do this (code permission_denied or forbidden)."),
    404: _("No such object among those the user may see, or no such page (code not_found)."),
    409: _("The object's current state does not allow this."),
    415: _("The body's media type is not one this operation reads (code unsupported_media_type)."),
}
_METHODS = ("get", "put", "post", "patch", "delete")


# drf-spectacular's pattern for a decimal string of at most W whole digits and D decimal places.
_SPECTACULAR_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _decimal_pattern(whole: str, places: str) -> str:
    """The same strings, less those without a digit: "1", "1.", "1.25", ".25", with an optional sign."""
    return rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"


def _fix_decimal_patterns(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "decimal" and isinstance(node.get("pattern"), str):
            match = _SPECTACULAR_DECIMAL.match(node["pattern"])
            if match:
                node["pattern"] = _decimal_pattern(*match.groups())
        for value in node.values():
            _fix_decimal_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _fix_decimal_patterns(value)


def _error_media_types(responses: dict[str, Any]) -> list[str]:
    """The media types the operation documents its own errors in; JSON when it documents none."""
    types: list[str] = []
    for status, response in responses.items():
        if status.startswith("4"):
            types += [t for t in response.get("content", {}) if t not in types]
    return types or ["application/json"]


def _error_response(status: int, media_types: list[str]) -> dict[str, Any]:
    return {
        "description": str(_DESCRIPTIONS[status]),
        "content": {media_type: {"schema": _ERROR_REF} for media_type in media_types},
    }


def _statuses_for(method: str, operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    statuses = {401, 403}
    if operation.get("requestBody") or any(p.get("in") == "query" for p in parameters):
        statuses.add(400)
    if operation.get("requestBody"):
        statuses.add(415)
    if any(p.get("in") == "path" for p in parameters) or any(p.get("name") == "page" for p in parameters):
        statuses.add(404)
    return statuses


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the framework's error answers to every operation that lacks them."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_COMPONENT, _ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            media_types = _error_media_types(responses)
            for status in sorted(_statuses_for(method, operation)):
                responses.setdefault(str(status), _error_response(status, media_types))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    _fix_decimal_patterns(result)
    return result
