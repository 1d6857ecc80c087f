"""The legal-risk summary valuation uses: open findings by severity -> haircut and regulatory-stop probability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deals.compliance import services
from deals.compliance.legal_risk import (
    MAX_HAIRCUT,
    MAX_STOP_PROBABILITY,
    legal_risk,
    legal_risk_haircut,
    regulatory_stop_probability_life,
)
from deals.compliance.selectors import legal_risk_for
from tests.factories import submittable_deal

from .helpers import in_review, item_of, pdf_upload

# Hand calculations of the documented formula: h = 5 % / 2 % / 0.5 %, u = 10 % / 4 % / 1 %.
CASES = [
    ({}, 0.0, 0.02),
    ({"high": 1}, 0.05, 1 - 0.98 * 0.90),  # 0.118
    ({"medium": 1}, 0.02, 1 - 0.98 * 0.96),  # 0.0592
    ({"low": 1}, 0.005, 1 - 0.98 * 0.99),  # 0.0298
    ({"high": 2}, 1 - 0.95**2, 1 - 0.98 * 0.90**2),  # 0.0975, 0.2062
    ({"high": 1, "medium": 1, "low": 2}, 1 - 0.95 * 0.98 * 0.995**2, 1 - 0.98 * 0.90 * 0.96 * 0.99**2),
]


@pytest.mark.parametrize(("counts", "haircut", "stop"), CASES)
def test_haircut_and_stop_probability_follow_the_documented_formula(counts, haircut, stop):
    risk = legal_risk(counts)
    assert risk.haircut == pytest.approx(haircut, abs=1e-12)
    assert risk.regulatory_stop_probability_life == pytest.approx(stop, abs=1e-12)
    assert risk.total_open == sum(counts.values())


def test_one_high_finding_gives_five_percent_and_eleven_point_eight_percent():
    risk = legal_risk({"high": 1})
    assert round(risk.haircut, 4) == 0.05
    assert round(risk.regulatory_stop_probability_life, 4) == 0.118


def test_many_findings_are_capped():
    assert legal_risk_haircut({"high": 100}) == MAX_HAIRCUT
    assert regulatory_stop_probability_life({"high": 100}) == MAX_STOP_PROBABILITY


def test_a_base_above_the_cap_is_never_pulled_down_by_the_cap():
    assert regulatory_stop_probability_life({}, base=0.6) == pytest.approx(0.6)
    assert regulatory_stop_probability_life({"high": 3}, base=0.6) == pytest.approx(0.6)


@pytest.mark.parametrize("bad", [{"critical": 1}, {"high": -1}])
def test_unknown_severities_and_negative_counts_are_refused(bad):
    with pytest.raises(ValueError, match="severit|negative"):
        legal_risk(bad)


counts_strategy = st.fixed_dictionaries(
    {"high": st.integers(0, 40), "medium": st.integers(0, 40), "low": st.integers(0, 40)}
)


@given(counts=counts_strategy, severity=st.sampled_from(["high", "medium", "low"]))
def test_another_open_finding_never_lowers_the_haircut_or_the_stop_probability(counts, severity):
    more = {**counts, severity: counts[severity] + 1}
    assert legal_risk_haircut(more) >= legal_risk_haircut(counts)
    assert regulatory_stop_probability_life(more) >= regulatory_stop_probability_life(counts)
    assert 0.0 <= legal_risk_haircut(more) <= MAX_HAIRCUT
    assert 0.02 <= regulatory_stop_probability_life(more) <= MAX_STOP_PROBABILITY


@given(counts=counts_strategy)
def test_a_high_finding_weighs_at_least_as_much_as_a_medium_one(counts):
    with_high = {**counts, "high": counts["high"] + 1}
    with_medium = {**counts, "medium": counts["medium"] + 1}
    assert legal_risk_haircut(with_high) >= legal_risk_haircut(with_medium)


# --- from a deal's review -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deals_legal_risk_counts_the_officers_findings_and_the_open_automatic_ones(user_a, compliance_user):
    deal = in_review(user_a, compliance_user, has_personal_info=True)  # automatic: no PIPIA (high)
    services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="finding", comment="Level 2.")
    services.item_assess(
        actor=compliance_user, item=item_of(deal, "deidentification"), outcome="finding", severity="low", comment="k=5"
    )
    summary = legal_risk_for(deal)
    assert summary.review_on_file
    assert summary.risk.open_findings == {"high": 1, "medium": 1, "low": 1}
    assert summary.risk.haircut == pytest.approx(1 - 0.95 * 0.98 * 0.995)

    services.evidence_add(actor=user_a, item=item_of(deal, "pipia"), uploaded_file=pdf_upload())
    services.item_assess(actor=compliance_user, item=item_of(deal, "mlps"), outcome="pass")
    assert legal_risk_for(deal).risk.open_findings == {"high": 0, "medium": 0, "low": 1}


@pytest.mark.django_db
def test_a_deal_without_a_review_has_no_findings_on_file(user_a):
    summary = legal_risk_for(submittable_deal(user_a))
    assert not summary.review_on_file
    assert summary.risk.haircut == 0.0
    # A clean review: 0.5 % a year over the deal's 36 months.
    assert summary.risk.regulatory_stop_probability_life == pytest.approx(1 - 0.995**3)
