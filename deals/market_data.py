"""Market data the arranger maintains: the dated market series valuation prices against, and comparable transactions.

Every write is a service here and only the arranger writes (rule
`deals.maintain_market_data`); every read is a selector, open to every
signed-in user (market data is not confidential). Rows of the market series
are never edited: uploading a date again adds a row, and the latest row of a
date is the one in force. The file formats are in docs/market_data.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import rules
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from origination.errors import ConflictError, DomainError
from origination.models import User
from origination.rules import is_arranger
from origination.services import full_clean_or_raise

from .comparable_csv import COMPARABLE_COLUMNS, ComparableRow, parse_comparables
from .csv_upload import MarketFileError, read_csv_rows, row_error
from .market_csv import MARKET_COLUMNS, market_series_rows, parse_market_series, rows_to_csv
from .models import ComparableTransaction, MarketParameters

logger = logging.getLogger(__name__)

MAINTAIN_MARKET_DATA = "deals.maintain_market_data"
if not rules.rule_exists(MAINTAIN_MARKET_DATA):
    # The market series and the comparables register are the arranger's to maintain.
    rules.add_rule(MAINTAIN_MARKET_DATA, is_arranger)

SOURCE_MAX_LENGTH = 300


def may_maintain_market_data(user: User) -> bool:
    """Whether the user uploads market data and keeps the comparables register (the arranger)."""
    return rules.test_rule(MAINTAIN_MARKET_DATA, user)


def ensure_may_maintain_market_data(actor: User) -> None:
    """Refuse (403 `forbidden`) anyone but the arranger."""
    if not may_maintain_market_data(actor):
        raise DomainError("forbidden", _("Only the arranger maintains market data."), status=403)


# --- the market series: reads -----------------------------------------------------------------------------------


def market_parameters_list_for(user: User) -> QuerySet[MarketParameters]:
    """The market series, newest date first, for any signed-in user; `superseded` marks rows a later upload replaced."""
    if not getattr(user, "is_authenticated", False):
        return MarketParameters.objects.none()
    later_of_same_date = MarketParameters.objects.filter(as_of=OuterRef("as_of"), pk__gt=OuterRef("pk"))
    return (
        MarketParameters.objects.select_related("created_by")
        .annotate(superseded=Exists(later_of_same_date))
        .order_by("-as_of", "-id")
    )


def market_parameters_for(pricing_date: dt.date | None) -> MarketParameters | None:
    """The market parameters a deal priced on `pricing_date` uses.

    The latest row dated on or before the pricing date (by as_of, then id: a
    date uploaded again is priced on its newest row); when every row is later
    than the pricing date, the earliest date's newest row; with no pricing
    date, the latest row; None when the series is empty.
    """
    rows = MarketParameters.objects.all()
    if pricing_date is None:
        return rows.order_by("-as_of", "-id").first()
    on_or_before = rows.filter(as_of__lte=pricing_date).order_by("-as_of", "-id").first()
    if on_or_before is not None:
        return on_or_before
    return rows.order_by("as_of", "-id").first()


def market_parameters_csv(market: MarketParameters) -> str:
    """One row of the series in the upload format (uploading it again gives the same parameters)."""
    return rows_to_csv(
        market_series_rows(
            as_of=market.as_of,
            benchmark_name=market.benchmark_name,
            benchmark_curve=market.benchmark_curve or [],
            rating_spreads=market.rating_spreads or {},
            support_premiums=market.support_premiums or {},
            provider_default_rates=market.provider_default_rates or {},
            liquidity_premium=market.liquidity_premium,
            tenor_premium_per_year=market.tenor_premium_per_year,
        )
    )


# --- the market series: writes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketUpload:
    """What an upload stored: one new row per date, and the dates that already had a row (now replaced)."""

    created: list[MarketParameters]
    replaced: dict[dt.date, int] = field(default_factory=dict)  # as_of -> id of the row no longer in force

    @property
    def replaced_dates(self) -> list[dt.date]:
        """The dates whose earlier row the upload replaced, in order."""
        return sorted(self.replaced)


def _source_of(source: str, uploaded_file: UploadedFile) -> str:
    text = (source or "").strip() or PurePath(uploaded_file.name or "upload.csv").name
    return text[:SOURCE_MAX_LENGTH]


def market_parameters_upload(
    *, actor: User, uploaded_file: UploadedFile, source: str = "", notes: str = ""
) -> MarketUpload:
    """Store each date of a market CSV as a new MarketParameters row; a file with any bad row stores nothing.

    `source` (default: the file's name) and `notes` apply to every date of the
    file. A date that already has a row gets a new one, which is then in force.
    """
    ensure_may_maintain_market_data(actor)
    dates = parse_market_series(read_csv_rows(uploaded_file, columns=MARKET_COLUMNS))
    source = _source_of(source, uploaded_file)
    with transaction.atomic():
        # The newest row of each date before this upload: the one each new row replaces.
        earlier = dict(
            MarketParameters.objects.filter(as_of__in=[d.as_of for d in dates])
            .order_by("as_of", "id")
            .values_list("as_of", "id")
        )
        created = []
        for date in dates:
            market = MarketParameters(**date.model_fields(), source=source, notes=notes, created_by=actor)
            full_clean_or_raise(market)
            market.save()
            market.superseded = False  # type: ignore[attr-defined]
            created.append(market)
    logger.info("market parameters uploaded by %s: %s", actor.pk, ", ".join(str(m.as_of) for m in created))
    return MarketUpload(created=created, replaced=earlier)


# --- comparable transactions ------------------------------------------------------------------------------------


def comparable_transaction_list_for(user: User, *, category: str = "") -> QuerySet[ComparableTransaction]:
    """The comparables register for any signed-in user, latest transaction first; optionally of one data category."""
    if not getattr(user, "is_authenticated", False):
        return ComparableTransaction.objects.none()
    qs = ComparableTransaction.objects.select_related("created_by").order_by("-transaction_date", "-id")
    return qs.filter(category=category) if category else qs


def _duplicate_of(fields: dict[str, Any]) -> ComparableTransaction | None:
    keys = ("category", "description", "venue", "transaction_date", "price", "annual_revenue")
    return ComparableTransaction.objects.filter(**{key: fields.get(key) for key in keys}).order_by("id").first()


def positive_amount(value: Decimal | None) -> Decimal | None:
    """A price or revenue of a comparable: greater than zero (the multiple divides by it)."""
    if value is not None and value <= 0:
        raise ValidationError(_("Must be greater than zero."), code="not_positive")
    return value


def comparable_transaction_create(*, actor: User, **fields: Any) -> ComparableTransaction:
    """The arranger registers one priced data transaction; the same transaction twice is refused."""
    ensure_may_maintain_market_data(actor)
    errors = {}
    for name in ("price", "annual_revenue"):
        try:
            positive_amount(fields.get(name))
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise DomainError("invalid", _("Price and annual revenue must be greater than zero."), fields=errors)
    comparable = ComparableTransaction(**fields, created_by=actor)
    full_clean_or_raise(comparable, exclude=["created_by"])
    with transaction.atomic():
        if _duplicate_of(fields) is not None:
            raise ConflictError(
                "comparable_duplicate",
                _("This transaction is already in the register (same category, description, venue, date, price "
                  "and revenue)."),
            )  # fmt: skip
        comparable.save()
    return comparable


def comparable_transactions_upload(*, actor: User, uploaded_file: UploadedFile) -> list[ComparableTransaction]:
    """Add every transaction of a comparables CSV; a file with any bad or already registered row adds nothing."""
    ensure_may_maintain_market_data(actor)
    rows = parse_comparables(read_csv_rows(uploaded_file, columns=COMPARABLE_COLUMNS))
    with transaction.atomic():
        errors = _already_registered(rows)
        if errors:
            raise MarketFileError.rows_invalid(errors)
        created = []
        for row in rows:
            comparable = ComparableTransaction(**row.model_fields(), created_by=actor)
            full_clean_or_raise(comparable, exclude=["created_by"])
            comparable.save()
            created.append(comparable)
    return created


def _already_registered(rows: list[ComparableRow]) -> list[dict[str, Any]]:
    stored = set(
        ComparableTransaction.objects.filter(transaction_date__in={row.transaction_date for row in rows}).values_list(
            "category", "description", "venue", "transaction_date", "price", "annual_revenue"
        )
    )
    message = _(
        "This transaction is already in the register (same category, description, venue, date, price and revenue)."
    )
    return [row_error(row.line, "", message) for row in rows if row.key in stored]


def comparable_transaction_delete(*, actor: User, comparable: ComparableTransaction) -> None:
    """The arranger removes an entry registered by mistake."""
    ensure_may_maintain_market_data(actor)
    logger.info("comparable transaction %s (%s) removed by %s", comparable.pk, comparable, actor.pk)
    comparable.delete()
