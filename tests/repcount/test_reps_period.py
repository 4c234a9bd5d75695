"""Set-level period: one rep made of two strokes is told apart from two reps."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import repcount.period
from repcount.grid import GRID_FS_HZ
from repcount.period import doubled_period_s
from repcount.session import analyse_session

_T = np.arange(0.0, 30.0, 1.0 / GRID_FS_HZ)


def _two_strokes(rep_s: float) -> np.ndarray:
    """Pull and release in two strokes per rep: the principal axis sees twice the rep rate, the 3-D motion not."""
    phase = 2 * np.pi * _T / rep_s
    return np.c_[np.sin(2 * phase), 0.6 * np.sin(phase), 0.3 * np.cos(phase)]


def test_two_strokes_per_rep_give_the_rep_period() -> None:
    period = doubled_period_s(_T, _two_strokes(1.6), 0.0, 30.0, spacing_s=0.8)
    assert period is not None and abs(period - 1.6) < 0.1


def test_one_wave_per_rep_is_left_alone() -> None:
    x = np.c_[np.sin(2 * np.pi * _T / 1.6), 0.2 * np.cos(2 * np.pi * _T / 1.6), 0 * _T]
    assert doubled_period_s(_T, x, 0.0, 30.0, spacing_s=1.6) is None


def test_a_short_span_says_nothing() -> None:
    assert doubled_period_s(_T, _two_strokes(1.6), 0.0, 4.0, spacing_s=0.8) is None


def test_doctests() -> None:
    assert doctest.testmod(repcount.period).failed == 0


@pytest.mark.parametrize(("rep_s", "n_reps"), [(1.6, 12), (2.0, 10), (1.2, 15)])
def test_a_set_of_two_stroke_reps_is_counted_once_per_rep(rep_s: float, n_reps: int) -> None:
    """A band row pulled and released in two strokes: the principal axis swings twice per rep (waves 0.6 s
    apart at the fastest rate, quicker than any rep), the cross axis once."""
    t = np.arange(0.0, 45.0, 0.02)
    on = (t > 5.0) & (t < 5.0 + n_reps * rep_s)
    phase = 2 * np.pi * (t - 5.0) / rep_s
    acc = np.c_[np.where(on, 0.25 * np.sin(2 * phase + 0.1 * np.sin(phase)), 0.0),
                np.where(on, 0.12 * (1 - np.cos(phase)), 0.0), 1.0 + 0 * t]
    acc += 0.005 * np.random.default_rng(1).standard_normal(acc.shape)
    assert [s.n_reps for s in analyse_session(t, acc)] == [n_reps]


def test_a_motion_repeating_better_at_three_spacings_than_two_is_not_doubled() -> None:
    """Even spacings beating odd ones overall ((r2 + r4) > (r1 + r3)) is no two-stroke rep when the motion
    repeats better at three spacings than at two: here components at 1, 2 and 3 spacings (r ~ 0.15, 0.51, 0.54,
    0.48). Fast wrist sets whose waves included a few non-rep ones were thinned to half this way."""
    x = np.c_[np.sin(2 * np.pi * _T / 1.0), np.sqrt(0.4) * np.sin(2 * np.pi * _T / 2.0),
              np.sqrt(0.6) * np.sin(2 * np.pi * _T / 3.0)]
    assert doubled_period_s(_T, x, 0.0, 30.0, spacing_s=1.0) is None
