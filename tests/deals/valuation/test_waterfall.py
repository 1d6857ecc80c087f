"""The waterfall: each paydown mode, the trigger with its cure and the post-trip order, support, computed by hand;
and its invariants on random deals (cash conserved, seniors first, no cash to the residual under a failed test)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deals.valuation import WaterfallStructure, run_waterfall
from deals.valuation.waterfall import class_targets


def structure(**changes) -> WaterfallStructure:
    """Senior 80 at 4 % (1 % a quarter), mezzanine 15 at 8 % (2 %), subordinated 5; quarterly, one year."""
    values = {
        "names": ("Senior", "Mezzanine", "Sub"),
        "classes": ("senior", "mezzanine", "subordinated"),
        "sizes": np.array([80.0, 15.0, 5.0]),
        "period_rates": np.array([0.01, 0.02, 0.0]),
        "residual": 2,
        "periods_per_year": 4,
        "scheduled_periods": 4,
    }
    values.update(changes)
    return WaterfallStructure(**values)


def test_sequential_pass_through_pays_all_cash_to_the_senior_and_nothing_to_the_residual_before_the_end():
    # Fee 0.5 a quarter, reserve 2 (senior), collections 30, 30, 10, 60.
    # Q1: 29.5 after the fee; interest 0.8 + 0.3; the reserve is full; senior principal 28.4 (senior 51.6).
    # Q2: 29.5; interest 0.516 + 0.3; senior principal 28.684 (22.916).
    # Q3: 9.5; interest 0.22916 + 0.3; senior principal 8.97084 (13.94516).
    # Q4: 60 + reserve 2 - 0.5 = 61.5; interest 0.1394516 + 0.3; senior 13.94516; mezzanine 15;
    #     the residual class: its 5 and the 27.1153884 left.
    s = structure(fixed_fee=0.5, reserve_target=2.0, reserve_covers=np.array([True, False, False]))
    out = run_waterfall(np.array([[30.0], [30.0], [10.0], [60.0]]), s)
    senior, mezzanine, sub = out.cash[:, :, 0]
    np.testing.assert_allclose(senior, [29.2, 29.2, 9.2, 0.1394516 + 13.94516], atol=1e-12)
    np.testing.assert_allclose(mezzanine, [0.3, 0.3, 0.3, 15.3], atol=1e-12)
    np.testing.assert_allclose(sub, [0.0, 0.0, 0.0, 32.1153884], atol=1e-9)
    np.testing.assert_allclose(out.principal[0, :, 0], [28.4, 28.684, 8.97084, 13.94516], atol=1e-12)
    # DSCR: the period's own cash over its own debt service; with no schedule, the notes fall due at maturity.
    np.testing.assert_allclose(out.dscr[:3, 0], [29.5 / 1.1, 29.5 / (0.516 + 0.3), 9.5 / (0.22916 + 0.3)])
    assert out.dscr[3, 0] == pytest.approx(59.5 / (0.1394516 + 0.3 + 28.94516))
    assert out.fees_paid[0] == pytest.approx(2.0)
    assert out.reserve_final[0] == 0.0
    np.testing.assert_allclose(out.principal_outstanding[:, 0], 0.0, atol=1e-12)


def _scheduled(**changes) -> WaterfallStructure:
    """Senior 80 at 1 % a quarter and a residual of 20; a target of 60, 40, 20, 0; a DSCR trigger of 1.2."""
    values = {
        "names": ("Senior", "Sub"),
        "classes": ("senior", "subordinated"),
        "sizes": np.array([80.0, 20.0]),
        "period_rates": np.array([0.01, 0.0]),
        "residual": 1,
        "periods_per_year": 4,
        "scheduled_periods": 4,
        "mode": "target_schedule",
        "target_balance": np.array([60.0, 40.0, 20.0, 0.0, 0.0]),
        "residual_release": "excess_when_tests_pass",
        "dscr_trigger": 1.2,
        "trigger_cure": 1,
    }
    values.update(changes)
    return WaterfallStructure(**values)


def test_target_schedule_releases_the_excess_while_tests_pass_traps_it_after_a_trip_and_a_pass_cures_it():
    # Collections 30, 15, 30, 30 and 10 in the tail.
    # Q1: DSCR 30 / (0.8 + 20) = 1.442 passes: interest 0.8, principal 20 to the target, 9.2 released.
    # Q2: DSCR 15 / (0.6 + 20) = 0.728 fails: trip; interest 0.6, all the rest (14.4) repays the senior (45.6).
    # Q3: DSCR 30 / (0.456 + 20) = 1.467: the instalment is the period's own 20, not the 24.4 missed so far;
    #     one pass cures: interest 0.456, principal 25.6 down to the target of 20, 3.944 released.
    # Q4: DSCR 30 / (0.2 + 20) = 1.485: interest 0.2, principal 20, the senior is repaid; 9.8 to the residual.
    # Q5 (tail): all 10 to the residual.
    out = run_waterfall(np.array([[30.0], [15.0], [30.0], [30.0], [10.0]]), _scheduled())
    np.testing.assert_allclose(out.cash[0, :, 0], [20.8, 15.0, 26.056, 20.2, 0.0], atol=1e-12)
    np.testing.assert_allclose(out.cash[1, :, 0], [9.2, 0.0, 3.944, 9.8, 10.0], atol=1e-12)
    np.testing.assert_allclose(out.dscr[:4, 0], [30 / 20.8, 15 / 20.6, 30 / 20.456, 30 / 20.2])
    assert np.isnan(out.dscr[4, 0])  # no test after expected maturity
    assert out.tripped_at_start[:, 0].tolist() == [False, False, True, False, False]
    assert out.tripped[:, 0].tolist() == [False, True, False, False, False]
    assert out.trigger_period[0] == 1


def test_without_a_cure_a_trip_keeps_every_cash_from_the_residual_until_the_senior_is_repaid():
    # As above until Q2; then Q3 stays tripped: interest 0.456 and 29.544 of principal (16.056 left);
    # Q4: interest 0.16056, principal 16.056: repaid, and only then 13.78344 goes to the residual.
    out = run_waterfall(np.array([[30.0], [15.0], [30.0], [30.0], [10.0]]), _scheduled(trigger_cure=0))
    np.testing.assert_allclose(out.cash[0, :, 0], [20.8, 15.0, 30.0, 0.16056 + 16.056, 0.0], atol=1e-12)
    np.testing.assert_allclose(out.cash[1, :, 0], [9.2, 0.0, 0.0, 13.78344, 10.0], atol=1e-12)
    assert out.tripped[:, 0].tolist() == [False, True, True, True, True]


def test_documents_without_release_turbo_the_excess_to_the_rated_notes():
    # Residual only after the rated classes: Q1's excess 9.2 repays the senior too (29.2 of principal).
    out = run_waterfall(
        np.array([[30.0], [30.0], [30.0], [30.0], [10.0]]),
        _scheduled(residual_release="after_rated_repaid", dscr_trigger=float("-inf")),
    )
    np.testing.assert_allclose(out.principal[0, 0, 0], 29.2)
    assert out.cash[1, 0, 0] == 0.0


def test_after_a_trip_every_rated_class_gets_its_interest_before_any_principal():
    # Senior 80 (1 %), mezzanine 15 (2 %), target 60, 40, 20, 0; trigger 1.0. Q1 collects 5:
    # DSCR 5 / (0.8 + 0.3 + 20) < 1 trips; interest 0.8 and 0.3 first, then the 3.9 left repays the senior.
    s = structure(mode="target_schedule", target_balance=np.array([75.0, 50.0, 25.0, 0.0]), dscr_trigger=1.0)
    out = run_waterfall(np.array([[5.0], [40.0], [40.0], [40.0]]), s)
    assert out.tripped[0, 0]
    assert out.cash[1, 0, 0] == pytest.approx(0.3)  # the mezzanine's interest, before senior principal
    assert out.principal[0, 0, 0] == pytest.approx(3.9)
    assert not out.interest_shortfall[1, 0]


def test_pro_rata_shares_principal_by_balance_until_a_trigger_then_pays_sequentially():
    # Senior 60 and mezzanine 40, no coupon; target 50 after Q1, 0 after Q2; trigger 1.0.
    # Path 1: Q1 collects 20: DSCR 20 / 50 = 0.4 fails -> sequential: all 20 to the senior (40 left, 40).
    # Path 2: Q1 collects 60: DSCR 60 / 50 = 1.2 passes -> pro rata 60 / 100: senior 36, mezzanine 24;
    #         Q2 collects 40: DSCR 40 / 40 = 1.0 passes -> pro rata pays both off.
    s = WaterfallStructure(
        names=("A", "B"), classes=("senior", "mezzanine"), sizes=np.array([60.0, 40.0]),
        period_rates=np.zeros(2), residual=None, periods_per_year=4, scheduled_periods=2, mode="pro_rata",
        target_balance=np.array([50.0, 0.0]), dscr_trigger=1.0,
    )  # fmt: skip
    out = run_waterfall(np.array([[20.0, 60.0], [10.0, 40.0]]), s)
    np.testing.assert_allclose(out.principal[:, 0, 0], [20.0, 0.0])
    np.testing.assert_allclose(out.principal[:, 0, 1], [36.0, 24.0])
    np.testing.assert_allclose(out.principal_outstanding[:, 0], [30.0, 40.0])
    np.testing.assert_allclose(out.principal_outstanding[:, 1], [0.0, 0.0], atol=1e-12)


def _bullet(**changes) -> WaterfallStructure:
    values = {
        "names": ("Senior", "Sub"), "classes": ("senior", "subordinated"), "sizes": np.array([100.0, 10.0]),
        "period_rates": np.array([0.01, 0.0]), "residual": 1, "periods_per_year": 4, "scheduled_periods": 4,
        "mode": "controlled_amortisation", "target_balance": np.array([100.0, 100.0, 100.0, 0.0]),
    }  # fmt: skip
    values.update(changes)
    return WaterfallStructure(**values)


def test_a_bullet_traps_the_excess_until_its_date_unless_the_documents_release_it():
    # 30 a quarter. Trapped: 29, then 30 + 29 - 1 = 58, then 87; at maturity 30 + 87 - 1 = 116 repays 100,
    # and 16 goes to the residual (its 10 and 6).
    collections = np.full((4, 1), 30.0)
    trapped = run_waterfall(collections, _bullet())
    np.testing.assert_allclose(trapped.cash[0, :, 0], [1.0, 1.0, 1.0, 101.0])
    np.testing.assert_allclose(trapped.cash[1, :, 0], [0.0, 0.0, 0.0, 16.0])
    # Released while the tests pass: the principal funding account first keeps the share of the bullet the
    # quarters so far should have funded (25, 50, 75 of the 100), and only the rest goes out:
    # Q1 29 - 25 kept = 4 released; Q2 30 + 25 - 1 = 54, 50 kept, 4; Q3 30 + 50 - 1 = 79, 75 kept, 4;
    # Q4 30 + 75 - 1 = 104 repays the 100 and 4 is left for the residual.
    released = run_waterfall(collections, _bullet(residual_release="excess_when_tests_pass"))
    np.testing.assert_allclose(released.cash[1, :, 0], [4.0, 4.0, 4.0, 4.0])
    np.testing.assert_allclose(released.cash[0, :, 0], [1.0, 1.0, 1.0, 101.0])
    # The DSCR tests the period's deposit, not the whole bullet: 30 / (1 + 100 / 4) in the first quarter.
    assert released.dscr[0, 0] == pytest.approx(30 / 26)
    assert released.dscr[1, 0] == pytest.approx(30 / (1 + (100 - 25) / 3))


def _supported(coverage_timely: bool) -> WaterfallStructure:
    return WaterfallStructure(
        names=("Senior", "Sub"), classes=("senior", "subordinated"), sizes=np.array([100.0, 10.0]),
        period_rates=np.array([0.01, 0.0]), residual=1, periods_per_year=4, scheduled_periods=2,
        reserve_target=0.5, reserve_covers=np.array([True, False]), support_amounts=np.array([50.0]),
        support_covers=np.array([[True, False]]), support_timely=np.array([coverage_timely]),
    )  # fmt: skip


def test_timely_support_pays_interest_when_due_and_the_balance_at_expected_maturity():
    # Collections 0.2, 30 and 10 in the tail. Q1: interest 1 = 0.2 + reserve 0.5 + support 0.3.
    # Q2 (expected maturity): interest 1, reserve refilled 0.5, principal 28.5 (71.5 left); the support pays
    #     the rest of its 50: 49.7 (21.8 left). Q3: 10 + the reserve's 0.5: interest 0.218, principal 10.282.
    out = run_waterfall(np.array([[0.2], [30.0], [10.0]]), _supported(True))
    np.testing.assert_allclose(out.cash[0, :, 0], [1.0, 1.0 + 28.5 + 49.7, 0.218 + 10.282])
    np.testing.assert_allclose(out.support_draws[:, 0], [50.0])
    assert out.principal_outstanding[0, 0] == pytest.approx(11.518)
    assert not out.interest_shortfall[0, 0]


def test_ultimate_support_pays_only_what_is_unpaid_at_the_legal_final():
    # Q1: 0.2 + reserve 0.5: 0.3 of interest is unpaid (arrears). Q2: interest 1.3, reserve 0.5, principal 28.2.
    # Q3: 10.5: interest 0.718, principal 9.782 (62.018 left); then the support pays 50: 12.018 is lost.
    out = run_waterfall(np.array([[0.2], [30.0], [10.0]]), _supported(False))
    np.testing.assert_allclose(out.cash[0, :, 0], [0.7, 1.3 + 28.2, 0.718 + 9.782 + 50.0])
    assert out.interest_shortfall[0, 0]
    assert out.principal_outstanding[0, 0] == pytest.approx(12.018)


def test_a_provider_that_has_defaulted_pays_nothing():
    out = run_waterfall(
        np.array([[0.2], [30.0], [10.0]]), _supported(True), support_default_period=np.array([[1]])
    )  # defaults in Q2: it paid Q1's 0.3, then nothing
    np.testing.assert_allclose(out.support_draws[:, 0], [0.3])


def test_class_targets_split_the_schedule_seniors_first():
    targets = class_targets(np.array([100.0, 70.0, 20.0, 0.0]), np.array([80.0, 20.0, 5.0]), [0, 1])
    np.testing.assert_allclose(targets[0], [80.0, 50.0, 0.0, 0.0])
    np.testing.assert_allclose(targets[1], [20.0, 20.0, 20.0, 0.0])
    np.testing.assert_allclose(targets[2], 0.0)


# --- invariants on random deals -----------------------------------------------------------------------------------


@st.composite
def deals(
    draw, *, triggers: bool = True, modes=("sequential", "pro_rata", "target_schedule", "controlled_amortisation")
):
    """A random structure of 1-4 classes, any paydown mode, with random collections on a few paths."""
    classes = draw(st.integers(1, 4))
    with_sub = draw(st.booleans()) and classes > 1
    sizes = np.array(draw(st.lists(st.floats(1.0, 500.0), min_size=classes, max_size=classes)))
    coupons = np.array(draw(st.lists(st.floats(0.0, 0.12), min_size=classes, max_size=classes)))
    if with_sub:
        coupons[-1] = 0.0
    ppy = draw(st.sampled_from([1, 2, 4, 12]))
    scheduled = draw(st.integers(1, 8))
    periods = scheduled + draw(st.integers(0, 3))
    paths = draw(st.integers(1, 6))
    kinds = ("senior",) + ("mezzanine",) * (classes - 2) + (("subordinated",) if with_sub else ("mezzanine",))
    supports = draw(st.integers(0, 2))
    rated_total = float(sizes[: classes - 1].sum() if with_sub else sizes.sum())
    shares = np.sort(np.array(draw(st.lists(st.floats(0, 1), min_size=periods, max_size=periods))))[::-1]
    target = rated_total * shares
    target[scheduled - 1 :] = 0.0
    s = WaterfallStructure(
        names=tuple(f"c{j}" for j in range(classes)),
        classes=kinds[:classes],
        sizes=sizes,
        period_rates=coupons / ppy,
        residual=classes - 1 if with_sub else None,
        periods_per_year=ppy,
        scheduled_periods=scheduled,
        mode=draw(st.sampled_from(modes)),
        target_balance=target,
        residual_release=draw(st.sampled_from(["after_rated_repaid", "excess_when_tests_pass"])),
        fee_rate=draw(st.floats(0.0, 0.01)),
        fixed_fee=draw(st.floats(0.0, 2.0)),
        reserve_target=draw(st.floats(0.0, 20.0)),
        reserve_covers=np.array([j == 0 for j in range(classes)]),
        support_amounts=np.array(draw(st.lists(st.floats(0.0, 300.0), min_size=supports, max_size=supports)))
        if supports
        else None,
        support_covers=np.array([[j == 0 for j in range(classes)]] * supports) if supports else None,
        support_timely=np.array(draw(st.lists(st.booleans(), min_size=supports, max_size=supports)))
        if supports
        else None,
        dscr_trigger=draw(st.sampled_from([0.8, 1.0, 1.3])) if triggers else float("-inf"),
        trigger_window=draw(st.integers(1, 3)),
        trigger_cure=draw(st.integers(0, 2)),
    )
    total = float(sizes.sum())
    flows = draw(st.lists(st.floats(0.0, 1.5), min_size=periods * paths, max_size=periods * paths))
    collections = np.array(flows).reshape(periods, paths) * total / scheduled
    events = np.array(draw(st.lists(st.integers(0, periods), min_size=paths, max_size=paths))) if triggers else None
    defaults = np.array(draw(st.lists(st.integers(0, periods), min_size=paths * supports, max_size=paths * supports)))
    return s, collections, events, defaults.reshape(supports, paths) if supports else None


def _run(deal):
    s, collections, events, defaults = deal
    return run_waterfall(collections, s, regulatory_event_period=events, support_default_period=defaults)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_waterfall_neither_creates_nor_loses_cash(deal):
    s, collections, _, _ = deal
    out = _run(deal)
    cash_in = collections.sum(axis=0) + s.reserve_target + out.guarantee_draws
    cash_out = out.fees_paid + out.cash.sum(axis=(0, 1)) + out.released_to_originator + out.reserve_final
    np.testing.assert_allclose(cash_out, cash_in, rtol=1e-10, atol=1e-9)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals(modes=("sequential", "target_schedule", "controlled_amortisation")))
def test_a_rated_class_is_paid_principal_only_once_every_class_ahead_of_it_is_repaid(deal):
    s, *_ = deal
    out = _run(deal)
    rated = s.rated
    for position, j in enumerate(rated):
        for junior in rated[position + 1 :]:
            # Cumulative principal: a junior class has received some only after the senior one was repaid in full.
            paid_junior = np.cumsum(out.principal[junior], axis=0) > 1e-9
            senior_left = s.sizes[j] - np.cumsum(out.principal[j], axis=0)
            assert np.all(senior_left[paid_junior] <= 1e-7 * max(s.sizes[j], 1.0))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals())
def test_the_residual_receives_nothing_while_a_rated_class_misses_its_schedule_under_a_failed_test(deal):
    s, *_ = deal
    out = _run(deal)
    if s.residual is None:
        return
    residual_paid = out.cash[s.residual] > 0
    assert not np.any(residual_paid & out.tripped & out.schedule_missed)
    if s.residual_release == "after_rated_repaid":
        # ... and with documents that never release excess, nothing while any rated principal is outstanding.
        rated_left = sum(s.sizes[j] - np.cumsum(out.principal[j], axis=0) for j in s.rated)
        assert np.all(rated_left[residual_paid] <= 1e-7 * max(float(s.sizes.sum()), 1.0))


def _present_value_loss(out, s) -> np.ndarray:
    periods = out.cash.shape[1]
    discount = (1 + s.period_rates[:, None]) ** -np.arange(1, periods + 1)[None, :]
    present = (out.cash * discount[:, :, None]).sum(axis=1)
    return np.maximum(0.0, 1 - present / s.sizes[:, None])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deals(triggers=False, modes=("sequential", "pro_rata", "target_schedule")), st.floats(0.0, 1.0))
def test_less_cash_never_improves_a_rated_class_without_a_cash_trap(deal, cut):
    """Monotone in the collections when no trigger redirects cash (a trap protects seniors by design, so a
    deeper shortfall that trips it can leave a senior better off; and a trapped bullet can pay a class later)."""
    s, collections, _events, defaults = deal
    milder = run_waterfall(collections, s, support_default_period=defaults)
    harsher = run_waterfall(collections * (1 - cut), s, support_default_period=defaults)
    rated = s.rated
    loss_mild, loss_harsh = _present_value_loss(milder, s), _present_value_loss(harsher, s)
    assert np.all(loss_harsh[rated] >= loss_mild[rated] - 1e-9)
    assert np.all(harsher.principal_outstanding[rated] >= milder.principal_outstanding[rated] - 1e-9)


def test_results_of_a_path_do_not_depend_on_the_other_paths():
    rng = np.random.default_rng(5)
    collections = rng.uniform(0, 40, size=(6, 50))
    s = _scheduled(target_balance=np.array([70.0, 55.0, 30.0, 10.0, 0.0, 0.0]), scheduled_periods=5)
    together = run_waterfall(collections, s)
    for b in (0, 17, 49):
        alone = run_waterfall(collections[:, b : b + 1], s)
        np.testing.assert_array_equal(alone.cash[:, :, 0], together.cash[:, :, b])
