"""Each data asset's value by the income, cost and market methods, the weights applied, and whether they agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .formatting import cny, num, pct, times

METHODS = ("income", "cost", "market")


@dataclass(frozen=True)
class MethodCell:
    """One method's value of an asset with its weight, or why it could not apply (value None)."""

    key: str
    label: str
    value: str | None
    reason: str
    weight: str


@dataclass(frozen=True)
class AssetRow:
    """One data asset: each method, the indicated value, and whether the methods agree."""

    name: str | None
    quality: str
    methods: list[MethodCell]
    indicated: str
    agreement: str | None
    agreement_text: str
    tone: str
    discount_rate: str
    income_share: str
    history_months: int | None
    multiple: str


@dataclass(frozen=True)
class Appraisal:
    """Every data asset behind the deal and the totals by method."""

    assets: list[AssetRow]
    totals: list[str]
    total_indicated: str
    divergent: int
    labels: list[str]


def method_labels() -> dict[str, str]:
    """The three methods of the China Appraisal Society's 2023 guidance, in words."""
    return {"income": _("Income method"), "cost": _("Cost method"), "market": _("Market method")}


def _weight(value: float) -> str:
    """A weight as a percentage, whole when it is whole (50 %) and with a decimal when not (62.5 %, 71.4 %)."""
    return pct(value, 0 if abs(value * 100 - round(value * 100)) < 1e-9 else 1)


def unavailable_text(method: str, code: str, assumptions: dict[str, Any]) -> str:
    """Why a method could not value the asset, in words."""
    if code == "no_revenue":
        if method == "market":
            return _("No revenue in the last twelve months to apply the market multiple to.")
        return _("No revenue history of the data asset was uploaded.")
    if code == "short_history":
        return _("Fewer than %(months)s months of revenue history.") % {
            "months": assumptions.get("min_history_months", "—")
        }
    if code == "no_cost":
        return _("No historical cost of building the data was recorded.")
    if code == "few_comparables":
        return _("Fewer than %(n)s comparable transactions of its category.") % {
            "n": assumptions.get("market_min_comparables", "—")
        }
    return code


def agreement_text(a: dict[str, Any], labels: dict[str, str]) -> tuple[str, str]:
    """Whether the methods agree, with the measured spread, and the tone of the remark."""
    agreement = a.get("agreement")
    ratio = a.get("divergence_ratio")
    threshold = pct(a.get("divergence_threshold"), 0)
    if agreement == "agree":
        return _("The methods agree within %(spread)s (the highest over the lowest; at most %(threshold)s "
                 "is accepted).") % {"spread": pct(ratio, 0), "threshold": threshold}, "ok"  # fmt: skip
    if agreement == "disagree":
        return _(
            "The methods disagree: the highest value is %(times)s the lowest (at most %(threshold)s above it is "
            "accepted)."
        ) % {"times": times(ratio + 1 if ratio is not None else None), "threshold": threshold}, "warn"
    if agreement == "single_method":
        method = next((labels[m] for m in METHODS if a.get(f"{m}_value") is not None), "—")
        return _("One method only (%(method)s): nothing to check it against.") % {"method": method.lower()}, "warn"
    return _("No method could value this asset."), "bad"


def asset_row(a: dict[str, Any], assumptions: dict[str, Any]) -> AssetRow:
    """One data asset: each method's value or why it could not apply, the weights, the indicated value."""
    labels = method_labels()
    unavailable = a.get("unavailable") or {}
    weights = a.get("weights") or {}
    methods = []
    for m in METHODS:
        value = a.get(f"{m}_value")
        methods.append(MethodCell(
            key=m,
            label=labels[m],
            value=cny(value) if value is not None else None,
            reason=unavailable_text(m, unavailable[m], assumptions) if value is None and m in unavailable else "",
            weight=_weight(weights[m]) if m in weights else "—",
        ))  # fmt: skip
    text, tone = agreement_text(a, labels)
    income = (a.get("details") or {}).get("income") or {}
    market = (a.get("details") or {}).get("market") or {}
    return AssetRow(
        name=a.get("name") or a.get("key"),
        quality=num(a.get("quality_coefficient"), 3),
        methods=methods,
        indicated=cny(a.get("indicated_value")),
        agreement=a.get("agreement"),
        agreement_text=text,
        tone=tone,
        discount_rate=pct(a.get("discount_rate")),
        income_share=pct(income.get("data_income_share"), 0) if income else "—",
        history_months=income.get("history_months") if income else None,
        multiple=times(market.get("median_multiple")) if market else "—",
    )


def appraisal(block: dict[str, Any], assumptions: dict[str, Any]) -> Appraisal:
    """Every data asset behind the deal, and the totals by method."""
    assets = [asset_row(a, assumptions) for a in block.get("assets") or []]
    return Appraisal(
        assets=assets,
        totals=[cny(block.get(f"total_{m}")) for m in METHODS],
        total_indicated=cny(block.get("total_indicated")),
        divergent=int(block.get("divergent_assets") or 0),
        labels=[method_labels()[m] for m in METHODS],
    )
