"""The structure the waterfall ran (paydown, trigger, residual release, target schedule) and the DSCR around a trip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..choices import PaydownMode, ResidualRelease
from .formatting import cny, label, num, pct, shares_of, times

SCHEDULE_MODES = ("target_schedule", "controlled_amortisation")


@dataclass(frozen=True)
class SchedulePoint:
    """The rated notes' target balance after one payment period."""

    period: int
    balance: str
    share: str


@dataclass(frozen=True)
class Structure:
    """The paydown, the trigger, the residual release and the target schedule, in words."""

    mode: str
    ratio: str
    sized: bool
    trigger: str
    trigger_text: str
    controlled: bool
    controlled_periods: str
    residual: str
    residual_text: str
    rated_notes: str
    scheduled: str
    periods_per_year: int
    schedule: list[SchedulePoint]
    schedule_note: str


@dataclass(frozen=True)
class Dscr:
    """The DSCR before any trip and how often the trigger tripped."""

    trigger: str
    has_trigger: bool
    window: str
    p5: str
    p25: str
    p50: str
    below_trigger: str
    below_one: str
    tripped: str
    share_tripped: str
    periods_before: str
    periods_after: str
    has_after: bool
    top: str


class ScheduleChart(TypedDict):
    """The target schedule chart's data (json_script serialises it: a dict)."""

    labels: list[str]
    balance: list[float]


class HistogramChart(TypedDict):
    """A DSCR histogram's data: bin labels and each bin's share of path-periods in percent."""

    labels: list[str]
    share: list[float]


class DscrCharts(TypedDict):
    """The DSCR histograms before and after a trip."""

    dscr: HistogramChart
    dscr_after: HistogramChart


def periods_text(n: int) -> str:
    """'1 payment period', '2 payment periods'."""
    return ngettext("%(n)s payment period", "%(n)s payment periods", n) % {"n": n}


def trigger_text(trigger: float | None, window: int, cure: int) -> str:
    """The DSCR trigger as the documents would put it: level, trailing window, cure."""
    if trigger is None:
        return _("No DSCR test. A regulatory suspension of the data's use still traps cash while it lasts.")
    text = _("Trips when the DSCR over the last %(window)s falls below %(level)s, or while a regulator suspends "
             "the data's use.") % {"window": periods_text(window), "level": num(trigger)}  # fmt: skip
    if cure > 0:
        text += " " + _("Cured after %(cure)s passing tests in a row.") % {"cure": cure}
    else:
        text += " " + _("Once tripped it is never cured.")
    return text


def residual_text(release: str) -> str:
    """When the subordinated (residual) class may be paid, in words."""
    return {
        "after_rated_repaid": _("The residual class receives nothing until every rated class is repaid."),
        "excess_when_tests_pass": _(
            "Cash above the schedule goes to the residual class while every test passes; under a failed test it "
            "stays with the rated classes."
        ),
    }.get(release, release)


def structure(s: dict[str, Any] | None, *, periods_per_year: int) -> Structure:
    """The paydown, the trigger and the rated notes' target schedule by payment period."""
    s = s or {}
    mode = s.get("mode") or "sequential"
    rated = float(s.get("rated_notes") or 0.0)
    balances = s.get("target_balance") or []
    binds = mode in SCHEDULE_MODES
    if not balances:
        note = _("No target schedule: the whole rated balance falls due at expected maturity.")
    elif binds:
        note = _("The rated notes are paid down to this balance on each payment date, in order of priority.")
    else:
        note = _(
            "In this mode the notes take all the cash available; the schedule only sets the instalment the DSCR "
            "test measures."
        )
    return Structure(
        mode=label(PaydownMode, mode),
        ratio=times(s.get("structuring_ratio")),
        sized=mode == "target_schedule",
        trigger=num(s.get("dscr_trigger")) if s.get("dscr_trigger") is not None else _("none"),
        trigger_text=trigger_text(
            s.get("dscr_trigger"), int(s.get("trigger_window_periods") or 1), int(s.get("trigger_cure_periods") or 0)
        ),
        controlled=mode == "controlled_amortisation",
        controlled_periods=periods_text(int(s.get("controlled_amortisation_periods") or 1)),
        residual=label(ResidualRelease, s.get("residual_release")),
        residual_text=residual_text(s.get("residual_release") or ""),
        rated_notes=cny(rated),
        scheduled=periods_text(int(s.get("scheduled_periods") or 0)),
        periods_per_year=periods_per_year,
        schedule=[
            SchedulePoint(period=k + 1, balance=cny(b), share=pct(b / rated, 1) if rated else "—")
            for k, b in enumerate(balances)
        ],
        schedule_note=note,
    )


def schedule_chart(s: dict[str, Any] | None) -> ScheduleChart:
    """The target balance by payment period for the chart (period 0: the notes issued)."""
    s = s or {}
    balances = s.get("target_balance") or []
    return {"labels": [str(k) for k in range(len(balances) + 1)] if balances else [],
            "balance": [float(s.get("rated_notes") or 0.0), *balances] if balances else []}  # fmt: skip


def dscr(d: dict[str, Any] | None) -> Dscr:
    """The DSCR before any trip (lowest per path, breaches) and what share of periods ran tripped."""
    d = d or {}
    minimum = d.get("minimum_percentiles") or {}
    trigger = d.get("trigger")
    edges = (d.get("histogram") or {}).get("edges") or []
    after = sum((d.get("histogram_after_trip") or {}).get("counts") or [])
    before = sum((d.get("histogram") or {}).get("counts") or [])
    return Dscr(
        trigger=num(trigger) if trigger is not None else _("none"),
        has_trigger=trigger is not None,
        window=periods_text(int(d.get("window_periods") or 1)),
        p5=num(minimum.get("p5")),
        p25=num(minimum.get("p25")),
        p50=num(minimum.get("p50")),
        below_trigger=pct(d.get("probability_below_trigger"), 1) if trigger is not None else "—",
        below_one=pct(d.get("probability_below_one"), 1),
        tripped=pct(d.get("probability_trigger_tripped"), 1),
        share_tripped=pct(d.get("share_of_periods_tripped"), 1),
        periods_before=f"{before:,}",
        periods_after=f"{after:,}",
        has_after=after > 0,
        top=num(edges[-2], 1) if len(edges) >= 2 else "—",
    )


def dscr_bin_labels(edges: list[float]) -> list[str]:
    """Labels of the DSCR histogram's bins; the last one is open-ended (values above the top are counted in it)."""
    labels = [f"{lo:.1f}–{hi:.1f}" for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
    if labels:
        labels[-1] = f"≥ {edges[-2]:.1f}"
    return labels


def dscr_charts(d: dict[str, Any] | None) -> DscrCharts:
    """The two histograms' data: shares of path-periods before and after a trip, each adding up to 100 unrounded."""
    d = d or {}
    before = d.get("histogram") or {"edges": [], "counts": []}
    after = d.get("histogram_after_trip") or {"edges": [], "counts": []}
    return {
        "dscr": {
            "labels": dscr_bin_labels(before["edges"]) if sum(before["counts"]) else [],
            "share": shares_of(before["counts"]),
        },
        "dscr_after": {
            "labels": dscr_bin_labels(after["edges"]) if sum(after["counts"]) else [],
            "share": shares_of(after["counts"]),
        },
    }
