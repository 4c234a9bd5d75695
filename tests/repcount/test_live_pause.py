"""A pause inside a set (a breather at lockout, rest-pause): the live count ends where the offline count ends.

A bout closes once it has gone without a lobe for its gap (`repcount.live.RepCounter._gap_s`). The sets are then
found from the data up to that moment only, so the analysis of the whole recording, which also has what follows,
reads no more than the live counter had when it closed the bout. Before, the offline search for edge reps
(`repcount.refine.complete`) read on past the pause into the next part of the set, counting its reps twice
(10 + 3 reps offline for 10 done, 8 + 3 live), and a slow last rep after a lobe-free 5 s was counted offline only.
"""

from __future__ import annotations

import numpy as np
import pytest

from repcount.session import analyse_session
from repcount.synth import synth_set

from .chunks import feed


def _paused_squats(pause_s: float) -> tuple[np.ndarray, np.ndarray]:
    """10 squats, wrist, 50 Hz (seed 5), with the pose held still (sensor noise) for ``pause_s`` after rep 8."""
    s = synth_set("squat", 10, placement="wrist", fs_hz=50.0, rng=np.random.default_rng(5))
    k = int(np.searchsorted(s.t_s, s.sets[0].rep_times[7][2] + 0.2))
    dt = float(s.t_s[1] - s.t_s[0])
    n = int(round(pause_s / dt))
    held = s.acc_g[k] + np.random.default_rng(6).normal(0.0, 0.004, (n, 3))
    t = np.concatenate((s.t_s[:k], s.t_s[k - 1] + dt * np.arange(1, n + 1), s.t_s[k:] + n * dt))
    return t, np.concatenate((s.acc_g[:k], held, s.acc_g[k:]))


@pytest.mark.parametrize("sizes", [[5], [1, 13], [50, 7, 2], [100000]])
def test_a_set_with_a_long_pause_gives_the_offline_sets_live_under_any_chunking(sizes: list[int]) -> None:
    t, acc = _paused_squats(6.5)
    offline = analyse_session(t, acc)
    assert sum(d.n_reps for d in offline) <= 11  # the reps after the pause counted once (was 10 + 3)
    assert feed(t, acc, sizes).sets == offline


@pytest.mark.parametrize("sizes", [[10], [3, 40]])
def test_a_slow_last_rep_more_than_5_s_after_the_last_lobe_counts_live_as_offline(sizes: list[int]) -> None:
    # deval.py "chest2" case 17: 12 slow bench presses on the chest (100 Hz); rep 12's lobe starts 5.1 s after
    # rep 11's, which closed the live set at 11 while offline counted 12
    rng = np.random.default_rng([3, 17, 7])
    n = int(rng.integers(3, 16))
    s = synth_set("bench_press", n, placement="chest", fs_hz=100.0, rng=rng, speed=2.0,
                  irregular=bool(rng.random() < 0.3))
    assert [d.n_reps for d in feed(s.t_s, s.acc_g, sizes).sets] == [d.n_reps for d in analyse_session(s.t_s, s.acc_g)]
    assert [d.n_reps for d in feed(s.t_s, s.acc_g, sizes).sets] == [12]
