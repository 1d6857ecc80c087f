"""Query-string filters of the API: an id in the address is a whole number a database key can hold, or a 400.

django-filter's defaults take `?data_asset=99999999999999999999999` as a decimal and hand it to the database, where
SQLite cannot bind it (a 500), and `?deal=<id>` as a choice checked against every deal in the database (an answer
that tells a foreign id from a missing one). Here every id filter is an `IdFilter`: digits only, from 1 to the
largest 64-bit key, refused with the API's error body naming the parameter (docs/api.md); an id of an object the
reader cannot see simply matches nothing, like a missing one. `FilterSet` is the base of every filter set of the
API, and `FilterBackend` builds the filter sets of `filterset_fields` on it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

ID_MIN = 1
ID_MAX = 2**63 - 1  # the largest BigAutoField key, on SQLite and PostgreSQL alike
ID_PATTERN = r"[0-9]{1,19}"  # the digits of an id a key can hold
PATH_ID = r"[0-9]+"  # an id in an API path: matched whole so that what no key can hold answers the API's 404


def path_id(text: str) -> int:
    """The id of an API path, or Http404 when no key can hold it (even 5,000 digits: int() would refuse those)."""
    if not re.fullmatch(ID_PATTERN, text) or not ID_MIN <= int(text) <= ID_MAX:
        raise Http404
    return int(text)


_DIGITS = re.compile(r"\d{1,19}")


class IdField(forms.Field):
    """A database id: 1 to 19 ASCII digits, at most 2^63 - 1."""

    default_error_messages = {"invalid": _("Enter the id of an object: a whole number from %(min)s to %(max)s.")}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not (text.isascii() and _DIGITS.fullmatch(text)) or not ID_MIN <= int(text) <= ID_MAX:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"min": ID_MIN, "max": ID_MAX}
            )
        return int(text)


class IdFilter(filters.Filter):
    """Filters on an id (a foreign key's `_id` or a primary key), refusing what no key can be."""

    field_class = IdField


class FilterSet(filters.FilterSet):
    """The API's filter sets: relations and keys filter by id, never by a lookup in the related table."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.AutoField: {"filter_class": IdFilter},
        models.BigAutoField: {"filter_class": IdFilter},
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's DRF backend with the API's filter set as the base of generated ones."""

    filterset_base = FilterSet
