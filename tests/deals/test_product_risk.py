"""Product risk level R1-R5 by the points method, from hand-worked examples and invariants."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deals.product_risk import FACTORS, TrancheRiskInputs, product_risk, risk_facts
from origination.choices import CreditRating


def level(**kwargs) -> int:
    return product_risk(**kwargs).level


def test_worked_example_aaa_three_years_stable_data_backed_is_r2():
    """rating AAA 0 + underlying AAA 0 + tenor 36 months (12 < t <= 36) 2 + stability 85 (>= 80) 0
    + data share 0.9 (>= 0.8) 0 + guarantee 0.1 (<= 0.2) 0 = 2 points; 2..5 -> R2."""
    risk = product_risk(rating="AAA", tenor_months=36, stability_score=85, data_share=0.9, guarantee_dependence=0.1)
    assert risk.points == 2
    assert risk.label == "R2"
    assert [(f.name, f.points) for f in risk.factors] == [
        ("rating", 0),
        ("underlying_rating", 0),
        ("tenor", 2),
        ("revenue_stability", 0),
        ("data_share", 0),
        ("guarantee_dependence", 0),
    ]
    assert [f.value for f in risk.factors] == ["AAA", "AAA", 36, 85.0, 0.9, 0.1]


def test_a_aaa_senior_that_is_a_minus_on_its_own_and_leans_on_its_guarantee_is_r4_not_r2():
    """AAA 0 + underlying A- 4 (beyond AAA's 0) + 36 months 2 + stability 85 0 + data share 0.3 -> 2
    + dependence 0.95 -> 3 = 11 points -> R4: a conservative (C2) investor is not shown it, although its
    enhanced rating is AAA."""
    risk = product_risk(
        rating="AAA", underlying_rating="A-", tenor_months=36, stability_score=85, data_share=0.3,
        guarantee_dependence=0.95,
    )  # fmt: skip
    assert (risk.points, risk.label) == (11, "R4")
    same_without_support = product_risk(
        rating="AAA", underlying_rating="AAA", tenor_months=36, stability_score=85, data_share=0.3,
        guarantee_dependence=0.0,
    )  # fmt: skip
    assert (same_without_support.points, same_without_support.label) == (4, "R2")
    # The gap is what counts: AA+ lifted from A- by its guarantee adds A-'s 4 beyond AA+'s 1.
    lifted = product_risk(
        rating="AA+", underlying_rating="A-", tenor_months=36, stability_score=85, data_share=0.9,
        guarantee_dependence=0.0,
    )  # fmt: skip
    assert lifted.factors[1].points == 3


@pytest.mark.parametrize(
    ("kwargs", "points", "label"),
    [
        # AAA 0 + 12 months 0 + 85 -> 0 + 0.9 -> 0 + 0.1 -> 0 = 0 -> R1
        ({"rating": "AAA", "tenor_months": 12, "stability_score": 85, "data_share": 0.9, "guarantee_dependence": 0.1},
         0, "R1"),
        # AA+ 5 + no support 0 + 36 months 2 + 0 + 0 + 0 = 7 -> R3 (6..10)
        ({"rating": "AA+", "tenor_months": 36, "stability_score": 85, "data_share": 0.9, "guarantee_dependence": 0.1},
         7, "R3"),
        # AAA 0 + underlying AA 2 (2 beyond AAA's 0) + 36 months 2 + stability 85 0 + data share 0.3 -> 2
        # + guarantee 0.7 -> 2 = 8 -> R3
        ({"rating": "AAA", "underlying_rating": "AA", "tenor_months": 36, "stability_score": 85, "data_share": 0.3,
          "guarantee_dependence": 0.7}, 8, "R3"),
        # AAA 0 + 72 months 4 + stability 30 -> 5 + 0.3 -> 2 + 0.7 -> 2 = 13 -> R4 (11..17)
        ({"rating": "AAA", "tenor_months": 72, "stability_score": 30, "data_share": 0.3, "guarantee_dependence": 0.7},
         13, "R4"),
        # AA 9 + no support 0 + 36 months 2 + 0 + 0 + 0 = 11 -> R4
        ({"rating": "AA", "tenor_months": 36, "stability_score": 85, "data_share": 0.9, "guarantee_dependence": 0.1},
         11, "R4"),
        # A 13 + no support 0 + 24 months 2 + stability 65 -> 1 + 0.6 -> 1 + 0.3 -> 1 = 18 -> R5 (18 and more)
        ({"rating": "A", "tenor_months": 24, "stability_score": 65, "data_share": 0.6, "guarantee_dependence": 0.3},
         18, "R5"),
        # NR 20 is R5: the residual (subordinated) class is not rated
        ({"rating": "NR", "tenor_months": 12, "stability_score": 100, "data_share": 1.0, "guarantee_dependence": 0.0},
         20, "R5"),
    ],
)  # fmt: skip
def test_hand_worked_levels(kwargs, points, label):
    risk = product_risk(**kwargs)
    assert (risk.points, risk.label) == (points, label)


@pytest.mark.parametrize(
    ("factor", "value", "points"),
    [
        ("tenor_months", 12, 0),
        ("tenor_months", 13, 2),
        ("tenor_months", 36, 2),
        ("tenor_months", 37, 3),
        ("tenor_months", 60, 3),
        ("tenor_months", 61, 4),
        ("stability_score", 80, 0),
        ("stability_score", 79.9, 1),
        ("stability_score", 60, 1),
        ("stability_score", 40, 3),
        ("stability_score", 39.9, 5),
        ("data_share", 0.8, 0),
        ("data_share", 0.5, 1),
        ("data_share", 0.2, 2),
        ("data_share", 0.19, 3),
        ("guarantee_dependence", 0.2, 0),
        ("guarantee_dependence", 0.21, 1),
        ("guarantee_dependence", 0.5, 1),
        ("guarantee_dependence", 0.8, 2),
        ("guarantee_dependence", 0.81, 3),
        # the base rating is AAA: the stand-alone rating's own points are the gap
        ("underlying_rating", "AA-", 3),
        ("underlying_rating", "A-", 4),
        ("underlying_rating", "BBB+", 6),
        ("underlying_rating", "BB", 8),
    ],
)
def test_band_edges(factor, value, points):
    base = {"rating": "AAA", "tenor_months": 12, "stability_score": 100, "data_share": 1.0, "guarantee_dependence": 0}
    base[factor] = value
    assert product_risk(**base).points == points


def test_rating_points_follow_the_scale():
    points = [
        product_risk(rating=r, tenor_months=12, stability_score=100, data_share=1, guarantee_dependence=0).points
        for r in CreditRating.values
    ]
    # without support the stand-alone rating adds nothing: the rating's points alone
    assert points == [0, 5, 9, 11, 13, 13, 13, 16, 16, 16, 20, 20, 20, 20]


RATINGS = list(CreditRating.values)  # best first, NR last


@settings(max_examples=300, deadline=None)
@given(
    rating=st.integers(0, len(RATINGS) - 1),
    tenor=st.integers(1, 240),
    stability=st.floats(0, 100),
    share=st.floats(0, 1),
    guarantee=st.floats(0, 1),
    factor=st.sampled_from(FACTORS),
    underlying=st.integers(0, len(RATINGS) - 1),
)
def test_a_worse_factor_never_lowers_the_level(rating, tenor, stability, share, guarantee, factor, underlying):
    kwargs = {
        "rating": RATINGS[rating],
        "underlying_rating": RATINGS[max(rating, underlying)],
        "tenor_months": tenor,
        "stability_score": stability,
        "data_share": share,
        "guarantee_dependence": guarantee,
    }
    before = product_risk(**kwargs)
    worse = dict(kwargs)
    if factor == "rating":
        worse["rating"] = RATINGS[min(rating + 1, len(RATINGS) - 1)]
    elif factor == "underlying_rating":
        worse["underlying_rating"] = RATINGS[min(max(rating, underlying) + 1, len(RATINGS) - 1)]
    elif factor == "tenor":
        worse["tenor_months"] = tenor + 12
    elif factor == "revenue_stability":
        worse["stability_score"] = stability / 2
    elif factor == "data_share":
        worse["data_share"] = share / 2
    else:
        worse["guarantee_dependence"] = min(1.0, guarantee + 0.25)
    after = product_risk(**worse)
    assert after.points >= before.points
    assert after.level >= before.level
    assert before.points == sum(f.points for f in before.factors)
    assert all(0 <= f.points <= f.max_points for f in before.factors)


def test_result_is_plain_data_for_storage():
    risk = product_risk(rating="AA+", tenor_months=48, stability_score=70, data_share=0.6, guarantee_dependence=0.3)
    data = json.loads(json.dumps(risk.as_dict()))
    # AA+ 5 + no support 0 + 48 months 3 + stability 70 -> 1 + share 0.6 -> 1 + guarantee 0.3 -> 1 = 11 -> R4
    assert data["label"] == "R4"
    assert data["points"] == 11
    assert [f["points"] for f in data["factors"]] == [5, 0, 3, 1, 1, 1]
    assert data["factors"][2]["band"] == "36 < months <= 60"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rating": "AAAA"}, "rating"),
        ({"tenor_months": 0}, "tenor"),
        ({"stability_score": 120}, "stability"),
        ({"data_share": 1.2}, "share"),
        ({"guarantee_dependence": -0.1}, "guarantee"),
    ],
)
def test_refuses_values_outside_their_range(kwargs, message):
    base = {"rating": "AAA", "tenor_months": 36, "stability_score": 85, "data_share": 0.9, "guarantee_dependence": 0.1}
    with pytest.raises(ValueError, match=message):
        product_risk(**{**base, **kwargs})


def test_what_a_tranche_stores_is_the_level_its_factors_and_its_inputs():
    inputs = TrancheRiskInputs(
        rating="AA+", underlying_rating="AA+", stability_score=70.0, data_share=0.6, guarantee_dependence=0.3,
        suggested_coupon=0.0245,
    )  # fmt: skip
    level, stored = risk_facts(inputs, tenor_months=48)
    stored = json.loads(json.dumps(stored))
    # AA+ 5 + no support 0 + 48 months 3 + stability 70 -> 1 + share 0.6 -> 1 + guarantee 0.3 -> 1 = 11 -> R4
    assert (level, stored["label"], stored["points"]) == ("R4", "R4", 11)
    assert [f["name"] for f in stored["factors"]] == list(FACTORS)
    assert stored["inputs"] == {
        "rating": "AA+", "underlying_rating": "AA+", "stability_score": 70.0, "data_share": 0.6,
        "guarantee_dependence": 0.3, "suggested_coupon": 0.0245,
    }  # fmt: skip
    assert TrancheRiskInputs.from_json(stored["inputs"]) == inputs
