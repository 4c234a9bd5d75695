import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from repcount.hrv import RollingHrv, rmssd_ms, rolling_hrv

rr_lists = st.lists(st.floats(300.0, 2000.0), min_size=1, max_size=120)


@settings(max_examples=60, deadline=None)
@given(rr=rr_lists, n=st.integers(2, 40), cuts=st.lists(st.integers(0, 120), max_size=6))
@example(rr=[301.0, 711.8620640934963, 300.0, 300.0, 300.0], n=3, cuts=[])  # a big jump leaves steady beats
def test_any_chunking_equals_batch_and_direct_windows(rr: list[float], n: int, cuts: list[int]) -> None:
    batch = rolling_hrv(rr, n)
    roll = RollingHrv(n)
    bounds = [0, *sorted(c for c in cuts if c <= len(rr)), len(rr)]
    parts = [roll.update(rr[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    np.testing.assert_array_equal(np.concatenate([p.rmssd_ms for p in parts]), batch.rmssd_ms)
    np.testing.assert_array_equal(np.concatenate([p.hr_bpm for p in parts]), batch.hr_bpm)
    for i in range(len(rr)):
        window = np.asarray(rr[max(0, i - n + 1) : i + 1])
        expected = rmssd_ms(window)
        if math.isnan(expected):
            assert math.isnan(batch.rmssd_ms[i])
        else:
            assert batch.rmssd_ms[i] == pytest.approx(expected, rel=1e-9, abs=1e-6)
        assert batch.hr_bpm[i] == pytest.approx(60000.0 / window.mean(), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(rr=rr_lists, cuts=st.lists(st.integers(0, 120), max_size=6))
def test_rejection_is_chunking_invariant_too(rr: list[float], cuts: list[int]) -> None:
    batch = rolling_hrv(rr, 10, max_change_pct=25.0)
    roll = RollingHrv(10, max_change_pct=25.0)
    bounds = [0, *sorted(c for c in cuts if c <= len(rr)), len(rr)]
    parts = [roll.update(rr[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    np.testing.assert_array_equal(np.concatenate([p.rmssd_ms for p in parts]), batch.rmssd_ms)


def test_rejected_missed_beat_keeps_the_values() -> None:
    roll = RollingHrv(5, max_change_pct=25.0)
    out = roll.update([800.0, 810.0, 790.0, 1600.0, 800.0, 805.0])
    assert roll.n_rejected == 2  # the missed beat and the normal beat after it
    assert out.rmssd_ms[3] == out.rmssd_ms[2] == out.rmssd_ms[4]
    assert out.rmssd_ms[5] == pytest.approx(rmssd_ms([800.0, 810.0, 790.0, 805.0]))


def test_window_must_hold_two_beats() -> None:
    with pytest.raises(ValueError, match="n_beats"):
        RollingHrv(1)
