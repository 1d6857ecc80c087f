"""Ratings decided honestly: the tilted estimate agrees with plain Monte Carlo, needs far fewer paths for the same
error, never flips between seeds, and says "between" when the budget cannot decide."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from deals.valuation import (
    RATING_SCALE,
    PoolAssetInput,
    ValuationAssumptions,
    build_structure,
    decide_variant,
    evaluate_structure,
    expected_loss_threshold,
    expected_period_cash,
    provisional_coupons,
    simulate_collections,
    value_deal,
)
from deals.valuation.decision import decision_z, looks
from deals.valuation.examples import (
    data_pledge_deal,
    empowerment_deal,
    licence_deal,
    plain_lease_deal,
    rugao_supply_chain_deal,
)


def rank(rating: str) -> int:
    return RATING_SCALE.index(rating)


def _structure(inputs):
    sim = simulate_collections(inputs, n_paths=4_000, seed=1)
    return build_structure(inputs, provisional_coupons(inputs), expected_cash=expected_period_cash(sim))


def _riskier_lease_deal():
    """The plain lease deal with lessees at 6 % a year: the senior loses on about one path in a few thousand."""
    base = plain_lease_deal()
    return replace(base, pool_assets=tuple(replace(a, annual_pd=0.06) for a in base.pool_assets))


def test_the_tilted_estimate_agrees_with_plain_monte_carlo():
    inputs = _riskier_lease_deal()
    structure = _structure(inputs)
    plain_total = plain_squares = 0.0
    n = 0
    for family in range(1, 5):  # 200,000 plain paths
        sim = simulate_collections(inputs, n_paths=50_000, seed=3, family=900 + family, chunk_size=25_000)
        loss = evaluate_structure(sim, structure, chunk_size=25_000, with_irr=False, keep_cash=False).loss[0]
        plain_total += float(loss.sum())
        plain_squares += float(loss @ loss)
        n += loss.size
    plain = plain_total / n
    plain_se = np.sqrt((plain_squares / n - plain**2) / n)
    assert plain > 0  # the comparison covers losses, not only clean paths
    tilted = decide_variant(
        inputs, structure, variant="underlying", classes=[0], wal_years={0: 0.85}, seed=3, revenue_model=None,
        pledged_values=None,
    ).decisions[0]  # fmt: skip
    assert tilted.method == "importance sampling"
    assert abs(tilted.expected_loss - plain) <= 4 * np.hypot(plain_se, tilted.standard_error)
    # ... and the same error costs at least five times fewer paths (error^2 x paths is the cost of precision).
    assert tilted.paths * tilted.standard_error**2 * 5 < n * plain_se**2


def test_importance_sampling_needs_at_least_ten_times_fewer_paths_than_plain_monte_carlo_for_the_same_error():
    decision = value_deal(data_pledge_deal(), n_paths=4_000, seed=7).senior.underlying
    assert decision.plain_paths_for_same_error / decision.paths >= 10


@pytest.mark.parametrize(
    "build", [licence_deal, data_pledge_deal, empowerment_deal, rugao_supply_chain_deal, plain_lease_deal]
)
def test_a_rating_never_flips_between_seeds(build):
    """Seniors are decided, and alike, on every seed. A junior class whose loss sits on a band's edge may stay
    undecided on one seed ("between A+ and A") and be decided on another: then the decided rating lies inside
    the range, never outside it (the decisions never contradict one another)."""
    results = [value_deal(build(), n_paths=4_000, seed=seed) for seed in (11, 22, 33)]
    for index, first in enumerate(results[0].tranches):
        if not first.rated:
            continue
        for side in ("rating", "underlying"):
            decisions = [getattr(r.tranches[index], side) for r in results]
            decided = {d.rating for d in decisions if d.decided}
            assert len(decided) <= 1, decided
            for d in decisions:
                if not d.decided:
                    assert all(rank(d.range[0]) <= rank(r) <= rank(d.range[1]) for r in decided)
            if first.tranche_class == "senior":
                assert all(d.decided for d in decisions)
                assert len({d.rating for d in decisions}) == 1


def test_every_demo_shaped_senior_is_decided_at_95_percent_over_the_whole_procedure():
    a = ValuationAssumptions()
    # Seven doublings from one block of 8,192 paths to the budget of 1,048,576: eight looks share the 5 %.
    assert looks(a) == 8
    assert decision_z(a) == pytest.approx(norm.ppf(1 - 0.05 / 8 / 2))
    for build in (licence_deal, data_pledge_deal, empowerment_deal):
        senior = value_deal(build(), n_paths=4_000, seed=5).senior
        assert senior.rating.decided
        assert senior.underlying.decided
        _low, high = senior.rating.interval
        assert high - senior.rating.expected_loss == pytest.approx(decision_z(a) * senior.rating.standard_error)


def test_a_range_is_reported_when_the_interval_straddles_a_bound():
    from deals.valuation.decision import _decision
    from deals.valuation.simulate import Tilt

    a = ValuationAssumptions()
    bound = expected_loss_threshold("AA", 1.0, a)
    # 1,000 paths whose weighted losses average the AA bound with a spread that crosses it.
    n = 1_000
    values = np.full(n, bound)
    values[::2] *= 0.5
    values[1::2] *= 1.5
    decision = _decision(
        [float(values.sum()), float(values @ values), float(values @ values)],
        n,
        1.0,
        replace(plain_lease_deal(), assumptions=a),
        Tilt(systematic=-1.0),
    )
    assert not decision.decided
    assert decision.range == ("AA", "AA-")
    assert decision.rating == "AA-"


def test_a_pool_that_cannot_lose_rates_aaa_with_zero_loss():
    base = plain_lease_deal()
    safe = replace(base, pool_assets=tuple(replace(a, annual_pd=0.0) for a in base.pool_assets))
    senior = value_deal(safe, n_paths=2_000, seed=1).senior
    assert senior.implied_rating == "AAA"
    assert senior.expected_loss == 0.0


def test_an_obligor_that_always_defaults_is_priced_as_the_loss_it_makes():
    pool = (PoolAssetInput(100.0, 0.05, 12, 0.999, 0.0, name="Certain default"),)
    deal = replace(plain_lease_deal(), pool_assets=pool)
    senior = value_deal(deal, n_paths=2_000, seed=1).senior
    assert senior.implied_rating == "CCC"
    assert senior.expected_loss > 0.5
