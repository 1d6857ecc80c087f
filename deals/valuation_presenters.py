"""What the valuation page shows: the stored result turned into rows, words and chart data (no requests here)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from origination.choices import CreditRating
from origination.jobs import JobStatus
from origination.models import User
from origination.selectors import revenue_list_for

from .choices import DealType, TrancheClass
from .models import Deal, PoolAsset, ValuationRun

# Senior data-asset ABS issued in 2025 were rated AAA(sf) and paid 1.85 % to 2.58 % (DESIGN.md section 4).
MARKET_BAND_2025 = (0.0185, 0.0258)
NEAR_BAND = 0.0025  # within 25 bp above the band is "just above", not out of the market
COUPON_PARTS = ("benchmark", "rating_spread", "liquidity_premium", "tenor_premium", "legal_premium")


# --- formatting --------------------------------------------------------------------------------------------------


def pct(value: float | None, digits: int = 2) -> str:
    """A fraction as a percentage for the page (0.0204 -> '2.04 %'); '—' when missing."""
    return "—" if value is None else f"{value * 100:,.{digits}f} %"


def cny(value: float | None) -> str:
    """An amount in CNY, whole yuan with thousands separators."""
    return "—" if value is None else f"{value:,.0f}"


def num(value: float | None, digits: int = 2) -> str:
    """A plain number with `digits` decimals."""
    return "—" if value is None else f"{value:,.{digits}f}"


def times(value: float | None) -> str:
    """A multiple (1.16 -> '1.16×')."""
    return "—" if value is None else f"{value:,.2f}×"


def rating_text(rating: str | None) -> str:
    """A rating as the reader sees it ('NR' in words)."""
    if not rating:
        return "—"
    return str(CreditRating(rating).label) if rating in CreditRating.values else rating


def class_text(tranche_class: str) -> str:
    """A tranche class in words."""
    return str(TrancheClass(tranche_class).label) if tranche_class in TrancheClass.values else tranche_class


def stability_part_labels() -> dict[str, str]:
    """The five parts of the revenue stability score, in words."""
    return {
        "history_length": _("Length of history"),
        "volatility": _("Volatility of existing licensees"),
        "trend": _("Organic trend"),
        "drawdown": _("Largest drawdown"),
        "concentration": _("Spread over customers"),
    }


def coupon_part_labels() -> dict[str, str]:
    """The components of the suggested coupon, in words."""
    return {
        "benchmark": _("Benchmark at the WAL"),
        "rating_spread": _("Rating spread"),
        "liquidity_premium": _("Liquidity premium"),
        "tenor_premium": _("Tenor premium"),
        "legal_premium": _("Legal-risk premium"),
    }


def scenario_text(stress: dict[str, Any], *, licence: bool = False) -> tuple[str, str]:
    """A stress scenario's name and what it does, in the reader's language (`licence`: no loans in the pool)."""
    p = stress.get("parameters") or {}
    texts = {
        "revenue_shock": (
            _("Revenue shock"),
            _("Data revenue cut by %(cut)s for the whole tenor") % {"cut": pct(p.get("revenue_shock"), 0)},
        ),
        "largest_customer_loss": (_("Largest customer lost"), _("The largest licensee or obligor is lost in month 1")),
        "regulatory_stop": (
            _("Regulatory stop"),
            _("A regulator suspends the use of the data for %(months)s months")
            % {"months": p.get("regulatory_stop_months", "—")},
        ),
        "rate_shock": (
            _("Rate shock"),
            (
                _("Rates up %(bps)s bp: note values fall")
                if licence
                else _("Rates up %(bps)s bp: pool default probabilities rise, note values fall")
            )
            % {"bps": num(p.get("rate_shock_bps"), 0)},
        ),
        "default_shock": (
            _("Default shock"),
            _("Pool default probabilities × %(multiple)s, recoveries cut by %(cut)s")
            % {"multiple": num(p.get("pd_multiplier"), 1), "cut": pct(p.get("recovery_haircut"), 0)},
        ),
        "combined": (_("All at once"), _("Every stress above together (rates aside)")),
    }
    name = stress.get("scenario", "")
    return texts.get(name, (name, stress.get("description", "")))


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


# --- the results, as rows a reader takes in at a glance ----------------------------------------------------------


def _month_key(value: dt.date) -> str:
    return value.strftime("%Y-%m")


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def deal_revenue_by_month(*, user: User, deal: Deal) -> list[tuple[dt.date, float]]:
    """Total monthly revenue of the deal's data assets the user may see, oldest first (one query)."""
    backing = PoolAsset.data_assets.through.objects.filter(poolasset__deal=deal).values("dataasset_id")
    rows = (
        revenue_list_for(user)
        .filter(data_asset_id__in=backing)
        .values("period")
        .order_by("period")
        .annotate(total=Sum("amount"))
    )
    return [(row["period"], float(row["total"])) for row in rows]


def fan_chart(*, result: dict[str, Any], deal: Deal, revenue: list[tuple[dt.date, float]]) -> dict[str, Any]:
    """History and projection fan on one month axis; a licence deal's fan starts from the last month of history."""
    projection = result["projection"]
    fan = projection.get("percentiles_by_month") or {}
    months = int(projection.get("months") or 0)
    follows = bool(revenue) and result.get("deal_type") == DealType.LICENCE_REVENUE
    if follows:
        first = _add_months(revenue[-1][0], 1)
    else:
        start = deal.expected_issue_date or timezone.localdate()
        first = dt.date(start.year, start.month, 1)
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
    return {"labels": [_month_key(m) for m in axis], "history": history, **series}


def _coupon_why(suggestion: dict[str, Any], parts: list[dict[str, Any]]) -> tuple[str, str, str]:
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
    biggest = max((p for p in parts if p["key"] != "benchmark"), key=lambda p: suggestion[p["key"]])
    why = _(
        "%(gap)s percentage points above the top of the band; the largest premium over the benchmark is "
        "the %(part)s for %(rating)s (%(value)s)."
    ) % {
        "gap": num((coupon - high) * 100),
        "part": biggest["label"].lower(),
        "rating": rating_text(suggestion["rating"]),
        "value": biggest["value"],
    }
    return _("above the 2025 band"), "warn" if coupon - high <= NEAR_BAND else "bad", why


def _coupon_rows(tranches: list[dict[str, Any]]) -> dict[str, Any]:
    """Suggested coupons built up from their parts, on one scale with the 2025 market band, and why each lands where."""
    low, high = MARKET_BAND_2025
    priced = [t for t in tranches if t.get("suggested_coupon")]
    scale = max([high, *(t["suggested_coupon"]["coupon"] for t in priced)]) * 1.08
    labels = coupon_part_labels()
    rows = []
    for t in priced:
        s = t["suggested_coupon"]
        parts = [
            {"key": k, "label": labels[k], "value": pct(s[k]), "width": max(0.0, s[k]) / scale * 100}
            for k in COUPON_PARTS
        ]
        position, tone, why = _coupon_why(s, parts)
        rows.append(
            {
                "name": t["name"],
                "class": class_text(t["tranche_class"]),
                "senior": t["tranche_class"] == TrancheClass.SENIOR,
                "rating": rating_text(s["rating"]),
                "wal": num(s["wal_years"]),
                "coupon": pct(s["coupon"]),
                "structure_coupon": pct(t["coupon"]) if t.get("coupon_given") else "—",
                "parts": parts,
                "position": position,
                "tone": tone,
                "why": why,
            }
        )
    return {
        "rows": rows,
        "band": {"low": pct(low), "high": pct(high), "left": low / scale * 100, "width": (high - low) / scale * 100},
        "scale_end": pct(scale, 1),
    }


def tranche_row(t: dict[str, Any]) -> dict[str, Any]:
    irr = t.get("irr_percentiles") or {}
    suggested = t.get("suggested_coupon") or {}
    klass = class_text(t["tranche_class"])
    return {
        "name": t["name"],
        "class": "" if klass == t["name"] else klass,
        "size": cny(t["size"]),
        "coupon": pct(t["coupon"]) if t.get("coupon_given") else _("residual"),
        "rating": rating_text(t["implied_rating"]),
        "target": rating_text(t["target_rating"]),
        "meets_target": t.get("meets_target"),
        "threshold": pct(t.get("expected_loss_threshold"), 3),
        "expected_loss": pct(t["expected_loss"], 3),
        "el_error": pct(t.get("expected_loss_standard_error"), 3),
        "shortfall": pct(t["probability_of_shortfall"], 1),
        "wal": num(t["wal_years"]),
        "yield": pct(t.get("expected_yield")),
        "irr_p5": pct(irr.get("p5")),
        "irr_p50": pct(irr.get("p50")),
        "irr_p95": pct(irr.get("p95")),
        "suggested_coupon": pct(suggested.get("coupon")) if suggested else "—",
    }


def _stress_cell(t: dict[str, Any]) -> dict[str, str]:
    change = t.get("market_value_change")
    return {
        "expected_loss": pct(t["expected_loss"]),
        "rating": rating_text(t["implied_rating"]),
        "value_change": "—" if change is None else pct(change, 1),
    }


def _stress_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The base case, then each stress scenario: expected collections and every tranche's loss and rating."""
    rows = [
        {
            "label": _("Base case"),
            "description": _("The deal as structured"),
            "probability": "—",
            "collections": cny(result["projection"]["expected_total"]),
            "cells": [_stress_cell({**t, "market_value_change": None}) for t in result["tranches"]],
        }
    ]
    licence = result.get("deal_type") == DealType.LICENCE_REVENUE
    for s in result.get("stress") or []:
        label, description = scenario_text(s, licence=licence)
        rows.append(
            {
                "label": label,
                "description": description,
                "probability": pct(s.get("probability")),
                "collections": cny(s["expected_collections"]),
                "cells": [_stress_cell(t) for t in s["tranches"]],
            }
        )
    return rows


def _stability(history: dict[str, Any]) -> dict[str, Any]:
    labels = stability_part_labels()
    parts = [
        {
            "label": labels.get(k, k),
            "score": v["score"],
            "score_text": num(v["score"], 0),
            "weight": pct(v["weight"], 0),
        }
        for k, v in history["stability_parts"].items()
    ]
    return {
        "score": num(history["stability_score"], 1),
        "parts": parts,
        "months": history["months"],
        "mean": cny(history["mean_monthly"]),
        "cv": pct(history["coefficient_of_variation"], 1),
        "drawdown": pct(history["max_drawdown"], 1),
        "growth": pct(history["organic_annual_growth"], 1),
        "counterparties": history["counterparties"],
        "top1": pct(history["top1_share"], 1),
        "top5": pct(history["top5_share"], 1),
        "hhi": num(history["hhi"], 3),
    }


def _coverage(coverage: dict[str, Any]) -> dict[str, Any]:
    c = coverage
    return {
        "data_share": pct(c.get("data_cash_share"), 1),
        "debt_service": cny(c.get("senior_debt_service")),
        "without": times(c.get("senior_coverage_without_guarantees")),
        "without_p5": times(c.get("senior_coverage_without_guarantees_p5")),
        "with": times(c.get("senior_coverage_with_guarantees")),
        "with_p5": times(c.get("senior_coverage_with_guarantees_p5")),
        "capacity": cny(c.get("guarantee_capacity")),
        "dependence": pct(c.get("guarantee_dependence"), 1),
        "dependence_expected": pct(c.get("guarantee_dependence_expected"), 1),
        "leans_on_guarantees": (c.get("guarantee_dependence") or 0) > 0,
        "rating_with": rating_text(c.get("senior_rating_with_guarantees")),
        "rating_without": rating_text(c.get("senior_rating_without_guarantees")),
        "el_with": pct(c.get("senior_expected_loss_with_guarantees"), 3),
        "el_without": pct(c.get("senior_expected_loss_without_guarantees"), 3),
        "collections_to_notes": times(c.get("collections_to_notes")),
    }


def _dscr(dscr: dict[str, Any]) -> dict[str, Any]:
    minimum = dscr.get("minimum_percentiles") or {}
    return {
        "trigger": num(dscr.get("trigger")),
        "p5": num(minimum.get("p5")),
        "p50": num(minimum.get("p50")),
        "below_trigger": pct(dscr.get("probability_below_trigger"), 1),
        "below_one": pct(dscr.get("probability_below_one"), 1),
        "tripped": pct(dscr.get("probability_trigger_tripped"), 1),
    }


def _max_senior(sizes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # With no guarantee in the deal the engine gives one row, and "with or without guarantees" says nothing.
    return [
        {
            "target": rating_text(m["target_rating"]),
            "with_guarantees": m["with_guarantees"] if len(sizes) > 1 else None,
            "size": cny(m["senior_size"]),
            "share": pct(m["share_of_notes"], 1),
            "rating": rating_text(m["implied_rating"]),
        }
        for m in sizes
    ]


def _appraisal(appraisal: dict[str, Any]) -> dict[str, Any]:
    a = appraisal
    values = [v for v in (a.get("income_value"), a.get("cost_value"), a.get("market_value")) if v]
    return {
        "methods": [
            {"label": _("Income method"), "value": cny(a.get("income_value"))},
            {"label": _("Cost method"), "value": cny(a.get("cost_value"))},
            {"label": _("Market method"), "value": cny(a.get("market_value"))},
        ],
        "indicated": cny(a.get("indicated_value")),
        "quality": num(a.get("quality_coefficient"), 3),
        "discount_rate": pct(a.get("discount_rate")),
        "spread": times(max(values) / min(values)) if len(values) >= 2 else "—",
        "divergent": a.get("divergent"),
        "threshold": pct(a.get("divergence_threshold"), 0),
    }


def _empowerment(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "pd": (pct(e["average_pd_with_data"]), pct(e["average_pd_without_data"])),
        "pool_loss": (pct(e["pool_expected_loss_with_data"]), pct(e["pool_expected_loss_without_data"])),
        "senior_loss": (pct(e["senior_expected_loss_with_data"], 3), pct(e["senior_expected_loss_without_data"], 3)),
        "rating": (rating_text(e["senior_rating_with_data"]), rating_text(e["senior_rating_without_data"])),
        "coupon": (pct(e["senior_coupon_with_data"]), pct(e["senior_coupon_without_data"])),
        "saving_bps": num(e["coupon_saving_bps"], 0),
    }


def results_context(*, result: dict[str, Any], deal: Deal, revenue: list[tuple[dt.date, float]]) -> dict[str, Any]:
    """Everything the results section shows, formatted, and the charts' data."""
    tranches = result["tranches"]
    senior = next((t for t in tranches if t["tranche_class"] == TrancheClass.SENIOR), tranches[0] if tranches else None)
    projection = result["projection"]
    totals = projection.get("total_percentiles") or {}
    breakeven = result.get("breakeven") or {}
    legal = result.get("legal_risk") or {}
    notes = sum(t["size"] for t in tranches)
    context: dict[str, Any] = {
        "licence": result.get("deal_type") == DealType.LICENCE_REVENUE,
        "tranches": [tranche_row(t) for t in tranches],
        "coupons": _coupon_rows(tranches),
        "stress": _stress_rows(result),
        "stress_names": [t["name"] for t in tranches],
        "projection": {
            "months": projection["months"],
            "expected_total": cny(projection["expected_total"]),
            "p5": cny(totals.get("p5")),
            "p95": cny(totals.get("p95")),
            "pool_expected_loss": pct(projection.get("pool_expected_loss")),
            "growth": pct((projection.get("revenue_parameters") or {}).get("projected_annual_growth")),
        },
        "stability": _stability(result["history"]) if result.get("history") else None,
        "coverage": _coverage(result.get("coverage") or {}),
        "dscr": _dscr(result.get("dscr") or {}),
        "breakeven": {
            "rows": [{"name": name, "haircut": pct(cut, 1)} for name, cut in (breakeven.get("haircuts") or {}).items()],
            "senior": pct(breakeven.get("senior_haircut"), 1),
            "multiple": times(breakeven.get("senior_coverage_multiple")),
        },
        "max_senior": _max_senior(result.get("max_senior_size") or []),
        "senior_share_now": pct(senior["size"] / notes, 1) if senior and notes else "—",
        "appraisal": _appraisal(result["appraisal"]) if result.get("appraisal") else None,
        "empowerment": _empowerment(result["empowerment"]) if result.get("empowerment") else None,
        "regulatory_stop": pct(result.get("regulatory_stop_probability")),
        "legal": {"haircut": pct(legal.get("haircut")), "open_findings": legal.get("open_findings", 0)},
        "charts": chart_data(result=result, deal=deal, revenue=revenue),
    }
    if senior:
        context["senior"] = {
            "name": senior["name"],
            "rating": rating_text(senior["implied_rating"]),
            "target": rating_text(senior["target_rating"]),
            "meets_target": senior.get("meets_target"),
            "coupon": pct((senior.get("suggested_coupon") or {}).get("coupon")),
            "expected_loss": pct(senior["expected_loss"], 3),
        }
    return context


def dscr_bin_labels(edges: list[float]) -> list[str]:
    """Labels of the DSCR histogram's bins; the last one is open-ended (values above the top are counted in it)."""
    labels = [f"{lo:.1f}–{hi:.1f}" for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
    if labels:
        labels[-1] = f"≥ {edges[-2]:.1f}"
    return labels


def chart_data(*, result: dict[str, Any], deal: Deal, revenue: list[tuple[dt.date, float]]) -> dict[str, Any]:
    """The data of the three charts (json_script): revenue fan, tranche losses, DSCR histogram; labels translated."""
    histogram = (result.get("dscr") or {}).get("histogram") or {"edges": [], "counts": []}
    counts = histogram["counts"]
    total = sum(counts) or 1
    tranches = result["tranches"]
    licence = result.get("deal_type") == DealType.LICENCE_REVENUE
    return {
        "fan": fan_chart(result=result, deal=deal, revenue=revenue),
        "losses": {
            "labels": [t["name"] for t in tranches],
            "expected_loss": [round(t["expected_loss"] * 100, 4) for t in tranches],
            "shortfall": [round(t["probability_of_shortfall"] * 100, 4) for t in tranches],
        },
        # Unrounded shares: they add up to 100 (rounding each one would not); the chart formats them.
        "dscr": {"labels": dscr_bin_labels(histogram["edges"]), "share": [c / total * 100 for c in counts]},
        "text": {
            "history": _("Revenue of the data assets (history)"),
            "median": _("Projected median") if licence else _("Projected pool collections, median"),
            "band90": _("5th–95th percentile"),
            "band50": _("25th–75th percentile"),
            "expected_loss": _("Expected loss (%)"),
            "shortfall": _("Probability of shortfall (%)"),
            "share": _("Share of path-periods (%)"),
            "unit": _("CNY"),
        },
    }


# --- views -------------------------------------------------------------------------------------------------------
