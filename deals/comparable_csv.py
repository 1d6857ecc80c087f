"""CSV file of comparable data transactions: `category,description,venue,transaction_date,price,annual_revenue,source`.

Checked like the market series (deals/csv_upload.py, deals/market_csv.py): every row first, then
duplicates within the file; one bad row refuses the file and every bad row is
listed with its line, column and reason. Amounts are read by the revenue
import's CNY reader (¥ and thousands separators accepted, other currencies,
more than 2 decimals and amounts of zero refused).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from origination.choices import DataCategory
from origination.revenue_import import _CellError as RevenueCellError
from origination.revenue_import import _normalise_name, _parse_amount

from .csv_upload import CellError, MarketFileError, parse_date, parse_text, row_error
from .models import ComparableTransaction

COMPARABLE_COLUMNS = ("category", "description", "venue", "transaction_date", "price", "annual_revenue", "source")


def _max_length(name: str) -> int:
    return ComparableTransaction._meta.get_field(name).max_length or 300


@dataclass(frozen=True, slots=True)
class ComparableRow:
    """One checked transaction of the file, ready to store."""

    line: int
    category: str
    description: str
    venue: str
    transaction_date: dt.date
    price: Decimal
    annual_revenue: Decimal
    source: str

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two entries the same transaction: the register must not count it twice."""
        return (self.category, self.description, self.venue, self.transaction_date, self.price, self.annual_revenue)

    def model_fields(self) -> dict[str, Any]:
        """The ComparableTransaction fields of this row."""
        return {
            "category": self.category,
            "description": self.description,
            "venue": self.venue,
            "transaction_date": self.transaction_date,
            "price": self.price,
            "annual_revenue": self.annual_revenue,
            "source": self.source,
        }


def _category_lookup() -> dict[str, str]:
    """Each category by its value and by its English and Chinese labels."""
    lookup: dict[str, str] = {}
    for choice in DataCategory:
        names = [choice.value]
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names.append(str(choice.label))
        lookup.update({_normalise_name(name): choice.value for name in names})
    return lookup


def _category(text: str, lookup: dict[str, str]) -> str:
    if not text:
        raise CellError(_("This value is required."))
    try:
        return lookup[_normalise_name(text)]
    except KeyError:
        raise CellError(
            _("'%(value)s' is not a data category; use one of %(categories)s.")
            % {"value": text[:40], "categories": ", ".join(DataCategory.values)}
        ) from None


def _money(text: str) -> Decimal:
    try:
        return _parse_amount(text)
    except RevenueCellError as exc:
        raise CellError(str(exc)) from None


def parse_comparables(rows: list[tuple[int, dict[str, str]]]) -> list[ComparableRow]:
    """Every row checked cell by cell, then for duplicates within the file; the rows, or every error."""
    today = timezone.localdate()
    lookup = _category_lookup()
    parsers = {
        "category": lambda text: _category(text, lookup),
        "description": lambda text: parse_text(text, max_length=_max_length("description")),
        "venue": lambda text: parse_text(text, max_length=_max_length("venue")),
        "transaction_date": lambda text: parse_date(text, today=today),
        "price": _money,
        "annual_revenue": _money,
        "source": lambda text: parse_text(text, max_length=_max_length("source")),
    }
    parsed_rows: list[ComparableRow] = []
    errors: list[dict[str, Any]] = []
    first_line_of: dict[tuple[Any, ...], int] = {}
    for line, cells in rows:
        parsed: dict[str, Any] = {}
        for column, parse in parsers.items():
            try:
                parsed[column] = parse(cells[column])
            except CellError as exc:
                errors.append(row_error(line, column, str(exc)))
        if len(parsed) < len(parsers):
            continue
        row = ComparableRow(line=line, **parsed)
        if row.key in first_line_of:
            message = _("Duplicate of line %(line)d (same category, description, venue, date, price and revenue).")
            errors.append(row_error(line, "", message % {"line": first_line_of[row.key]}))
            continue
        first_line_of[row.key] = line
        parsed_rows.append(row)
    if errors:
        raise MarketFileError.rows_invalid(errors)
    return parsed_rows
