"""The data assets' revenue: its history by month, its stability score, and the projection fan that follows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

from django.utils.translation import gettext as _

from ..choices import DealType
from .formatting import cny, num, pct


@dataclass(frozen=True)
class StabilityPart:
    """One weighted part of the stability score."""

    label: str
    score: float
    score_text: str
    weight: str


@dataclass(frozen=True)
class Stability:
    """The revenue stability score, its parts, and the history facts behind them."""

    score: str
    parts: list[StabilityPart]
    months: int
    mean: str
    cv: str
    drawdown: str
    growth: str
    counterparties: int
    top1: str
    top5: str
    hhi: str


class FanChart(TypedDict):
    """History and projection percentiles on one month axis (json_script serialises it: a dict)."""

    labels: list[str]
    history: list[float | None]
    p5: list[float | None]
    p25: list[float | None]
    p50: list[float | None]
    p75: list[float | None]
    p95: list[float | None]


def stability_part_labels() -> dict[str, str]:
    """The five parts of the revenue stability score, in words."""
    return {
        "history_length": _("Length of history"),
        "volatility": _("Volatility of existing licensees"),
        "trend": _("Organic trend"),
        "drawdown": _("Largest drawdown"),
        "concentration": _("Spread over customers"),
    }


def _month_key(value: dt.date) -> str:
    return value.strftime("%Y-%m")


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def fan_chart(*, result: dict[str, Any], revenue: list[tuple[dt.date, float]], projection_start: dt.date) -> FanChart:
    """History and projection fan on one month axis; a licence deal's fan starts from the last month of history.

    Otherwise it starts in the month of `projection_start` (the deal's expected issue date, or today).
    """
    projection = result["projection"]
    fan = projection.get("percentiles_by_month") or {}
    months = int(projection.get("months") or 0)
    follows = bool(revenue) and result.get("deal_type") == DealType.LICENCE_REVENUE
    first = _add_months(revenue[-1][0], 1) if follows else dt.date(projection_start.year, projection_start.month, 1)
    projected = [_add_months(first, k) for k in range(months)]
    axis = sorted({m for m, _v in revenue} | set(projected))
    index = {m: i for i, m in enumerate(axis)}
    history: list[float | None] = [None] * len(axis)
    for month, total in revenue:
        history[index[month]] = total
    series: dict[str, list[float | None]] = {}
    for key in ("p5", "p25", "p50", "p75", "p95"):
        values: list[float | None] = [None] * len(axis)
        for k, month in enumerate(projected):
            row = fan.get(key) or []
            values[index[month]] = row[k] if k < len(row) else None
        if follows:
            values[index[revenue[-1][0]]] = revenue[-1][1]  # the fan opens from the last known month
        series[key] = values
    return {
        "labels": [_month_key(m) for m in axis],
        "history": history,
        "p5": series["p5"],
        "p25": series["p25"],
        "p50": series["p50"],
        "p75": series["p75"],
        "p95": series["p95"],
    }


def stability(history: dict[str, Any]) -> Stability:
    """The revenue stability score, its weighted parts, and the history facts behind them."""
    labels = stability_part_labels()
    parts = [
        StabilityPart(
            label=labels.get(k, k),
            score=v["score"],
            score_text=num(v["score"], 0),
            weight=pct(v["weight"], 0),
        )
        for k, v in history["stability_parts"].items()
    ]
    return Stability(
        score=num(history["stability_score"], 1),
        parts=parts,
        months=history["months"],
        mean=cny(history["mean_monthly"]),
        cv=pct(history["coefficient_of_variation"], 1),
        drawdown=pct(history["max_drawdown"], 1),
        growth=pct(history["organic_annual_growth"], 1),
        counterparties=history["counterparties"],
        top1=pct(history["top1_share"], 1),
        top5=pct(history["top5_share"], 1),
        hhi=num(history["hhi"], 3),
    )
