"""The matching engine: hard rules, score, near misses, blocks; checked against the per-pair reference."""

from __future__ import annotations

import math
import tracemalloc
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deals.choices import DealType
from investors.choices import RiskTolerance
from investors.matching import (
    COMPONENTS,
    DEAL_TYPES,
    RATING_SCALE,
    RELAXABLE_RULES,
    RISK_LEVEL_ONLY,
    RULE_BITS,
    RULES,
    InvestorArrays,
    ScoreWeights,
    TrancheArrays,
    Vocabulary,
    build_vocabulary,
    encode_investors,
    encode_tranches,
    failed_rule_names,
    iter_eligible_pairs,
    iter_match_blocks,
    match,
    near_miss_explanations,
    near_miss_mask,
    pair_failed_rules,
    rule_outcomes,
    score_components,
    top_matches,
)
from investors.matching_reference import pair_outcome, reference_match
from origination.choices import RATING_ORDER, CreditRating

M = 1_000_000


# ---------------------------------------------------------------- helpers


def investor_row(**changes):
    """A mandate that accepts the base tranche below on every rule."""
    row = {
        "risk_tolerance": "C3",
        "min_rating": "AA+",
        "max_tenor_months": 60,
        "min_coupon": Decimal("0.0200"),
        "ticket_min": Decimal("10000000"),
        "ticket_max": Decimal("100000000"),
        "allowed_deal_types": ["licence_revenue", "empowerment"],
        "excluded_industries": ["Financial leasing"],
        "no_personal_info": False,
        "require_pipia": True,
        "max_guarantee_dependence": Decimal("0.5"),
    }
    row.update(changes)
    return row


def tranche_row(**changes):
    """A AAA licence-revenue senior, 36 months, 2.5 %, 50 M CNY, personal information with a PIPIA on file."""
    row = {
        "risk_level": "R2",
        "rating": "AAA",
        "tenor_months": 36,
        "coupon": Decimal("0.0250"),
        "size": Decimal("50000000"),
        "deal_type": "licence_revenue",
        "industry": "Transport",
        "has_personal_info": True,
        "has_pipia": True,
        "guarantee_dependence": Decimal("0.1"),
        "stability_score": 85,
        "data_share": Decimal("0.9"),
    }
    row.update(changes)
    return row


def encode(investor_rows, tranche_rows):
    vocabulary = build_vocabulary(investor_rows=investor_rows)
    return (
        encode_investors(rows=investor_rows, vocabulary=vocabulary),
        encode_tranches(rows=tranche_rows, vocabulary=vocabulary),
        vocabulary,
    )


def failures(investor, tranche):
    """Names of the rules one pair fails, by the engine."""
    investors, tranches, _ = encode([investor], [tranche])
    result = match(investors=investors, tranches=tranches)
    return failed_rule_names(result.failed_rules[0, 0])


# ---------------------------------------------------------------- random inputs (hypothesis)

# Values drawn from short lists make limits and tranche values meet exactly, where >= vs > matters.
COUPONS = st.one_of(st.sampled_from([0.0, 0.0185, 0.02, 0.0204, 0.025, 0.03]), st.floats(0, 0.08))
MONEY = st.one_of(st.sampled_from([0.0, 1e7, 5e7, 1e8, 5e8]), st.floats(0, 2e9))
SHARES = st.one_of(st.sampled_from([0.0, 0.2, 0.5, 0.9, 1.0]), st.floats(0, 1))
MONTHS = st.one_of(st.sampled_from([12, 24, 36, 60, 120]), st.integers(1, 240))
INDUSTRY_MASKS = st.one_of(st.sampled_from([0, 1, 0b101, 1 << 63, (1 << 64) - 1]), st.integers(0, (1 << 64) - 1))


def _column(draw, n, strategy):
    return draw(st.lists(strategy, min_size=n, max_size=n))


@st.composite
def investor_arrays(draw, n=None):
    n = n if n is not None else draw(st.integers(1, 9))
    ticket_min = _column(draw, n, MONEY)
    return InvestorArrays(
        risk_tolerance=_column(draw, n, st.integers(1, 5)),
        min_rating=_column(draw, n, st.integers(0, len(RATING_SCALE) - 1)),
        max_tenor_months=_column(draw, n, st.one_of(st.just(0), MONTHS)),
        min_coupon=_column(draw, n, COUPONS),
        ticket_min=ticket_min,
        ticket_max=[low + extra for low, extra in zip(ticket_min, _column(draw, n, MONEY), strict=True)],
        allowed_deal_types=_column(draw, n, st.integers(0, 7)),
        excluded_industries=np.array(_column(draw, n, INDUSTRY_MASKS), dtype=np.uint64),
        no_personal_info=_column(draw, n, st.booleans()),
        require_pipia=_column(draw, n, st.booleans()),
        max_guarantee_dependence=_column(draw, n, SHARES),
    )


@st.composite
def tranche_arrays(draw, n=None):
    n = n if n is not None else draw(st.integers(1, 9))
    return TrancheArrays(
        risk_level=_column(draw, n, st.integers(1, 5)),
        rating=_column(draw, n, st.integers(0, len(RATING_SCALE) - 1)),
        tenor_months=_column(draw, n, MONTHS),
        coupon=_column(draw, n, COUPONS),
        size=_column(draw, n, MONEY),
        deal_type=_column(draw, n, st.integers(0, 2)),
        industry=_column(draw, n, st.sampled_from([-1, 0, 1, 2, 5, 63])),
        has_personal_info=_column(draw, n, st.booleans()),
        has_pipia=_column(draw, n, st.booleans()),
        guarantee_dependence=_column(draw, n, SHARES),
        stability_score=_column(draw, n, st.one_of(st.sampled_from([0.0, 40.0, 80.0, 100.0]), st.floats(0, 100))),
        data_share=_column(draw, n, SHARES),
    )


WEIGHTS = st.one_of(
    st.just(ScoreWeights()),
    st.builds(
        ScoreWeights,
        yield_pickup=st.floats(0, 50),
        rating_headroom=st.floats(0, 50),
        tenor_fit=st.floats(0, 50),
        revenue_stability=st.floats(0, 50),
        data_backing=st.floats(0, 50),
        size_fit=st.floats(1, 50),
        full_yield_pickup=st.floats(0.001, 0.05),
        full_rating_notches=st.floats(0.5, 6),
    ),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(investors=investor_arrays(), tranches=tranche_arrays(), weights=WEIGHTS)
def test_engine_equals_the_per_pair_reference_on_random_inputs(investors, tranches, weights):
    result = match(investors=investors, tranches=tranches, weights=weights)
    for i in range(len(investors)):
        for t in range(len(tranches)):
            expected = pair_outcome(investor=investors.row(i), tranche=tranches.row(t), weights=weights)
            assert failed_rule_names(result.failed_rules[i, t]) == list(expected.failed)
            assert bool(result.eligible[i, t]) is expected.eligible
            assert result.score[i, t] == pytest.approx(expected.score, abs=1e-5)


@SETTINGS
@given(
    investors=investor_arrays(),
    tranches=tranche_arrays(),
    weights=WEIGHTS,
    block_investors=st.integers(1, 10),
    block_tranches=st.integers(1, 10),
)
def test_block_size_does_not_change_any_result(investors, tranches, weights, block_investors, block_tranches):
    whole = match(investors=investors, tranches=tranches, weights=weights, block_investors=10**6, block_tranches=10**6)
    blocked = match(
        investors=investors,
        tranches=tranches,
        weights=weights,
        block_investors=block_investors,
        block_tranches=block_tranches,
    )
    np.testing.assert_array_equal(blocked.eligible, whole.eligible)
    np.testing.assert_array_equal(blocked.failed_rules, whole.failed_rules)
    np.testing.assert_array_equal(blocked.score, whole.score)


@SETTINGS
@given(investors=investor_arrays(), tranches=tranche_arrays(), weights=WEIGHTS)
def test_score_components_add_up_to_the_score_and_equal_the_reference(investors, tranches, weights):
    result = match(investors=investors, tranches=tranches, weights=weights)
    ii, jj = np.meshgrid(np.arange(len(investors)), np.arange(len(tranches)), indexing="ij")
    parts = score_components(
        investors=investors, tranches=tranches, investor_idx=ii.ravel(), tranche_idx=jj.ravel(), weights=weights
    )
    np.testing.assert_allclose(parts.sum(axis=1), result.score.ravel(), atol=1e-5)
    assert (parts >= 0).all()
    assert (parts <= np.array(weights.points()) + 1e-9).all()  # no component earns more than its weight
    for n, (i, t) in enumerate(zip(ii.ravel().tolist(), jj.ravel().tolist(), strict=True)):
        expected = pair_outcome(investor=investors.row(i), tranche=tranches.row(t), weights=weights)
        assert parts[n] == pytest.approx([expected.components[name] for name in COMPONENTS], abs=1e-9)
    pairs = pair_failed_rules(investors=investors, tranches=tranches, investor_idx=ii.ravel(), tranche_idx=jj.ravel())
    np.testing.assert_array_equal(pairs, result.failed_rules.ravel())


@SETTINGS
@given(investors=investor_arrays(), tranches=tranche_arrays(), block=st.integers(1, 10))
def test_components_of_blocks_match_the_blocks_scores(investors, tranches, block):
    for b in iter_match_blocks(investors=investors, tranches=tranches, block_investors=block, with_components=True):
        assert b.components.shape == (*b.score.shape, len(COMPONENTS))
        np.testing.assert_allclose(b.components.sum(axis=-1), b.score, atol=1e-5)


@SETTINGS
@given(
    investors=investor_arrays(),
    tranches=tranche_arrays(),
    block=st.integers(1, 10),
    include_risk_only=st.booleans(),
)
def test_eligible_pairs_iterator_yields_each_eligible_pair_once(investors, tranches, block, include_risk_only):
    result = match(investors=investors, tranches=tranches)
    wanted = result.eligible | (include_risk_only & (result.failed_rules == RISK_LEVEL_ONLY))
    seen = np.zeros_like(result.eligible, dtype=np.int64)
    for pairs in iter_eligible_pairs(
        investors=investors,
        tranches=tranches,
        include_risk_level_only=include_risk_only,
        block_investors=block,
        block_tranches=block,
    ):
        np.add.at(seen, (pairs.investor_idx, pairs.tranche_idx), 1)
        np.testing.assert_array_equal(pairs.score, result.score[pairs.investor_idx, pairs.tranche_idx])
        np.testing.assert_array_equal(pairs.failed_rules, result.failed_rules[pairs.investor_idx, pairs.tranche_idx])
    np.testing.assert_array_equal(seen, wanted.astype(np.int64))


@SETTINGS
@given(investors=investor_arrays(), tranches=tranche_arrays(), k=st.integers(1, 12), block=st.integers(1, 10))
def test_top_matches_are_the_best_eligible_tranches_by_score_then_index(investors, tranches, k, block):
    result = match(investors=investors, tranches=tranches)
    top = top_matches(investors=investors, tranches=tranches, k=k, block_investors=block, block_tranches=block)
    assert top.tranche_idx.shape == (len(investors), k)
    for i in range(len(investors)):
        ranked = sorted((-float(result.score[i, t]), t) for t in range(len(tranches)) if result.eligible[i, t])[:k]
        expected = [t for _, t in ranked] + [-1] * (k - len(ranked))
        assert top.tranche_idx[i].tolist() == expected
        for slot, t in enumerate(expected):
            if t < 0:
                assert math.isnan(top.score[i, slot])
            else:
                assert top.score[i, slot] == result.score[i, t]


@SETTINGS
@given(investors=investor_arrays(), tranches=tranche_arrays())
def test_the_change_a_near_miss_names_makes_the_pair_eligible(investors, tranches):
    """Apply the needed value to the investor: the pair then passes; for a number, a hair less still fails."""
    vocabulary = Vocabulary(industries=tuple(f"industry {k}" for k in range(64)))
    result = match(investors=investors, tranches=tranches)
    misses = near_miss_explanations(
        investors=investors, tranches=tranches, failed_rules=result.failed_rules, vocabulary=vocabulary
    )
    assert len(misses) == int(near_miss_mask(result.failed_rules).sum())
    for miss in misses:
        i, t, rule = miss["investor"], miss["tranche"], miss["rule"]
        assert rule in RELAXABLE_RULES
        assert failed_rule_names(result.failed_rules[i, t]) == [rule]
        inv = investors.row(i)
        relaxed = dict(inv)
        field, value = {
            "risk_level": ("risk_tolerance", lambda v: int(v[1])),
            "min_rating": ("min_rating", RATING_SCALE.index),
            "max_tenor": ("max_tenor_months", int),
            "min_coupon": ("min_coupon", float),
            "ticket_min": ("ticket_min", float),
            "guarantee_cap": ("max_guarantee_dependence", float),
            "deal_type": ("allowed_deal_types", lambda v: sum(1 << DEAL_TYPES.index(x) for x in v)),
            "industry": ("excluded_industries", vocabulary.industry_mask),
        }[rule]
        relaxed[field] = value(miss["needed"])
        outcome = pair_outcome(investor=relaxed, tranche=tranches.row(t), weights=ScoreWeights())
        assert outcome.eligible, miss
        # Smallest: stopping one step short of the needed value leaves the pair ineligible.
        short = dict(inv)
        if rule in ("risk_level", "min_rating", "max_tenor"):
            short[field] = relaxed[field] - 1
        elif rule in ("min_coupon", "ticket_min"):
            short[field] = math.nextafter(relaxed[field], math.inf)
        elif rule == "guarantee_cap":
            short[field] = math.nextafter(relaxed[field], -math.inf)
        else:
            continue
        assert not pair_outcome(investor=short, tranche=tranches.row(t), weights=ScoreWeights()).eligible


# ---------------------------------------------------------------- each rule by hand


def test_the_base_pair_passes_every_rule():
    assert failures(investor_row(), tranche_row()) == []


@pytest.mark.parametrize(
    ("investor_changes", "tranche_changes", "failed"),
    [
        ({"risk_tolerance": "C2"}, {"risk_level": "R3"}, ["risk_level"]),
        ({"risk_tolerance": "C2"}, {"risk_level": "R2"}, []),  # R_k allowed for C_j when k <= j
        ({"risk_tolerance": "C5"}, {"risk_level": "R5"}, []),
        ({"risk_tolerance": "C1"}, {"risk_level": "R2"}, ["risk_level"]),
        ({"min_rating": "AA+"}, {"rating": "AA"}, ["min_rating"]),
        ({"min_rating": "AA+"}, {"rating": "AA+"}, []),
        ({"min_rating": "AAA"}, {"rating": "AA+"}, ["min_rating"]),
        ({"min_rating": "AA-"}, {"rating": "NR"}, ["min_rating"]),  # an unrated note fails any rated minimum
        ({"min_rating": "NR"}, {"rating": "NR"}, []),  # a mandate without a rating floor takes it
        ({"max_tenor_months": 36}, {"tenor_months": 37}, ["max_tenor"]),
        ({"max_tenor_months": 36}, {"tenor_months": 36}, []),
        ({"min_coupon": Decimal("0.0204")}, {"coupon": Decimal("0.0203")}, ["min_coupon"]),
        ({"min_coupon": Decimal("0.0204")}, {"coupon": Decimal("0.0204")}, []),
        ({"ticket_min": Decimal("50000000")}, {"size": Decimal("49999999")}, ["ticket_min"]),
        ({"ticket_min": Decimal("50000000")}, {"size": Decimal("50000000")}, []),
        ({"allowed_deal_types": ["licence_revenue"]}, {"deal_type": "empowerment"}, ["deal_type"]),
        ({"allowed_deal_types": []}, {"deal_type": "data_pledge"}, []),  # an empty list allows every type
        ({"excluded_industries": ["Financial leasing"]}, {"industry": "  financial LEASING "}, ["industry"]),
        ({"excluded_industries": ["Financial leasing"]}, {"industry": "Leasing"}, []),
        ({"no_personal_info": True}, {"has_personal_info": True}, ["no_personal_info"]),
        ({"no_personal_info": True}, {"has_personal_info": False, "has_pipia": False}, []),
        ({"require_pipia": True}, {"has_personal_info": True, "has_pipia": False}, ["pipia_required"]),
        ({"require_pipia": True}, {"has_personal_info": False, "has_pipia": False}, []),  # nothing to assess
        ({"require_pipia": False}, {"has_personal_info": True, "has_pipia": False}, []),
        (
            {"no_personal_info": True, "require_pipia": True},
            {"has_personal_info": True, "has_pipia": False},
            ["no_personal_info", "pipia_required"],
        ),
        ({"max_guarantee_dependence": Decimal("0.3")}, {"guarantee_dependence": Decimal("0.31")}, ["guarantee_cap"]),
        ({"max_guarantee_dependence": Decimal("0.3")}, {"guarantee_dependence": Decimal("0.3")}, []),
    ],
)
def test_each_hard_rule_fails_just_past_its_limit_and_passes_at_it(investor_changes, tranche_changes, failed):
    assert failures(investor_row(**investor_changes), tranche_row(**tranche_changes)) == failed


def test_failed_rules_mask_has_one_documented_bit_per_rule():
    investor = investor_row(risk_tolerance="C1", min_rating="AAA", max_tenor_months=12, min_coupon=Decimal("0.05"))
    investor.update(ticket_min=Decimal("60000000"), ticket_max=Decimal("60000000"), allowed_deal_types=["data_pledge"])
    investor.update(excluded_industries=["Transport"], no_personal_info=True, max_guarantee_dependence=Decimal("0"))
    tranche = tranche_row(risk_level="R5", rating="A", has_pipia=False)
    investors, tranches, _ = encode([investor], [tranche])
    result = match(investors=investors, tranches=tranches)
    assert result.failed_rules.dtype == np.uint16
    assert int(result.failed_rules[0, 0]) == 0b11_1111_1111  # all ten rules, bit k = RULES[k]
    assert RULES[0] == "risk_level"
    assert RULE_BITS["guarantee_cap"] == 1 << 9
    assert rule_outcomes(RULE_BITS["min_rating"] | RULE_BITS["industry"]) == {
        name: name not in ("min_rating", "industry") for name in RULES
    }


def test_a_product_above_the_risk_level_is_reported_as_failing_only_on_risk_level():
    investors, tranches, _ = encode([investor_row(risk_tolerance="C2")], [tranche_row(risk_level="R4")])
    result = match(investors=investors, tranches=tranches)
    assert not result.eligible[0, 0]
    assert result.failed_rules[0, 0] == RISK_LEVEL_ONLY
    assert list(iter_eligible_pairs(investors=investors, tranches=tranches)) == []
    (pairs,) = iter_eligible_pairs(investors=investors, tranches=tranches, include_risk_level_only=True)
    assert pairs.investor_idx.tolist() == [0]
    assert pairs.failed_rules.tolist() == [RISK_LEVEL_ONLY]


# ---------------------------------------------------------------- the score by hand


def test_score_of_a_hand_worked_pair():
    """Default weights 25/20/10/20/15/10 (they add up to 100, so weights are points).

    investor: min coupon 2.0 %, min rating AA+, max tenor 60 months, max ticket 100 M
    tranche:  coupon 2.5 %, AAA, 36 months, stability 85, data share 0.9, guarantee 0.1, size 50 M
      yield pickup      (2.5 % - 2.0 %) / 1 %  = 0.5    x 25 = 12.5
      rating headroom   1 notch / 3             = 1/3    x 20 =  6.6667
      tenor fit         36 / 60                 = 0.6    x 10 =  6
      revenue stability 85 / 100                = 0.85   x 20 = 17
      data backing      0.9 x (1 - 0.1)         = 0.81   x 15 = 12.15
      size fit          50 M / 100 M            = 0.5    x 10 =  5
      score                                                   = 59.3167
    """
    investors, tranches, _ = encode([investor_row()], [tranche_row()])
    result = match(investors=investors, tranches=tranches)
    assert result.eligible[0, 0]
    assert result.score[0, 0] == pytest.approx(59.316667, abs=1e-4)
    parts = score_components(investors=investors, tranches=tranches, investor_idx=[0], tranche_idx=[0])
    assert parts[0] == pytest.approx([12.5, 20 / 3, 6.0, 17.0, 12.15, 5.0], abs=1e-9)


def test_score_components_are_capped_and_floored():
    """3 % over the minimum, 5 notches of headroom and a tranche twice the ticket earn no more than full marks."""
    investors, tranches, _ = encode(
        [investor_row(min_coupon=Decimal("0"), min_rating="A+", ticket_max=Decimal("10000000"))],
        [tranche_row(coupon=Decimal("0.03"), size=Decimal("20000000"))],
    )
    parts = score_components(investors=investors, tranches=tranches, investor_idx=[0], tranche_idx=[0])[0]
    assert parts[COMPONENTS.index("yield_pickup")] == pytest.approx(25.0)
    assert parts[COMPONENTS.index("rating_headroom")] == pytest.approx(20.0)
    assert parts[COMPONENTS.index("size_fit")] == pytest.approx(10.0)
    # Below the minimum coupon (ineligible) the yield component is 0, never negative.
    investors, tranches, _ = encode([investor_row(min_coupon=Decimal("0.03"))], [tranche_row()])
    parts = score_components(investors=investors, tranches=tranches, investor_idx=[0], tranche_idx=[0])[0]
    assert parts[COMPONENTS.index("yield_pickup")] == 0.0


def test_weights_are_scaled_to_100_points():
    weights = ScoreWeights(
        yield_pickup=1, rating_headroom=1, tenor_fit=1, revenue_stability=1, data_backing=0, size_fit=1
    )
    assert weights.points() == pytest.approx((20, 20, 20, 20, 0, 20))
    with pytest.raises(ValueError, match="non-negative"):
        ScoreWeights(yield_pickup=-1)


def test_a_better_tranche_scores_higher_for_the_same_investor():
    investors, tranches, _ = encode(
        [investor_row()],
        [tranche_row(), tranche_row(coupon=Decimal("0.028"), stability_score=95, guarantee_dependence=Decimal("0"))],
    )
    score = match(investors=investors, tranches=tranches).score[0]
    assert score[1] > score[0]


# ---------------------------------------------------------------- near misses


@pytest.mark.parametrize(
    ("investor_changes", "tranche_changes", "expected"),
    [
        ({"min_rating": "AAA"}, {"rating": "AA+"}, {"rule": "min_rating", "current": "AAA", "needed": "AA+"}),
        ({"risk_tolerance": "C2"}, {"risk_level": "R3"}, {"rule": "risk_level", "current": "C2", "needed": "C3"}),
        ({"max_tenor_months": 36}, {"tenor_months": 48}, {"rule": "max_tenor", "current": 36, "needed": 48}),
        (
            {"min_coupon": Decimal("0.03")},
            {"coupon": Decimal("0.0258")},
            {"rule": "min_coupon", "current": 0.03, "needed": 0.0258},
        ),
        (
            {"ticket_min": Decimal("80000000")},
            {"size": Decimal("50000000")},
            {"rule": "ticket_min", "current": 80e6, "needed": 50e6},
        ),
        (
            {"max_guarantee_dependence": Decimal("0.3")},
            {"guarantee_dependence": Decimal("0.45")},
            {"rule": "guarantee_cap", "current": 0.3, "needed": 0.45},
        ),
        (
            {"allowed_deal_types": ["licence_revenue"]},
            {"deal_type": "empowerment"},
            {"rule": "deal_type", "current": ["licence_revenue"], "needed": ["licence_revenue", "empowerment"]},
        ),
        (
            {"excluded_industries": ["Transport", "Financial leasing"]},
            {"industry": "transport"},
            {"rule": "industry", "current": ["financial leasing", "transport"], "needed": ["financial leasing"]},
        ),
    ],
)
def test_near_miss_names_the_smallest_change(investor_changes, tranche_changes, expected):
    investors, tranches, vocabulary = encode([investor_row(**investor_changes)], [tranche_row(**tranche_changes)])
    result = match(investors=investors, tranches=tranches)
    misses = near_miss_explanations(
        investors=investors, tranches=tranches, failed_rules=result.failed_rules, vocabulary=vocabulary
    )
    assert misses == [{"investor": 0, "tranche": 0, **expected}]


def test_no_near_miss_for_two_failed_rules_or_a_privacy_stance():
    investors, tranches, vocabulary = encode(
        [investor_row(min_rating="AAA", max_tenor_months=24), investor_row(no_personal_info=True)],
        [tranche_row(rating="AA+"), tranche_row()],
    )
    result = match(investors=investors, tranches=tranches)
    assert failed_rule_names(result.failed_rules[0, 0]) == ["min_rating", "max_tenor"]
    assert failed_rule_names(result.failed_rules[1, 1]) == ["no_personal_info"]
    misses = near_miss_explanations(
        investors=investors, tranches=tranches, failed_rules=result.failed_rules, vocabulary=vocabulary
    )
    assert [(m["investor"], m["tranche"]) for m in misses] == [(0, 1)]  # tenor 36 > 24 only
    privacy = near_miss_explanations(
        investors=investors,
        tranches=tranches,
        failed_rules=result.failed_rules,
        vocabulary=vocabulary,
        relaxable=RELAXABLE_RULES | {"no_personal_info"},
    )
    assert {"investor": 1, "tranche": 1, "rule": "no_personal_info", "current": True, "needed": False} in privacy


def test_near_miss_of_selected_pairs_read_back_as_flat_arrays():
    investors, tranches, vocabulary = encode(
        [investor_row(), investor_row(min_rating="AAA")], [tranche_row(rating="AA+"), tranche_row(rating="AA")]
    )
    result = match(investors=investors, tranches=tranches)
    misses = near_miss_explanations(
        investors=investors,
        tranches=tranches,
        vocabulary=vocabulary,
        investor_idx=[1, 1, 0],
        tranche_idx=[0, 1, 0],
        failed_rules=[result.failed_rules[1, 0], result.failed_rules[1, 1], result.failed_rules[0, 0]],
    )
    assert misses == [
        {"investor": 1, "tranche": 0, "rule": "min_rating", "current": "AAA", "needed": "AA+"},
        {"investor": 1, "tranche": 1, "rule": "min_rating", "current": "AAA", "needed": "AA"},
    ]


# ---------------------------------------------------------------- encodings


def test_engine_scales_follow_the_platform_choices():
    assert (*RATING_ORDER, CreditRating.NR.value) == RATING_SCALE
    assert tuple(DealType.values) == DEAL_TYPES
    assert [int(level.value[1]) for level in RiskTolerance] == [1, 2, 3, 4, 5]


def test_encoding_accepts_labels_decimals_and_numbers_alike():
    by_label, _, _ = encode([investor_row(risk_tolerance="C4", min_rating="AA-")], [tranche_row()])
    by_number, _, _ = encode([investor_row(risk_tolerance=4, min_rating=3)], [tranche_row()])
    assert by_label.risk_tolerance.tolist() == by_number.risk_tolerance.tolist() == [4]
    assert by_label.min_rating.tolist() == by_number.min_rating.tolist() == [3]
    assert by_label.min_coupon.tolist() == [0.02]


@pytest.mark.parametrize(
    ("investor_changes", "tranche_changes", "message"),
    [
        ({"risk_tolerance": "C6"}, {}, "risk tolerance"),
        ({"min_rating": "AAAA"}, {}, "unknown rating"),
        ({"allowed_deal_types": ["cdo"]}, {}, "unknown deal type"),
        ({"ticket_min": Decimal("5"), "ticket_max": Decimal("1")}, {}, "ticket"),
        ({"max_guarantee_dependence": Decimal("1.5")}, {}, "guarantee"),
        ({}, {"risk_level": "R0"}, "risk level"),
        ({}, {"deal_type": "cdo"}, "unknown deal type"),
        ({}, {"stability_score": 101}, "stability"),
        ({}, {"data_share": Decimal("-0.1")}, "data share"),
        ({}, {"tenor_months": 0}, "tenor"),
    ],
)
def test_encoding_refuses_values_outside_the_scales(investor_changes, tranche_changes, message):
    with pytest.raises(ValueError, match=message):
        encode([investor_row(**investor_changes)], [tranche_row(**tranche_changes)])


def test_vocabulary_holds_at_most_64_excluded_industries():
    rows = [investor_row(excluded_industries=[f"Industry {k}" for k in range(64)])]
    assert len(build_vocabulary(investor_rows=rows).industries) == 64
    rows.append(investor_row(excluded_industries=["One more"]))
    with pytest.raises(ValueError, match="64"):
        build_vocabulary(investor_rows=rows)


def test_an_industry_nobody_excludes_never_fails():
    investors, tranches, vocabulary = encode([investor_row(excluded_industries=[])], [tranche_row()])
    assert vocabulary.industries == ()
    assert tranches.industry.tolist() == [-1]
    assert match(investors=investors, tranches=tranches).eligible[0, 0]


def test_engine_and_reference_agree_on_encoded_realistic_inputs():
    """Dict rows as the lead maps them, through the encoders, both implementations agree."""
    investor_rows = [
        investor_row(risk_tolerance=f"C{c}", min_rating=r, max_tenor_months=m)
        for c in range(1, 6)
        for r in ("AAA", "AA+", "AA")
        for m in (24, 36, 60)
    ]
    tranche_rows = [
        tranche_row(risk_level=f"R{lvl}", rating=r, tenor_months=m, has_pipia=p)
        for lvl in range(1, 6)
        for r in ("AAA", "AA+", "AA-", "NR")
        for m in (12, 36, 84)
        for p in (True, False)
    ]
    investors, tranches, _ = encode(investor_rows, tranche_rows)
    engine = match(investors=investors, tranches=tranches, block_investors=7, block_tranches=11)
    reference = reference_match(investors=investors, tranches=tranches)
    np.testing.assert_array_equal(engine.failed_rules, reference.failed_rules)
    np.testing.assert_array_equal(engine.eligible, reference.eligible)
    np.testing.assert_allclose(engine.score, reference.score, atol=1e-5)
    assert 0 < engine.eligible.sum() < engine.eligible.size


# ---------------------------------------------------------------- memory


def _random_arrays(n_investors, n_tranches, seed=7):
    rng = np.random.default_rng(seed)
    investors = InvestorArrays(
        risk_tolerance=rng.integers(1, 6, n_investors),
        min_rating=rng.integers(0, 6, n_investors),
        max_tenor_months=rng.choice([36, 60, 120], n_investors),
        min_coupon=rng.uniform(0.015, 0.03, n_investors),
        ticket_min=np.full(n_investors, 1e7),
        ticket_max=np.full(n_investors, 2e8),
        allowed_deal_types=rng.integers(1, 8, n_investors),
        excluded_industries=rng.integers(0, 4, n_investors).astype(np.uint64),
        no_personal_info=rng.random(n_investors) < 0.3,
        require_pipia=rng.random(n_investors) < 0.8,
        max_guarantee_dependence=rng.choice([0.4, 0.7, 1.0], n_investors),
    )
    tranches = TrancheArrays(
        risk_level=rng.integers(1, 6, n_tranches),
        rating=rng.integers(0, 8, n_tranches),
        tenor_months=rng.integers(12, 121, n_tranches),
        coupon=rng.uniform(0.015, 0.05, n_tranches),
        size=rng.uniform(1e7, 1e9, n_tranches),
        deal_type=rng.integers(0, 3, n_tranches),
        industry=rng.integers(-1, 2, n_tranches),
        has_personal_info=rng.random(n_tranches) < 0.5,
        has_pipia=rng.random(n_tranches) < 0.7,
        guarantee_dependence=rng.random(n_tranches),
        stability_score=rng.uniform(0, 100, n_tranches),
        data_share=rng.random(n_tranches),
    )
    return investors, tranches


def test_memory_stays_bounded_by_the_block_not_the_matrix():
    """4 M pairs: streaming needs only block-sized temporaries; the dense result needs little beyond its 7 B/pair."""
    investors, tranches = _random_arrays(4000, 1000)
    tracemalloc.start()
    try:
        eligible = sum(p.investor_idx.size for p in iter_eligible_pairs(investors=investors, tranches=tranches))
        _, streamed_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = match(investors=investors, tranches=tranches)
        _, dense_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert eligible == int(result.eligible.sum()) > 0
    pairs = 4000 * 1000
    assert streamed_peak < 16 * 2**20  # one float64 [4 M] temporary alone would be 32 MiB
    assert dense_peak < 7 * pairs + 16 * 2**20


def test_no_investors_or_no_tranches_give_empty_results_of_the_documented_types():
    investors, tranches, _ = encode([investor_row()], [tranche_row()])
    for inv, tr in ((investors.take(slice(0, 0)), tranches), (investors, tranches.take(slice(0, 0)))):
        result = match(investors=inv, tranches=tr)
        assert result.eligible.shape == result.failed_rules.shape == result.score.shape == (len(inv), len(tr))
        assert (result.eligible.dtype, result.failed_rules.dtype, result.score.dtype) == (
            np.bool_,
            np.uint16,
            np.float32,
        )
        assert list(iter_eligible_pairs(investors=inv, tranches=tr)) == []
        assert top_matches(investors=inv, tranches=tr, k=2).tranche_idx.tolist() == [[-1, -1]] * len(inv)
