"""Licence revenue paths, suspensions, loan schedules and correlated defaults, checked against theory."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from scipy.signal import lfilter
from scipy.stats import multivariate_normal, norm

from deals.valuation import (
    PoolAssetInput,
    RevenueModel,
    Scenario,
    ValuationAssumptions,
    pool_schedule,
    project_licence_revenue,
    simulate_pool,
)
from deals.valuation.projection import apply_regulatory_stop, regulatory_stop_starts, revenue_log_mean

ASSUMPTIONS = ValuationAssumptions()


def model(**changes) -> RevenueModel:
    values = {
        "level": 1_000_000.0,
        "historical_monthly_drift": 0.01,
        "monthly_drift": 0.005,
        "seasonal": 0.05 * np.cos(2 * np.pi * np.arange(12) / 12),
        "persistence": 0.6,
        "transitory_volatility": 0.05,
        "permanent_volatility": 0.02,
        "start_deviation": 0.03,
        "counterparty_shares": np.array([0.3, 0.2]),
        "counterparty_loss_annual": np.array([0.0, 0.0]),
        "next_calendar_month": 3,
    }
    values.update(changes)
    return RevenueModel(**values)


def test_revenue_deviation_is_an_ar1_plus_a_random_walk_driven_by_the_same_shocks():
    m = model()
    rng = np.random.default_rng(1)
    normals = rng.standard_normal((24, 50))
    revenue = project_licence_revenue(
        m, months=24, normals=normals, loss_uniforms=rng.random((2, 50)), assumptions=ASSUMPTIONS
    )
    phi = m.persistence
    a = m.transitory_volatility * np.sqrt(1 - phi**2)
    transitory = lfilter([a], [1.0, -phi], normals, axis=0)
    permanent = np.cumsum(m.permanent_volatility * normals, axis=0)
    np.testing.assert_allclose(np.log(revenue) - revenue_log_mean(m, 24)[:, None], transitory + permanent, atol=1e-12)


def test_mean_projected_revenue_is_trend_times_seasonality():
    m = model(start_deviation=0.0)
    paths, months = 200_000, 18
    rng = np.random.default_rng(2)
    revenue = project_licence_revenue(
        m, months=months, normals=rng.standard_normal((months, paths)), loss_uniforms=rng.random((2, paths)),
        assumptions=ASSUMPTIONS,
    )  # fmt: skip
    h = np.arange(1, months + 1)
    calendar = (m.next_calendar_month - 1 + np.arange(months)) % 12
    expected = m.level * np.exp(m.monthly_drift * h + m.seasonal[calendar])
    error = revenue.std(axis=1) / np.sqrt(paths)
    assert np.all(np.abs(revenue.mean(axis=1) - expected) < 4 * error)


def test_a_lost_licensee_takes_its_share_and_half_comes_back_six_months_later():
    # With a 50 % yearly loss probability, U = 1 - 0.5 ** (3 / 12) puts the loss in month 3.
    m = model(counterparty_loss_annual=np.array([0.5, 0.0]), permanent_volatility=0.0, transitory_volatility=0.0)
    uniforms = np.array([[1 - 0.5 ** (3 / 12) - 1e-12], [0.5]])
    revenue = project_licence_revenue(
        m, months=12, normals=np.zeros((12, 1)), loss_uniforms=uniforms, assumptions=ASSUMPTIONS
    )
    multiplier = revenue[:, 0] / np.exp(revenue_log_mean(m, 12))
    np.testing.assert_allclose(multiplier, [1, 1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.85, 0.85, 0.85, 0.85])


def test_largest_customer_stress_loses_it_in_month_one_for_good():
    m = model(permanent_volatility=0.0, transitory_volatility=0.0)
    revenue = project_licence_revenue(
        m, months=12, normals=np.zeros((12, 1)), loss_uniforms=np.full((2, 1), 0.5), assumptions=ASSUMPTIONS,
        lose_largest=True,
    )  # fmt: skip
    np.testing.assert_allclose(revenue[:, 0] / np.exp(revenue_log_mean(m, 12)), 0.7)


def test_suspensions_happen_at_the_tenor_probability_and_zero_the_data_cash_of_their_months():
    rng = np.random.default_rng(4)
    starts = regulatory_stop_starts(rng.random((2, 400_000)), annual_probability=0.05, tenor_months=36)
    assert np.mean(starts > 0) == pytest.approx(1 - 0.95**3, abs=0.002)
    assert starts.max() <= 36
    cash = np.ones((8, 3))
    apply_regulatory_stop(cash, np.array([0, 2, 7]), 3)
    np.testing.assert_array_equal(cash[:, 0], 1)
    np.testing.assert_array_equal(cash[:, 1], [1, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(cash[:, 2], [1, 1, 1, 1, 1, 1, 0, 0])


def test_loan_instalments_match_numpy_financial_and_receivables_pay_at_maturity():
    loan = PoolAssetInput(
        principal=1_000_000, annual_rate=0.06, months_to_maturity=24, annual_pd=0.01, recovery_rate=0.4
    )
    receivable = PoolAssetInput(
        principal=500_000,
        annual_rate=0.048,
        months_to_maturity=12,
        annual_pd=0.01,
        recovery_rate=0.3,
        kind="receivable",
    )
    schedule = pool_schedule((loan, receivable), 24, ASSUMPTIONS)
    instalment = -npf.pmt(0.005, 24, 1_000_000)
    np.testing.assert_allclose(schedule.cash[0], instalment, rtol=1e-12)
    assert schedule.balance[0, 0] == 1_000_000
    assert schedule.balance[0, 12] == pytest.approx(-npf.fv(0.005, 12, -instalment, 1_000_000), rel=1e-12)
    assert schedule.cash[1, 11] == pytest.approx(500_000 * 1.048)
    assert schedule.cash[1].sum() == pytest.approx(500_000 * 1.048)


def test_defaults_follow_the_one_factor_gaussian_copula():
    pd, rho, months = 0.04, ASSUMPTIONS.asset_correlation, 24
    assets = tuple(
        PoolAssetInput(principal=100.0, annual_rate=0.05, months_to_maturity=months, annual_pd=pd, recovery_rate=0.0)
        for _ in range(2)
    )
    schedule = pool_schedule(assets, months, ASSUMPTIONS)
    rng = np.random.default_rng(9)
    paths = 400_000
    systematic = rng.standard_normal(paths)
    idiosyncratic = rng.standard_normal((2, paths))
    latent = np.sqrt(rho) * systematic + np.sqrt(1 - rho) * idiosyncratic
    # Each obligor defaults within two years with probability 1 - (1 - PD)^2; jointly, by the bivariate
    # normal with correlation rho at the matching threshold.
    marginal = 1 - (1 - pd) ** 2
    threshold = norm.ppf(marginal)
    joint = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([threshold, threshold])
    out = simulate_pool(
        assets, schedule, systematic=systematic, idiosyncratic=idiosyncratic, data_value=np.zeros(paths),
        scenario=Scenario(), assumptions=ASSUMPTIONS,
    )  # fmt: skip
    defaulted = latent < threshold
    assert np.mean(out.defaults >= 1) == pytest.approx(np.mean(defaulted.any(axis=0)), abs=2e-3)
    assert np.mean(out.defaults == 2) == pytest.approx(joint, rel=0.08)
    assert np.mean(out.defaults) / 2 == pytest.approx(marginal, rel=0.02)


def test_a_default_recovers_general_collateral_and_the_pledged_data_after_the_lag():
    asset = PoolAssetInput(
        principal=1_000_000, annual_rate=0.0, months_to_maturity=12, annual_pd=0.01, recovery_rate=0.2,
        pledged_data_value=800_000, other_collateral_value=50_000, cash_source="data_secured",
        repayment_source="operating_revenue",
    )  # fmt: skip
    schedule = pool_schedule((asset,), 12, ASSUMPTIONS)
    out = simulate_pool(
        (asset,), schedule, systematic=np.zeros(1), idiosyncratic=np.zeros((1, 1)), data_value=np.zeros(1),
        scenario=Scenario(lose_largest_counterparty=True), assumptions=ASSUMPTIONS,
    )  # fmt: skip
    sigma = ASSUMPTIONS.pledged_data_value_volatility
    data = 800_000 * (1 - ASSUMPTIONS.pledged_data_liquidation_haircut) * np.exp(-0.5 * sigma**2)
    lag = ASSUMPTIONS.recovery_lag_months
    # The estate's 20 % and the IP collateral are not data cash; the pledged data sold in the workout is.
    general = 200_000 + 50_000
    assert out.cash["secured_other_repayment"][:, 0].tolist() == [0.0] * lag + [general] + [0.0] * (11 - lag)
    assert out.cash["pledged_data_recovery"][lag, 0] == pytest.approx(data)
    assert out.loss[0] == pytest.approx(1_000_000 - general - data)
