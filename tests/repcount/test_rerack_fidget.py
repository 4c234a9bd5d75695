"""A fidget after the last rep (a grip change, a look at the bar) goes out and back like a rep, in the set's
rhythm, but turns in a direction of its own: it is not counted (`repcount.refine._turns_elsewhere`).

The reps of a set turn in one pose; a last "rep" that turns farther from their mean pose than twice the
farthest of them is dropped, and so is the one before a dropped move into another pose (the re-rack began
with a fidget). Cases are `repcount.synth.synth_set` draws as the dev evaluation `cateval.py` makes them
(the bench's synthetic single sets: set-up, re-rack, walking and rest around each); each was counted one
rep too many, the fidget of the re-rack, before.
"""

from __future__ import annotations

import numpy as np
import pytest

from repcount.session import analyse_session
from repcount.synth import SynthSession, synth_set

from .chunks import feed


def _draw(seed: list[int], exercise: str, placement: str, fs_hz: float) -> tuple[SynthSession, int]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 16))
    return synth_set(exercise, n, placement=placement, fs_hz=fs_hz, rng=rng, irregular=bool(rng.random() < 0.3)), n


@pytest.mark.parametrize(("seed", "exercise", "placement", "fs_hz", "n_reps"), [
    ([101, 58, 13], "push_up", "wrist", 50.0, 4),  # the fidget, then standing up (dropped before as well)
    ([101, 2, 13], "push_up", "wrist", 50.0, 15),
    ([103, 113, 13], "bench_press", "upper_arm", 100.0, 4),
    ([100, 100, 13], "curl", "upper_arm", 100.0, 9),
])
def test_a_fidget_after_the_last_rep_is_not_a_rep(seed: list[int], exercise: str, placement: str, fs_hz: float,
                                                  n_reps: int) -> None:
    s, n = _draw(seed, exercise, placement, fs_hz)
    assert n == n_reps
    found = analyse_session(s.t_s, s.acc_g)
    assert [d.n_reps for d in found] == [n]
    assert found[0].reps[-1].turn_s < s.sets[0].rep_times[-1][2]  # the last rep counted is the set's last
    live = feed(s.t_s, s.acc_g, [7, 23, 50])
    assert [d.n_reps for d in live.sets] == [n]
