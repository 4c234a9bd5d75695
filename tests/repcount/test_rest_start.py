"""A recording that begins at rest: the pose where the data first moves is the set's start position, so the
waves away from it are the reps and those back at it the returns to rest (one more: before the first rep and
after the last), unless the set never comes back to it (a set-up pose before the lifter got into position)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount.filters import STILL_N, FilterState, filter_step
from repcount.grid import GRID_FS_HZ, GridState, grid_flush, grid_step
from repcount.session import analyse_session

from .chunks import feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reps"
_AT_REST = np.loadtxt(FIXTURES / "spar_S8_abduction_R.csv", delimiter=",", skiprows=1)
_SET_UP = np.loadtxt(FIXTURES / "spar_S2_external_rotation_L.csv", delimiter=",", skiprows=1)


def _count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    return sum(s.n_reps for s in analyse_session(t_s, acc_g))


def _settled(t_s: np.ndarray, acc_g: np.ndarray) -> np.ndarray:
    """Where the filters say the data, having begun at rest, first moved."""
    state, chunk = grid_step(GridState(), t_s, acc_g)
    rest = grid_flush(state)
    grid = np.vstack([chunk.acc_g, rest.acc_g])
    _, sig = filter_step(FilterState.primed(grid[:40]), grid)
    assert sig.settled is not None
    return np.flatnonzero(sig.settled)


def _rest_then_swing(rest_s: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0, 20, 1 / GRID_FS_HZ)
    moving = np.clip(t - rest_s, 0.0, None)
    return t, np.c_[0.5 * (1 - np.cos(2 * np.pi * moving / 2.0)), 0 * t, 1 + 0 * t]


def test_the_data_start_pose_is_where_a_recording_begun_at_rest_first_moves() -> None:
    t, acc = _rest_then_swing(0.4)
    (k,) = _settled(t, acc)
    assert 0.4 <= t[k] <= 0.65  # soon after the swing (slow to start) sets off
    t, acc = _rest_then_swing(2 * STILL_N / GRID_FS_HZ)  # still long enough to be a still pose of its own
    assert len(_settled(t, acc)) == 0
    t = np.arange(0, 20, 1 / GRID_FS_HZ)
    acc = np.c_[0.5 * np.sin(2 * np.pi * t / 2.0), 0 * t, 1 + 0 * t]  # a recording begun mid-swing: no pose known
    assert len(_settled(t, acc)) == 0


def test_the_abduction_set_begins_and_ends_at_rest() -> None:
    acc = _AT_REST[:, 1:4]
    assert float(np.sqrt(np.sum(np.var(acc[:10], axis=0)))) < 0.025  # still for its first 0.2 s
    assert len(_settled(_AT_REST[:, 0], acc)) == 1


@pytest.mark.parametrize("shift_s", [0.0, 0.01, 0.02, 0.03, 0.04])
def test_a_recording_begun_at_rest_counts_its_reps_not_its_returns_to_rest(shift_s: float) -> None:
    """The arm rests before the first raise and after the last: 20 raises, 21 rests. Both runs look alike;
    the longer one (the rests, whose first wave is cut by the data start) won at 0, 10 and 20 ms (21)."""
    assert _count(_AT_REST[:, 0] + shift_s, _AT_REST[:, 1:4]) == 20


@pytest.mark.parametrize("shift_s", [0.0, 0.01, 0.02, 0.03, 0.04])
def test_a_set_up_pose_at_the_data_start_is_not_the_start_position(shift_s: float) -> None:
    """The first 0.4 s are still, in a pose both runs lie 85-115 degrees from (the arm not yet in position):
    taken as the start position it chose the other run and dropped the last rep (18)."""
    assert len(_settled(_SET_UP[:, 0] + shift_s, _SET_UP[:, 1:4])) == 1
    assert _count(_SET_UP[:, 0] + shift_s, _SET_UP[:, 1:4]) == 20


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8))
def test_live_gives_the_offline_sets_of_a_recording_begun_at_rest(sizes: list[int]) -> None:
    t, acc = _AT_REST[:, 0], _AT_REST[:, 1:4]
    assert feed(t, acc, sizes).sets == analyse_session(t, acc)
