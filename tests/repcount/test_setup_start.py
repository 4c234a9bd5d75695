"""A recording that begins while the lifter gets into position (3 s before the first rep: lying down, bending
to the bar, stepping back with it): no pose is known before the set's, so the first still pose is compared with
where the data began (`repcount.filters.FilterState`, ``origin``). Away from it, it restarts the band-pass, whose
ringing from the set-up otherwise made or hid a wave next to the first rep; a recording cut in the middle of a
rep starts on the reps' path, which the reps pass through again, and restarts nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount.session import analyse_session
from repcount.synth import SynthSession, synth_set

from .chunks import feed

N_REPS = 8


def _set(exercise: str, placement: str, fs_hz: float, seed: int) -> SynthSession:
    return synth_set(exercise, N_REPS, placement=placement, fs_hz=fs_hz, rng=np.random.default_rng(seed))


def _trimmed(s: SynthSession, start: str) -> tuple[np.ndarray, np.ndarray]:
    """From 3 s before the set (``setup``) or a quarter into its first rep (``q1``) to 0.3 s after its last."""
    reps = s.sets[0].rep_times
    a = s.sets[0].start_s - 3.0 if start == "setup" else reps[0][0] + 0.25 * (reps[0][2] - reps[0][0])
    keep = (s.t_s >= a) & (s.t_s <= reps[-1][2] + 0.3)
    return s.t_s[keep], s.acc_g[keep]


def _count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    return sum(x.n_reps for x in analyse_session(t_s, acc_g))


CASES = [("deadlift", "chest", 25.0, 0), ("deadlift", "chest", 25.0, 2),  # the set-up's wave was a 9th rep
         ("squat", "wrist", 50.0, 0), ("squat", "wrist", 50.0, 4)]  # its ringing hid the first rep (7)


@pytest.mark.parametrize(("exercise", "placement", "fs_hz", "seed"), CASES)
def test_a_recording_begun_during_the_set_up_counts_the_set(exercise: str, placement: str, fs_hz: float,
                                                             seed: int) -> None:
    assert _count(*_trimmed(_set(exercise, placement, fs_hz, seed), "setup")) == N_REPS


@pytest.mark.parametrize(("exercise", "placement", "fs_hz", "seed"), CASES)
def test_a_recording_begun_in_the_first_rep_still_counts_it(exercise: str, placement: str, fs_hz: float,
                                                            seed: int) -> None:
    assert _count(*_trimmed(_set(exercise, placement, fs_hz, seed), "q1")) == N_REPS


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=300), min_size=1, max_size=8))
def test_live_restarts_at_the_set_s_pose_as_offline(sizes: list[int]) -> None:
    t, acc = _trimmed(_set("squat", "wrist", 50.0, 0), "setup")
    assert feed(t, acc, sizes).sets == analyse_session(t, acc)
