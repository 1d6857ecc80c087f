"""The hard rules' names and bits, their outcomes, and near-miss explanations (the smallest change to pass).

NumPy only, no Django. The bit order of `failed_rules` is the order of RULES:
bit k is set when RULES[k] failed (see investors/matching.py for what each rule
checks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .matching_inputs import (
    RATING_SCALE,
    InvestorArrays,
    TrancheArrays,
    Vocabulary,
    deal_type_names,
    risk_label,
)

RULES: tuple[str, ...] = (
    "risk_level",
    "min_rating",
    "max_tenor",
    "min_coupon",
    "ticket_min",
    "deal_type",
    "industry",
    "no_personal_info",
    "pipia_required",
    "guarantee_cap",
)
RULE_BITS: dict[str, int] = {name: 1 << k for k, name in enumerate(RULES)}
RISK_LEVEL_ONLY = RULE_BITS["risk_level"]

# Limits an investor sets as a number or a list: the smallest change that lifts them is meaningful
# advice. The two privacy rules are left out on purpose: a privacy stance is a compliance policy, not a
# threshold traded for one product, and a missing PIPIA is the product's gap (PIPL art. 55), not the
# investor's.
RELAXABLE_RULES: frozenset[str] = frozenset(RULES) - {"no_personal_info", "pipia_required"}


def rule_outcomes(failed_rules: int) -> dict[str, bool]:
    """Every rule's outcome for one pair, in RULES order: True when the rule passed."""
    value = int(failed_rules)
    return {name: not (value & bit) for name, bit in RULE_BITS.items()}


def failed_rule_names(failed_rules: int) -> list[str]:
    """Names of the rules a pair failed, in RULES order."""
    value = int(failed_rules)
    return [name for name, bit in RULE_BITS.items() if value & bit]


def _relaxable_mask(relaxable: frozenset[str] | set[str]) -> int:
    unknown = set(relaxable) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rules: {sorted(unknown)}")
    return sum(RULE_BITS[name] for name in relaxable)


def near_miss_mask(failed_rules: np.ndarray, *, relaxable: frozenset[str] | set[str] = RELAXABLE_RULES) -> np.ndarray:
    """True where a pair fails exactly one rule and that rule is relaxable."""
    failed = np.asarray(failed_rules, dtype=np.uint16)
    single = (failed != 0) & ((failed & (failed - np.uint16(1))) == 0)
    return single & ((failed & np.uint16(_relaxable_mask(relaxable))) != 0)


def _change(rule: str, inv: dict[str, Any], tr: dict[str, Any], vocabulary: Vocabulary) -> tuple[Any, Any]:
    """(current limit, needed value) of one rule for one pair: the smallest change that lets it pass."""
    if rule == "risk_level":
        return risk_label(inv["risk_tolerance"], prefix="C"), risk_label(tr["risk_level"], prefix="C")
    if rule == "min_rating":
        return RATING_SCALE[inv["min_rating"]], RATING_SCALE[tr["rating"]]
    if rule == "max_tenor":
        return inv["max_tenor_months"], tr["tenor_months"]
    if rule == "min_coupon":
        return inv["min_coupon"], tr["coupon"]
    if rule == "ticket_min":
        return inv["ticket_min"], tr["size"]
    if rule == "deal_type":
        allowed = deal_type_names(inv["allowed_deal_types"])
        return allowed, deal_type_names(inv["allowed_deal_types"] | (1 << tr["deal_type"]))
    if rule == "industry":
        excluded = vocabulary.industry_names(inv["excluded_industries"])
        return excluded, [name for name in excluded if name != vocabulary.industries[tr["industry"]]]
    if rule == "no_personal_info":
        return True, False
    if rule == "pipia_required":
        return True, False
    if rule == "guarantee_cap":
        return inv["max_guarantee_dependence"], tr["guarantee_dependence"]
    raise ValueError(rule)


def near_miss_explanations(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    failed_rules: np.ndarray,
    vocabulary: Vocabulary,
    investor_idx: Any = None,
    tranche_idx: Any = None,
    relaxable: frozenset[str] | set[str] = RELAXABLE_RULES,
) -> list[dict[str, Any]]:
    """For each near miss (exactly one failed rule, a relaxable one), the smallest change that makes it eligible.

    `failed_rules` is either the [I, T] matrix (every pair is considered) or a 1-D array aligned with
    `investor_idx` and `tranche_idx` (e.g. read back from the database). Each entry is
    {"investor": i, "tranche": t, "rule": name, "current": limit, "needed": value}, e.g.
    {"rule": "min_rating", "current": "AAA", "needed": "AA+"}: eligible if the minimum rating were AA+.
    Ratings are scale names, risk tolerances 'C1'..'C5', tenors months, coupons and caps fractions,
    ticket sizes CNY, deal types and industries lists (the allowed types, the excluded industries).
    """
    failed = np.asarray(failed_rules, dtype=np.uint16)
    if investor_idx is None and tranche_idx is None:
        if failed.shape != (len(investors), len(tranches)):
            raise ValueError("a full failed_rules matrix must be [investors, tranches]")
        ii, jj = np.nonzero(near_miss_mask(failed, relaxable=relaxable))
        bits = failed[ii, jj]
    else:
        ii = np.asarray(investor_idx, dtype=np.int64).ravel()
        jj = np.asarray(tranche_idx, dtype=np.int64).ravel()
        failed = failed.ravel()
        if not ii.shape == jj.shape == failed.shape:
            raise ValueError("investor_idx, tranche_idx and failed_rules must be aligned")
        keep = near_miss_mask(failed, relaxable=relaxable)
        ii, jj, bits = ii[keep], jj[keep], failed[keep]
    out = []
    for i, t, bit in zip(ii.tolist(), jj.tolist(), bits.tolist(), strict=True):
        rule = RULES[int(bit).bit_length() - 1]
        current, needed = _change(rule, investors.row(i), tranches.row(t), vocabulary)
        out.append({"investor": i, "tranche": t, "rule": rule, "current": current, "needed": needed})
    return out
