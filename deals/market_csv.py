"""The dated market series as CSV (`as_of,table,key,value`): checking an upload, and writing one row back.

Every row is checked, then every date for completeness; one bad row refuses
the file with every bad row listed (deals/csv_upload.py). The format is
documented in docs/market_data.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from origination.choices import RATING_ORDER
from origination.limits import MARKET_RATE_RANGE

from .choices import GuarantorType
from .csv_upload import CellError, MarketFileError, normalise, parse_date, parse_number, parse_text, row_error

MARKET_COLUMNS = ("as_of", "table", "key", "value")
CURVE, RATING_SPREAD, SUPPORT_PREMIUM, PROVIDER_DEFAULT_RATE, PARAMETER = (
    "curve",
    "rating_spread",
    "support_premium",
    "provider_default_rate",
    "parameter",
)
TABLES = (CURVE, RATING_SPREAD, SUPPORT_PREMIUM, PROVIDER_DEFAULT_RATE, PARAMETER)
RATE_PARAMETERS = ("liquidity_premium", "tenor_premium_per_year")
PARAMETERS = (*RATE_PARAMETERS, "benchmark_name")

MIN_RATE, MAX_RATE = MARKET_RATE_RANGE.low, MARKET_RATE_RANGE.high
MAX_TENOR_YEARS = Decimal("50")
MIN_CURVE_POINTS = 2
# MarketParameters.liquidity_premium and tenor_premium_per_year keep 4 decimals
RATE_PARAMETER_DECIMALS = MARKET_RATE_RANGE.decimal_places
MAX_BENCHMARK_NAME = 100


# --- the market series ------------------------------------------------------------------------------------------


@dataclass
class MarketDate:
    """The market parameters one date of a file gives, checked and ready to store."""

    as_of: dt.date
    first_line: int
    benchmark_curve: list[list[float]] = field(default_factory=list)
    rating_spreads: dict[str, float] = field(default_factory=dict)
    support_premiums: dict[str, dict[str, float]] = field(default_factory=dict)
    provider_default_rates: dict[str, float] = field(default_factory=dict)
    liquidity_premium: Decimal | None = None
    tenor_premium_per_year: Decimal | None = None
    benchmark_name: str | None = None

    def model_fields(self) -> dict[str, Any]:
        """The MarketParameters fields this date sets (the benchmark name only when the file gives one)."""
        fields: dict[str, Any] = {
            "as_of": self.as_of,
            "benchmark_curve": self.benchmark_curve,
            "rating_spreads": {rating: self.rating_spreads[rating] for rating in RATING_ORDER},
            "support_premiums": {
                support: {rating: by_rating[rating] for rating in RATING_ORDER if rating in by_rating}
                for support, by_rating in sorted(self.support_premiums.items())
            },
            "provider_default_rates": {
                rating: self.provider_default_rates[rating]
                for rating in RATING_ORDER
                if rating in self.provider_default_rates
            },
            "liquidity_premium": self.liquidity_premium,
            "tenor_premium_per_year": self.tenor_premium_per_year,
        }
        if self.benchmark_name is not None:
            fields["benchmark_name"] = self.benchmark_name
        return fields


def _rate(text: str) -> Decimal:
    value = parse_number(text)
    if not (MIN_RATE <= value <= MAX_RATE):
        raise CellError(
            _("%(value)s is outside the accepted range, from %(low)s to %(high)s.")
            % {"value": text[:40], "low": MIN_RATE, "high": MAX_RATE}
        )
    return value


def _probability(text: str) -> Decimal:
    value = parse_number(text)
    if not (0 <= value < 1):
        raise CellError(_("%(value)s is not a probability: at least 0 and below 1.") % {"value": text[:40]})
    return value


def _rating(text: str) -> str:
    rating = unicodedata.normalize("NFKC", text).strip().upper()
    if rating not in RATING_ORDER:
        raise CellError(
            _("'%(value)s' is not a rating; use one of %(ratings)s.")
            % {"value": text[:40], "ratings": ", ".join(RATING_ORDER)}
        )
    return rating


def _tenor(text: str) -> Decimal:
    tenor = parse_number(text)
    if not (0 < tenor <= MAX_TENOR_YEARS):
        raise CellError(_("The tenor must be more than 0 and at most %(max)s years.") % {"max": MAX_TENOR_YEARS})
    return tenor


def _support_key(text: str) -> tuple[str, str]:
    support, separator, rating = text.partition(":")
    support = normalise(support)
    if not separator:
        raise CellError(_("'%(value)s' is not support_type:rating, e.g. guarantee_company:AA+.") % {"value": text[:40]})
    if support not in GuarantorType.values:
        raise CellError(
            _("'%(value)s' is not a support type; use one of %(types)s.")
            % {"value": support[:40], "types": ", ".join(GuarantorType.values)}
        )
    return support, _rating(rating)


def _parameter(text: str) -> str:
    name = normalise(text)
    if name not in PARAMETERS:
        raise CellError(
            _("'%(value)s' is not a parameter; use one of %(names)s.")
            % {"value": text[:40], "names": ", ".join(PARAMETERS)}
        )
    return name


def _json_number(value: Decimal) -> float | int:
    """A tenor of whole years stays an integer in the stored curve ([[1, 0.0135]]), as the rows written by hand."""
    return int(value) if value == value.to_integral_value() and abs(value) < 10**6 else float(value)


_KEY_PARSERS = {
    CURVE: _tenor,
    RATING_SPREAD: _rating,
    SUPPORT_PREMIUM: _support_key,
    PROVIDER_DEFAULT_RATE: _rating,
    PARAMETER: _parameter,
}


def _table(text: str) -> str:
    table = normalise(text)
    if table not in TABLES:
        raise CellError(
            _("'%(value)s' is not a table; use one of %(tables)s.") % {"value": text[:40], "tables": ", ".join(TABLES)}
        )
    return table


def _value_of(table: str, key: Any, text: str) -> Any:
    if table == PROVIDER_DEFAULT_RATE:
        return _probability(text)
    if table == PARAMETER and key == "benchmark_name":
        return parse_text(text, max_length=MAX_BENCHMARK_NAME)
    value = _rate(text)
    if table == PARAMETER and value != value.quantize(Decimal(1).scaleb(-RATE_PARAMETER_DECIMALS)):
        raise CellError(_("At most %(places)d decimal places.") % {"places": RATE_PARAMETER_DECIMALS})
    return value


def _store(date: MarketDate, table: str, key: Any, value: Any) -> None:
    if table == CURVE:
        date.benchmark_curve.append([_json_number(key), float(value)])
    elif table == RATING_SPREAD:
        date.rating_spreads[key] = float(value)
    elif table == SUPPORT_PREMIUM:
        support, rating = key
        date.support_premiums.setdefault(support, {})[rating] = float(value)
    elif table == PROVIDER_DEFAULT_RATE:
        date.provider_default_rates[key] = float(value)
    else:
        setattr(date, key, value)


def _key_label(table: str, key: Any) -> str:
    if table == SUPPORT_PREMIUM:
        return ":".join(key)
    return str(key.normalize()) if isinstance(key, Decimal) else str(key)


def parse_market_series(rows: list[tuple[int, dict[str, str]]]) -> list[MarketDate]:
    """Every row checked, then every date checked for completeness; the dates in file order, or every error."""
    today = timezone.localdate()
    dates: dict[dt.date, MarketDate] = {}
    first_line_of: dict[tuple[dt.date, str, Any], int] = {}
    last_tenor: dict[dt.date, tuple[Decimal, int]] = {}
    errors: list[dict[str, Any]] = []
    for line, cells in rows:
        parsed: dict[str, Any] = {}
        for column, parse in (("as_of", lambda text: parse_date(text, today=today)), ("table", _table)):
            try:
                parsed[column] = parse(cells[column])
            except CellError as exc:
                errors.append(row_error(line, column, str(exc)))
        table = parsed.get("table")
        if table is not None:
            try:
                parsed["key"] = _KEY_PARSERS[table](cells["key"])
            except CellError as exc:
                errors.append(row_error(line, "key", str(exc)))
            # A parameter's value depends on which parameter it is; other tables' values are checked in any case.
            if "key" in parsed or table != PARAMETER:
                try:
                    parsed["value"] = _value_of(table, parsed.get("key"), cells["value"])
                except CellError as exc:
                    errors.append(row_error(line, "value", str(exc)))
        if len(parsed) < len(MARKET_COLUMNS):
            continue
        as_of, key, value = parsed["as_of"], parsed["key"], parsed["value"]
        identity = (as_of, table, key)
        if identity in first_line_of:
            message = _("Duplicate of line %(line)d (same date, table and key).") % {"line": first_line_of[identity]}
            errors.append(row_error(line, "key", message))
            continue
        first_line_of[identity] = line
        if table == CURVE:
            previous = last_tenor.get(as_of)
            if previous is not None and key < previous[0]:
                message = _(
                    "The curve's tenors must increase down the file: %(tenor)s years comes after %(previous)s years "
                    "(line %(line)d)."
                ) % {"tenor": _key_label(table, key), "previous": _key_label(table, previous[0]), "line": previous[1]}
                errors.append(row_error(line, "key", message))
                continue
            last_tenor[as_of] = (key, line)
        date = dates.setdefault(as_of, MarketDate(as_of=as_of, first_line=line))
        _store(date, table, key, value)
    for date in dates.values():
        errors += _incomplete(date)
    if errors:
        raise MarketFileError.rows_invalid(errors)
    return list(dates.values())


def _incomplete(date: MarketDate) -> list[dict[str, Any]]:
    """A date must give a whole curve and a spread for every rating; what it lacks is reported on its first line."""
    errors = []
    if len(date.benchmark_curve) < MIN_CURVE_POINTS:
        message = _("%(date)s has %(count)d curve point(s); give at least %(min)d with distinct tenors.") % {
            "date": date.as_of.isoformat(),
            "count": len(date.benchmark_curve),
            "min": MIN_CURVE_POINTS,
        }
        errors.append(row_error(date.first_line, "table", message))
    missing = [rating for rating in RATING_ORDER if rating not in date.rating_spreads]
    if missing:
        message = _("%(date)s has no rating_spread row for %(ratings)s; every rating of the scale needs one.") % {
            "date": date.as_of.isoformat(),
            "ratings": ", ".join(missing),
        }
        errors.append(row_error(date.first_line, "table", message))
    return errors


# --- writing a row back -----------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A number as the shortest text that reads back to the same value (0.0135, 1, 0.25)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 10**6 else repr(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def market_series_rows(
    *,
    as_of: dt.date,
    benchmark_name: str,
    benchmark_curve: Iterable[Iterable[Any]],
    rating_spreads: dict[str, Any],
    support_premiums: dict[str, dict[str, Any]],
    provider_default_rates: dict[str, Any],
    liquidity_premium: Decimal | None,
    tenor_premium_per_year: Decimal | None,
) -> list[list[str]]:
    """One date's parameters as rows of the upload format, header first."""
    day = as_of.isoformat()
    rows = [list(MARKET_COLUMNS)]
    rows += [[day, CURVE, _cell(tenor), _cell(rate)] for tenor, rate in sorted(benchmark_curve, key=lambda p: p[0])]
    rows += [[day, RATING_SPREAD, r, _cell(rating_spreads[r])] for r in RATING_ORDER if r in rating_spreads]
    for support in sorted(support_premiums):
        by_rating = support_premiums[support]
        rows += [[day, SUPPORT_PREMIUM, f"{support}:{r}", _cell(by_rating[r])] for r in RATING_ORDER if r in by_rating]
    rows += [
        [day, PROVIDER_DEFAULT_RATE, r, _cell(provider_default_rates[r])]
        for r in RATING_ORDER
        if r in provider_default_rates
    ]
    for name, value in (("liquidity_premium", liquidity_premium), ("tenor_premium_per_year", tenor_premium_per_year)):
        if value is not None:
            rows.append([day, PARAMETER, name, _cell(value)])
    rows.append([day, PARAMETER, "benchmark_name", benchmark_name])
    return rows


def rows_to_csv(rows: list[list[str]]) -> str:
    """CSV text with CRLF line ends, as spreadsheets write it."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()
