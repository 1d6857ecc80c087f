"""Implied rating, the suggested coupon's components, the comparables fit, and the three appraisal methods."""

from __future__ import annotations

import numpy as np
import pytest

from deals.valuation import (
    RATING_SCALE,
    ComparableDeal,
    ComparableTransaction,
    DataAssetAppraisalInput,
    LegalRisk,
    MarketInputs,
    QualityScores,
    RevenueHistory,
    TrancheInput,
    ValuationAssumptions,
    appraise_assets,
    appraise_data_asset,
    expected_loss_threshold,
    implied_rating,
    pledged_values_from,
    provisional_coupons,
    quality_coefficient,
    scheduled_wal,
    suggested_coupon,
)
from deals.valuation.examples import data_pledge_deal, licence_deal
from deals.valuation.pricing import fit_comparables

ASSUMPTIONS = ValuationAssumptions()


def test_rating_thresholds_are_moodys_idealised_losses_interpolated_on_wal_and_below_a_year():
    # Aaa: 0.000028 % at one year, 0.000110 % at two; halfway is 0.000069 %.
    assert expected_loss_threshold("AAA", 1.5, ASSUMPTIONS) == pytest.approx(0.000069e-2)
    # Below a year the bound falls to zero with the life: a quarter of a year allows a quarter of the 1-year loss.
    assert expected_loss_threshold("AAA", 0.25, ASSUMPTIONS) == pytest.approx(0.25 * 0.000028e-2)
    assert expected_loss_threshold("A", 0.5, ASSUMPTIONS) == pytest.approx(0.5 * 0.0066e-2)
    assert expected_loss_threshold("BBB-", 3.0, ASSUMPTIONS) == pytest.approx(0.4763e-2)
    assert expected_loss_threshold("AAA", 12.0, ASSUMPTIONS) == pytest.approx(0.0055e-2)  # flat beyond ten years


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
    assert suggestion.support_premium == 0.0
    risky = suggested_coupon(
        rating="A", wal_years=2.0, market=market, legal_risk=LegalRisk(haircut=0.3), assumptions=ASSUMPTIONS
    )
    assert risky.legal_premium == pytest.approx(0.006)  # 2 % per unit of haircut
    assert risky.coupon == pytest.approx(0.0140 + 0.0250 + 0.0010 + 0.0005 + 0.006)
    assert risky.coupon > 0.026  # outside the 2025 band: nothing clamps it


def test_relying_on_a_support_party_adds_its_premium_by_type_and_rating():
    market = MarketInputs()
    kwargs = {
        "rating": "AAA",
        "wal_years": 1.0,
        "market": market,
        "legal_risk": LegalRisk(),
        "assumptions": ASSUMPTIONS,
    }
    bank = suggested_coupon(**kwargs, support_party="bank_guarantee_letter", support_rating="AAA")
    company = suggested_coupon(**kwargs, support_party="guarantee_company", support_rating="AAA")
    weaker = suggested_coupon(**kwargs, support_party="guarantee_company", support_rating="AA")
    originator = suggested_coupon(**kwargs, support_party="originator", support_rating="AA")
    assert bank.support_premium == pytest.approx(0.0005)
    assert company.support_premium == pytest.approx(0.0020)
    assert weaker.support_premium == pytest.approx(0.0020 + 0.0045)
    assert originator.support_premium > weaker.support_premium  # the originator fails with its own data
    # The arranger's table of the day wins over the defaults.
    custom = MarketInputs(support_premiums={"guarantee_company": {"AAA": 0.0031}})
    assert suggested_coupon(**{**kwargs, "market": custom}, support_party="guarantee_company",
                            support_rating="AAA").support_premium == pytest.approx(0.0031)  # fmt: skip


def test_the_market_of_the_pricing_date_moves_the_coupon():
    march = MarketInputs(benchmark_curve=((1.0, 0.0158), (2.0, 0.0157), (3.0, 0.0160)), as_of="2025-03-18")
    june = MarketInputs(benchmark_curve=((1.0, 0.0135), (2.0, 0.0138), (3.0, 0.0140)), as_of="2025-06-27")
    args = {"rating": "AAA", "wal_years": 1.5, "legal_risk": LegalRisk(), "assumptions": ASSUMPTIONS}
    assert suggested_coupon(market=march, **args).coupon - suggested_coupon(market=june, **args).coupon == (
        pytest.approx((0.0158 + 0.0157) / 2 - (0.0135 + 0.0138) / 2)
    )


def test_comparables_fit_recovers_a_spread_that_grows_with_wal_and_prices_the_subject():
    market = MarketInputs()
    aaa = market.rating_spreads["AAA"]
    deals = tuple(
        ComparableDeal(f"D{i}", f"2025-0{i + 1}-15", coupon=0.014 + aaa + 0.001 + 0.0004 * (wal - 1.0),
                       benchmark=0.014, wal_years=wal, rating="AAA", support_type="none")
        for i, wal in enumerate((0.8, 1.2, 1.5, 2.0, 2.6))
    )  # fmt: skip
    fit = fit_comparables(deals, market=market, subject_rating="AAA", subject_wal=1.8, subject_support="none")
    assert fit.coefficients["intercept"] == pytest.approx(0.001)
    assert fit.coefficients["per_year_of_wal"] == pytest.approx(0.0004)
    assert fit.residual_sd == pytest.approx(0.0, abs=1e-12)
    assert fit.fitted_spread == pytest.approx(aaa + 0.001 + 0.0004 * 0.8)
    assert fit.fitted_coupon == pytest.approx(market.benchmark_at(1.8) + fit.fitted_spread)
    assert [c["name"] for c in fit.comparables] == ["D0", "D1", "D2", "D3", "D4"]


def test_with_fewer_than_three_comparables_there_is_no_fit_only_the_list():
    deal = ComparableDeal("D", "2025-03-18", 0.0185, 0.0158, 0.9, "AAA", "none")
    fit = fit_comparables((deal,), market=MarketInputs(), subject_rating="AAA", subject_wal=1.0, subject_support="none")
    assert fit.coefficients is None
    assert fit.fitted_coupon is None
    assert fit.comparables[0]["spread"] == pytest.approx(0.0185 - 0.0158)


def test_quality_coefficient_is_the_weighted_mean_score():
    scores = QualityScores(
        accuracy=90, consistency=80, completeness=100, conformity=70, timeliness=60, accessibility=80
    )
    assert quality_coefficient(scores, ASSUMPTIONS.quality_weights) == pytest.approx(0.80)


def _flat_history(monthly: float = 100_000.0, months: int = 36) -> RevenueHistory:
    """One licensee paying the same every month, who never leaves: the fitted model projects it flat."""
    return RevenueHistory(amounts=np.full((months, 1), monthly), counterparty_loss_annual=np.zeros(1))


def _comparables(*multiples: float) -> tuple[ComparableTransaction, ...]:
    return tuple(ComparableTransaction(price=m * 1_000_000, annual_revenue=1_000_000, description=f"x{m}")
                 for m in multiples)  # fmt: skip


def test_the_income_method_values_the_datas_own_revenue_by_hand():
    asset = DataAssetAppraisalInput(key="1", revenue_history=_flat_history())
    result = appraise_data_asset(asset, benchmark_rate=0.015, assumptions=ASSUMPTIONS)
    rate = 0.015 + ASSUMPTIONS.data_asset_risk_premium
    # 35 % of 100,000 a month for 60 months, end of month, discounted at 9.5 % a year.
    by_hand = sum(0.35 * 100_000 / (1 + rate) ** (t / 12) for t in range(1, 61))
    assert result.income_value == pytest.approx(by_hand, rel=1e-9)
    assert result.discount_rate == pytest.approx(rate)
    assert result.agreement == "single_method"
    assert result.unavailable == {"cost": "no_cost", "market": "few_comparables"}


def test_the_market_method_takes_the_median_multiple_of_the_register_without_outliers():
    # Multiples 3, 4, 5, 4.5 and one exclusive transfer at 40: the 40 is dropped, the median of the rest is 4.25.
    asset = DataAssetAppraisalInput(
        key="1", revenue_history=_flat_history(), comparables=_comparables(3, 4, 5, 4.5, 40)
    )
    result = appraise_data_asset(asset, benchmark_rate=0.015, assumptions=ASSUMPTIONS)
    assert result.details["market"]["dropped"] == 1
    assert result.details["market"]["median_multiple"] == pytest.approx(np.exp(np.median(np.log([3, 4, 5, 4.5]))))
    assert result.market_value == pytest.approx(result.details["market"]["median_multiple"] * 1_200_000)


def test_another_companys_book_value_cannot_move_the_market_method():
    """The register is the only source of comparables: a fantastic entry is an outlier and is dropped."""
    base = DataAssetAppraisalInput(key="1", revenue_history=_flat_history(), comparables=_comparables(3, 4, 5))
    poisoned = DataAssetAppraisalInput(
        key="1", revenue_history=_flat_history(), comparables=(*_comparables(3, 4, 5, 4.2), *_comparables(9e6))
    )
    a = appraise_data_asset(base, benchmark_rate=0.015, assumptions=ASSUMPTIONS).market_value
    b = appraise_data_asset(poisoned, benchmark_rate=0.015, assumptions=ASSUMPTIONS).market_value
    assert b == pytest.approx(a * np.exp(np.median(np.log([3, 4, 5, 4.2]))) / 4, rel=1e-9)
    assert b < 10 * a


def test_three_methods_reconciled_with_the_stated_weights_and_a_disagreement_is_called_one():
    scores = QualityScores(90, 80, 100, 70, 60, 80)  # coefficient 0.8
    asset = DataAssetAppraisalInput(
        key="1", revenue_history=_flat_history(), cost_components={"collection": 6e6, "storage": 1e6, "processing": 3e6},
        obsolescence_rate=0.1, comparables=_comparables(3, 4, 5), quality=scores,
    )  # fmt: skip
    result = appraise_data_asset(asset, benchmark_rate=0.015, assumptions=ASSUMPTIONS)
    # Cost: 10 m x (1 + 10 % profit) x (1 - 10 % obsolescence) x 0.8 quality = 7.92 m.
    assert result.cost_value == pytest.approx(7_920_000)
    assert result.market_value == pytest.approx(4 * 1_200_000)
    values = [result.income_value, result.cost_value, result.market_value]
    assert result.divergence_ratio == pytest.approx(max(values) / min(values) - 1)
    assert result.agreement == "disagree"
    assert result.divergent
    assert result.weights == {"income": 0.5, "cost": 0.2, "market": 0.3}
    expected = 0.5 * result.income_value + 0.2 * result.cost_value + 0.3 * result.market_value
    assert result.indicated_value == pytest.approx(expected)


def test_methods_within_the_threshold_agree_and_a_missing_method_reweights_the_others():
    asset = DataAssetAppraisalInput(key="1", revenue_history=_flat_history(), cost_components={"build": 1.2e6})
    result = appraise_data_asset(asset, benchmark_rate=0.015, assumptions=ASSUMPTIONS)
    assert result.weights == {"income": pytest.approx(0.5 / 0.7), "cost": pytest.approx(0.2 / 0.7)}
    ratio = max(result.income_value, result.cost_value) / min(result.income_value, result.cost_value) - 1
    assert result.agreement == ("agree" if ratio <= 0.5 else "disagree")


def test_data_with_no_revenue_of_its_own_has_no_income_value_not_a_zero():
    asset = DataAssetAppraisalInput(key="1", cost_components={"build": 5e6})
    result = appraise_data_asset(asset, benchmark_rate=0.015, assumptions=ASSUMPTIONS)
    assert result.income_value is None
    assert result.unavailable["income"] == "no_revenue"
    assert result.market_value is None


def test_a_pledge_is_worth_its_appraised_value_shared_by_the_claims_that_pledge_it():
    deal = data_pledge_deal()
    loans = tuple(
        a.__class__(**{**a.__dict__, "pledged_data": ("shared",) if i < 2 else ("own",)})
        for i, a in enumerate(deal.pool_assets[:3])
    )
    deal = deal.__class__(**{**deal.__dict__, "pool_assets": loans})
    summary = appraise_assets(
        (DataAssetAppraisalInput(key="shared", cost_components={"book": 10e6}),
         DataAssetAppraisalInput(key="own", cost_components={"book": 4e6})),
        benchmark_rate=0.015, assumptions=ASSUMPTIONS,
    )  # fmt: skip
    values = pledged_values_from(deal, summary)
    assert values[0] == values[1] == pytest.approx(10e6 * 1.1 / 2)
    assert values[2] == pytest.approx(4e6 * 1.1)
    assert summary.total_cost == pytest.approx(14e6 * 1.1)


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
            rating=rating, wal_years=years, market=inputs.market, legal_risk=LegalRisk(), assumptions=ASSUMPTIONS
        )
        assert coupon == pytest.approx(expected.coupon)
    assert coupons[2] == 0.0  # the subordinated class takes the residue instead
