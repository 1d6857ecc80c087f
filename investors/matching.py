"""The matching engine: hard suitability rules and a weighted score over the investor x tranche matrix.

What is stored, what is computed live and what the valuation feeds in: docs/matching.md.

NumPy only, no Django. Inputs are `InvestorArrays` and `TrancheArrays`
(investors/matching_inputs.py, built from dicts by `encode_investors` /
`encode_tranches`); the work is done block by block over the matrix, so memory
stays bounded whatever the number of pairs.

Hard rules of an investor's risk profile (mandate); bit k of `failed_rules` is set when rule k fails:

====  ==================  ===========================================================
bit   rule                a pair fails when
====  ==================  ===========================================================
0     risk_level          product risk R_k is above the investor's tolerance C_j (k > j)
1     min_rating          the tranche's rating is worse than the investor's minimum
2     max_tenor           tenor (months) > the investor's maximum tenor
3     min_coupon          coupon < the investor's minimum coupon
4     ticket_min          tranche size < the investor's minimum ticket (the ticket cannot fit)
5     deal_type           the deal type is not among the investor's allowed types
6     industry            the originator's industry is one the investor excludes
7     no_personal_info    the investor takes no personal information and the data has some
8     pipia_required      the investor requires a PIPIA (PIPL art. 55), the data has personal
                          information and no PIPIA is on file
9     guarantee_cap       guarantee dependence > the investor's cap
====  ==================  ===========================================================

A pair is eligible when no rule fails. The risk-level rule has its own bit, so a
caller can tell a pair that fails *only* on risk level (``failed_rules ==
RULE_BITS["risk_level"]``): suitability rules let such an investor open the
product after a special warning it confirms.

Score (0-100), defined for every pair and meaningful for eligible ones: the
weighted sum of six components, each a fraction in [0, 1], with the weights of
`ScoreWeights` scaled so that they add up to 100 points:

- yield_pickup: (coupon - investor's minimum coupon) / `full_yield_pickup`, clipped to [0, 1];
- rating_headroom: notches the rating stands above the investor's minimum / `full_rating_notches`, clipped;
- tenor_fit: tenor / the investor's maximum tenor (how much of its horizon the product uses), at most 1;
- revenue_stability: the revenue stability score / 100;
- data_backing: data cash-flow share x (1 - guarantee dependence): cash that comes from the data and
  does not lean on a guarantee;
- size_fit: tranche size / the investor's maximum ticket (floored at 1 CNY), at most 1.

The component values returned (`score_components`, `MatchBlock.components`) are
points (weight share x fraction): they add up to the score.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .matching_inputs import (
    DEAL_TYPES,
    RATING_SCALE,
    InvestorArrays,
    TrancheArrays,
    Vocabulary,
    build_vocabulary,
    encode_investors,
    encode_tranches,
)
from .matching_rules import (
    RELAXABLE_RULES,
    RISK_LEVEL_ONLY,
    RULE_BITS,
    RULES,
    failed_rule_names,
    near_miss_explanations,
    near_miss_mask,
    rule_outcomes,
)

COMPONENTS: tuple[str, ...] = (
    "yield_pickup",
    "rating_headroom",
    "tenor_fit",
    "revenue_stability",
    "data_backing",
    "size_fit",
)

DEFAULT_BLOCK_PAIRS = 1 << 16


@dataclass(frozen=True)
class ScoreWeights:
    """Weights of the score components (any non-negative numbers; scaled to add up to 100) and scales."""

    yield_pickup: float = 25.0
    rating_headroom: float = 20.0
    tenor_fit: float = 10.0
    revenue_stability: float = 20.0
    data_backing: float = 15.0
    size_fit: float = 10.0
    full_yield_pickup: float = 0.01  # coupon over the minimum that earns all the yield points (100 bp)
    full_rating_notches: float = 3.0  # notches above the minimum rating that earn all the headroom points

    def __post_init__(self) -> None:
        weights = [getattr(self, name) for name in COMPONENTS]
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("weights must be non-negative with a positive sum")
        if self.full_yield_pickup <= 0 or self.full_rating_notches <= 0:
            raise ValueError("full_yield_pickup and full_rating_notches must be positive")

    def points(self) -> tuple[float, ...]:
        """Maximum points of each component, in COMPONENTS order (they add up to 100)."""
        total = sum(getattr(self, name) for name in COMPONENTS)
        return tuple(100.0 * getattr(self, name) / total for name in COMPONENTS)


@dataclass(frozen=True)
class MatchResult:
    """The whole matrix: eligible bool [I, T], failed_rules uint16 [I, T] (bit per RULES), score float32 [I, T]."""

    eligible: np.ndarray
    failed_rules: np.ndarray
    score: np.ndarray


@dataclass(frozen=True)
class MatchBlock:
    """One block of the matrix: rows investors[investor_slice], columns tranches[tranche_slice]."""

    investor_slice: slice
    tranche_slice: slice
    eligible: np.ndarray
    failed_rules: np.ndarray
    score: np.ndarray
    components: np.ndarray | None = None  # float64 [Ib, Tb, K] points, when asked for


@dataclass(frozen=True)
class EligiblePairs:
    """Flat pairs from one block, ordered by (investor, tranche) inside the block."""

    investor_idx: np.ndarray  # int64
    tranche_idx: np.ndarray  # int64
    score: np.ndarray  # float32
    failed_rules: np.ndarray  # uint16 (0, or RISK_LEVEL_ONLY when those are included)


@dataclass(frozen=True)
class TopMatches:
    """Each investor's best eligible tranches: [I, k], by score then lowest tranche index; -1 / NaN pad."""

    tranche_idx: np.ndarray  # int64
    score: np.ndarray  # float32


class _Side:
    """The arrays the kernels read, shaped to broadcast: [Ib, 1] x [1, Tb] for blocks, [N] x [N] for pairs."""

    def __init__(self, **arrays: np.ndarray) -> None:
        self.__dict__.update(arrays)

    def __getattr__(self, name: str) -> np.ndarray:  # for type checkers only
        raise AttributeError(name)

    def shaped(self, index: Any, shape: tuple[int, int] | None) -> _Side:
        return _Side(
            **{
                k: (v[index] if shape is None else v[index].reshape(shape))
                for k, v in self.__dict__.items()
                if isinstance(v, np.ndarray)
            }
        )


def _investor_side(investors: InvestorArrays) -> _Side:
    return _Side(
        risk=investors.risk_tolerance,
        min_rating=investors.min_rating,
        max_tenor=investors.max_tenor_months,
        min_coupon=investors.min_coupon,
        ticket_min=investors.ticket_min,
        allowed=investors.allowed_deal_types,
        excluded=investors.excluded_industries,
        no_pi=investors.no_personal_info,
        require_pipia=investors.require_pipia,
        cap=investors.max_guarantee_dependence,
        tenor_den=np.maximum(investors.max_tenor_months, 1).astype(np.float64),
        size_den=np.maximum(investors.ticket_max, 1.0),
    )


def _tranche_side(tranches: TrancheArrays, points: Sequence[float]) -> _Side:
    return _Side(
        risk=tranches.risk_level,
        rating=tranches.rating,
        tenor=tranches.tenor_months,
        coupon=tranches.coupon,
        size=tranches.size,
        type_bit=tranches.deal_type_bit,
        industry_bit=tranches.industry_bit,
        has_pi=tranches.has_personal_info,
        pi_without_pipia=tranches.has_personal_info & ~tranches.has_pipia,
        guarantee=tranches.guarantee_dependence,
        tenor_num=tranches.tenor_months.astype(np.float64),
        stability_points=tranches.stability_score / 100.0 * points[3],
        data_points=tranches.data_share * (1.0 - tranches.guarantee_dependence) * points[4],
    )


def _set_bit(mask: np.ndarray, failed: np.ndarray, bit: int) -> None:
    mask |= failed.view(np.uint8) * np.uint16(bit)


def _failed_rules(inv: _Side, tr: _Side) -> np.ndarray:
    """uint16 bit mask of the failed rules (see the module docstring for the bit order)."""
    mask = (tr.risk > inv.risk).astype(np.uint16)
    _set_bit(mask, tr.rating > inv.min_rating, 1 << 1)
    _set_bit(mask, tr.tenor > inv.max_tenor, 1 << 2)
    _set_bit(mask, tr.coupon < inv.min_coupon, 1 << 3)
    _set_bit(mask, tr.size < inv.ticket_min, 1 << 4)
    _set_bit(mask, (inv.allowed & tr.type_bit) == 0, 1 << 5)
    _set_bit(mask, (inv.excluded & tr.industry_bit) != 0, 1 << 6)
    _set_bit(mask, inv.no_pi & tr.has_pi, 1 << 7)
    _set_bit(mask, inv.require_pipia & tr.pi_without_pipia, 1 << 8)
    _set_bit(mask, tr.guarantee > inv.cap, 1 << 9)
    return mask


def _pair_components(inv: _Side, tr: _Side, weights: ScoreWeights, points: Sequence[float]) -> list[np.ndarray]:
    """The three components that depend on the pair (yield, rating headroom, tenor fit) and size fit, in points."""
    yield_pickup = np.clip((tr.coupon - inv.min_coupon) / weights.full_yield_pickup, 0.0, 1.0) * points[0]
    notches = inv.min_rating.astype(np.int16) - tr.rating
    headroom = np.clip(notches / weights.full_rating_notches, 0.0, 1.0) * points[1]
    tenor_fit = np.minimum(tr.tenor_num / inv.tenor_den, 1.0) * points[2]
    size_fit = np.minimum(tr.size / inv.size_den, 1.0) * points[5]
    return [yield_pickup, headroom, tenor_fit, size_fit]


def _score(
    inv: _Side, tr: _Side, weights: ScoreWeights, points: Sequence[float]
) -> tuple[np.ndarray, list[np.ndarray]]:
    yield_pickup, headroom, tenor_fit, size_fit = _pair_components(inv, tr, weights, points)
    total = yield_pickup + headroom
    total += tenor_fit
    total += tr.stability_points
    total += tr.data_points
    total += size_fit
    return total, [yield_pickup, headroom, tenor_fit, tr.stability_points, tr.data_points, size_fit]


def _block_shape(
    n_investors: int, n_tranches: int, block_investors: int | None, block_tranches: int | None
) -> tuple[int, int]:
    bt = block_tranches or max(1, min(n_tranches, DEFAULT_BLOCK_PAIRS))
    bi = block_investors or max(1, DEFAULT_BLOCK_PAIRS // bt)
    if bi < 1 or bt < 1:
        raise ValueError("block sizes must be positive")
    return bi, bt


def iter_match_blocks(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    weights: ScoreWeights | None = None,
    block_investors: int | None = None,
    block_tranches: int | None = None,
    with_components: bool = False,
) -> Iterator[MatchBlock]:
    """Rules and scores block by block (investor blocks outer, tranche blocks inner)."""
    weights = weights or ScoreWeights()
    points = weights.points()
    n_inv, n_tr = len(investors), len(tranches)
    bi, bt = _block_shape(n_inv, n_tr, block_investors, block_tranches)
    inv_all, tr_all = _investor_side(investors), _tranche_side(tranches, points)
    for i0 in range(0, n_inv, bi):
        rows = slice(i0, min(i0 + bi, n_inv))
        inv = inv_all.shaped(rows, (-1, 1))
        for j0 in range(0, n_tr, bt):
            cols = slice(j0, min(j0 + bt, n_tr))
            tr = tr_all.shaped(cols, (1, -1))
            mask = _failed_rules(inv, tr)
            total, parts = _score(inv, tr, weights, points)
            components = None
            if with_components:
                shape = mask.shape
                components = np.stack([np.broadcast_to(p, shape) for p in parts], axis=-1)
            yield MatchBlock(rows, cols, mask == 0, mask, total.astype(np.float32), components)


def match(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    weights: ScoreWeights | None = None,
    block_investors: int | None = None,
    block_tranches: int | None = None,
) -> MatchResult:
    """The whole investor x tranche matrix: eligibility, failed rules and score (7 bytes a pair)."""
    shape = (len(investors), len(tranches))
    eligible = np.empty(shape, dtype=np.bool_)
    failed = np.empty(shape, dtype=np.uint16)
    score = np.empty(shape, dtype=np.float32)
    for block in iter_match_blocks(
        investors=investors,
        tranches=tranches,
        weights=weights,
        block_investors=block_investors,
        block_tranches=block_tranches,
    ):
        where = (block.investor_slice, block.tranche_slice)
        eligible[where] = block.eligible
        failed[where] = block.failed_rules
        score[where] = block.score
    return MatchResult(eligible=eligible, failed_rules=failed, score=score)


def iter_eligible_pairs(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    weights: ScoreWeights | None = None,
    include_risk_level_only: bool = False,
    block_investors: int | None = None,
    block_tranches: int | None = None,
) -> Iterator[EligiblePairs]:
    """The eligible pairs block by block, for bulk persistence; optionally also those failing only on risk level."""
    for block in iter_match_blocks(
        investors=investors,
        tranches=tranches,
        weights=weights,
        block_investors=block_investors,
        block_tranches=block_tranches,
    ):
        keep = block.eligible
        if include_risk_level_only:
            keep = keep | (block.failed_rules == RISK_LEVEL_ONLY)
        rows, cols = np.nonzero(keep)
        if rows.size == 0:
            continue
        yield EligiblePairs(
            investor_idx=rows + block.investor_slice.start,
            tranche_idx=cols + block.tranche_slice.start,
            score=block.score[rows, cols],
            failed_rules=block.failed_rules[rows, cols],
        )


def top_matches(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    k: int,
    weights: ScoreWeights | None = None,
    block_investors: int | None = None,
    block_tranches: int | None = None,
) -> TopMatches:
    """Each investor's k best eligible tranches, highest score first (ties: lower tranche index first)."""
    if k < 1:
        raise ValueError("k must be >= 1")
    n_inv = len(investors)
    # One int64 key per pair orders by score, then by lower tranche index: the bits of a non-negative
    # float32 sort like the float, and the low word holds the complement of the tranche index.
    best = np.full((n_inv, k), -1, dtype=np.int64)
    for block in iter_match_blocks(
        investors=investors,
        tranches=tranches,
        weights=weights,
        block_investors=block_investors,
        block_tranches=block_tranches,
    ):
        cols = np.arange(block.tranche_slice.start, block.tranche_slice.stop, dtype=np.int64)
        score_bits = (block.score + np.float32(0.0)).view(np.int32).astype(np.int64)
        keys = np.where(block.eligible, (score_bits << 32) | (0x7FFFFFFF - cols), -1)
        candidates = np.concatenate([best[block.investor_slice], keys], axis=1)
        if candidates.shape[1] > k:
            part = np.argpartition(candidates, candidates.shape[1] - k, axis=1)[:, -k:]
            candidates = np.take_along_axis(candidates, part, axis=1)
        best[block.investor_slice] = -np.sort(-candidates, axis=1)[:, :k]
    found = best >= 0
    tranche_idx = np.where(found, 0x7FFFFFFF - (best & 0xFFFFFFFF), -1)
    score = np.where(found, (best >> 32).astype(np.int32).view(np.float32), np.float32(np.nan))
    return TopMatches(tranche_idx=tranche_idx, score=score)


def score_components(
    *,
    investors: InvestorArrays,
    tranches: TrancheArrays,
    investor_idx: Any,
    tranche_idx: Any,
    weights: ScoreWeights | None = None,
) -> np.ndarray:
    """Points of each component (COMPONENTS order) for the selected pairs: float64 [N, K], rows add up to the score."""
    weights = weights or ScoreWeights()
    points = weights.points()
    ii = np.asarray(investor_idx, dtype=np.int64).ravel()
    jj = np.asarray(tranche_idx, dtype=np.int64).ravel()
    if ii.shape != jj.shape:
        raise ValueError("investor_idx and tranche_idx must have the same length")
    inv = _investor_side(investors).shaped(ii, None)
    tr = _tranche_side(tranches, points).shaped(jj, None)
    _, parts = _score(inv, tr, weights, points)
    return np.stack([np.broadcast_to(p, ii.shape) for p in parts], axis=-1)


def pair_failed_rules(
    *, investors: InvestorArrays, tranches: TrancheArrays, investor_idx: Any, tranche_idx: Any
) -> np.ndarray:
    """The failed-rule bit masks (uint16 [N]) of the selected pairs, without scoring the matrix."""
    ii = np.asarray(investor_idx, dtype=np.int64).ravel()
    jj = np.asarray(tranche_idx, dtype=np.int64).ravel()
    inv = _investor_side(investors).shaped(ii, None)
    tr = _tranche_side(tranches, ScoreWeights().points()).shaped(jj, None)
    return _failed_rules(inv, tr)


__all__ = [
    "COMPONENTS",
    "DEAL_TYPES",
    "RATING_SCALE",
    "RELAXABLE_RULES",
    "RISK_LEVEL_ONLY",
    "RULES",
    "RULE_BITS",
    "EligiblePairs",
    "InvestorArrays",
    "MatchBlock",
    "MatchResult",
    "ScoreWeights",
    "TopMatches",
    "TrancheArrays",
    "Vocabulary",
    "build_vocabulary",
    "encode_investors",
    "encode_tranches",
    "failed_rule_names",
    "iter_eligible_pairs",
    "iter_match_blocks",
    "match",
    "near_miss_explanations",
    "near_miss_mask",
    "pair_failed_rules",
    "rule_outcomes",
    "score_components",
    "top_matches",
]
