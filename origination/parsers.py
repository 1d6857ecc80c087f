"""The API's JSON parser: a body nested deeper than any request of the API needs is a 400, never a crash.

Python's json module recurses once per level, so `[[[[...]]]]` a hundred thousand levels deep raised
RecursionError inside DRF's parser and the request answered 500. The deepest body the API documents is three
levels (an object holding a list of objects); MAX_DEPTH leaves room for that and refuses the rest with the API's
error body (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), walked without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than MAX_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(_("The JSON body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH})
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if json_depth(data) > MAX_DEPTH:
            raise too_deep
        return data
