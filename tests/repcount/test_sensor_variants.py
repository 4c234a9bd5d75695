"""Exports from other sensors: samples stamped per packet, milli-g, linear acceleration (gravity removed)."""

from __future__ import annotations

import numpy as np
import pytest

from repcount.inputs import GRAVITY_FREE_RATIO, clean_stream, gravity_ratio
from repcount.session import analyse_session
from repcount.synth import synth_set

from .chunks import feed


def _count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    return sum(s.n_reps for s in analyse_session(t_s, acc_g))


def test_samples_stamped_per_packet_are_spread_back() -> None:
    """A BLE export that gives every sample of a 10-sample packet the packet's time: spread, not dropped."""
    s = synth_set("curl", 10, placement="wrist", fs_hz=50.0, rng=np.random.default_rng(1))
    last = np.minimum((np.arange(len(s.t_s)) // 10 + 1) * 10 - 1, len(s.t_s) - 1)
    cleaned = clean_stream(s.t_s[last], s.acc_g)
    assert len(cleaned.t_s) == len(s.t_s)
    full = last[-1] - last[-1] % 10  # the last packet may be short; every full packet is rebuilt exactly
    np.testing.assert_allclose(cleaned.t_s[:full], s.t_s[:full], atol=1e-9)
    assert any("spread evenly" in n for n in cleaned.notes)
    assert _count(cleaned.t_s, cleaned.acc_g) == _count(s.t_s, s.acc_g) == 10


def test_packet_after_a_gap_does_not_fill_the_gap() -> None:
    t = np.r_[np.repeat(np.arange(1, 7) * 0.1, 5), np.repeat(10.0, 5)]
    cleaned = clean_stream(t, np.tile([0.0, 0.0, 1.0], (35, 1)) + np.arange(35)[:, None] * 1e-3)
    np.testing.assert_allclose(cleaned.t_s[-5:], [9.92, 9.94, 9.96, 9.98, 10.0])


def test_identical_rows_are_one_sample_but_equal_values_in_a_packet_are_kept() -> None:
    acc = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 0.1, 1.0], [0.0, 0.1, 1.0], [0.0, 0.2, 1.0]])
    cleaned = clean_stream(np.array([0.0, 0.0, 0.1, 0.1, 0.1]), acc)
    assert len(cleaned.t_s) == 4  # the first pair is a repeated row; the second group is a packet of three
    assert any("repeated samples" in n for n in cleaned.notes)


def test_milli_g_is_converted() -> None:
    s = synth_set("squat", 8, placement="chest", fs_hz=50.0, rng=np.random.default_rng(2))
    cleaned = clean_stream(s.t_s, s.acc_g * 1000.0)
    np.testing.assert_allclose(cleaned.acc_g, s.acc_g)
    assert any("milli-g" in n for n in cleaned.notes)


@pytest.mark.parametrize(("exercise", "placement", "seed"),
                         [("squat", "chest", 3), ("deadlift", "chest", 4), ("curl", "wrist", 5), ("row", "wrist", 6)])
def test_linear_acceleration_is_counted_from_the_motion(exercise: str, placement: str, seed: int) -> None:
    """The same set exported without gravity (iOS userAcceleration, Android linear acceleration) is still counted."""
    exercise = "barbell_row" if exercise == "row" else exercise
    s = synth_set(exercise, 9, placement=placement, fs_hz=50.0, rng=np.random.default_rng(seed), gravity=False)
    assert gravity_ratio(s.t_s, s.acc_g) < GRAVITY_FREE_RATIO
    cleaned = clean_stream(s.t_s, s.acc_g)
    assert any("no gravity" in n for n in cleaned.notes)
    assert abs(_count(cleaned.t_s, cleaned.acc_g) - 9) <= 1
    android = clean_stream(s.t_s, s.acc_g * 9.80665)  # TYPE_LINEAR_ACCELERATION is in m/s^2: cannot be told apart
    assert any("if they are m/s^2" in n for n in android.notes)


@pytest.mark.parametrize("placement", ["chest", "wrist", "upper_arm"])
def test_streams_with_gravity_are_left_alone(placement: str) -> None:
    s = synth_set("overhead_press", 8, placement=placement, fs_hz=25.0, rng=np.random.default_rng(7), speed=0.3)
    cleaned = clean_stream(s.t_s, s.acc_g)
    assert cleaned.notes == () and cleaned.acc_g is not None
    np.testing.assert_array_equal(cleaned.acc_g, s.acc_g)



def _with_dropout(exercise: str, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """A brisk set (~1.5 s reps) with the data missing for 1.2 s around its 5th turnaround (a BLE dropout)."""
    s = synth_set(exercise, 9, placement="wrist", fs_hz=50.0, rng=np.random.default_rng(seed), speed=0.5)
    keep = np.abs(s.t_s - s.sets[0].rep_times[4][1]) > 0.6
    return s.t_s[keep], s.acc_g[keep], len(s.sets[0].rep_times)


@pytest.mark.parametrize(("exercise", "seed"), [("curl", 9), ("overhead_press", 8), ("squat", 9)])
def test_a_rep_hidden_by_a_short_dropout_is_counted_in_rhythm(exercise: str, seed: int) -> None:
    """The grid interpolates the dropout for the filters; the trace keeps it missing, so the rhythm counts the rep
    (it was 8 of 9 when the straight line through the dropout was taken for data)."""
    t, acc, n = _with_dropout(exercise, seed)
    sets = analyse_session(t, acc)
    assert sum(s.n_reps for s in sets) == n
    assert min(r.confidence for s in sets for r in s.reps) <= 0.3  # the rep inferred in the dropout is unsure


def test_dropouts_give_the_same_sets_for_any_chunking() -> None:
    t, acc, _ = _with_dropout("curl", 9)
    offline = analyse_session(t, acc)
    for sizes in ([1], [7, 13], [64, 3, 250]):
        assert feed(t, acc, sizes).sets == offline
