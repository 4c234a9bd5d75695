"""From lobes to sets of reps: the only decision logic, for live and offline alike.

Within a bout (lobes no more than ``BOUT_GAP_S`` apart) the runs of rep waves are found and joined
(`repcount.runs`); each set is then checked against its own motion (`repcount.refine`): a last rep that ends
in another pose than the set's start, or comes late and moves unlike the others, is a re-rack; a rep at an
edge or in a two-period gap whose 3-axis motion matches the set's mean rep is counted, and so is a slower
last rep after a pause (a grinder); a set whose reps come at uneven spacings is counted by its rhythm. Live
and offline both call `find_sets`; the live counter also shows up to two provisional reps before a set is
confirmed (`repcount.display`). Two sets split by a rest-pause (held still in the first's pose, then reps that move
like it) are one (`resumed`), within a bout or, through the live counter, across bouts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from repcount.filters import STILL_N
from repcount.grid import GRID_FS_HZ
from repcount.lobes import Lobe
from repcount.refine import (by_rhythm, complete, cut_first_rep, moves_alike, reps_into_pause, resumed_reps,
                             turn_period_s, with_confidence)
from repcount.results import DetectedSet
from repcount.runs import (STILL_BAND_FRACTION, Pose, Trace, Wave, find_runs, held_still, join_pauses, median,
                           merge_lobes)

BOUT_GAP_S = 5.0
POSTURE_WINDOW_S = 1.5  # a lobe ending this soon before a new posture settles is the move into it
#: After a rest-pause (`resumed`), a set found turning first this soon (in rep periods of the set before the pause)
#: after the motion began again is what came next: a rep's turnaround comes within a period of its start, and the
#: rest of a rep cut by the pause may come first.
RESUME_FIRST_PERIODS = 1.5
RESUME_TAIL_PERIODS = 2.0  # and the pause began this many of its rep periods after its last turnaround at most (one
# more rep, taken for a move to rack: `refine.reps_into_pause`; a re-rack or walking away moves longer)


def find_sets(lobes: Sequence[Lobe], postures_s: Sequence[float] = (), still: Sequence[Pose] = (),
              trace: Trace | None = None, data_start_s: float = -np.inf, *, rated: bool = True,
              data_pose: Pose | None = None, waves: Sequence[Wave] | None = None) -> list[DetectedSet]:
    """All sets in one bout of lobes, in time order.

    ``postures_s`` are the times a new posture was confirmed (see `repcount.filters.FilterState`); the lobe
    of the move into it (lying down, bending to the bar) is not part of any rep. ``still`` are the poses
    where the sensor was held still: the last one before a set is its start position. ``trace`` is the
    band-passed 3-axis signal over the bout, used to tell one wave per rep from two (`repcount.period`), with the
    acceleration's magnitude (footfalls repeat every half wave: `repcount.runs._steps_alike`).
    Two runs of one set split by a short pause are joined (`join_pauses`). ``data_start_s`` is where the
    data begins: a recording cut in the middle of a set's first rep counts it (`cut_first_rep`). With
    ``rated`` false the sets keep a provisional confidence (the live running count needs only the reps).
    ``data_pose`` is where the data first moved if it began at rest (held still too briefly to be in
    ``still``): with no still pose before a set, it tells the set's turnarounds from its returns to rest
    (`repcount.runs.find_runs`). ``waves`` are ``merge_lobes(lobes)`` if at hand (the live counter keeps them
    as the bout grows).
    """
    if postures_s:
        p = np.asarray(postures_s)[None, :]
        end = np.array([lb.end_s for lb in lobes])[:, None]
        moves = np.any((p >= end) & (p - end <= POSTURE_WINDOW_S), axis=1)
        if moves.any():
            lobes, waves = [lb for lb, move in zip(lobes, moves, strict=True) if not move], None
    waves = merge_lobes(lobes) if waves is None else waves
    runs = find_runs(waves, still, trace, data_pose)
    found = join_pauses(runs, waves, trace) if runs else []
    if trace is None:
        return found
    ends = [-np.inf] + [s.reps[-1].turn_s for s in found]
    starts = [s.reps[0].turn_s for s in found] + [np.inf]
    bounds = list(zip(ends[:-1], starts[1:], strict=True))
    done = [by_rhythm(complete(s, trace, lo, hi, still), trace) for s, (lo, hi) in zip(found, bounds, strict=True)]
    if len(done) > 1:
        done = _rest_paused(done, lobes, waves, trace, still)
        ends = [-np.inf] + [s.reps[-1].turn_s for s in done]
        starts = [s.reps[0].turn_s for s in done] + [np.inf]
        bounds = list(zip(ends[:-1], starts[1:], strict=True))
    if rated:
        done = [with_confidence(s, trace, lo, hi) for s, (lo, hi) in zip(done, bounds, strict=True)]
    return [cut_first_rep(done[0], trace, data_start_s, still), *done[1:]] if done else done


def resumed(last: DetectedSet, found: Sequence[DetectedSet], trace: Trace, pause_s: tuple[float, float],
            still: Sequence[Pose] = ()) -> list[DetectedSet] | None:
    """The sets of a bout that began after a rest-pause, the first going on ``last`` (the set before the pause);
    None if the bout does not go on it.

    If the bout's first set turns first within ``RESUME_FIRST_PERIODS`` of the set's rep period after the motion
    began again, it is the rest of the set if it moves like it (`repcount.refine.moves_alike`: rep period, mean
    rep's 3-axis motion and size); else the bout must begin with reps of the set (`repcount.refine.resumed_reps`:
    one or two after a breather, too few for a set of their own). Reps in its rhythm into the pause go on it too
    (`repcount.refine.reps_into_pause`: a last rep that ended off the set's pose, taken for a move to rack). The
    whole set is then checked at its end as any set (`repcount.refine.complete`: a last move to rack is dropped,
    reps in rhythm after it added). The caller checks that the sensor was held still in the set's pose over the
    pause (`runs.held_still`).

    Parameters
    ----------
    last : DetectedSet
        The set before the pause, on the band-passed signal's times.
    found : sequence of DetectedSet
        The bout's sets (`find_sets`).
    trace : Trace
        The signal from ``last``'s first rep on.
    pause_s : tuple of float
        Where the pause began (the end of the last lobe before it) and where the bout's first lobe begins (s).
    still : sequence of Pose
        Poses held still.

    Returns
    -------
    list of DetectedSet or None
        ``found`` with ``last`` and the reps that go on it as its first set.
    """
    first_s = found[0].reps[0].turn_s if found else np.inf
    period = turn_period_s(last.reps)
    if first_s <= pause_s[1] + RESUME_FIRST_PERIODS * period:
        if not moves_alike(last, found[0], trace):
            return None
        rest, more, confidence = found[1:], found[0].reps, min(last.confidence, found[0].confidence)
    else:
        more = resumed_reps(last, trace, pause_s[1], first_s, still)
        if not more:
            return None
        rest, confidence = list(found), last.confidence
    reps = last.reps + reps_into_pause(last, trace, min(pause_s[0], more[0].turn_s - period)) + more
    whole = DetectedSet(reps[0].start_s, reps[-1].end_s, reps, confidence)
    return [whole, *rest]


def set_pose(found: DetectedSet, waves: Sequence[Wave], trace: Trace,
             peak_g: float | None = None) -> tuple[np.ndarray, float] | None:
    """A set's pose and size for `runs.held_still`: the low-passed acceleration from its first rep's start to its last
    turnaround, and the median peak of its rep waves (``peak_g`` if given; None if none of its turnarounds is a
    wave peak)."""
    turns = {r.turn_s for r in found.reps}
    peaks = [w.peak_g for w in waves if w.peak_s in turns] if peak_g is None else [peak_g]
    a, b = np.searchsorted(trace[0], (found.reps[0].start_s, found.reps[-1].turn_s), side="right")
    return (trace[2][a:b], median(peaks)) if peaks and b > a else None


def _rest_paused(found: list[DetectedSet], lobes: Sequence[Lobe], waves: Sequence[Wave], trace: Trace,
                 still: Sequence[Pose]) -> list[DetectedSet]:
    """The bout's sets with those split by a rest-pause within the bout joined (`resumed`). The pause: from where
    the sensor became still (the first still pose confirmed between two sets, less the ``filters.STILL_N`` samples
    that confirm it; within ``RESUME_TAIL_PERIODS`` of the first set's last turnaround) to where it moves again
    (`_moves_from`), held still in the first set's pose (`runs.held_still`). A stop away from the middle of the
    motion leaves the band-pass decaying in a lobe of its own for seconds: the bout goes on, the sensor is still."""
    out: list[DetectedSet] = []
    for found_set in found:
        joined = None
        last = out[-1] if out else None
        held = [p[0] for p in still if last is not None and last.reps[-1].turn_s < p[0] < found_set.reps[0].turn_s]
        pose = set_pose(last, waves, trace) if held and last is not None else None
        if last is not None and pose is not None:
            period, last_s = turn_period_s(last.reps), last.reps[-1].turn_s
            pause = (held[0] - STILL_N / GRID_FS_HZ, _moves_from(trace, held[0], STILL_BAND_FRACTION * pose[1]))
            if (pause[0] - last_s <= RESUME_TAIL_PERIODS * period
                    and held_still(trace, max(last_s + period / 2.0, pause[0]), pause[1], *pose)):
                joined = resumed(last, [found_set], trace, pause, still)
        out[-1:] = joined if joined else [*out[-1:], found_set]
    return out


def _moves_from(trace: Trace, still_s: float, limit_g: float) -> float:
    """Where the low-passed acceleration first moves ``limit_g`` away from where it was at ``still_s`` (s; the
    trace's end if it does not)."""
    t, level = trace[0], trace[2]
    k = int(np.searchsorted(t, still_s))
    if k >= len(t):
        return float(t[-1]) if len(t) else still_s
    away = np.flatnonzero(~(np.linalg.norm(level[k:] - level[k], axis=1) <= limit_g))
    return float(t[k + away[0]]) if len(away) else float(t[-1])


def still_from(trace: Trace, lo_s: float, hi_s: float, limit_g: float) -> float:
    """Where the sensor became still before ``hi_s`` (a moment in a pause): the earliest time after ``lo_s`` from
    which the low-passed acceleration stays within ``limit_g`` of where it is at ``hi_s`` (s; ``hi_s`` if no data).

    Parameters
    ----------
    trace : Trace
        Grid times (s) and the low-passed acceleration (g) among the rest.
    lo_s, hi_s : float
        The stretch to look in (s).
    limit_g : float
        How far the sensor may move and still be held (g).

    Returns
    -------
    float
        The time (s).
    """
    t, level = trace[0], trace[2]
    lo, hi = np.searchsorted(t, (lo_s, hi_s), side="right")
    if hi <= lo:
        return hi_s
    away = np.flatnonzero(~(np.linalg.norm(level[lo:hi] - level[hi - 1], axis=1) <= limit_g))
    return float(t[lo + away[-1] + 1]) if len(away) else float(t[lo])
