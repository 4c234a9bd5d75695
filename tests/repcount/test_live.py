"""Live and offline are one implementation: any chunking gives the same sets, and counts arrive in time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repcount import live
from repcount.grid import GRID_FS_HZ
from repcount.live import LONG_BOUT_WAVES, RECOUNT_SHARE, RepCounter
from repcount.lobes import LobeState, open_lobe
from repcount.results import DetectedSet
from repcount.session import analyse_session
from repcount.sets import find_sets
from repcount.synth import synth_session

from .chunks import feed

_SESSION = synth_session([("squat", 5, 20.0), ("curl", 6, 10.0)], placement="wrist", fs_hz=50.0,
                         rng=np.random.default_rng(3))
_OFFLINE = analyse_session(_SESSION.t_s, _SESSION.acc_g)


def test_offline_finds_both_sets() -> None:
    assert [s.n_reps for s in _OFFLINE] == [5, 6]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=20))
def test_any_chunking_gives_the_offline_sets(sizes: list[int]) -> None:
    assert feed(_SESSION.t_s, _SESSION.acc_g, sizes).sets == _OFFLINE


def test_empty_chunks_are_harmless() -> None:
    counter = RepCounter()
    counter.step(np.empty(0), np.empty((0, 3)))
    counter.step(_SESSION.t_s, _SESSION.acc_g)
    counter.step(np.empty(0), np.empty((0, 3)))
    assert counter.flush() == _OFFLINE


def test_live_count_climbs_during_the_set_and_matches_at_its_end() -> None:
    counter = feed(_SESSION.t_s, _SESSION.acc_g, [5])  # 0.1 s chunks at 50 Hz
    for detected in _OFFLINE:
        during = [e for e in counter.events if e.t_s >= detected.start_s]
        # the set closes once the lifter has been still a few seconds: the count drops to 0, not retracted
        closed = next(i for i, e in enumerate(during) if e.count == 0 and not e.retracted)
        assert max(e.count for e in during[:closed]) == detected.n_reps
        assert during[closed - 1].count == detected.n_reps  # the last count shown is the final count


def test_reps_are_reported_soon_after_they_end() -> None:
    counter = feed(_SESSION.t_s, _SESSION.acc_g, [5])
    truth = _SESSION.sets[0]
    reached = {}
    for e in counter.events:
        for k in range(1, e.count + 1):
            reached.setdefault(k, e.t_s)
    late = [reached[k] - end for k, (_, _, end) in enumerate(truth.rep_times, 1) if k >= 2]
    assert max(late) < 1.5


def test_the_first_two_reps_are_shown_before_the_third_confirms_the_set() -> None:
    counter = feed(_SESSION.t_s, _SESSION.acc_g, [5])
    for detected in _OFFLINE:
        third_turn = detected.reps[2].turn_s
        assert any(e.count >= 2 for e in counter.events if detected.start_s - 1.0 <= e.t_s < third_turn)


def test_reps_shown_for_a_motion_that_is_no_set_are_withdrawn_as_a_retraction() -> None:
    t = np.arange(0.0, 30.0, 0.02)
    swing = np.where((t > 5.0) & (t < 9.0), 0.3 * np.sin(2 * np.pi * (t - 5.0) / 2.0), 0.0)
    counter = RepCounter()
    counter.step(t, np.c_[swing, 0 * t, 1 + 0 * t])
    assert counter.flush() == []
    assert max(e.count for e in counter.events) == 2
    assert [e.retracted for e in counter.events if e.count == 0] == [True]


def test_out_of_order_samples_are_ignored_not_fatal() -> None:
    counter = RepCounter()
    counter.step(np.array([1.0, 0.5, 2.0]), np.tile([0.0, 0.0, 1.0], (3, 1)))
    counter.step(np.array([np.nan, 3.0]), np.tile([0.0, 0.0, 1.0], (2, 1)))
    assert counter.flush() == []


def test_an_open_lobe_counts_once_it_has_passed_its_peak() -> None:
    t = np.arange(0.0, 3.0, 1.0 / GRID_FS_HZ)
    rising = np.sin(np.pi * t / 3.0)  # half a wave: peak at 1.5 s
    x = rising[t < 2.55]  # fallen to 0.5 of the peak
    state = LobeState(t[: len(x)], x, np.full(len(x), 0.2), np.zeros(len(x)), np.zeros(len(x)),
                      np.zeros((len(x), 3)), np.ones(len(x)), 0.0)
    lobe = open_lobe(state)
    assert lobe is not None and abs(lobe.peak_s - 1.5) < 0.1
    before_peak = LobeState(state.t_s[:25], x[:25], state.h_g[:25], state.step_g[:25], state.stride_g[:25],
                            state.level_g[:25], state.mag_g[:25], 0.0)
    assert open_lobe(before_peak) is None


def test_a_long_bout_is_searched_in_full_only_as_it_grows_by_a_share(monkeypatch: pytest.MonkeyPatch) -> None:
    """A jog is one unbroken bout of ~1000 waves. Searching it in full at each lobe made the live cost grow with its
    length (a 10-min jog: 12 % of a core); now the waves handed to `find_sets` per new wave stay a few dozen
    (about RECOUNT_SHARE / ln 2 over the bout's second half: a full search each time it grew by 1/16) instead of
    the bout's length (~860 per new wave before). The sets are those offline, and whatever was shown during the
    jog is withdrawn."""
    s = synth_session([("jog", 200, 10.0), ("squat", 8, 30.0)], placement="chest", fs_hz=50.0,
                      rng=np.random.default_rng(0))  # a hard jog: shown as a set of hops until 2 minutes have passed
    searched: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> list[DetectedSet]:
        searched.append(len(kwargs["waves"]))
        return find_sets(*args, **kwargs)

    monkeypatch.setattr(live, "find_sets", counting)
    counter = feed(s.t_s, s.acc_g, [5])
    n = max(searched)
    assert n > 3 * LONG_BOUT_WAVES  # the jog is one long bout
    later = sum(k for k in searched if k >= n // 2)
    assert later <= 3 * RECOUNT_SHARE * (n - n // 2)
    assert counter.sets == analyse_session(s.t_s, s.acc_g) and [d.n_reps for d in counter.sets] == [8]
    jog = [e for e in counter.events if e.t_s < s.sets[0].start_s]
    assert max(e.count for e in jog) > 100 and jog[-1].count == 0 and jog[-1].retracted


@pytest.mark.parametrize("shape", [(7,), (7, 3), (1, 6)])
def test_filters_call_the_scipy_kernels_with_the_same_numbers(shape: tuple[int, ...]) -> None:
    # the live counter calls sosfilt's and lfilter's kernels directly (their wrappers cost ~40 us a call)
    from scipy import signal

    from repcount import filters

    rng = np.random.default_rng(5)
    x = rng.normal(size=shape)
    zi = rng.normal(size=(2, 2, *shape[1:]))
    before = zi.copy()
    y, zf = filters._sos_filter(filters.SOS_STEP, x, zi)
    assert np.array_equal(zi, before)  # the state passed in is kept
    want_y, want_zf = signal.sosfilt(filters.SOS_STEP, x, axis=0, zi=zi)
    assert np.array_equal(y, want_y) and np.array_equal(zf, want_zf)
    assert y.strides == want_y.strides  # the same memory layout: sums over it round alike
    z1 = rng.normal(size=(1, *shape[1:]))
    b, a = np.array([0.1]), np.array([1.0, -0.9])
    y1, zf1 = filters._ew_filter(b, a, x, z1)
    want_y1, want_zf1 = signal.lfilter(b, a, x, axis=0, zi=z1)
    assert np.array_equal(y1, want_y1) and np.array_equal(zf1, want_zf1)


def test_the_phase_delay_uses_scipy_s_frequency_response_exactly() -> None:
    from scipy import signal

    from repcount import filters

    for period_s in (0.55, 1.0, 2.37, 4.0, 7.9, 14.2):
        want = signal.sosfreqz(filters._SOS, worN=[1.0 / period_s], fs=GRID_FS_HZ)[1]
        assert filters._sos_response(filters._SOS, 1.0 / period_s).tobytes() == want.tobytes()
