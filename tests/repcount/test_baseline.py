"""The plain baseline (repcount.baseline) counts clean sinusoidal sets exactly, whatever the sensor orientation."""

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount import baseline
from repcount.baseline import baseline_count


def sine_set(n_reps: int, period_s: float, fs_hz: float, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2 s of rest, `n_reps` sine periods of 0.3 g along `direction` with gravity on z, 2 s of rest; 0.01 g noise."""
    t_s = np.arange(0.0, n_reps * period_s + 4.0, 1.0 / fs_hz)
    phase = (t_s - 2.0) / period_s
    wave = np.where((phase >= 0) & (phase < n_reps), 0.3 * np.sin(2 * np.pi * phase), 0.0)
    noise = np.random.default_rng(n_reps).normal(0.0, 0.01, (len(t_s), 3))
    return t_s, np.outer(wave, direction) + np.array([0.0, 0.0, 1.0]) + noise


@pytest.mark.parametrize(("n_reps", "period_s", "fs_hz"), [(10, 2.0, 50.0), (3, 1.0, 200.0), (20, 0.8, 10.0),
                                                          (12, 4.0, 25.0), (30, 1.5, 100.0)])
def test_counts_a_clean_sinusoidal_set_exactly(n_reps: int, period_s: float, fs_hz: float) -> None:
    t_s, acc_g = sine_set(n_reps, period_s, fs_hz, np.array([0.6, 0.0, 0.8]))
    assert baseline_count(t_s, acc_g) == n_reps


@settings(max_examples=60, deadline=None, derandomize=True)
@given(n_reps=st.integers(3, 25), period_s=st.floats(1.0, 3.0),
       direction=st.tuples(*[st.floats(-1.0, 1.0)] * 3).filter(lambda d: np.linalg.norm(d) > 0.1))
def test_count_does_not_depend_on_the_sensor_orientation(n_reps: int, period_s: float,
                                                         direction: tuple[float, float, float]) -> None:
    unit = np.array(direction) / np.linalg.norm(direction)
    assert baseline_count(*sine_set(n_reps, period_s, 50.0, unit)) == n_reps


def test_too_short_or_still_sets_count_zero() -> None:
    t_s = np.arange(0.0, 10.0, 0.02)
    assert baseline_count(t_s[:5], np.zeros((5, 3))) == 0
    assert baseline_count(t_s, np.tile([0.0, 0.0, 1.0], (len(t_s), 1))) == 0


def test_docstring_example_runs() -> None:
    result = doctest.testmod(baseline)
    assert result.failed == 0 and result.attempted > 0
