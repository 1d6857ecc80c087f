"""Reasons in plain words: why a product suits an investor, or what would make it suit.

Built from the same rows the engine sees (the profile's mandate and the
tranche's facts), with each rule's outcome from the stored match and the
score's components recomputed by the engine for the pairs on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from deals.choices import DealType
from origination.formatting import money, percent

from .matching import COMPONENTS, build_vocabulary, encode_investors, encode_tranches, rule_outcomes, score_components
from .matching_inputs import RATING_INDEX


@dataclass
class Reason:
    """One rule's outcome in words; `change` says what would make a failed rule pass."""

    rule: str
    passed: bool
    text: str
    change: str = ""


def _cny(value: Any) -> str:
    """An amount inside a sentence: whole yuan (ticket and tranche sizes are round) with its currency."""
    return _("%(amount)s CNY") % {"amount": money(value, digits=0)}


def _types(values: list[str]) -> str:
    valid = set(DealType.values)
    return pgettext("clause separator", "; ").join(str(DealType(v).label) for v in values if v in valid) or _(
        "all types"
    )


def _stand_alone(tranche: dict[str, Any]) -> str:
    """' On its own cash it rates X.' when external support lifts the class above its underlying rating."""
    underlying = tranche.get("underlying_rating") or tranche["rating"]
    if RATING_INDEX.get(underlying, 0) <= RATING_INDEX.get(tranche["rating"], 0):
        return ""
    return " " + _("Without its external support it would rate %(underlying)s.") % {"underlying": underlying}


def explain(*, profile: dict[str, Any], tranche: dict[str, Any], failed_rules: int) -> list[Reason]:
    """Every hard rule of the pair in words, passed or failed, with the change a failed one needs."""
    ok = rule_outcomes(failed_rules)
    c, r = profile, tranche
    notches = RATING_INDEX[c["min_rating"]] - RATING_INDEX[r["rating"]]
    reasons = [
        Reason("risk_level", ok["risk_level"],
               _("Product risk %(product)s against your tolerance %(investor)s.") % {"product": r["risk_level"], "investor": c["risk_tolerance"]},
               _("Only after you confirm the special risk warning.")),
        Reason("min_rating", ok["min_rating"],
               (_("Rated %(rating)s; your minimum is %(min)s (%(n)d notches of headroom).") % {"rating": r["rating"], "min": c["min_rating"], "n": max(notches, 0)}
                if ok["min_rating"] else _("Rated %(rating)s, below your minimum %(min)s.") % {"rating": r["rating"], "min": c["min_rating"]})
               + _stand_alone(r),
               _("Eligible if your minimum rating were %(rating)s.") % {"rating": r["rating"]}),
        Reason("max_tenor", ok["max_tenor"],
               _("Tenor %(tenor)d months; your maximum is %(max)d.") % {"tenor": r["tenor_months"], "max": c["max_tenor_months"]},
               _("Eligible if your maximum tenor were %(tenor)d months.") % {"tenor": r["tenor_months"]}),
        Reason("min_coupon", ok["min_coupon"],
               _("Coupon %(coupon)s; your minimum is %(min)s.") % {"coupon": percent(r["coupon"]), "min": percent(c["min_coupon"])},
               _("Eligible if your minimum coupon were %(coupon)s.") % {"coupon": percent(r["coupon"])}),
        Reason("ticket_min", ok["ticket_min"],
               _("Tranche of %(size)s; your smallest ticket is %(min)s.") % {"size": _cny(r["size"]), "min": _cny(c["ticket_min"])},
               _("Eligible if your minimum ticket were %(size)s.") % {"size": _cny(r["size"])}),
        Reason("deal_type", ok["deal_type"],
               _("%(type)s; your mandate allows %(allowed)s.") % {"type": _types([r["deal_type"]]), "allowed": _types(c["allowed_deal_types"])},
               _("Eligible if your mandate allowed %(type)s.") % {"type": _types([r["deal_type"]])}),
        Reason("industry", ok["industry"],
               _("Originator's industry: %(industry)s.") % {"industry": r["industry"]},
               _("Eligible if you did not exclude %(industry)s.") % {"industry": r["industry"]}),
        Reason("no_personal_info", ok["no_personal_info"],
               _("The underlying data holds personal information.") if r["has_personal_info"] else _("No personal information in the underlying data."),
               _("Not relaxable: your mandate takes no personal information.")),
        Reason("pipia_required", ok["pipia_required"],
               _("A personal information protection impact assessment (PIPIA) is on file.") if r["has_pipia"]
               else (_("No PIPIA on file for data with personal information.") if r["has_personal_info"] else _("No personal information, so no PIPIA is needed.")),
               _("Not relaxable: the originator must file a PIPIA (PIPL art. 55).")),
        Reason("guarantee_cap", ok["guarantee_cap"],
               _("External support removes %(dep)s of this class's stand-alone expected loss; your cap is %(cap)s.") % {"dep": percent(r["guarantee_dependence"]), "cap": percent(c["max_guarantee_dependence"])},
               _("Eligible if your guarantee-dependence cap were %(dep)s.") % {"dep": percent(r["guarantee_dependence"])}),
    ]  # fmt: skip
    for reason in reasons:
        if reason.passed:
            reason.change = ""
    return reasons


COMPONENT_LABELS = {
    "yield_pickup": gettext_lazy("yield over your minimum coupon"),
    "rating_headroom": gettext_lazy("rating headroom"),
    "tenor_fit": gettext_lazy("fit to your horizon"),
    "revenue_stability": gettext_lazy("revenue stability"),
    "data_backing": gettext_lazy("cash flow from data, not guarantees"),
    "size_fit": gettext_lazy("size against your ticket"),
}


def components(*, profiles: list[dict[str, Any]], tranches: list[dict[str, Any]]) -> list[list[tuple[str, float]]]:
    """The score's components (points) for aligned pairs, computed by the engine."""
    if not profiles:
        return []
    vocabulary = build_vocabulary(investor_rows=profiles)
    inv = encode_investors(rows=profiles, vocabulary=vocabulary)
    tr = encode_tranches(rows=tranches, vocabulary=vocabulary)
    idx = list(range(len(profiles)))
    points = score_components(investors=inv, tranches=tr, investor_idx=idx, tranche_idx=idx)
    return [
        [(str(COMPONENT_LABELS[name]), round(float(p), 1)) for name, p in zip(COMPONENTS, row, strict=True)]
        for row in points
    ]
