"""Stress scenarios, break-even stresses (collections cut, default multiple), the largest senior, legal risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ..choices import DealType
from .formatting import cny, loss_pct, num, pct, rating_text, times


@dataclass(frozen=True)
class StressCell:
    """One tranche under one scenario."""

    expected_loss: str
    error: str
    rating: str
    value_change: str


@dataclass(frozen=True)
class StressRow:
    """The base case or one stress scenario, with every tranche's cell."""

    label: str
    description: str
    probability: str
    collections: str
    cells: list[StressCell]


@dataclass(frozen=True)
class BreakevenRow:
    """The largest stress one rated class survives."""

    name: str
    haircut: str
    survives_all: bool
    tdr: str
    multiple: str


@dataclass(frozen=True)
class Breakeven:
    """The break-even stresses of the rated classes and the senior's coverage multiple."""

    rows: list[BreakevenRow]
    pool: bool
    bdr: str
    senior: str
    multiple: str


@dataclass(frozen=True)
class MaxSenior:
    """The largest senior at its target rating, with or without support (None: the deal has none)."""

    target: str
    with_guarantees: bool | None
    size: str
    share: str
    rating: str


@dataclass(frozen=True)
class Legal:
    """The regulatory stop and the compliance review's haircut."""

    stop_annual: str
    stop_tenor: str
    tenor_months: int | str
    haircut: str
    open_findings: int


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


def _stress_cell(t: dict[str, Any]) -> StressCell:
    change = t.get("market_value_change")
    return StressCell(
        expected_loss=loss_pct(t["expected_loss"]),
        error=loss_pct(t.get("expected_loss_standard_error")),
        rating=rating_text(t["implied_rating"]),
        value_change="—" if change is None else pct(change, 1),
    )


def stress_rows(result: dict[str, Any]) -> list[StressRow]:
    """The base case, then each stress scenario: expected collections and every tranche's loss and rating."""
    rows = [
        StressRow(
            label=_("Base case"),
            description=_("The deal as structured"),
            probability="—",
            collections=cny(result["projection"]["expected_total"]),
            cells=[_stress_cell({**t, "market_value_change": None}) for t in result["tranches"]],
        )
    ]
    licence = result.get("deal_type") == DealType.LICENCE_REVENUE
    for s in result.get("stress") or []:
        label, description = scenario_text(s, licence=licence)
        rows.append(
            StressRow(
                label=label,
                description=description,
                probability=pct(s.get("probability")),
                collections=cny(s["expected_collections"]),
                cells=[_stress_cell(t) for t in s["tranches"]],
            )
        )
    return rows


def breakeven(b: dict[str, Any] | None, tranches: list[dict[str, Any]]) -> Breakeven:
    """Per rated class: the largest cut of expected collections it survives and, for pools, its break-even default
    rate (TDR) and multiple of the pool's base default rate (BDR)."""
    b = b or {}
    haircuts = b.get("haircuts") or {}
    tdr = b.get("breakeven_default_rates") or {}
    multiples = b.get("default_multiples") or {}
    rows = [
        BreakevenRow(
            name=t["name"],
            haircut=pct(haircuts.get(t["name"]), 1),
            survives_all=(haircuts.get(t["name"]) or 0.0) >= 1.0,
            tdr=pct(tdr.get(t["name"]), 1),
            multiple=times(multiples.get(t["name"]), 1),
        )
        for t in tranches
        if t["name"] in haircuts or t["name"] in tdr
    ]
    return Breakeven(
        rows=rows,
        pool=b.get("base_default_rate") is not None,
        bdr=pct(b.get("base_default_rate")),
        senior=pct(b.get("senior_haircut"), 1),
        multiple=times(b.get("senior_coverage_multiple")),
    )


def max_senior(sizes: list[dict[str, Any]]) -> list[MaxSenior]:
    """The largest senior at its target rating, with and without support when the deal has any."""
    # With no support in the deal the engine gives one row, and "with or without guarantees" says nothing.
    return [
        MaxSenior(
            target=rating_text(m["target_rating"]),
            with_guarantees=m["with_guarantees"] if len(sizes) > 1 else None,
            size=cny(m["senior_size"]),
            share=pct(m["share_of_notes"], 1),
            rating=rating_text(m["implied_rating"]),
        )
        for m in sizes
    ]


def legal(result: dict[str, Any]) -> Legal:
    """The regulatory stop named with its horizon, and the compliance review's haircut."""
    risk = result.get("legal_risk") or {}
    return Legal(
        stop_annual=pct(result.get("regulatory_stop_annual")),
        stop_tenor=pct(result.get("regulatory_stop_probability_tenor")),
        tenor_months=result.get("tenor_months") or "—",
        haircut=pct(risk.get("haircut")),
        open_findings=risk.get("open_findings", 0),
    )
