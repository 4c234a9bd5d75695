"""Reps that hardly move the sensor (a chest strap on arm-only or slow lifts): the peak floor belongs to the set.

``runs.MIN_PEAK_G`` tells reps from breathing and sway. Applied to every wave, it cut a set whose reps peak
around the floor into pieces (reps differ in size by a quarter or so) and kept none of them, or a few far
apart. Now the set's first and last waves and half of its waves must clear it, and a wave between them may be
down to ``runs.INNER_PEAK_G``. Cases are `repcount.synth.synth_set` draws as the dev evaluations make them.
"""

from __future__ import annotations

import numpy as np

from repcount.runs import INNER_PEAK_G, MIN_PEAK_G
from repcount.session import analyse_session
from repcount.synth import synth_set

from .chunks import feed


def test_a_slow_bench_press_on_the_chest_whose_reps_peak_around_the_floor_is_one_set() -> None:
    # deval.py "chest2" case 17: 12 reps at tempo x2, chest strap at 100 Hz; every rep was missed (no set)
    rng = np.random.default_rng([3, 17, 7])
    n = int(rng.integers(3, 16))
    s = synth_set("bench_press", n, placement="chest", fs_hz=100.0, rng=rng, speed=2.0,
                  irregular=bool(rng.random() < 0.3))
    assert n == 12
    assert [d.n_reps for d in analyse_session(s.t_s, s.acc_g)] == [12]


def test_triceps_extensions_on_the_chest_are_not_cut_to_the_reps_above_the_floor() -> None:
    # unseen_eval.py draw 2206 (triceps extension on the chest, 50 Hz): 13 reps peaking 0.015-0.03 g; the
    # per-wave floor left 5 reps
    rng = np.random.default_rng(2206)
    n = int(rng.integers(3, 16))
    irregular = bool(rng.random() < 0.3)
    s = synth_set("triceps_extension", n, placement="chest", fs_hz=50.0, rng=rng, speed=float(rng.uniform(0.8, 1.3)),
                  irregular=irregular)
    assert n == 13
    assert [d.n_reps for d in analyse_session(s.t_s, s.acc_g)] == [13]
    assert [d.n_reps for d in feed(s.t_s, s.acc_g, [7, 50, 3]).sets] == [13]


def test_breathing_alone_at_the_inner_floor_is_no_set() -> None:
    # A still chest strap breathing at 0.25 Hz, the wave peaking between INNER_PEAK_G and MIN_PEAK_G: regular
    # enough for a set, but no wave of it clears the floor, so it stays rest.
    t = np.arange(0.0, 60.0, 0.02)
    tilt = 0.9 * MIN_PEAK_G * np.sin(2 * np.pi * 0.25 * t)
    acc = np.c_[tilt, 0.0 * t, np.sqrt(1.0 - tilt**2)]
    assert analyse_session(t, acc) == []
