"""The contract between valuation and matching: the risk inputs the valuation stores are what matching reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from deals.models import Tranche
from deals.product_risk import RATING_POINTS, TrancheRiskInputs, product_risk, risk_facts
from investors.match_rows import tranche_match_row
from investors.matching import RATING_SCALE, build_vocabulary, encode_investors, encode_tranches, match
from tests.factories import DealFactory


def test_both_apps_grade_the_same_rating_scale():
    assert set(RATING_POINTS) == set(RATING_SCALE)


def test_worked_example_level_feeds_the_matching_risk_rule():
    """The R2 of the worked example suits C2 and above, not C1."""
    risk = product_risk(rating="AAA", tenor_months=36, stability_score=85, data_share=0.9, guarantee_dependence=0.1)
    investors = [
        {
            "risk_tolerance": f"C{c}",
            "min_rating": "NR",
            "max_tenor_months": 120,
            "min_coupon": 0,
            "ticket_min": 0,
            "ticket_max": 1e9,
            "allowed_deal_types": [],
            "excluded_industries": [],
            "no_personal_info": False,
            "require_pipia": False,
            "max_guarantee_dependence": 1,
        }
        for c in range(1, 6)
    ]
    tranche = {
        "risk_level": risk.label,
        "rating": "AAA",
        "tenor_months": 36,
        "coupon": 0.0204,
        "size": 5e8,
        "deal_type": "licence_revenue",
        "industry": "Transport",
        "has_personal_info": False,
        "has_pipia": False,
        "guarantee_dependence": 0.1,
        "stability_score": 85,
        "data_share": 0.9,
    }
    vocabulary = build_vocabulary(investor_rows=investors)
    result = match(
        investors=encode_investors(rows=investors, vocabulary=vocabulary),
        tranches=encode_tranches(rows=[tranche], vocabulary=vocabulary),
    )
    assert result.eligible[:, 0].tolist() == [False, True, True, True, True]


@pytest.mark.django_db
def test_matching_reads_the_inputs_the_valuation_wrote():
    """A AAA class that is A- on its own, 85 stable, 30 % data cash, 95 % of its loss removed by its guarantee,
    no coupon fixed yet (the suggested 2.35 % stands in): R4 (11 points, docs/matching.md)."""
    inputs = TrancheRiskInputs(
        rating="AAA", underlying_rating="A-", stability_score=85.0, data_share=0.3, guarantee_dependence=0.95,
        suggested_coupon=0.0235,
    )  # fmt: skip
    level, facts = risk_facts(inputs, tenor_months=36)
    assert level == "R4"
    deal = DealFactory(status="published", tenor_months=36)
    tranche = Tranche.objects.create(
        deal=deal, name="A", tranche_class="senior", size=Decimal("90000000"), coupon=None, target_rating="AAA",
        payment_priority=1, product_risk_level=level, product_risk_factors=facts,
    )  # fmt: skip
    tranche.refresh_from_db()  # read back through the database's JSON
    row = tranche_match_row(tranche, deal, (False, False))
    assert row is not None
    assert (row["risk_level"], row["rating"], row["underlying_rating"]) == ("R4", "AAA", "A-")
    assert (row["stability_score"], row["data_share"], row["guarantee_dependence"]) == (85.0, 0.3, 0.95)
    assert row["coupon"] == 0.0235
    assert row["tenor_months"] == 36


def test_inputs_stored_before_the_underlying_rating_was_recorded_read_as_unsupported():
    stored = {"rating": "AA+", "stability_score": 70, "data_share": 0.6, "guarantee_dependence": 0.3}
    inputs = TrancheRiskInputs.of({"inputs": stored})
    assert inputs == TrancheRiskInputs(
        rating="AA+", underlying_rating="AA+", stability_score=70.0, data_share=0.6, guarantee_dependence=0.3
    )
    # AA+ 5 + no support 0 + 48 months 3 + stability 70 -> 1 + share 0.6 -> 1 + guarantee 0.3 -> 1 = 11 -> R4
    assert inputs.risk(tenor_months=48).label == "R4"


def test_a_tranche_never_valued_has_no_inputs():
    assert TrancheRiskInputs.of({}) is None
    assert TrancheRiskInputs.of(None) is None
