"""The suggested coupons built up from their parts against the 2025 band, and the issued deals as comparables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ..choices import TrancheClass
from .formatting import bp, class_text, notches_text, num, pct, provider_phrase, provider_text, rating_text

# Senior data-asset ABS issued in 2025 were rated AAA(sf) and paid 1.85 % to 2.58 % (docs/market_data.md).
MARKET_BAND_2025 = (0.0185, 0.0258)
NEAR_BAND = 0.0025  # within 25 bp above the band is "just above", not out of the market
COUPON_PARTS = (
    "benchmark", "rating_spread", "liquidity_premium", "tenor_premium", "support_premium", "legal_premium",
)  # fmt: skip
MIN_COMPARABLES_FOR_A_FIT = 3  # deals/valuation/pricing.py fits nothing below three
STALE_MARKET_DAYS = 30  # market data a month older than the pricing date is worth a remark


@dataclass(frozen=True)
class CouponPart:
    """One component of a suggested coupon, with its bar's width in percent of the scale."""

    key: str
    label: str
    value: str
    width: float


@dataclass(frozen=True)
class CouponRow:
    """A class's suggested coupon built up from its parts, where it lands against the band, and why."""

    name: str
    class_: str
    senior: bool
    rating: str
    wal: str
    coupon: str
    structure_coupon: str
    parts: list[CouponPart]
    position: str
    tone: str
    why: str
    support: str
    supported: bool


@dataclass(frozen=True)
class Band:
    """The 2025 market band, in words and as a bar on the scale (percent)."""

    low: str
    high: str
    left: float
    width: float


@dataclass(frozen=True)
class Coupons:
    """Every priced class's coupon build-up on one scale with the band, and the market data's date."""

    rows: list[CouponRow]
    band: Band
    scale_end: str
    pricing_date: str
    market_as_of: str
    stale_days: int | None


@dataclass(frozen=True)
class ComparableRow:
    """One issued deal with its spread over the curve on its date."""

    name: str
    date: str
    coupon: str
    benchmark: str
    spread: str
    wal: str
    rating: str
    support: str
    excess: str
    fitted: str


@dataclass(frozen=True)
class Coefficient:
    """A fitted coefficient of the comparables view."""

    label: str
    value: str


@dataclass(frozen=True)
class Fit:
    """The comparables' fit and the subject senior's fitted coupon against its build-up."""

    coefficients: list[Coefficient]
    residual_sd: str
    fitted_spread: str
    fitted_coupon: str
    has_subject: bool
    build_up: str
    gap: str


@dataclass(frozen=True)
class Subject:
    """The subject senior as the fit reads it."""

    rating: str
    wal: str
    support: str


@dataclass(frozen=True)
class Comparables:
    """The issued deals, the fit when there are enough of them, and the subject senior."""

    rows: list[ComparableRow]
    count: int
    fit: Fit | None
    minimum: int
    subject: Subject | None


def coupon_part_labels() -> dict[str, str]:
    """The components of the suggested coupon, in words."""
    return {
        "benchmark": _("Benchmark at the WAL"),
        "rating_spread": _("Rating spread"),
        "liquidity_premium": _("Liquidity premium"),
        "tenor_premium": _("Tenor premium"),
        "support_premium": _("Support premium"),
        "legal_premium": _("Legal-risk premium"),
    }


def _coupon_why(suggestion: dict[str, Any], parts: list[CouponPart]) -> tuple[str, str, str]:
    """Where a suggested coupon lands against the 2025 band, the badge's tone, and why."""
    low, high = MARKET_BAND_2025
    coupon = suggestion["coupon"]
    if coupon < low:
        gap = num((low - coupon) * 100)
        return (
            _("below the 2025 band"),
            "ok",
            _("%(gap)s percentage points below the bottom of the band.") % {"gap": gap},
        )
    if coupon <= high:
        return _("within the 2025 band"), "ok", _("In line with what 2025's AAA(sf) data-asset seniors paid.")
    biggest = max((p for p in parts if p.key != "benchmark"), key=lambda p: suggestion.get(p.key) or 0.0)
    why = _(
        "%(gap)s percentage points above the top of the band; the largest premium over the benchmark is "
        "the %(part)s for %(rating)s (%(value)s)."
    ) % {
        "gap": num((coupon - high) * 100),
        "part": biggest.label.lower(),
        "rating": rating_text(suggestion["rating"]),
        "value": biggest.value,
    }
    return _("above the 2025 band"), "warn" if coupon - high <= NEAR_BAND else "bad", why


def _support_line(s: dict[str, Any], provider: str | None, notches: int) -> str:
    """Who the class relies on and what that costs; without a premium, whether support still lifts the class."""
    if not s.get("support_party"):
        if notches > 0:
            return _(
                "No support premium: no party supports this class directly, though the support of the classes "
                "ahead of it lifts it %(notches)s."
            ) % {"notches": notches_text(notches)}
        return _("No support premium: outside support does not lift this class's rating.")
    words = {
        "type": provider_phrase(s["support_party"]),
        "rating": rating_text(s.get("support_rating") or "NR"),
        "premium": pct(s.get("support_premium")),
    }
    if provider:
        return _("Support premium %(premium)s: the class relies on %(provider)s (%(type)s, rated %(rating)s).") % {
            **words,
            "provider": provider,
        }
    return _("Support premium %(premium)s: the class relies on %(type)s, rated %(rating)s.") % words


def _days_between(earlier: str, later: str) -> int | None:
    """Days from the market data's date to the pricing date when it exceeds STALE_MARKET_DAYS, else None."""
    try:
        days = (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days
    except (TypeError, ValueError):
        return None
    return days if days > STALE_MARKET_DAYS else None


def coupon_rows(
    tranches: list[dict[str, Any]], *, pricing_date: str, market_as_of: str, senior_provider: str | None = None
) -> Coupons:
    """Suggested coupons built up from their parts, on one scale with the 2025 market band, and why each lands where.

    The residual class has no suggestion and is left out.
    """
    low, high = MARKET_BAND_2025
    priced = [t for t in tranches if t.get("suggested_coupon")]
    scale = max([high, *(t["suggested_coupon"]["coupon"] for t in priced)]) * 1.08
    labels = coupon_part_labels()
    rows: list[CouponRow] = []
    for t in priced:
        s = t["suggested_coupon"]
        parts = [
            CouponPart(key=k, label=labels[k], value=pct(s.get(k) or 0.0),
                       width=max(0.0, s.get(k) or 0.0) / scale * 100)
            for k in COUPON_PARTS
        ]  # fmt: skip
        position, tone, why = _coupon_why(s, parts)
        senior = t["tranche_class"] == TrancheClass.SENIOR
        rows.append(
            CouponRow(
                name=t["name"],
                class_=class_text(t["tranche_class"]),
                senior=senior,
                rating=rating_text(s["rating"]),
                wal=num(s["wal_years"]),
                coupon=pct(s["coupon"]),
                structure_coupon=pct(t["coupon"]) if t.get("coupon_given") else "—",
                parts=parts,
                position=position,
                tone=tone,
                why=why,
                support=_support_line(s, senior_provider if senior else None, int(t.get("support_notches") or 0)),
                supported=bool(s.get("support_party")),
            )
        )
    return Coupons(
        rows=rows,
        band=Band(low=pct(low), high=pct(high), left=low / scale * 100, width=(high - low) / scale * 100),
        scale_end=pct(scale, 1),
        pricing_date=pricing_date or "—",
        market_as_of=market_as_of or "—",
        stale_days=_days_between(market_as_of, pricing_date),
    )


def coefficient_label(key: str) -> str:
    """A fitted coefficient of the comparables view in words."""
    if key == "intercept":
        return _("Excess spread at one year of WAL, on its own cash")
    if key == "per_year_of_wal":
        return _("Per year of WAL beyond one")
    if key.startswith("support:"):
        return _("Support by %(type)s") % {"type": provider_phrase(key.partition(":")[2])}
    return key


def comparables(p: dict[str, Any] | None, *, build_up_coupon: float | None) -> Comparables:
    """The issued deals with their spread over the curve on their dates; the fit and the subject's fitted coupon."""
    p = p or {}
    rows = [
        ComparableRow(
            name=c["name"],
            date=c.get("issue_date") or "—",
            coupon=pct(c.get("coupon")),
            benchmark=pct(c.get("benchmark")),
            spread=bp(c.get("spread")),
            wal=num(c.get("wal_years")),
            rating=rating_text(c.get("rating")),
            support=provider_text(c.get("support_type")),
            excess=bp(c.get("excess_spread"), signed=True),
            fitted=bp(c.get("fitted_excess_spread"), signed=True) if c.get("fitted_excess_spread") is not None else "—",
        )
        for c in p.get("comparables") or []
    ]
    coefficients = p.get("coefficients")
    subject = p.get("subject") or {}
    fit: Fit | None = None
    if coefficients:
        fit = Fit(
            coefficients=[Coefficient(label=coefficient_label(k), value=bp(v, 1, signed=True))
                          for k, v in coefficients.items()],
            residual_sd=bp(p.get("residual_sd"), 1),
            fitted_spread=bp(p.get("fitted_spread")),
            fitted_coupon=pct(p.get("fitted_coupon")),
            has_subject=p.get("fitted_coupon") is not None,
            build_up=pct(build_up_coupon),
            gap=bp((build_up_coupon - p["fitted_coupon"]) if build_up_coupon is not None and
                   p.get("fitted_coupon") is not None else None, signed=True),
        )  # fmt: skip
    return Comparables(
        rows=rows,
        count=len(rows),
        fit=fit,
        minimum=MIN_COMPARABLES_FOR_A_FIT,
        subject=Subject(
            rating=rating_text(subject.get("rating")),
            wal=num(subject.get("wal_years")),
            support=provider_text(subject.get("support_type")),
        )
        if subject
        else None,
    )
