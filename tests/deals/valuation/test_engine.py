"""value_deal end to end on deals built from public facts and on demo-shaped deals: ratings with and without
support, the data's real share, reliance on guarantees, reproducibility, chunking, stress, sizing, break-even."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deals.valuation import (
    RATING_SCALE,
    CreditEnhancementInput,
    LegalRisk,
    PaydownInput,
    PoolAssetInput,
    Scenario,
    SupportInput,
    TrancheInput,
    ValuationAssumptions,
    ValuationInputs,
    build_structure,
    evaluate_structure,
    expected_period_cash,
    implied_rating,
    provisional_coupons,
    run_waterfall,
    simulate_collections,
    value_deal,
)
from deals.valuation.examples import (
    data_pledge_deal,
    empowerment_deal,
    licence_deal,
    plain_lease_deal,
    rugao_supply_chain_deal,
)

SEED = 20251120
FAST = ValuationAssumptions(rating_pilot_paths=1024, rating_block_paths=2048, rating_max_paths=16_384)


def rank(rating: str) -> int:
    return RATING_SCALE.index(rating) if rating in RATING_SCALE else len(RATING_SCALE)


@pytest.fixture(scope="module")
def licence_result():
    return value_deal(licence_deal(), n_paths=10_000, seed=SEED)


@pytest.fixture(scope="module")
def pledge_result():
    return value_deal(data_pledge_deal(), n_paths=10_000, seed=SEED)


@pytest.fixture(scope="module")
def empowerment_result():
    return value_deal(empowerment_deal(), n_paths=10_000, seed=SEED)


@pytest.fixture(scope="module")
def rugao_result():
    return value_deal(rugao_supply_chain_deal(), n_paths=10_000, seed=SEED)


@pytest.fixture(scope="module")
def lease_result():
    return value_deal(plain_lease_deal(), n_paths=10_000, seed=SEED)


ALL = ["licence_result", "pledge_result", "empowerment_result", "rugao_result", "lease_result"]


@pytest.mark.parametrize("name", ALL)
def test_the_residual_class_is_not_rated_and_gets_no_suggested_coupon(name, request):
    result = request.getfixturevalue(name)
    residual = result.tranches[-1]
    assert residual.tranche_class == "subordinated"
    assert not residual.rated
    assert residual.implied_rating == "NR"
    assert residual.underlying_rating == "NR"
    assert residual.suggested_coupon is None


@pytest.mark.parametrize("name", ALL)
def test_ratings_are_ordered_seniors_first_and_never_above_their_stand_alone_rating_with_support(name, request):
    rated = [t for t in request.getfixturevalue(name).tranches if t.rated]
    for senior, junior in zip(rated, rated[1:], strict=False):
        assert rank(senior.implied_rating) <= rank(junior.implied_rating)
        assert rank(senior.underlying_rating) <= rank(junior.underlying_rating)
    for t in rated:
        assert rank(t.implied_rating) <= rank(t.underlying_rating)  # support never lowers a rating


@pytest.mark.parametrize("name", ALL)
def test_every_coupon_is_the_sum_of_its_parts(name, request):
    for t in request.getfixturevalue(name).tranches:
        c = t.suggested_coupon
        if c is None:
            continue
        parts = c.benchmark + c.rating_spread + c.liquidity_premium + c.tenor_premium + c.support_premium
        assert c.coupon == pytest.approx(parts + c.legal_premium)
        assert c.rating == t.implied_rating


def test_a_senior_on_county_state_owned_debtors_leans_on_its_guarantor_and_pays_for_it(rugao_result):
    """平安-如皋: an AAA(sf) senior on a guarantee; on its own cash the pool of five county SOEs is far weaker.

    The agencies rated it AAA(sf) by putting the guarantor's AAA in the pool's place; the engine asks what the
    senior loses when the pool and the guarantor fail together (a 0.05 % a year guarantor, correlated with the
    county's downturn) and lands one notch lower: the gap is the joint-default risk the substitution ignores."""
    senior = rugao_result.senior
    assert senior.implied_rating in ("AAA", "AA+")
    assert rank(senior.underlying_rating) >= rank("A+")  # at least four notches below AAA on its own
    coverage = rugao_result.coverage
    assert coverage.support_notches == rank(senior.underlying_rating) - rank(senior.implied_rating) >= 3
    assert coverage.support_loss_share > 0.9
    assert coverage.relies_on["type"] == "guarantee_company"
    assert coverage.relies_on["rating"] == "AAA"
    # The investor is paid for relying on a AAA guarantee company: 20 bp in the default table.
    assert senior.suggested_coupon.support_premium == pytest.approx(0.0020)
    assert senior.suggested_coupon.support_party == "guarantee_company"
    # Receivables from state-owned debtors are not cash from data; only the pledged data's sale would be.
    assert rugao_result.cash_sources.data_cash_share < 0.02
    assert rugao_result.cash_sources.shares["pledged_data_recovery"] == rugao_result.cash_sources.data_cash_share


def test_a_licence_senior_stands_on_its_data_and_leans_on_nothing(licence_result):
    senior = licence_result.senior
    assert senior.implied_rating == senior.underlying_rating == "AAA"
    assert licence_result.coverage.support_notches == 0
    assert licence_result.coverage.relies_on is None
    assert senior.suggested_coupon.support_premium == 0.0
    assert licence_result.cash_sources.data_cash_share == pytest.approx(1.0)
    assert licence_result.coverage.senior_coverage_without_support_p5 > 1.0


def test_data_pledge_loans_count_as_data_cash_only_when_repaid_out_of_the_data(pledge_result):
    assert pledge_result.cash_sources.data_cash_share > 0.95
    opex = value_deal(data_pledge_deal(repayment_source="operating_revenue", assumptions=FAST), n_paths=2_000)
    sources = opex.cash_sources
    assert sources.data_cash_share < 0.02  # only pledged data sold in a workout
    assert sources.shares["secured_other_repayment"] > 0.95
    assert sources.pool_principal_by_cash_source == {"data_secured": pytest.approx(1.0)}


def test_the_plain_pass_through_lease_deal_rates_its_senior_on_its_own_pool(lease_result):
    senior = lease_result.senior
    assert lease_result.coverage.support_notches == 0
    assert senior.rating.decided
    # Rated by expected loss at its WAL: the decided interval lies inside the rating's band.
    low, high = senior.rating.interval
    assert implied_rating(low, senior.wal_years, ValuationAssumptions()) == senior.implied_rating
    assert implied_rating(high, senior.wal_years, ValuationAssumptions()) == senior.implied_rating
    # Eight lessees and 18 % of support below the senior: the Chinese agencies' stress multiple is large.
    assert lease_result.breakeven.default_multiples["Senior A"] > 5
    assert rank(senior.implied_rating) <= rank("A+")


def test_empowerment_data_lowers_pool_loss_and_the_senior_coupon_only_when_it_shows(empowerment_result):
    e = empowerment_result.empowerment
    assert e.average_pd_without_data > e.average_pd_with_data
    assert e.pool_expected_loss_without_data > e.pool_expected_loss_with_data
    assert e.senior_expected_loss_without_data > e.senior_expected_loss_with_data
    if e.significant:
        assert e.coupon_saving_bps == pytest.approx((e.senior_coupon_without_data - e.senior_coupon_with_data) * 1e4)
    else:
        assert e.coupon_saving_bps == 0.0
    assert str(e.coupon_saving_bps) != "-0.0"


def test_a_data_effect_within_the_noise_is_not_claimed():
    """Two PDs that hardly differ: the senior's loss difference is inside twice its standard error."""
    base = empowerment_deal(assumptions=FAST)
    close = tuple(replace(a, annual_pd_without_data=a.annual_pd * 1.001) for a in base.pool_assets)
    result = value_deal(replace(base, pool_assets=close), n_paths=2_000, seed=SEED)
    assert not result.empowerment.significant
    assert result.empowerment.coupon_saving_bps == 0.0


def test_result_is_json_ready_and_reproducible_with_the_same_seed():
    inputs = licence_deal(assumptions=FAST)
    data = value_deal(inputs, n_paths=2_000, seed=SEED).to_dict()
    assert json.loads(json.dumps(data)) == data
    again = value_deal(inputs, n_paths=2_000, seed=SEED).to_dict()
    assert again == data
    other = value_deal(inputs, n_paths=2_000, seed=SEED + 1).to_dict()
    assert other["projection"]["expected_total"] != data["projection"]["expected_total"]
    assert data["engine_version"] == "dataabs-valuation/2"


def test_a_different_chunk_size_gives_the_same_valuation():
    small = replace(FAST, seed_block_paths=64)
    inputs = data_pledge_deal(assumptions=small)
    one = value_deal(inputs, n_paths=700, seed=SEED, chunk_size=700).to_dict()
    many = value_deal(inputs, n_paths=700, seed=SEED, chunk_size=97).to_dict()
    for key in ("tranches", "cash_sources", "projection", "stress", "dscr", "coverage"):
        assert one[key] == many[key]


def mixed_deal() -> ValuationInputs:
    """Licence revenue and a small loan pool of every cash source, with a guarantee: every random stream in play."""
    pool = data_pledge_deal().pool_assets[:4]
    sources = ("data_generated", "data_secured", "data_empowered", "other")
    assets = tuple(replace(a, principal=a.principal / 4, cash_source=s) for a, s in zip(pool, sources, strict=True))
    return licence_deal(pool_assets=assets, assumptions=ValuationAssumptions(seed_block_paths=32))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunk=st.integers(1, 300), seed=st.integers(0, 2**63))
def test_the_same_seed_with_any_chunk_size_gives_bit_identical_paths(chunk, seed):
    inputs = mixed_deal()
    structure = build_structure(inputs)
    reference_sim = simulate_collections(inputs, n_paths=150, seed=seed, chunk_size=150)
    reference = evaluate_structure(reference_sim, structure, chunk_size=150)
    sim = simulate_collections(inputs, n_paths=150, seed=seed, chunk_size=chunk)
    outcome = evaluate_structure(sim, structure, chunk_size=chunk)
    np.testing.assert_array_equal(sim.monthly, reference_sim.monthly)
    np.testing.assert_array_equal(sim.support_default_period, reference_sim.support_default_period)
    for field in ("loss", "shortfall", "wal_years", "irr", "cash", "dscr"):
        np.testing.assert_array_equal(getattr(outcome, field), getattr(reference, field))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.floats(0.0, 0.6),
    extra=st.floats(0.0, 0.4),
    kind=st.sampled_from(["revenue_shock", "collections_haircut", "pd_multiplier", "recovery_haircut"]),
)
def test_more_stress_never_improves_a_tranche(first, extra, kind):
    # Pass-through, no suspensions: a cash trap that trips under the harsher case can by design leave a
    # senior class better off (see test_waterfall); the property holds for the cash itself.
    inputs = mixed_deal()
    inputs = replace(
        inputs, paydown=PaydownInput(), assumptions=replace(inputs.assumptions, regulatory_stop_base_annual=0.0)
    )
    structure = build_structure(inputs)

    def scenario(level: float) -> Scenario:
        if kind == "pd_multiplier":
            return Scenario(pd_multiplier=1 + 10 * level)
        return Scenario(**{kind: min(level, 1.0)})

    mild = evaluate_structure(
        simulate_collections(inputs, n_paths=200, seed=5, scenario=scenario(first)), structure, chunk_size=200
    )
    harsh = evaluate_structure(
        simulate_collections(inputs, n_paths=200, seed=5, scenario=scenario(first + extra)), structure, chunk_size=200
    )
    assert np.all(harsh.loss[structure.rated] >= mild.loss[structure.rated] - 1e-12)


# --- the structure's levers move losses the right way (common random numbers, path by path) -----------------------


def _senior_losses(inputs: ValuationInputs) -> np.ndarray:
    inputs = replace(inputs, assumptions=replace(inputs.assumptions, regulatory_stop_base_annual=0.0))
    sim = simulate_collections(inputs, n_paths=400, seed=11)
    structure = build_structure(inputs, provisional_coupons(inputs), expected_cash=expected_period_cash(sim))
    return evaluate_structure(sim, structure, chunk_size=400, with_irr=False, keep_cash=False).loss[0]


def _pool_deal(*, subordination: float, oc: float, reserve: float, pd: float) -> ValuationInputs:
    """Six loans behind a senior and a residual class; a legal final a year after expected maturity, so a
    recovery (six months after a default) always lands inside it (cut off at the horizon, a later default
    could otherwise lose its recovery and cost more than an earlier one)."""
    notes = 100.0
    pool = tuple(
        PoolAssetInput(principal=notes * oc / 6, annual_rate=0.05, months_to_maturity=12 + 2 * i, annual_pd=pd,
                       recovery_rate=0.3, kind="loan", name=f"L{i}")
        for i in range(6)
    )  # fmt: skip
    return ValuationInputs(
        deal_type="empowerment", tenor_months=24, periods_per_year=4, tail_months=12,
        tranches=(TrancheInput("A", "senior", notes * (1 - subordination), 0.03, 1),
                  TrancheInput("Sub", "subordinated", notes * subordination, None, 2)),
        pool_assets=pool, enhancement=CreditEnhancementInput(reserve_target=reserve),
    )  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sub=st.floats(0.02, 0.3), oc=st.floats(1.0, 1.3), reserve=st.floats(0.0, 5.0), pd=st.floats(0.01, 0.2),
    lever=st.sampled_from(["subordination", "oc", "reserve", "pd"]), step=st.floats(0.01, 0.2),
)  # fmt: skip
def test_more_subordination_overcollateralisation_or_reserve_or_fewer_defaults_never_hurt_the_senior(
    sub, oc, reserve, pd, lever, step
):
    base = {"subordination": sub, "oc": oc, "reserve": reserve, "pd": pd}
    better = dict(base)
    if lever == "pd":
        better["pd"] = pd * (1 - step)
    elif lever == "reserve":
        better["reserve"] = reserve + 50 * step
    else:
        better[lever] = base[lever] + step
    worse_losses = _senior_losses(_pool_deal(**base))
    better_losses = _senior_losses(_pool_deal(**better))
    # Path by path; within 1e-6 of par: a default that comes later can bring its recovery (and the senior's last
    # principal) one period later, and interest in arrears earns no interest, a loss of a few 1e-8.
    assert np.all(better_losses <= worse_losses + 1e-6)
    assert better_losses.mean() <= worse_losses.mean() + 1e-9


def test_the_decided_rating_moves_the_right_way_with_subordination():
    ratings = []
    for sub in (0.03, 0.10, 0.25):
        inputs = replace(_pool_deal(subordination=sub, oc=1.0, reserve=0.0, pd=0.04), assumptions=FAST)
        ratings.append(rank(value_deal(inputs, n_paths=2_000, seed=SEED).senior.implied_rating))
    assert ratings == sorted(ratings, reverse=True)
    assert ratings[0] > ratings[-1]


# --- the data's real share of the cash ----------------------------------------------------------------------------


def _annuity_total(principal: float, annual_rate: float, months: int) -> float:
    r = annual_rate / 12
    return months * principal * r / (1 - (1 + r) ** -months)


def test_a_mixed_pool_reports_the_data_share_computed_by_hand():
    """Nine loans repaid out of their pledged data's revenue and one ordinary receivable with no link to data.

    With no defaults and no suspension the collections are the contractual ones:
    nine annuities of 10 over 12 months at 6 % and one bullet of 10 plus 4 % for a year.
    """
    loans = tuple(
        PoolAssetInput(principal=10.0, annual_rate=0.06, months_to_maturity=12, annual_pd=0.0, recovery_rate=0.0,
                       kind="loan", cash_source="data_secured", repayment_source="data_revenue", name=f"B{i}")
        for i in range(9)
    )  # fmt: skip
    receivable = PoolAssetInput(
        principal=10.0, annual_rate=0.04, months_to_maturity=12, annual_pd=0.0, recovery_rate=0.0,
        kind="receivable", cash_source="other", name="Trade debtor",
    )  # fmt: skip
    inputs = ValuationInputs(
        deal_type="data_pledge", tenor_months=12, periods_per_year=4,
        tranches=(TrancheInput("A", "senior", 90.0, 0.03, 1), TrancheInput("Sub", "subordinated", 10.0, None, 2)),
        pool_assets=(*loans, receivable), legal_risk=LegalRisk(regulatory_stop_annual=0.0), assumptions=FAST,
    )  # fmt: skip
    data = 9 * _annuity_total(10.0, 0.06, 12)
    other = 10.0 * (1 + 0.04)
    result = value_deal(inputs, n_paths=500, seed=SEED)
    assert result.cash_sources.data_cash_share == pytest.approx(data / (data + other), rel=1e-12)
    assert result.cash_sources.expected["other"] == pytest.approx(other)


def _two_claims() -> ValuationInputs:
    """A licence receivable generated by data and a hospital's lease priced with data, 50 each, no defaults."""
    claims = (
        PoolAssetInput(principal=50.0, annual_rate=0.0, months_to_maturity=12, annual_pd=0.0, recovery_rate=0.0,
                       kind="receivable", cash_source="data_generated", name="Licensee"),
        PoolAssetInput(principal=50.0, annual_rate=0.0, months_to_maturity=12, annual_pd=0.0, recovery_rate=0.0,
                       kind="lease", cash_source="data_empowered", name="Public hospital"),
    )  # fmt: skip
    return ValuationInputs(
        deal_type="empowerment", tenor_months=12, periods_per_year=12,
        tranches=(TrancheInput("A", "senior", 90.0, 0.0, 1), TrancheInput("Sub", "subordinated", 10.0, None, 2)),
        pool_assets=claims, legal_risk=LegalRisk(regulatory_stop_annual=0.0),
    )  # fmt: skip


def test_a_suspension_of_data_use_stops_licence_cash_not_a_hospitals_lease_payments():
    inputs = _two_claims()
    stopped = simulate_collections(
        inputs, n_paths=3, seed=1, scenario=Scenario(regulatory_stop_months=3, regulatory_stop_start_month=2)
    )
    lease = 50.0 / 12
    # The hospital's lease pays every month; the licensee's receivable (a bullet at month 12) is untouched here,
    # so a suspension that ends before it changes nothing for it either.
    np.testing.assert_allclose(stopped.monthly[:11, 0], lease)
    assert stopped.sources["empowered"][0] == pytest.approx(50.0)
    late = simulate_collections(
        inputs, n_paths=3, seed=1, scenario=Scenario(regulatory_stop_months=3, regulatory_stop_start_month=11)
    )
    assert late.sources["generated"][0] == 0.0  # the licence receivable fell due during the suspension
    assert late.sources["empowered"][0] == pytest.approx(50.0)


def test_a_revenue_shock_cuts_cash_from_data_and_leaves_trade_receivables_alone():
    inputs = _two_claims()
    shocked = simulate_collections(inputs, n_paths=2, seed=1, scenario=Scenario(revenue_shock=0.3))
    assert shocked.sources["generated"][0] == pytest.approx(35.0)
    assert shocked.sources["empowered"][0] == pytest.approx(50.0)


def test_the_compliance_reviews_whole_life_stop_probability_is_the_engines_chance_within_the_tenor():
    life = 1 - 0.98 * 0.90  # one high finding: 11.8 % over the deal's life (deals.compliance.legal_risk)
    annual = 1 - (1 - life) ** (12 / 36)  # converted once at the boundary (deals.valuation_inputs)
    sim = simulate_collections(licence_deal(legal_risk=LegalRisk(regulatory_stop_annual=annual)), n_paths=10, seed=1)
    assert sim.regulatory_stop_probability_tenor == pytest.approx(life)


# --- support ------------------------------------------------------------------------------------------------------


def test_a_guarantee_of_the_senior_only_never_rates_a_class_it_does_not_cover_below_its_stand_alone_rating(
    pledge_result,
):
    mezzanine = next(t for t in pledge_result.tranches if t.tranche_class == "mezzanine")
    assert rank(mezzanine.implied_rating) <= rank(mezzanine.underlying_rating)


def test_an_unrated_provider_is_priced_at_the_rating_its_default_probability_reads_as():
    inputs = rugao_supply_chain_deal(assumptions=FAST)
    unrated = replace(inputs.supports[0], provider_rating="NR", provider_type="originator")
    result = value_deal(replace(inputs, enhancement=CreditEnhancementInput(supports=(unrated,))), n_paths=2_000)
    # An originator's 1 % a year reads as A- in the provider table (1.1 %): its premium is the table's A- one.
    assert result.coverage.relies_on["rating"] == "A-"
    assert result.senior.suggested_coupon.support_premium == pytest.approx(
        inputs.market.support_premiums["originator"]["A-"]
    )


def test_a_provider_that_fails_with_the_deal_supports_less():
    strong = rugao_supply_chain_deal(assumptions=FAST)
    weak_support = replace(strong.supports[0], provider_rating="BBB")
    weak = value_deal(replace(strong, enhancement=CreditEnhancementInput(supports=(weak_support,))), n_paths=2_000)
    assert rank(weak.senior.implied_rating) > rank("AAA")
    assert rank(weak.senior.implied_rating) <= rank(weak.senior.underlying_rating)


# --- sizing, break-even, progress, inputs -------------------------------------------------------------------------


def test_largest_senior_size_with_support_is_at_least_the_one_without(pledge_result):
    with_support, without = pledge_result.max_senior_size
    assert with_support.with_guarantees
    assert not without.with_guarantees
    assert with_support.senior_size >= without.senior_size
    assert rank(with_support.implied_rating) <= rank("AAA")


def test_break_even_haircut_is_the_last_cut_the_senior_survives_on_the_mean_path(licence_result):
    inputs = licence_deal()
    sim = simulate_collections(inputs, n_paths=10_000, seed=SEED)
    bare = build_structure(inputs, provisional_coupons(inputs), expected_cash=expected_period_cash(sim))
    bare = bare.without_support()
    cut = licence_result.breakeven.senior_haircut
    assert 0.1 < cut < 0.9
    mean = sim.periods.mean(axis=1)
    out = run_waterfall(mean[:, None] * (1 - np.array([cut, cut + 1e-3]))[None, :], bare)
    senior_short = out.interest_shortfall[0] | (out.principal_outstanding[0] > 1e-3)
    assert senior_short.tolist() == [False, True]
    assert licence_result.breakeven.senior_coverage_multiple == pytest.approx(1 / (1 - cut))


def test_break_even_default_multiple_is_the_tdr_over_the_pools_expected_default_rate(lease_result):
    b = lease_result.breakeven
    # BDR: eight equal annuity leases at 6 %, 1.5 % a year, over their 18-24 months; a default in month m loses
    # the balance then outstanding, B_m = P((1 + r)^T - (1 + r)^(m - 1)) / ((1 + r)^T - 1), with probability
    # S(m - 1) - S(m), S(m) = (1 - 1.5 %)^(m / 12).
    terms = (18, 19, 20, 21, 21, 22, 23, 24)
    r = 0.06 / 12

    def lease_rate(term: int) -> float:
        m = np.arange(1, term + 1)
        balance = ((1 + r) ** term - (1 + r) ** (m - 1)) / ((1 + r) ** term - 1)
        survival = (1 - 0.015) ** (np.arange(0, term + 1) / 12)
        return float(np.sum((survival[:-1] - survival[1:]) * balance))

    expected = np.mean([lease_rate(t) for t in terms])
    assert b.base_default_rate == pytest.approx(expected, rel=1e-6)
    assert b.default_multiples["Senior A"] == pytest.approx(b.breakeven_default_rates["Senior A"] / expected)
    assert b.breakeven_default_rates["Senior A"] > 0.1


def test_dscr_before_and_after_a_trip_are_reported_apart(licence_result):
    dscr = licence_result.dscr
    assert dscr.trigger == pytest.approx(1.10)
    assert dscr.probability_below_trigger <= 1.0
    assert 0 < dscr.probability_trigger_tripped < 0.5  # a trigger below the structuring ratio trips rarely
    assert sum(dscr.histogram.counts) > sum(dscr.histogram_after_trip.counts) > 0
    assert len(dscr.percentiles_by_period["p50"]) == 12
    # The schedule is sized at 1.25x the projected cash: the median period's DSCR sits there.
    assert np.nanmedian([v for v in dscr.percentiles_by_period["p50"][:-1] if v]) == pytest.approx(1.25, abs=0.03)


def test_progress_is_reported_up_to_one():
    seen: list[float] = []
    value_deal(licence_deal(assumptions=FAST), n_paths=500, seed=SEED, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_regulatory_findings_raise_the_suspension_probability():
    calm = value_deal(licence_deal(assumptions=FAST), n_paths=500, seed=SEED)
    risky = value_deal(licence_deal(legal_risk=LegalRisk(regulatory_stop_annual=0.05), assumptions=FAST), n_paths=500)
    assert risky.regulatory_stop_probability_tenor > calm.regulatory_stop_probability_tenor
    stop = next(s for s in risky.stress if s.scenario == "regulatory_stop")
    assert stop.probability == pytest.approx(risky.regulatory_stop_probability_tenor)
    assert all(t.expected_loss_standard_error >= 0 for t in stop.tranches)


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="whole payment periods"):
        licence_deal(tenor_months=35)
    with pytest.raises(ValueError, match="unknown provider type"):
        SupportInput(1.0, provider_type="friend")
    with pytest.raises(ValueError, match="trigger lies below the structuring ratio"):
        PaydownInput(mode="target_schedule", structuring_ratio=1.2, dscr_trigger=1.3)
    with pytest.raises(ValueError, match="unknown cash source"):
        PoolAssetInput(1.0, 0.05, 12, 0.01, 0.4, cash_source="magic")


def test_a_tail_to_the_legal_final_can_only_help_the_notes():
    weak = licence_deal(revenue_share=0.6, enhancement=CreditEnhancementInput(reserve_target=4.5e6), tail_months=0)
    weak = replace(weak, paydown=PaydownInput(), assumptions=FAST)
    short = value_deal(weak, n_paths=2_000, seed=SEED)
    tail = value_deal(replace(weak, tail_months=24), n_paths=2_000, seed=SEED)
    assert short.senior.expected_loss > 0
    for before, after in zip(short.tranches, tail.tranches, strict=True):
        if before.rated:
            assert rank(after.implied_rating) <= rank(before.implied_rating)
    assert tail.horizon_months == 60


@st.composite
def small_pool_deals(draw):
    """A random pool deal of two or three classes, some with a guarantee of the senior."""
    pd = draw(st.floats(0.002, 0.08))
    sub = draw(st.floats(0.03, 0.25))
    mezz = draw(st.floats(0.0, 0.1))
    notes = 100.0
    pool = tuple(
        PoolAssetInput(principal=notes * draw(st.floats(1.0, 1.2)) / 5, annual_rate=0.05,
                       months_to_maturity=draw(st.integers(6, 24)), annual_pd=pd, recovery_rate=0.4,
                       kind="loan", name=f"L{i}")
        for i in range(5)
    )  # fmt: skip
    tranches = [TrancheInput("A", "senior", notes * (1 - sub - mezz), 0.025, 1)]
    if mezz > 0.01:
        tranches.append(TrancheInput("B", "mezzanine", notes * mezz, 0.04, 2))
    tranches.append(TrancheInput("Sub", "subordinated", notes * sub, None, len(tranches) + 1))
    supports = ()
    if draw(st.booleans()):
        supports = (SupportInput(notes * draw(st.floats(0.05, 1.0)), provider_rating=draw(st.sampled_from(
            ["AAA", "AA", "A", "BBB"])), coverage=draw(st.sampled_from(["timely", "ultimate"]))),)  # fmt: skip
    return ValuationInputs(
        deal_type="empowerment", tenor_months=24, periods_per_year=4, tail_months=6, tranches=tuple(tranches),
        pool_assets=pool, enhancement=CreditEnhancementInput(supports=supports), assumptions=FAST,
    )  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inputs=small_pool_deals())
def test_on_random_deals_seniors_rate_no_lower_than_juniors_and_support_never_lowers_a_rating(inputs):
    result = value_deal(inputs, n_paths=1_000, seed=3)
    rated = [t for t in result.tranches if t.rated]
    for senior, junior in zip(rated, rated[1:], strict=False):
        assert rank(senior.implied_rating) <= rank(junior.implied_rating)
        assert rank(senior.underlying_rating) <= rank(junior.underlying_rating)
    for t in rated:
        assert rank(t.implied_rating) <= rank(t.underlying_rating)
    assert not result.tranches[-1].rated


def test_the_comparables_view_uses_only_deals_issued_by_the_pricing_date():
    """A price of 2025-11-28 sees the deals issued by then and none issued later."""
    from deals.valuation.inputs import ComparableDeal

    def issued(day: str, wal: float) -> ComparableDeal:
        return ComparableDeal(f"issued {day}", day, coupon=0.0200, benchmark=0.0140, wal_years=wal, rating="AAA",
                              support_type="none")  # fmt: skip

    known = (issued("2025-03-18", 1.0), issued("2025-06-27", 1.5), issued("2025-11-28", 2.0))
    later = (issued("2026-02-10", 2.5), issued("2026-05-06", 3.0))
    inputs = plain_lease_deal(comparable_deals=known + later, assumptions=FAST)
    assert inputs.pricing_date == "2025-11-28"
    listed = value_deal(inputs, n_paths=2_000, seed=SEED).to_dict()["pricing"]["comparables"]
    assert [c["issue_date"] for c in listed] == ["2025-03-18", "2025-06-27", "2025-11-28"]
