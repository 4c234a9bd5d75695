"""A recording trimmed to the exercise that begins with the move into the set's pose (the arm raised to the
band): the wave of that pose change falls into the set's rhythm, but it comes from a pose the reps never pass
through and moves unlike them, so it is not counted; a recording that begins in the middle of a rep still
counts that rep (`repcount.refine.cut_first_rep`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from repcount.refine import EDGE_POSE_DEG
from repcount.session import analyse_session

from .chunks import feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reps"
_SET_UP = np.loadtxt(FIXTURES / "spar_S2_external_rotation_R.csv", delimiter=",", skiprows=1)
_CUT = np.loadtxt(FIXTURES / "spar_S2_external_rotation_L.csv", delimiter=",", skiprows=1)


def _count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    return sum(s.n_reps for s in analyse_session(t_s, acc_g))


def test_the_recording_begins_in_a_pose_far_from_the_set_s() -> None:
    """The first 0.2 s point more than EDGE_POSE_DEG from where the sensor is over the last ten reps."""
    t, acc = _SET_UP[:, 0], _SET_UP[:, 1:4]
    first = np.mean(acc[t < 0.2], axis=0)
    late = acc[t > 0.5 * t[-1]]
    cos = late @ first / np.linalg.norm(late, axis=1) / np.linalg.norm(first)
    assert np.degrees(np.arccos(cos.max())) > EDGE_POSE_DEG  # 33 deg from every raw reading


@pytest.mark.parametrize("shift_s", [0.0, 0.01, 0.02, 0.03, 0.04])
def test_the_move_into_the_set_s_pose_is_not_a_rep(shift_s: float) -> None:
    """20 band external rotations; the raise into position was counted as a 21st at every shift."""
    assert _count(_SET_UP[:, 0] + shift_s, _SET_UP[:, 1:4]) == 20


@pytest.mark.parametrize("step", [2, 5])
def test_the_move_into_the_set_s_pose_is_not_a_rep_at_lower_rates(step: int) -> None:
    acc = signal.decimate(_SET_UP[:, 1:4], step, axis=0, zero_phase=True)
    assert _count(_SET_UP[::step, 0], acc) == 20


def test_a_recording_begun_in_the_middle_of_a_rep_still_counts_it() -> None:
    """The other arm's set begins in a set-up pose too, then in the middle of its first rep (20)."""
    assert _count(_CUT[:, 0], _CUT[:, 1:4]) == 20


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8))
def test_live_drops_the_set_up_move_as_offline(sizes: list[int]) -> None:
    t, acc = _SET_UP[:, 0], _SET_UP[:, 1:4]
    assert feed(t, acc, sizes).sets == analyse_session(t, acc)
