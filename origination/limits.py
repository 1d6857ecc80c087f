"""The documented range of every money, rate, score, ratio and count field (docs/limits.md).

One place for each range, used by the model fields (validators and a database
CHECK constraint per field, so SQLite and PostgreSQL both refuse an
out-of-range row whatever writes it), and so by the ModelSerializers and
ModelForms built from them, by the forms and serializers that declare their
fields by hand, and by the CSV importers.

Money is CNY with 2 decimals and at most 15 significant digits: below 10^13
CNY. 15 digits also round-trip exactly through SQLite, which stores a decimal
column as an 8-byte float (REAL); a longer number would come back rounded and
make every page that loads the row fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

Number = Decimal | int | float


@dataclass(frozen=True)
class Range:
    """A closed interval [low, high] and, for a decimal, its digits: what a field may hold."""

    low: Number
    high: Number
    max_digits: int | None = None
    decimal_places: int | None = None

    def validators(self) -> list[Any]:
        """The model / form validators of the range (Django's own, already translated, messages)."""
        return [MinValueValidator(self.low), MaxValueValidator(self.high)]

    def decimal(self) -> dict[str, Any]:
        """Keyword arguments of a DecimalField (model or form): digits, places and the validators."""
        return {"max_digits": self.max_digits, "decimal_places": self.decimal_places, "validators": self.validators()}

    def serializer(self) -> dict[str, Any]:
        """Keyword arguments of a hand-declared DRF DecimalField / IntegerField with this range."""
        kwargs: dict[str, Any] = {"min_value": self.low, "max_value": self.high}
        if self.max_digits is not None:
            kwargs.update(max_digits=self.max_digits, decimal_places=self.decimal_places)
        return kwargs

    def form(self) -> dict[str, Any]:
        """Keyword arguments of a hand-declared form DecimalField / IntegerField with this range."""
        return self.serializer()

    def contains(self, value: Number) -> bool:
        return self.low <= value <= self.high

    def check(self, model_name: str, field: str, *, null: bool = False) -> models.CheckConstraint:
        """The database CHECK of the range, named `<app>_<model>_<field>_range` (NULL passes a nullable field)."""
        condition = Q(**{f"{field}__gte": self.low, f"{field}__lte": self.high})
        if null:
            condition = Q(**{f"{field}__isnull": True}) | condition
        return models.CheckConstraint(name=f"{model_name}_{field}_range", condition=condition)


# --- money (CNY, 2 decimals) -------------------------------------------------------------------------------------

MONEY_MAX_DIGITS = 15
MONEY_DECIMAL_PLACES = 2
MONEY_MAX = Decimal("9999999999999.99")
CENT = Decimal("0.01")
# The shape of every money column (max_digits, decimal_places), without validators.
MONEY = {"max_digits": MONEY_MAX_DIGITS, "decimal_places": MONEY_DECIMAL_PLACES}
# An amount that may be zero (a book value, a collateral value, a ticket floor) ...
MONEY_RANGE = Range(Decimal("0"), MONEY_MAX, MONEY_MAX_DIGITS, MONEY_DECIMAL_PLACES)
# ... and one that must be positive (a deal, a claim, a tranche, an order, a revenue line, a price).
POSITIVE_MONEY_RANGE = Range(CENT, MONEY_MAX, MONEY_MAX_DIGITS, MONEY_DECIMAL_PLACES)

# --- rates, probabilities and fractions (annual, as a fraction: 0.0204 = 2.04 %) ---------------------------------

RATE = {"max_digits": 7, "decimal_places": 4}
RATE_RANGE = Range(Decimal("0"), Decimal("1"), 7, 4)
# A fraction with one digit before the point: the guarantee dependence cap of a mandate.
FRACTION_RANGE = Range(Decimal("0"), Decimal("1"), 5, 4)
# Market parameters the arranger maintains (liquidity and tenor premiums, curve points, spreads): a premium
# may be slightly negative. The same bounds as the market-data upload (docs/market_data.md).
MARKET_RATE_RANGE = Range(Decimal("-0.05"), Decimal("0.5"), 7, 4)

# --- scores and ratios -------------------------------------------------------------------------------------------

# The six data-quality dimensions of the China Appraisal Society guidance, 0-100 with 2 decimals.
SCORE_RANGE = Range(Decimal("0"), Decimal("100"), 5, 2)
RATIO = {"max_digits": 6, "decimal_places": 3}
# Projected cash over rated debt service: at least covered, at most ten times.
STRUCTURING_RATIO_RANGE = Range(Decimal("1"), Decimal("10"), 6, 3)
# The DSCR a deal tests against (a trigger below 1 tolerates a shortfall for the window); it must stay below the
# structuring ratio (Deal.clean), so its top is one step under the ratio's.
DSCR_TRIGGER_RANGE = Range(Decimal("0.5"), Decimal("9.999"), 6, 3)
# The matching score: components that add up to at most 100 (investors/matching.py), summed in float32, so
# 0.01 either side for its rounding.
MATCH_SCORE_RANGE = Range(-0.01, 100.01)
# A job's progress, in percent.
PROGRESS_RANGE = Range(0.0, 100.0)

# --- tenors, periods, priorities and counts ----------------------------------------------------------------------

TENOR_MONTHS_RANGE = Range(1, 600)  # up to 50 years
TRIGGER_WINDOW_RANGE = Range(1, 12)  # payment periods the DSCR is averaged over
TRIGGER_CURE_RANGE = Range(0, 12)  # periods passing the test that cure a trigger (0: never cured)
CONTROLLED_AMORTISATION_RANGE = Range(1, 120)  # payment periods of amortisation before expected maturity (1: bullet)
PAYMENT_PRIORITY_RANGE = Range(1, 99)
N_PATHS_RANGE = Range(1_000, 200_000)  # Monte Carlo paths of a valuation (deals.valuation_jobs)
SEED_RANGE = Range(0, 2**32 - 1)  # the engine's seeds are non-negative
REVENUE_IMPORT_ROWS_RANGE = Range(0, 200_000)  # rows one revenue file may save (origination.revenue_import)
FAILED_RULES_RANGE = Range(0, 2**10 - 1)  # a bit per matching rule (investors.matching_rules.RULES)
JOB_ATTEMPTS_RANGE = Range(0, 100)  # settings.JOB_MAX_ATTEMPTS stops a job long before


# A sum of money over many rows (a month's revenue, a year's issuance): read-only, so only wide enough.
SUM_OF_MONEY = {"max_digits": 30, "decimal_places": MONEY_DECIMAL_PLACES}


def money_ok(value: Decimal, *, positive: bool = False) -> bool:
    """The amount is within the money range (and above zero when it must be), with at most 2 decimals."""
    limits = POSITIVE_MONEY_RANGE if positive else MONEY_RANGE
    return value.is_finite() and limits.contains(value) and value == value.quantize(CENT)
