import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount.hrv import hrv_metrics, sample_entropy, stress_index
from repcount.hrv.synth import sinusoid_rr

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "hrv" / "pyhrv_sample_short.txt"

# NeuroKit2 0.2.13 on the raw series (reference_neurokit2.csv, row pyhrv_sample_short,raw).
NK_RAW = {"mean_nn_ms": 888.955, "sdnn_ms": 95.6904, "rmssd_ms": 101.301,
          "sd1_ms": 71.7372, "sd2_ms": 114.956, "sampen": 1.71224}


@pytest.fixture(scope="module")
def rr() -> np.ndarray:
    return np.loadtxt(FIXTURE)


@pytest.mark.parametrize(("key", "expected"), sorted(NK_RAW.items()))
def test_matches_neurokit2_on_real_recording(rr: np.ndarray, key: str, expected: float) -> None:
    value = getattr(hrv_metrics(rr, correct=False), key)
    assert value == pytest.approx(expected, rel=5e-4)


def test_pnn50_uses_successive_differences(rr: np.ndarray) -> None:
    d = np.abs(np.diff(rr))
    # NeuroKit2 divides by N (48.368 %); we divide by N - 1 like Kubios.
    assert hrv_metrics(rr, correct=False).pnn50_pct == pytest.approx(100 * np.mean(d > 50))
    assert hrv_metrics(rr, correct=False).pnn50_pct == pytest.approx(48.368 * 337 / 336, rel=1e-4)


@pytest.mark.parametrize("spectrum", ["welch", "lomb"])
def test_band_powers_match_sinusoid_amplitudes(spectrum: str) -> None:
    rr = sinusoid_rr(300.0, 900.0, [(30.0, 0.1), (20.0, 0.25)])
    m = hrv_metrics(rr, correct=False, spectrum=spectrum)  # type: ignore[arg-type]
    assert m.lf_ms2 == pytest.approx(30.0**2 / 2, rel=0.1)
    assert m.hf_ms2 == pytest.approx(20.0**2 / 2, rel=0.1)
    assert m.resp_rate_bpm == pytest.approx(15.0, abs=0.5)


def test_short_recording_has_null_metrics_with_reasons() -> None:
    m = hrv_metrics(np.full(40, 1000.0) + np.arange(40) % 3)
    assert m.rmssd_ms is not None
    assert m.hf_ms2 is None and "60 s" in m.reasons["hf_ms2"]
    assert m.lf_ms2 is None and "120 s" in m.reasons["lf_ms2"]
    assert m.sampen is None and "100 beats" in m.reasons["sampen"]
    assert set(m.to_dict()["reasons"]) == set(m.reasons)  # type: ignore[arg-type]


def test_rejects_non_positive_intervals() -> None:
    with pytest.raises(ValueError, match="rr_ms"):
        hrv_metrics(np.array([800.0, 0.0, 810.0]))


def test_sample_entropy_of_periodic_series_is_zero() -> None:
    assert sample_entropy(np.tile([800.0, 900.0, 850.0], 50)) == pytest.approx(0.0)
    assert math.isnan(sample_entropy(np.full(50, 800.0)))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(1.0, 60000.0), max_size=300), st.booleans())
def test_any_positive_series_gives_metrics_or_reasons(rr: list[float], correct: bool) -> None:
    m = hrv_metrics(np.asarray(rr), correct=correct)
    for key, value in m.to_dict().items():
        if value is None:
            assert key in m.reasons
    assert m.n_beats == len(rr)


def test_stress_index_of_intervals_shorter_than_half_a_bin_is_nan() -> None:
    # The modal bin is 0 ms: Baevsky's formula divides by the mode (found by the property test above).
    assert math.isnan(stress_index([1.0] * 5 + [2.0]))
