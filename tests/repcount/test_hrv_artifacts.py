from pathlib import Path

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from repcount.hrv import correct_artifacts, hrv_metrics, rmssd_ms

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "hrv" / "pyhrv_sample_short.txt"


def _clean(n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 850.0 + 40.0 * np.sin(2 * np.pi * t / 4.5) + rng.normal(0.0, 8.0, n)


def test_clean_real_recording_is_left_alone() -> None:
    rr = np.loadtxt(FIXTURE)
    res = correct_artifacts(rr)
    assert res.n_corrected == 0
    np.testing.assert_array_equal(res.rr_ms, rr)


def test_missed_beat_is_split_keeping_time() -> None:
    rr = _clean()
    bad = np.concatenate([rr[:200], [rr[200] + rr[201]], rr[202:]])
    res = correct_artifacts(bad)
    assert res.n_missed == 1 and res.rr_ms.size == rr.size
    assert res.rr_ms.sum() == pytest.approx(bad.sum())


def test_extra_beat_is_merged_back_exactly() -> None:
    rr = _clean()
    bad = np.concatenate([rr[:200], [0.4 * rr[200], 0.6 * rr[200]], rr[201:]])
    res = correct_artifacts(bad)
    assert res.n_extra == 1
    np.testing.assert_allclose(res.rr_ms, rr)


def test_ectopic_beat_is_interpolated_within_half_a_beat() -> None:
    rr = _clean()
    bad = rr.copy()
    bad[200] -= 0.3 * rr[200]
    bad[201] += 0.3 * rr[200]
    res = correct_artifacts(bad)
    assert 2 <= res.n_ectopic <= 3  # the pair, sometimes a neighbour
    assert res.rr_ms.sum() == pytest.approx(bad.sum(), abs=0.5 * np.median(rr))
    assert rmssd_ms(res.rr_ms) == pytest.approx(rmssd_ms(rr), rel=0.03)


def test_gap_is_removed_and_not_differenced() -> None:
    rr = _clean()
    bad = np.concatenate([rr[:200], [37000.0], rr[200:]])
    res = correct_artifacts(bad)
    assert res.n_gaps == 1 and res.gap_s == pytest.approx(37.0)
    assert res.rr_ms.size == rr.size and not res.valid_diff[199]
    assert rmssd_ms(res.rr_ms, res.valid_diff) == pytest.approx(
        np.sqrt(np.mean(np.delete(np.diff(rr), 199) ** 2)))


def test_more_than_five_percent_is_unreliable() -> None:
    rr = _clean()
    bad = rr.copy()
    for j in range(20, 380, 12):
        bad[j] -= 0.35 * rr[j]
        bad[j + 1] += 0.35 * rr[j]
    res = correct_artifacts(bad)
    assert res.corrected_pct > 5.0 and not res.reliable


def test_input_is_not_mutated() -> None:
    rr = _clean()
    rr[100] = 1700.0
    before = rr.copy()
    correct_artifacts(rr)
    np.testing.assert_array_equal(rr, before)


def test_gap_at_the_end_does_not_hide_a_missed_beat_before_it() -> None:
    rr = _clean()
    bad = np.concatenate([rr[:-6], [rr[-6] + rr[-5]], rr[-4:], [4189.0]])
    res = correct_artifacts(bad)
    assert res.n_missed == 1 and res.n_gaps == 1
    assert rmssd_ms(res.rr_ms, res.valid_diff) == pytest.approx(rmssd_ms(rr), rel=0.05)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([200.5, 800.0, 2999.5]), min_size=30, max_size=400))
def test_correction_never_makes_an_interval_non_positive(rr: list[float]) -> None:
    """Sparse good beats once made the spline overshoot below zero (found by schemathesis via the API)."""
    result = correct_artifacts(np.array(rr))
    assert np.all(result.rr_ms > 0)
    hrv_metrics(np.array(rr))  # and the spectrum after it does not raise
