"""The tranches as a rating committee reads them: both ratings, how firmly each was decided, loss with its error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..choices import TrancheClass
from .formatting import class_text, loss_pct, notches_text, num, pct, rating_text, whole


@dataclass(frozen=True)
class Decision:
    """A rating decision in words (all blank when the class has none)."""

    decided: bool | None
    state: str
    precision: str
    expected_loss: str = ""
    standard_error: str = ""


@dataclass(frozen=True)
class TrancheRow:
    """One class of notes as the tables show it."""

    name: str
    class_: str  # blank when the name already says it
    senior: bool
    rated: bool
    size: str
    coupon: str
    rating: str
    underlying: str
    enhanced_decision: Decision
    underlying_decision: Decision
    notches: int
    lifted: bool
    support: str
    support_share: str
    target: str
    meets_target: bool | None
    threshold: str
    expected_loss: str
    el_error: str
    underlying_el: str
    shortfall: str
    wal: str
    yield_: str
    irr_p5: str
    irr_p50: str
    irr_p95: str
    suggested_coupon: str


@dataclass(frozen=True)
class SeniorTile:
    """What the page's first tiles say about the senior."""

    name: str
    rating: str
    underlying: str
    lifted: bool
    decided: bool | None
    state: str
    target: str
    meets_target: bool | None
    coupon: str
    expected_loss: str
    el_error: str
    no_loss: bool
    paths: str


def confidence_of(result: dict[str, Any]) -> float:
    """The confidence the ratings were decided at (95 % unless the run says otherwise)."""
    return float((result.get("rating_decision") or {}).get("confidence") or 0.95)


def decision_words(decision: dict[str, Any] | None, confidence: float) -> Decision:
    """A rating decision in words: decided at the confidence, or only a range and rated at its conservative end."""
    if not decision:
        return Decision(decided=None, state="", precision="")
    best, worst = (decision.get("range") or [decision["rating"], decision["rating"]])[:2]
    if decision.get("decided", True):
        state = _("decided at %(confidence)s confidence") % {"confidence": pct(confidence, 0)}
    else:
        state = _("between %(best)s and %(worst)s at %(confidence)s confidence: rated at the conservative end") % {
            "best": rating_text(best),
            "worst": rating_text(worst),
            "confidence": pct(confidence, 0),
        }
    plain = decision.get("plain_paths_for_same_error")
    if decision.get("method") == "importance sampling":
        precision = _("%(paths)s paths by importance sampling") % {"paths": whole(decision.get("paths"))}
        if plain:
            precision += pgettext("clause separator", "; ") + _(
                "plain Monte Carlo would need %(paths)s paths for the same standard error"
            ) % {"paths": whole(plain)}
    else:
        precision = _("%(paths)s paths by plain Monte Carlo") % {"paths": whole(decision.get("paths"))}
    return Decision(
        decided=bool(decision.get("decided", True)),
        state=state,
        precision=precision,
        expected_loss=loss_pct(decision.get("expected_loss")),
        standard_error=loss_pct(decision.get("standard_error")),
    )


def support_words(t: dict[str, Any]) -> str:
    """What the support does for a class: the notches it adds and the share of stand-alone loss it removes."""
    notches = int(t.get("support_notches") or 0)
    share = float(t.get("support_loss_share") or 0.0)
    if not t.get("rated"):
        return "—"
    if notches == 0 and share == 0:
        return _("none: the same rating and loss without it")
    return _("%(notches)s; removes %(share)s of its stand-alone expected loss") % {
        "notches": notches_text(notches),
        "share": pct(share, 1),
    }


def tranche_row(t: dict[str, Any], confidence: float = 0.95) -> TrancheRow:
    """One class of notes, formatted: sizes, both ratings with how they were decided, loss, cash flows, coupon."""
    irr = t.get("irr_percentiles") or {}
    suggested = t.get("suggested_coupon") or {}
    klass = class_text(t["tranche_class"])
    rated = bool(t.get("rated", t.get("implied_rating") != "NR"))
    notches = int(t.get("support_notches") or 0)
    return TrancheRow(
        name=t["name"],
        class_="" if klass == t["name"] else klass,
        senior=t["tranche_class"] == TrancheClass.SENIOR,
        rated=rated,
        size=f"{t['size']:,.0f}",
        coupon=pct(t["coupon"]) if t.get("coupon_given") else _("residual"),
        rating=rating_text(t["implied_rating"]),
        underlying=rating_text(t.get("underlying_rating")) if rated else "—",
        enhanced_decision=decision_words(t.get("rating"), confidence),
        underlying_decision=decision_words(t.get("underlying"), confidence),
        notches=notches,
        lifted=notches > 0,
        support=support_words(t),
        support_share=pct(t.get("support_loss_share"), 1) if rated else "—",
        target=rating_text(t["target_rating"]),
        meets_target=t.get("meets_target"),
        threshold=loss_pct(t.get("expected_loss_threshold")),
        expected_loss=loss_pct(t["expected_loss"]),
        el_error=loss_pct(t.get("expected_loss_standard_error")),
        underlying_el=loss_pct((t.get("underlying") or {}).get("expected_loss")) if rated else "—",
        shortfall=pct(t["probability_of_shortfall"], 1),
        wal=num(t["wal_years"]),
        yield_=pct(t.get("expected_yield")),
        irr_p5=pct(irr.get("p5")),
        irr_p50=pct(irr.get("p50")),
        irr_p95=pct(irr.get("p95")),
        suggested_coupon=pct(suggested.get("coupon")) if suggested else "—",
    )


def tranche_rows(result: dict[str, Any]) -> list[TrancheRow]:
    """Every class, in priority order."""
    confidence = confidence_of(result)
    return [tranche_row(t, confidence) for t in result["tranches"]]


def senior_of(tranches: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first senior class (or the first class when there is none)."""
    return next((t for t in tranches if t["tranche_class"] == TrancheClass.SENIOR), tranches[0] if tranches else None)


def senior_tile(senior: dict[str, Any], confidence: float) -> SeniorTile:
    """What the page's first tiles say about the senior."""
    decision = decision_words(senior.get("rating"), confidence)
    return SeniorTile(
        name=senior["name"],
        rating=rating_text(senior["implied_rating"]),
        underlying=rating_text(senior.get("underlying_rating")),
        lifted=int(senior.get("support_notches") or 0) > 0,
        decided=decision.decided,
        state=decision.state,
        target=rating_text(senior["target_rating"]),
        meets_target=senior.get("meets_target"),
        coupon=pct((senior.get("suggested_coupon") or {}).get("coupon")),
        expected_loss=loss_pct(senior["expected_loss"]),
        el_error=loss_pct(senior.get("expected_loss_standard_error")),
        no_loss=not senior["expected_loss"] and not senior.get("expected_loss_standard_error"),
        paths=whole((senior.get("rating") or {}).get("paths")),
    )
