"""The per-pair reference of the matching engine: one investor and one tranche at a time, in plain Python.

It states the rules and the score the way investors/matching.py (module docstring)
describe them, with no vectorisation, so the tests can check the engine against
it on random inputs and bench/matching.py can measure the engine against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .matching import COMPONENTS, RULES, MatchResult, ScoreWeights
from .matching_inputs import InvestorArrays, TrancheArrays


@dataclass(frozen=True)
class PairOutcome:
    """One pair: eligible, the names of the failed rules, the score and its components (points)."""

    eligible: bool
    failed: tuple[str, ...]
    score: float
    components: dict[str, float]

    @property
    def failed_rules(self) -> int:
        """The failed rules as the engine's bit mask."""
        return sum(1 << RULES.index(name) for name in self.failed)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def pair_outcome(*, investor: dict[str, Any], tranche: dict[str, Any], weights: ScoreWeights) -> PairOutcome:
    """Rules and score of one pair, from `InvestorArrays.row(i)` and `TrancheArrays.row(t)`."""
    inv, tr = investor, tranche
    checks = {
        "risk_level": tr["risk_level"] <= inv["risk_tolerance"],
        "min_rating": tr["rating"] <= inv["min_rating"],  # a lower index is a better rating
        "max_tenor": tr["tenor_months"] <= inv["max_tenor_months"],
        "min_coupon": tr["coupon"] >= inv["min_coupon"],
        "ticket_min": tr["size"] >= inv["ticket_min"],
        "deal_type": bool(inv["allowed_deal_types"] & (1 << tr["deal_type"])),
        "industry": tr["industry"] < 0 or not (inv["excluded_industries"] >> tr["industry"]) & 1,
        "no_personal_info": not (inv["no_personal_info"] and tr["has_personal_info"]),
        "pipia_required": not (inv["require_pipia"] and tr["has_personal_info"] and not tr["has_pipia"]),
        "guarantee_cap": tr["guarantee_dependence"] <= inv["max_guarantee_dependence"],
    }
    failed = tuple(name for name in RULES if not checks[name])
    points = dict(zip(COMPONENTS, weights.points(), strict=True))
    fraction = {
        "yield_pickup": _clip((tr["coupon"] - inv["min_coupon"]) / weights.full_yield_pickup, 0.0, 1.0),
        "rating_headroom": _clip((inv["min_rating"] - tr["rating"]) / weights.full_rating_notches, 0.0, 1.0),
        "tenor_fit": min(tr["tenor_months"] / max(inv["max_tenor_months"], 1), 1.0),
        "revenue_stability": tr["stability_score"] / 100.0,
        "data_backing": tr["data_share"] * (1.0 - tr["guarantee_dependence"]),
        "size_fit": min(tr["size"] / max(inv["ticket_max"], 1.0), 1.0),
    }
    components = {name: fraction[name] * points[name] for name in COMPONENTS}
    score = 0.0
    for name in COMPONENTS:
        score += components[name]
    return PairOutcome(eligible=not failed, failed=failed, score=score, components=components)


def reference_match(
    *, investors: InvestorArrays, tranches: TrancheArrays, weights: ScoreWeights | None = None
) -> MatchResult:
    """The whole matrix, one pair at a time (slow: the baseline the engine is checked and timed against)."""
    weights = weights or ScoreWeights()
    inv_rows = [investors.row(i) for i in range(len(investors))]
    tr_rows = [tranches.row(t) for t in range(len(tranches))]
    shape = (len(inv_rows), len(tr_rows))
    eligible = np.zeros(shape, dtype=np.bool_)
    failed = np.zeros(shape, dtype=np.uint16)
    score = np.zeros(shape, dtype=np.float32)
    for i, inv in enumerate(inv_rows):
        for t, tr in enumerate(tr_rows):
            outcome = pair_outcome(investor=inv, tranche=tr, weights=weights)
            eligible[i, t] = outcome.eligible
            failed[i, t] = outcome.failed_rules
            score[i, t] = outcome.score
    return MatchResult(eligible=eligible, failed_rules=failed, score=score)
