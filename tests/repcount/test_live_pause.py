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
from repcount.synth import synth_session, synth_set

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


def _held_pause(exercise: str, placement: str, seed: int, after: int, pause_s: float,
                turned: bool = False, turned_reps: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """10 reps (50 Hz), the pose held still (sensor noise) for ``pause_s`` from 0.2 s after rep ``after`` ends; with
    ``turned`` the motion after the pause turned 90 degrees about gravity (the same pose, another movement), only
    its first ``turned_reps`` reps if given."""
    s = synth_set(exercise, 10, placement=placement, fs_hz=50.0, rng=np.random.default_rng(seed))
    k = int(np.searchsorted(s.t_s, s.sets[0].rep_times[after - 1][2] + 0.2))
    dt = float(s.t_s[1] - s.t_s[0])
    n = int(round(pause_s / dt))
    held = s.acc_g[k] + np.random.default_rng(6).normal(0.0, 0.004, (n, 3))
    rest = s.acc_g[k:].copy()
    if turned:
        g = s.acc_g[k] / np.linalg.norm(s.acc_g[k])
        ends = [int(np.searchsorted(s.t_s, r[2])) - k for r in s.sets[0].rep_times[after:]]
        m = len(rest) if turned_reps is None else ends[turned_reps - 1]
        rest[:m] = (rest[:m] @ g)[:, None] * g + np.cross(g, rest[:m])
    t = np.concatenate((s.t_s[:k], s.t_s[k - 1] + dt * np.arange(1, n + 1), s.t_s[k:] + n * dt))
    return t, np.concatenate((s.acc_g[:k], held, rest))


@pytest.mark.parametrize(("exercise", "placement", "seed", "after"),
                         [("bench_press", "chest", 1, 6), ("bench_press", "chest", 2, 8), ("squat", "wrist", 1, 9),
                          ("overhead_press", "wrist", 3, 8), ("curl", "wrist", 3, 6)])
def test_a_rest_pause_longer_than_the_bout_gap_stays_one_set_with_every_rep(
        exercise: str, placement: str, seed: int, after: int) -> None:
    # a 12-s breather at lockout closes the live bout (at most 10 s); the reps after it go on the set (`sets.resumed`):
    # before, 6 + 4 (two sets) or 8 / 9 (the one or two reps after the pause, too few for a set, were lost)
    t, acc = _held_pause(exercise, placement, seed, after, 12.0)
    offline = analyse_session(t, acc)
    assert [d.n_reps for d in offline] == [10]
    for sizes in ([5], [1, 13], [50, 7, 2]):
        counter = feed(t, acc, sizes)
        assert counter.sets == offline
        ended = [i for i, e in enumerate(counter.events) if e.count == 0]
        assert ended  # the set was shown ended during the pause, then ...
        shown = [e for e in counter.events[ended[0] + 1 :] if e.count > 0]
        assert shown[0].count > after and shown[0].resumed  # ... the count went on from where it was, not from 1


def test_a_different_motion_after_a_still_pause_in_the_same_pose_is_a_set_of_its_own() -> None:
    # the same pause, but the motion after it turned 90 degrees about gravity: the pose held is the set's, the
    # movement is another (its reps do not match the set's mean rep): two sets, 5 and 5
    t, acc = _held_pause("squat", "wrist", 5, 5, 12.0, turned=True)
    offline = analyse_session(t, acc)
    assert [d.n_reps for d in offline] == [5, 5]
    counter = feed(t, acc, [7, 30])
    assert counter.sets == offline
    assert not any(e.resumed for e in counter.events)


@pytest.mark.parametrize(("exercise", "seed"), [("squat", 1), ("overhead_press", 3)])
def test_one_rep_unlike_the_set_first_after_a_still_pause_does_not_split_it(exercise: str, seed: int) -> None:
    # only the first rep after the pause turned 90 degrees about gravity (set off on another line, or the band-pass
    # still settling from the held pose); the next ones move like the set's: one set of 10 (before: 5 + 5, the later
    # part's first two reps had both to match the set's mean rep), live as offline
    t, acc = _held_pause(exercise, "wrist", seed, 5, 12.0, turned=True, turned_reps=1)
    offline = analyse_session(t, acc)
    assert [d.n_reps for d in offline] == [10]
    assert feed(t, acc, [7, 30]).sets == offline


def test_walking_away_to_another_exercise_is_not_taken_for_a_rest_pause() -> None:
    s = synth_session([("curl", 8, 10.0), ("overhead_press", 8, 20.0)], placement="wrist", fs_hz=50.0,
                      rng=np.random.default_rng(4))
    offline = analyse_session(s.t_s, s.acc_g)
    assert [d.n_reps for d in offline] == [8, 8]
    assert not any(e.resumed for e in feed(s.t_s, s.acc_g, [11]).events)
