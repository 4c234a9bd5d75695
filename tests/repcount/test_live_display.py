"""What the live display shows beyond the confirmed sets: a first rep before the set is confirmed, a rep after
a pause before the set takes it in; and every such rep that the sets do not hold is withdrawn, never silently."""

from __future__ import annotations

import numpy as np

from repcount.display import extended_reps, extension, provisional_reps
from repcount.live import RepCounter
from repcount.lobes import Lobe
from repcount.runs import Wave, merge_lobes
from repcount.results import DetectedSet, Rep
from repcount.synth import synth_set


def _lobe(sign: int, peak_s: float, peak_g: float = 0.2, half_s: float = 0.6, walking: bool = False) -> Lobe:
    step = 0.2 if walking else 0.0  # footsteps: the magnitude bounces at the step rate
    return Lobe(sign, peak_s, peak_g, peak_g * half_s, peak_s - half_s, peak_s + half_s, step, 0.0)


def test_a_rep_that_went_out_and_came_back_after_a_brace_is_shown_as_one() -> None:
    out_and_back = [_lobe(1, 3.0), _lobe(-1, 4.5)]
    assert provisional_reps(merge_lobes(out_and_back), still_s=[1.5]) == 1
    assert provisional_reps(merge_lobes(out_and_back), still_s=[]) == 0  # no brace before it: a fidget, not shown
    unlike = merge_lobes([_lobe(1, 3.0), _lobe(-1, 4.5, peak_g=0.8)])
    assert provisional_reps(unlike, still_s=[1.5]) == 0  # halves unlike


def test_one_long_wave_is_a_first_rep_only_right_after_set_up_motion() -> None:
    wave = _lobe(-1, 9.0, half_s=0.8)  # the way out too small to clear the threshold: only the way back shows
    assert provisional_reps(merge_lobes([wave]), still_s=[7.0], postures_s=[6.0]) == 1  # lay down on the bench, braced
    walk = [_lobe(-1, 3.7, walking=True), _lobe(1, 4.0, walking=True)]
    assert provisional_reps(merge_lobes([*walk, wave]), still_s=[7.0]) == 1  # walked out of the rack, braced
    assert provisional_reps(merge_lobes([wave]), still_s=[7.0]) == 0  # a fidget while resting


def test_two_same_sign_waves_spaced_like_reps_are_shown_as_two() -> None:
    lobes = [_lobe(1, 3.0), _lobe(-1, 4.5), _lobe(1, 6.0)]
    assert provisional_reps(merge_lobes(lobes)) == 2


def test_walking_is_not_shown_as_reps() -> None:
    lobes = [_lobe(1, 3.0, walking=True), _lobe(-1, 3.5, walking=True), _lobe(1, 4.0, walking=True)]
    assert provisional_reps(merge_lobes(lobes), still_s=[2.0]) == 0


def _extra(waves: list[Wave], last: DetectedSet) -> int:
    ext = extension(waves, last)
    return 0 if ext is None else extended_reps(waves, ext)


def _set(turns: list[float]) -> DetectedSet:
    return DetectedSet(turns[0] - 1.0, turns[-1] + 1.0, tuple(Rep(t - 1.0, t, t + 1.0, 1.0) for t in turns), 1.0)


def test_a_rep_after_a_pause_is_shown_before_the_set_takes_it_in() -> None:
    reps = [_lobe(1, t) for t in (2.0, 5.0, 8.0)]
    between = [_lobe(-1, t) for t in (3.5, 6.5, 9.5)]
    confirmed = _set([2.0, 5.0, 8.0])
    bout = sorted(reps + between, key=lambda lb: lb.peak_s)
    assert _extra(merge_lobes([*bout, _lobe(1, 13.0)]), confirmed) == 1  # 5 s = 1.7 rep periods after the last rep
    assert _extra(merge_lobes([*bout, _lobe(1, 20.0)]), confirmed) == 0  # too long after it
    assert _extra(merge_lobes([*bout, _lobe(1, 13.0, peak_g=0.6)]), confirmed) == 0  # unlike the reps


def test_in_a_long_bout_a_set_of_hops_goes_on_one_rep_per_two_strokes() -> None:
    """Between the full searches of a long bout (repcount.live.LONG_BOUT_WAVES) the count goes on from the last
    set found: a set of hops on the trunk keeps one wave of its sign per rep of two, so the other is passed over."""
    hops = [_lobe(1 if k % 2 == 0 else -1, 2.0 + 0.25 * k, half_s=0.1) for k in range(40)]  # a wave each 0.25 s
    waves = merge_lobes(hops)
    confirmed = _set([2.0 + 1.0 * k for k in range(6)])  # one rep a second: every other wave of its sign
    assert _extra(waves, confirmed) == 0  # the next wave of its sign comes half a rep on
    ext = extension(waves, confirmed, strokes=True)
    assert ext is not None and ext.strokes and extended_reps(waves, ext) == 4  # 8.0, 9.0, 10.0, 11.0 s
    one_each = sorted([*hops[::4], *[_lobe(-1, 2.5 + k, half_s=0.1) for k in range(10)]], key=lambda lb: lb.peak_s)
    steady = extension(merge_lobes(one_each), confirmed, strokes=True)
    assert steady is not None and not steady.strokes  # one wave of its sign a rep: nothing to pass over


def _shown_then_final(counter: RepCounter) -> tuple[int, int]:
    shown, prev = 0, 0
    for event in counter.events:
        assert event.count >= prev or event.retracted or event.count == 0  # a drop is flagged
        shown += max(event.count - prev, 0)
        prev = event.count
    return shown, sum(s.n_reps for s in counter.sets)


def test_the_first_rep_is_shown_within_a_second_of_its_end() -> None:
    session = synth_set("squat", 8, placement="chest", fs_hz=50.0, rng=np.random.default_rng(11))
    counter = RepCounter()
    for a in range(0, len(session.t_s), 5):  # 0.1 s chunks
        counter.step(session.t_s[a:a + 5], session.acc_g[a:a + 5])
    counter.flush()
    assert [s.n_reps for s in counter.sets] == [8]
    rep1_end = session.sets[0].rep_times[0][2]
    first = next(e.t_s for e in counter.events if e.count >= 1 and e.t_s > session.sets[0].start_s)
    assert first - rep1_end < 1.0
    shown, final = _shown_then_final(counter)
    assert shown - final <= 1


def test_every_rep_shown_that_the_sets_do_not_hold_is_withdrawn_before_the_set_ends() -> None:
    rng = np.random.default_rng(5)
    for exercise in ("deadlift", "barbell_row", "bench_press"):
        session = synth_set(exercise, 10, placement="wrist", fs_hz=50.0, rng=rng, irregular=True)
        counter = RepCounter()
        for a in range(0, len(session.t_s), 5):
            counter.step(session.t_s[a:a + 5], session.acc_g[a:a + 5])
        counter.flush()
        ends = [i for i, e in enumerate(counter.events) if e.count == 0 and not e.retracted]
        final = [s.n_reps for s in counter.sets]
        assert [counter.events[i - 1].count for i in ends] == final  # the last count shown is the set's count
        _shown_then_final(counter)


def test_reps_whose_waves_were_lost_are_shown_with_the_two_that_follow_them() -> None:
    # small arm-only sets on the chest: the set-up raised the lobe threshold, so the first reps make no wave of
    # the set's sign; once two do, the reps before them that move like them are shown too, before the set is
    # confirmed by a third wave (here the third rep shows ~2-4 s after its end without it)
    for exercise, seed in (("curl", 1), ("curl", 34), ("overhead_press", 5)):
        session = synth_set(exercise, 8, placement="chest", fs_hz=50.0, rng=np.random.default_rng(seed))
        counter = RepCounter()
        for a in range(0, len(session.t_s), 5):
            counter.step(session.t_s[a:a + 5], session.acc_g[a:a + 5])
        counter.flush()
        assert [s.n_reps for s in counter.sets] == [8]
        rep3_end = session.sets[0].rep_times[2][2]
        third = next(e.t_s for e in counter.events if e.count >= 3 and e.t_s > session.sets[0].start_s)
        assert third - rep3_end < 1.0, (exercise, seed)
        _shown_then_final(counter)
        assert all(e.t_s > session.sets[0].end_s for e in counter.events if e.retracted)  # none withdrawn (the
        # re-rack on the chest may show as one more rep after the last, as before)
