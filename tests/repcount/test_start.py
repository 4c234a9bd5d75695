"""The start of the data: the band-pass starts from the level of its first readings, not of a glitch in them,
and live (which waits for those readings) still gives the offline sets for any chunking, also after a gap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount.filters import PRIME_N, START_N, FilterState, filter_step
from repcount.grid import GRID_FS_HZ
from repcount.live import RepCounter
from repcount.session import analyse_session

from .chunks import feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reps"
_SPIKED = np.loadtxt(FIXTURES / "spar_S4_external_rotation_R.csv", delimiter=",", skiprows=1)


def _count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    return sum(s.n_reps for s in analyse_session(t_s, acc_g))


def test_the_recording_starts_with_a_spike() -> None:
    acc = _SPIKED[:, 1:4]
    assert np.linalg.norm(acc[0] - np.median(acc[:100], axis=0)) > 1.5  # 2.9 g on y, then -0.65 g


@pytest.mark.parametrize("shift_s", [0.0, 0.01, 0.02, 0.03, 0.04])
def test_a_spike_in_the_first_readings_does_not_cost_reps(shift_s: float) -> None:
    """Shifted by 30 or 40 ms the spike filled the first grid bin alone; starting the band-pass from it made
    a 1.75 g transient that swallowed three reps (17 of 20)."""
    assert _count(_SPIKED[:, 0] + shift_s, _SPIKED[:, 1:4]) == 20


def test_the_filters_start_from_the_mean_of_the_first_readings() -> None:
    rest = np.array([0.0, 0.0, 1.0])
    acc = np.repeat(rest[None, :], 200, axis=0)
    acc[0] = [0.0, 2.0, 1.0]  # one spiked grid sample, then the sensor at rest
    _, from_first = filter_step(FilterState.start(acc[0]), acc)
    _, primed = filter_step(FilterState.primed(acc[:START_N]), acc)
    assert np.abs(from_first.bp_g[:, 1]).max() >= 1.9 * np.abs(primed.bp_g[:, 1]).max()  # a 1-bin spike halved


def test_a_recording_that_starts_moving_starts_the_envelope_at_its_motion() -> None:
    t = np.arange(0, 30, 1 / GRID_FS_HZ)
    acc = np.c_[0.3 * np.sin(2 * np.pi * t / 2.0), 0 * t, 1 + 0 * t]  # 2-s reps from the first reading
    _, cold = filter_step(FilterState.start(acc[0]), acc)
    _, primed = filter_step(FilterState.primed(acc[:PRIME_N]), acc)
    steady = cold.rms_g[-1]
    assert cold.rms_g[0] < 0.05 * steady  # the lobe threshold starts at zero: any wiggle is a wave
    assert 0.7 * steady < primed.rms_g[0] < 1.3 * steady


def test_a_recording_that_starts_at_rest_starts_as_before() -> None:
    acc = np.repeat(np.array([[0.1, -0.2, 0.97]]), PRIME_N, axis=0)
    assert float(FilterState.primed(acc).env_zi[0]) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=12))
def test_live_waits_for_the_first_readings_and_gives_the_offline_sets(sizes: list[int]) -> None:
    offline = analyse_session(_SPIKED[:, 0], _SPIKED[:, 1:4])
    assert feed(_SPIKED[:, 0], _SPIKED[:, 1:4], sizes).sets == offline


def test_live_and_offline_agree_across_a_gap_that_restarts_the_filters() -> None:
    t, acc = _SPIKED[:, 0], _SPIKED[:, 1:4]
    keep = (t < 8.0) | (t > 11.0)  # 3 s without data: a new segment, whose filters wait for its first readings
    offline = analyse_session(t[keep], acc[keep])
    assert sum(s.n_reps for s in offline) >= 15
    for sizes in ([5], [1], [1, 2, 3, 97], [len(t)]):
        assert feed(t[keep], acc[keep], sizes).sets == offline


def test_one_grid_sample_of_data_is_no_set() -> None:
    counter = RepCounter()
    counter.step(np.array([0.0]), np.array([[0.0, 0.0, 1.0]]))
    assert counter.flush() == []
