"""Revenue history metrics, the stability score, and the projection model fitted to the history."""

from __future__ import annotations

import numpy as np
import pytest

from deals.valuation import RevenueHistory, ValuationAssumptions, estimate_revenue_model, history_metrics

ASSUMPTIONS = ValuationAssumptions()


def test_concentration_is_measured_on_each_counterparty_share_of_revenue():
    # Four licensees paying 40, 30, 20 and 10 a month: top-1 40 %, HHI .16 + .09 + .04 + .01 = .30.
    amounts = np.tile([40.0, 30.0, 20.0, 10.0], (24, 1))
    metrics = history_metrics(RevenueHistory(amounts=amounts), ASSUMPTIONS)
    assert metrics.top1_share == pytest.approx(0.40)
    assert metrics.top5_share == pytest.approx(1.0)
    assert metrics.hhi == pytest.approx(0.30)
    assert metrics.counterparties == 4
    assert metrics.mean_monthly == pytest.approx(100.0)
    assert metrics.coefficient_of_variation == pytest.approx(0.0)
    assert metrics.max_drawdown == pytest.approx(0.0)


def test_drawdown_is_the_largest_fall_from_a_running_peak():
    totals = np.array([100, 120, 90, 110, 130, 65, 140, 150], dtype=float)  # 130 -> 65 is the worst: 50 %
    metrics = history_metrics(RevenueHistory(amounts=totals), ASSUMPTIONS)
    assert metrics.max_drawdown == pytest.approx(0.5)


def test_trend_and_seasonality_of_a_clean_series_are_recovered():
    months = np.arange(36)
    calendar = months % 12  # starts in January
    season = 0.1 * np.cos(2 * np.pi * (calendar - 6) / 12)
    totals = 1000 * np.exp(np.log(1.2) / 12 * months + season)
    history = RevenueHistory(amounts=totals, first_calendar_month=1)
    metrics = history_metrics(history, ASSUMPTIONS)
    assert metrics.annual_growth == pytest.approx(0.20, abs=1e-9)
    assert metrics.organic_annual_growth == pytest.approx(0.20, abs=1e-9)
    assert metrics.transitory_volatility == pytest.approx(0.0, abs=1e-9)
    model = estimate_revenue_model(history, ASSUMPTIONS)
    np.testing.assert_allclose(np.exp(model.seasonal), np.exp(season[:12]), rtol=1e-9)
    # The projection starts from the last month's level with the seasonal effect taken out...
    assert model.level == pytest.approx(totals[-1] / np.exp(season[11]), rel=1e-9)
    assert model.next_calendar_month == 1
    # ...and credits half the 20 % growth (the assumptions' growth credit), under the 15 % cap.
    assert np.expm1(12 * model.monthly_drift) == pytest.approx(np.sqrt(1.2) - 1, rel=1e-9)


def test_a_licensee_joining_is_not_counted_as_organic_growth():
    months = 36
    existing = np.full(months, 100.0)
    newcomer = np.where(np.arange(months) >= 18, 100.0, 0.0)  # revenue doubles when it joins
    history = RevenueHistory(amounts=np.column_stack([existing, newcomer]))
    metrics = history_metrics(history, ASSUMPTIONS)
    assert metrics.annual_growth > 0.3  # the total did grow
    assert metrics.organic_annual_growth == pytest.approx(0.0, abs=1e-12)
    assert metrics.transitory_volatility == pytest.approx(0.0, abs=1e-12)


def test_declining_revenue_is_projected_in_full_while_growth_is_only_partly_credited():
    totals = 1000 * 0.9 ** (np.arange(30) / 12)  # -10 % a year
    model = estimate_revenue_model(RevenueHistory(amounts=totals), ASSUMPTIONS)
    assert np.expm1(12 * model.monthly_drift) == pytest.approx(-0.10, rel=1e-9)


def test_stability_score_rewards_long_even_diversified_history():
    rng = np.random.default_rng(3)
    steady = np.tile(np.full(10, 10.0), (48, 1)) * rng.normal(1, 0.01, (48, 10))
    erratic = np.column_stack([100 * rng.lognormal(0, 0.35, 12)])
    good = history_metrics(RevenueHistory(amounts=steady), ASSUMPTIONS)
    poor = history_metrics(RevenueHistory(amounts=erratic), ASSUMPTIONS)
    assert good.stability_score > 90 > 40 > poor.stability_score
    assert set(good.stability_parts) == {"history_length", "volatility", "trend", "drawdown", "concentration"}
    weights = sum(part["weight"] for part in good.stability_parts.values())
    assert good.stability_score == pytest.approx(
        sum(p["score"] * p["weight"] for p in good.stability_parts.values()) / weights
    )


def test_too_short_a_history_is_refused():
    with pytest.raises(ValueError, match="at least 6"):
        estimate_revenue_model(RevenueHistory(amounts=np.ones(5)), ASSUMPTIONS)


def test_negative_revenue_is_refused():
    with pytest.raises(ValueError, match=">= 0"):
        RevenueHistory(amounts=np.array([1.0, -2.0, 3.0]))
