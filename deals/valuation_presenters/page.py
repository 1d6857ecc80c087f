"""The whole results section and its charts' data, and the short summary an investor's product page loads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

from django.utils.translation import gettext as _

from ..choices import DealType
from ..valuation.results import ENGINE_VERSION
from . import appraisal, cash, history, pricing, stress, structure, tranches
from .appraisal import Appraisal
from .cash import CashSources, Coverage, Empowerment
from .formatting import cny, pct
from .history import FanChart, Stability
from .pricing import Comparables, Coupons
from .stress import Breakeven, Legal, MaxSenior, StressRow
from .structure import Dscr, HistogramChart, ScheduleChart, Structure
from .tranches import SeniorTile, TrancheRow


@dataclass(frozen=True)
class Projection:
    """The projected collections over the horizon."""

    months: int
    expected_total: str
    p5: str
    p95: str
    pool_expected_loss: str
    growth: str


class LossChart(TypedDict):
    """Each tranche's expected loss and probability of shortfall, in percent."""

    labels: list[str]
    expected_loss: list[float]
    shortfall: list[float]


class ChartText(TypedDict):
    """The charts' words in the reader's language."""

    history: str
    median: str
    band90: str
    band50: str
    expected_loss: str
    shortfall: str
    share: str
    balance: str
    period: str
    unit: str


class Charts(TypedDict):
    """Every chart's data (json_script serialises it: dicts)."""

    fan: FanChart
    losses: LossChart
    dscr: HistogramChart
    dscr_after: HistogramChart
    schedule: ScheduleChart
    text: ChartText


@dataclass(frozen=True)
class Results:
    """Everything the results section shows, formatted, and the charts' data."""

    licence: bool
    confidence: str
    tranches: list[TrancheRow]
    coupons: Coupons
    comparables: Comparables
    stress: list[StressRow]
    stress_names: list[str]
    projection: Projection
    stability: Stability | None
    cash: CashSources
    coverage: Coverage
    structure: Structure
    dscr: Dscr
    breakeven: Breakeven
    max_senior: list[MaxSenior]
    senior_share_now: str
    appraisal: Appraisal | None
    empowerment: Empowerment | None
    legal: Legal
    charts: Charts
    senior: SeniorTile | None  # None: the deal has no tranche


@dataclass(frozen=True)
class Summary:
    """The few facts an investor's product page shows before the full valuation."""

    tranches: list[TrancheRow]
    stability: str
    data_share: str
    support_share: str
    verdict: str
    tone: str
    breakeven: str


def result_is_current(result: dict[str, Any] | None) -> bool:
    """Whether a stored result has the shape this page reads (an earlier engine's result is not read)."""
    return result is not None and bool(result) and result.get("engine_version") == ENGINE_VERSION


def results_context(
    *, result: dict[str, Any], revenue: list[tuple[dt.date, float]], projection_start: dt.date
) -> Results:
    """Everything the results section shows, formatted, and the charts' data.

    `revenue` is the deal's data revenue by month and `projection_start` the
    day a fan that does not follow it starts from; the caller loads both.
    """
    rows = result["tranches"]
    senior = tranches.senior_of(rows)
    confidence = tranches.confidence_of(result)
    projection = result["projection"]
    totals = projection.get("total_percentiles") or {}
    notes = sum(t["size"] for t in rows)
    coverage = result.get("coverage") or {}
    relies_on = coverage.get("relies_on") or {}
    senior_coupon = (senior.get("suggested_coupon") or {}).get("coupon") if senior else None
    return Results(
        licence=result.get("deal_type") == DealType.LICENCE_REVENUE,
        confidence=pct(confidence, 0),
        tranches=tranches.tranche_rows(result),
        coupons=pricing.coupon_rows(
            rows,
            pricing_date=result.get("pricing_date") or "",
            market_as_of=result.get("market_as_of") or "",
            senior_provider=relies_on.get("provider"),
        ),
        comparables=pricing.comparables(result.get("pricing"), build_up_coupon=senior_coupon),
        stress=stress.stress_rows(result),
        stress_names=[t["name"] for t in rows],
        projection=Projection(
            months=projection["months"],
            expected_total=cny(projection["expected_total"]),
            p5=cny(totals.get("p5")),
            p95=cny(totals.get("p95")),
            pool_expected_loss=pct(projection.get("pool_expected_loss")),
            growth=pct((projection.get("revenue_parameters") or {}).get("projected_annual_growth")),
        ),
        stability=history.stability(result["history"]) if result.get("history") else None,
        cash=cash.cash_sources(result.get("cash_sources")),
        coverage=cash.coverage(coverage, senior),
        structure=structure.structure(result.get("structure"), periods_per_year=result.get("periods_per_year") or 4),
        dscr=structure.dscr(result.get("dscr")),
        breakeven=stress.breakeven(result.get("breakeven"), rows),
        max_senior=stress.max_senior(result.get("max_senior_size") or []),
        senior_share_now=pct(senior["size"] / notes, 1) if senior and notes else "—",
        appraisal=(
            appraisal.appraisal(result["appraisal"], result.get("assumptions") or {})
            if result.get("appraisal")
            else None
        ),
        empowerment=cash.empowerment(result["empowerment"]) if result.get("empowerment") else None,
        legal=stress.legal(result),
        charts=chart_data(result=result, revenue=revenue, projection_start=projection_start),
        senior=tranches.senior_tile(senior, confidence) if senior else None,
    )


def chart_data(*, result: dict[str, Any], revenue: list[tuple[dt.date, float]], projection_start: dt.date) -> Charts:
    """The charts' data (json_script): revenue fan, tranche losses, DSCR before and after a trip, target schedule."""
    rows = result["tranches"]
    licence = result.get("deal_type") == DealType.LICENCE_REVENUE
    histograms = structure.dscr_charts(result.get("dscr"))
    return {
        "fan": history.fan_chart(result=result, revenue=revenue, projection_start=projection_start),
        "losses": {
            "labels": [t["name"] for t in rows],
            "expected_loss": [round(t["expected_loss"] * 100, 4) for t in rows],
            "shortfall": [round(t["probability_of_shortfall"] * 100, 4) for t in rows],
        },
        "dscr": histograms["dscr"],
        "dscr_after": histograms["dscr_after"],
        "schedule": structure.schedule_chart(result.get("structure")),
        "text": {
            "history": _("Revenue of the data assets (history)"),
            "median": _("Projected median") if licence else _("Projected pool collections, median"),
            "band90": _("5th–95th percentile"),
            "band50": _("25th–75th percentile"),
            "expected_loss": _("Expected loss (%)"),
            "shortfall": _("Probability of shortfall (%)"),
            "share": _("Share of path-periods (%)"),
            "balance": _("Target balance of the rated notes (CNY)"),
            "period": _("Payment period"),
            "unit": _("CNY"),
        },
    }


def summary_context(result: dict[str, Any]) -> Summary:
    """The few facts an investor's product page shows before the full valuation."""
    confidence = tranches.confidence_of(result)
    history_block = result.get("history") or {}
    coverage = cash.coverage(result.get("coverage"), tranches.senior_of(result["tranches"]))
    return Summary(
        tranches=[tranches.tranche_row(t, confidence) for t in result["tranches"]],
        stability=f"{history_block['stability_score']:,.0f}" if history_block else "—",
        data_share=pct((result.get("cash_sources") or {}).get("data_cash_share"), 1),
        support_share=coverage.loss_share,
        verdict=coverage.verdict,
        tone=coverage.tone,
        breakeven=pct((result.get("breakeven") or {}).get("senior_haircut"), 1),
    )
