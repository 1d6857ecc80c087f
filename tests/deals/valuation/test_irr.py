"""Batched IRR against numpy-financial and pyxirr, including series with several sign changes."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
import pyxirr
from hypothesis import given, settings
from hypothesis import strategies as st

from deals.valuation import batched_irr

SERIES = [
    [-100, 39, 59, 55, 20],  # numpy-financial's documented example: 28.095 %
    [-100, 0, 0, 74],  # a loss: -9.55 %
    [-1000, 20, 20, 20, 1020],  # a bond at par: 2 %
    [-100] + [0.5] * 119 + [100.5],  # 120 monthly coupons at par
    [0, 0, -50, 10, 10, 10, 10, 30],  # leading zeros
    [100, -30, -30, -30, -30],  # a borrower's view: one change, positive first
    [-5, 1, 1, -1, 5],  # a change back and forth, one root
]


@pytest.mark.parametrize("flows", SERIES)
def test_irr_matches_numpy_financial_and_pyxirr(flows):
    ours = batched_irr(np.array([flows], dtype=float))[0]
    assert ours == pytest.approx(npf.irr(np.array(flows, dtype=float)), abs=1e-10)
    assert ours == pytest.approx(pyxirr.irr(flows), abs=1e-8)


@pytest.mark.parametrize(
    ("flows", "roots"),
    [
        ([-100, 230, -132], (0.10, 0.20)),  # (1 + r) in {1.1, 1.2}
        ([-1, 6, -11, 6], (0.0, 1.0, 2.0)),  # roots of (x - 1)(x - 2)(x - 3) in x = 1 + r
        ([100, -330, 362, -132.0], (0.0, 0.1, 0.2)),  # the IRR is 0: NPV at zero is exactly 0
        ([-100, 100, 0, -7], None),  # numpy-financial's example: -8.33 %
        ([-5, 10.5, 1, -8, 1], None),  # numpy-financial's example: 8.86 %
        ([-1000, 3000, -2500, 400], None),
    ],
)
def test_several_sign_changes_return_the_root_nearest_zero_like_numpy_financial(flows, roots):
    ours = batched_irr(np.array([flows], dtype=float))[0]
    reference = npf.irr(np.array(flows, dtype=float))
    assert ours == pytest.approx(reference, abs=1e-9)
    if roots is not None:
        assert ours == pytest.approx(min(roots, key=abs), abs=1e-9)
    npv = sum(c / (1 + ours) ** t for t, c in enumerate(flows))
    assert npv == pytest.approx(0.0, abs=1e-7 * max(abs(c) for c in flows))


def test_series_without_a_sign_change_have_no_irr():
    flows = np.array([[-100.0, 0, 0, 0], [10.0, 20, 30, 0], [0.0, 0, 0, 0], [np.nan, 1, 2, 3]])
    assert np.isnan(batched_irr(flows)).all()


def test_each_series_gets_the_same_answer_alone_or_in_any_batch():
    rng = np.random.default_rng(11)
    flows = np.column_stack([-rng.uniform(50, 150, 400), rng.uniform(0, 5, (400, 60))])
    flows[::7, 3] = -20.0  # some series with a second sign change
    together = batched_irr(flows)
    shuffled = rng.permutation(400)
    np.testing.assert_array_equal(batched_irr(flows[shuffled]), together[shuffled])
    for i in (0, 7, 399):
        np.testing.assert_array_equal(batched_irr(flows[i : i + 1])[0], together[i])


@settings(max_examples=150, deadline=None)
@given(
    outlay=st.floats(1.0, 1e9),
    receipts=st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1.0)), min_size=2, max_size=150),
    scale=st.floats(0.01, 3.0),
)
def test_random_investor_flows_match_numpy_financial(outlay, receipts, scale):
    receipts_array = np.array(receipts) * outlay * scale / len(receipts)
    if not np.any(receipts_array > 0):
        return
    flows = np.concatenate([[-outlay], receipts_array])
    reference = npf.irr(flows)
    ours = batched_irr(flows[None, :])[0]
    if np.isnan(reference):
        return
    # numpy-financial's eigenvalue roots lose accuracy for long series with deep losses; compare the NPV too.
    assert ours == pytest.approx(reference, rel=1e-6, abs=1e-7)
    if ours > -0.5:
        npv = np.sum(flows / (1 + ours) ** np.arange(flows.size))
        assert abs(npv) <= 1e-6 * outlay


def test_a_deep_loss_on_a_long_series_is_found():
    # 30 years monthly, two small interest payments then nothing: about -95 % a month.
    flows = np.zeros(361)
    flows[:3] = [-100.0, 0.3, 0.3]
    ours = batched_irr(flows[None, :])[0]
    assert ours == pytest.approx(npf.irr(flows), rel=1e-9)
    assert (-100 + 0.3 / (1 + ours) + 0.3 / (1 + ours) ** 2) == pytest.approx(0.0, abs=1e-9)
