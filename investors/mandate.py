"""The rules an order must meet against the investor's current profile, and their reasons in words. No models.

An order (new, amended, or allotted at issue) stands only when the tranche is
within the investor's own mandate (its allowed deal types, its maximum tenor,
its minimum rating, and the order within its ticket range) and, for a product
above the investor's risk tolerance, when the special warning was confirmed at
those very levels (investors/suitability.py). Each failure is a `Breach`:
the rule, the limit and the tranche's or order's value, kept as plain data so
that a held order's reasons are stored once and read in the reader's language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from origination.formatting import money

from .matching_inputs import rating_index

# The mandate's criteria, in the order they are reported; `risk_level` is the suitability warning.
MANDATE_RULES: tuple[str, ...] = ("deal_type", "max_tenor", "min_rating", "ticket")
RISK_LEVEL = "risk_level"
NO_PROFILE = "risk_profile_missing"


@dataclass(frozen=True)
class Breach:
    """One rule an order fails: its name, the investor's limit and the value that breaks it (JSON-safe)."""

    rule: str
    limit: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for a JSON field."""
        return asdict(self)


def tranche_rating(tranche: Any) -> str:
    """The rating an investor's minimum is read against: the platform's latest (with support), NR until valued."""
    return tranche.implied_rating or "NR"


def mandate_breaches(*, profile: Any, tranche: Any, amount: Decimal) -> list[Breach]:
    """The mandate criteria an order of `amount` on `tranche` fails for `profile` (a RiskProfile), in rule order."""
    deal = tranche.deal
    found = []
    allowed = list(profile.allowed_deal_types or [])
    if allowed and deal.deal_type not in allowed:  # an empty list allows every type
        found.append(Breach("deal_type", allowed, deal.deal_type))
    if deal.tenor_months > profile.max_tenor_months:
        found.append(Breach("max_tenor", profile.max_tenor_months, deal.tenor_months))
    rating = tranche_rating(tranche)
    if rating_index(rating) > rating_index(profile.min_rating):  # a higher index is a worse rating
        found.append(Breach("min_rating", profile.min_rating, rating))
    if not (profile.ticket_min <= amount <= profile.ticket_max):
        found.append(Breach("ticket", [str(profile.ticket_min), str(profile.ticket_max)], str(amount)))
    return found


def _deal_type_label(value: str) -> str:
    from deals.choices import DealType

    return str(DealType(value).label) if value in DealType.values else value


def breach_text(breach: Breach | dict[str, Any]) -> str:
    """The reason in words, in the active language (a stored breach is a dict)."""
    b = breach if isinstance(breach, Breach) else Breach(**breach)
    if b.rule == "deal_type":
        return _("The mandate allows only these deal types: %(allowed)s; this deal is %(actual)s.") % {
            "allowed": ", ".join(_deal_type_label(v) for v in b.limit),
            "actual": _deal_type_label(b.actual),
        }
    if b.rule == "max_tenor":
        return _("The mandate allows tenors up to %(limit)s months; this deal runs %(actual)s months.") % {
            "limit": b.limit,
            "actual": b.actual,
        }
    if b.rule == "min_rating":
        return _("The mandate requires a rating of %(limit)s or better; this tranche is rated %(actual)s.") % {
            "limit": b.limit,
            "actual": b.actual,
        }
    if b.rule == "ticket":
        return _("The mandate allows tickets of %(low)s to %(high)s CNY; this order is %(actual)s CNY.") % {
            "low": money(b.limit[0], digits=0),
            "high": money(b.limit[1], digits=0),
            "actual": money(b.actual, digits=0),
        }
    if b.rule == RISK_LEVEL:
        return _(
            "Product risk %(product)s is above the risk tolerance %(investor)s, and the special risk warning was "
            "not confirmed at these levels."
        ) % {"product": b.actual, "investor": b.limit}
    if b.rule == NO_PROFILE:
        return _("The investor has no risk profile: the risk questionnaire was not answered.")
    return b.rule
