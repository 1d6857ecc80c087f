"""How the valuation page writes numbers, ratings and the engine's codes (percentages, CNY, basis points, words)."""

from __future__ import annotations

import math
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from origination.choices import CreditRating
from origination.formatting import count, money, multiple, number, percent, rate_bp
from origination.jobs import JobStatus

from ..choices import GuarantorType, TrancheClass
from ..models import ValuationRun


def pct(value: float | None, digits: int = 2) -> str:
    """A fraction as a percentage for the page (0.0204 -> '2.04 %'); '—' when missing (origination.formatting)."""
    return percent(value, digits)


def loss_pct(value: float | None, significant: int = 2) -> str:
    """An expected loss (or its standard error) as a percentage that keeps its significant digits.

    Senior losses are a few parts in ten million: at three decimals they would
    all read '0.000 %'. Below 0.01 % the number keeps `significant` digits
    (1.98e-7 -> '0.000020 %'), the way the idealised loss tables print them.
    """
    if value is None:
        return "—"
    in_percent = value * 100
    if in_percent == 0:
        return "0 %"
    if abs(in_percent) >= 0.01:
        return f"{in_percent:,.3f} %"
    decimals = significant - 1 - math.floor(math.log10(abs(in_percent)))
    return f"{in_percent:.{decimals}f} %"


def bp(value: float | None, digits: int = 0, *, signed: bool = False) -> str:
    """A fraction in basis points (0.0026 -> '26 bp'); `signed` writes '+26 bp'."""
    return rate_bp(value, digits, signed=signed)


def cny(value: float | None) -> str:
    """An amount in CNY, whole yuan with thousands separators."""
    return money(value, 0)


def num(value: float | None, digits: int = 2) -> str:
    """A plain number with `digits` decimals."""
    return number(value, digits)


def whole(value: float | None) -> str:
    """A count (paths, periods) with thousands separators."""
    return count(value)


def times(value: float | None, digits: int = 2) -> str:
    """A multiple (1.16 -> '1.16×')."""
    return multiple(value, digits)


def rating_text(rating: str | None) -> str:
    """A rating as the reader sees it ('NR' in words)."""
    if not rating:
        return "—"
    return str(CreditRating(rating).label) if rating in CreditRating.values else rating


def label(choices: type[models.TextChoices], value: str | None) -> str:
    """A stored code as its label in the reader's language (the code itself when the choices do not know it)."""
    if not value:
        return "—"
    return str(choices(value).label) if value in choices.values else value


def class_text(tranche_class: str) -> str:
    """A tranche class in words."""
    return label(TrancheClass, tranche_class)


def provider_text(provider_type: str | None) -> str:
    """Who provides support, by type ('guarantee_company' -> 'Guarantee company')."""
    if not provider_type or provider_type == "none":
        return _("None: on its own cash")
    return label(GuarantorType, provider_type)


def provider_phrase(provider_type: str | None) -> str:
    """A support provider's type as it reads inside a sentence ('a guarantee company', 'the originator itself')."""
    return {
        "guarantee_company": _("a guarantee company"),
        "bank_guarantee_letter": _("a bank, by guarantee letter"),
        "state_owned_debtor": _("a state-owned debtor"),
        "originator": _("the originator itself"),
        "parent_company": _("the originator's parent company"),
    }.get(provider_type or "", provider_text(provider_type))


def support_kind_text(kind: str | None) -> str:
    """The engine's kind of support in words."""
    return {"guarantee": _("guarantee"), "shortfall_undertaking": _("shortfall undertaking")}.get(
        kind or "", kind or _("support")
    )


def notches_text(notches: int) -> str:
    """'1 notch', '2 notches'."""
    return ngettext("%(n)s notch", "%(n)s notches", notches) % {"n": notches}


def status_text(run: ValuationRun) -> str:
    """What a run is doing, in words."""
    return {
        JobStatus.QUEUED: _("Waiting for a worker"),
        JobStatus.RUNNING: _("Running"),
        JobStatus.SUCCEEDED: _("Finished"),
        JobStatus.FAILED: _("Failed"),
    }.get(run.status, run.get_status_display())


def error_words(error: str) -> tuple[str, str]:
    """A stored failure ('ValueError: history is empty') as the message and the kind of error."""
    kind, sep, message = error.partition(": ")
    if sep and kind.replace(".", "").isidentifier():
        return message, kind
    return error, ""


def shares_of(counts: list[int]) -> list[float]:
    """Each count's share of the total in percent, unrounded so the shares add up to 100 (rounding each would not)."""
    total = sum(counts)
    return [c / total * 100 for c in counts] if total else []


def get(mapping: dict[str, Any] | None, *keys: str) -> Any:
    """A nested value of the stored result, None where any level is missing."""
    value: Any = mapping
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
