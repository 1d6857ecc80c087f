"""Implied rating, the suggested coupon's components, and the three appraisal methods."""

from __future__ import annotations

import numpy as np
import pytest

from deals.valuation import (
    RATING_SCALE,
    AppraisalInputs,
    ComparableTransaction,
    LegalRisk,
    MarketInputs,
    QualityScores,
    TrancheInput,
    ValuationAssumptions,
    appraise_data_asset,
    expected_loss_threshold,
    implied_rating,
    provisional_coupons,
    quality_coefficient,
    scheduled_wal,
    suggested_coupon,
)

from .demo_deals import licence_deal

ASSUMPTIONS = ValuationAssumptions()


def test_rating_thresholds_are_moodys_idealised_losses_interpolated_on_wal():
    # Aaa: 0.000028 % at one year, 0.000110 % at two; halfway is 0.000069 %.
    assert expected_loss_threshold("AAA", 1.5, ASSUMPTIONS) == pytest.approx(0.000069e-2)
    assert expected_loss_threshold("AAA", 0.25, ASSUMPTIONS) == pytest.approx(0.000028e-2)  # flat below a year
    assert expected_loss_threshold("BBB-", 3.0, ASSUMPTIONS) == pytest.approx(0.4763e-2)


def test_implied_rating_is_the_best_grade_whose_bound_covers_the_expected_loss():
    assert implied_rating(0.0, 2.0, ASSUMPTIONS) == "AAA"
    assert implied_rating(0.000110e-2, 2.0, ASSUMPTIONS) == "AAA"  # exactly on the bound
    assert implied_rating(0.000111e-2, 2.0, ASSUMPTIONS) == "AA+"
    assert implied_rating(0.01, 3.0, ASSUMPTIONS) == "BB"  # 1 % over three years: between Baa3 and Ba3
    assert implied_rating(0.9, 3.0, ASSUMPTIONS) == "CCC"
    ratings = [implied_rating(el, 3.0, ASSUMPTIONS) for el in np.geomspace(1e-9, 0.5, 60)]
    ranks = [RATING_SCALE.index(r) for r in ratings]
    assert ranks == sorted(ranks)  # more expected loss never rates better


def test_suggested_coupon_is_the_sum_of_its_components_with_no_clamp():
    market = MarketInputs()
    suggestion = suggested_coupon(
        rating="AAA", wal_years=2.0, market=market, legal_risk=LegalRisk(), assumptions=ASSUMPTIONS
    )
    # Benchmark 1.40 % at two years + AAA 45 bp + liquidity 10 bp + tenor 5 bp for the year beyond one.
    assert suggestion.benchmark == pytest.approx(0.0140)
    assert suggestion.coupon == pytest.approx(0.0140 + 0.0045 + 0.0010 + 0.0005)
    risky = suggested_coupon(
        rating="A", wal_years=2.0, market=market, legal_risk=LegalRisk(haircut=0.3), assumptions=ASSUMPTIONS
    )
    assert risky.legal_premium == pytest.approx(0.006)  # 2 % per unit of haircut
    assert risky.coupon == pytest.approx(0.0140 + 0.0250 + 0.0010 + 0.0005 + 0.006)
    assert risky.coupon > 0.026  # outside the 2025 band: nothing clamps it


def test_quality_coefficient_is_the_weighted_mean_score():
    scores = QualityScores(
        accuracy=90, consistency=80, completeness=100, conformity=70, timeliness=60, accessibility=80
    )
    assert quality_coefficient(scores, ASSUMPTIONS.quality_weights) == pytest.approx(0.80)


def test_three_methods_computed_by_hand_and_their_divergence_flagged():
    scores = QualityScores(90, 80, 100, 70, 60, 80)  # coefficient 0.8
    appraisal = AppraisalInputs(
        cost_components={"collection": 6_000_000, "storage": 1_000_000, "processing": 3_000_000},
        obsolescence_rate=0.1,
        comparables=(
            ComparableTransaction(20_000_000, (1.1, 0.9), quality_coefficient=0.9),
            ComparableTransaction(16_000_000, (1.0,)),
        ),
        data_contribution_share=0.5,
        discount_rate=0.12,
        quality=scores,
    )
    flows = np.full(24, 1_000_000.0)
    result = appraise_data_asset(
        appraisal, projected_monthly_cash_flows=flows, benchmark_rate=0.015, assumptions=ASSUMPTIONS
    )
    # Cost: 10 m x (1 + 10 % profit) x (1 - 10 % obsolescence) x 0.8 quality = 7.92 m.
    assert result.cost_value == pytest.approx(7_920_000)
    # Market: the mean of 20 m x 1.1 x 0.9 x (0.8 / 0.9) = 17.6 m and 16 m (its quality unknown: not adjusted).
    assert result.market_value == pytest.approx((20e6 * 1.1 * 0.9 * 0.8 / 0.9 + 16e6) / 2)
    # Income: half of 1 m a month for 24 months at 12 % a year, end of month.
    income = sum(0.5e6 / 1.12 ** (t / 12) for t in range(1, 25))
    assert result.income_value == pytest.approx(income)
    values = [result.income_value, result.cost_value, result.market_value]
    assert result.divergence_ratio == pytest.approx(max(values) / min(values) - 1)
    assert result.divergent
    assert result.indicated_value == pytest.approx(0.5 * income + 0.2 * 7.92e6 + 0.3 * result.market_value)


def test_close_methods_are_not_flagged_and_default_discount_is_benchmark_plus_premium():
    appraisal = AppraisalInputs(cost_components={"build": 10_000_000}, comparables=(ComparableTransaction(12_000_000),))
    result = appraise_data_asset(
        appraisal, projected_monthly_cash_flows=np.full(12, 1_000_000.0), benchmark_rate=0.015, assumptions=ASSUMPTIONS
    )
    assert result.discount_rate == pytest.approx(0.015 + ASSUMPTIONS.data_asset_risk_premium)
    assert result.quality_coefficient is None
    assert result.cost_value == pytest.approx(11_000_000)
    assert not result.divergent


def test_scheduled_wal_follows_the_straight_line_target_senior_first():
    # Notes 80 + 20 amortising 25 a quarter: the senior takes 25, 25, 25 and 5; the junior 20 at the end.
    wal = scheduled_wal([80.0, 20.0], 4, 4)
    assert wal[0] == pytest.approx((25 * 0.25 + 25 * 0.5 + 25 * 0.75 + 5 * 1.0) / 80)
    assert wal[1] == pytest.approx(1.0)


def test_a_rated_class_without_a_coupon_is_priced_at_its_target_rating():
    inputs = licence_deal(
        tranches=(
            TrancheInput("Senior A", "senior", 382.5e6, None, 1, "AAA"),
            TrancheInput("Mezzanine B", "mezzanine", 45e6, None, 2, "AA"),
            TrancheInput("Subordinated", "subordinated", 22.5e6, None, 3),
        )
    )
    wal = scheduled_wal([382.5e6, 45e6, 22.5e6], 12, 4)
    coupons = provisional_coupons(inputs)
    for coupon, rating, years in zip(coupons[:2], ("AAA", "AA"), wal[:2], strict=False):
        expected = suggested_coupon(
            rating=rating, wal_years=years, market=MarketInputs(), legal_risk=LegalRisk(), assumptions=ASSUMPTIONS
        )
        assert coupon == pytest.approx(expected.coupon)
    assert coupons[2] == 0.0  # the subordinated class takes the residue instead
