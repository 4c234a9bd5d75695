"""A found set checked against its own motion (`repcount.template`): the reps its mean rep finds at its edges
and in gaps, a last move that is not a rep, the count of an irregular set by its rhythm, the confidence of its
edges, a rep cut by the start of the data, and its times moved from the band-passed signal onto the movement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from repcount.filters import LEVEL_HZ, phase_delay_s
from repcount.grid import span
from repcount.period import rep_period_s
from repcount.results import DetectedSet, Rep
from repcount.runs import JOIN_PERIOD_RATIO, MIN_REPS, Pose, Trace, band_rms, median, spacings, start_pose, unit
from repcount.template import MIN_COVER, best_match, half_factors, rep_template, stretched

MATCH_R = 0.7  # motion next to a set, or in a gap of about two periods, that correlates this well with ...
MATCH_SIZE = (0.6, 1.7)  # ... the set's mean rep, at this relative size, is a rep too
MATCH_SPACING = (0.6, 1.4)  # periods from the rep next to it
HALF_SIZE = MATCH_SIZE[0] / 2.0  # an edge rep moves on both sides of its turnaround, each at least this size
MATCH_EDGE_REPS = 3  # at most this many such reps added at each edge
#: a set after a rest-pause goes on the set before it if this many of its first this many + 1 reps move like it
RESUME_MATCHED = 2
UNSURE = 0.5  # a set whose edges are less clear than this gets an alternative count
UNSEEN_CONFIDENCE = 0.3  # a rep inferred from the rhythm where the data is missing ...
UNSEEN_SHARE = 1.0 / 3.0  # ... over this share of a period around its turnaround (2/3 of one of its half-period lobes)
CUT_REP_PERIODS = (1.3, 2.0)  # a recording starting in motion this many periods before the first turnaround ...
CUT_REP_RMS = 0.4  # ... with at least this fraction of the set's RMS there: the cut held a rep
RHYTHM_GAPS = (0.75, 1.35)  # a set with a rep spacing outside this many periods is irregular ...
RHYTHM_MIN_R = 0.3  # ... and if its motion repeats this clearly, its span in periods gives the count
RHYTHM_MIN_DIFF = 2  # reps fewer the rhythm must count to drop one: one slow rep (a grinder, a pause) shifts it by one;
# one more is enough to add a rep in the widest gap, checked there: ...
RHYTHM_ACTIVE = 0.7  # a rep goes in the widest gap only where the motion over a period around its middle is at least
# this much (RMS) like the whole set's: a pause before a grinder is still, though the grinder in the gap moves ...
RHYTHM_STILL = 0.45  # ... and nowhere in the gap less than this much (a pause of half a period or more is still)
GRIND_STRETCH = (1.5, 2.0)  # a last rep may be this many times slower than the others (a grinder) ...
GRIND_PHASES = (0, -1, 1)  # ... whole, or in its first or second half only (the lift: a grinder lowers at pace) ...
GRIND_GAP = 2.5  # ... and turn up to this many periods after the rep before (a pause to brace for it) ...
PAUSE_S = 3.0  # ... or after a pause of up to this long whatever the tempo (a breath or two to brace), as reps
# before such a pause are found before the set's first rep ...
PAUSE_R = 0.75  # ... if it correlates this well with the set's mean rep (slowed as much)
LAST_REP_MIN_R = 0.5  # a last rep must correlate at least this well with the others
LATE_REP_PERIODS = 1.15  # a last rep turning this many periods after the one before must match like an added rep
EDGE_POSE_DEG = 20.0  # an edge rep must end (start) within this angle of the sensor's pose between reps
# a linear acceleration of a g turns the low-passed acceleration by up to asin(a) and changes its size by up to a:
QUASI_STATIC_G = float(np.sin(np.radians(EDGE_POSE_DEG)))  # its size this far from 1 g: no pose to EDGE_POSE_DEG
POSE_SPREAD_S = 0.5 / LEVEL_HZ  # the low-pass mixes the acceleration of about this long either side into a sample
_EDGE_POSE_COS = float(np.cos(np.radians(EDGE_POSE_DEG)))
TURN_POSE_SPREAD = 2.0  # a rep after the set's others turns no farther from their mean turn pose than this many
TURN_POSE_MIN_DEG = 3.0  # times the farthest of them, or it plus this (a slower last rep turns a few degrees apart)
TURN_POSE_MIN_PERIOD_S = 1.5  # ... for reps this slow or slower


def turn_period_s(reps: Sequence[Rep]) -> float:
    """A set's rep period: the median spacing of its reps' turnarounds.

    Parameters
    ----------
    reps : sequence of Rep
        The set's reps, in time order.

    Returns
    -------
    float
        The period (s); NaN with fewer than two reps.
    """
    return median(spacings([r.turn_s for r in reps]))


def at_movement_times(found: DetectedSet, lo_s: float, hi_s: float) -> DetectedSet:
    """The set with its times moved from the band-passed signal back onto the movement, within the data
    (``lo_s`` to ``hi_s``).

    Sets are found and checked on wave peaks; a set is reported only once final, shifted by the
    band-pass phase delay at its rep rate (`repcount.filters.phase_delay_s`), so turnarounds and tempo are
    where the lifter turned, for slow reps as for fast ones.
    """
    if found.n_reps < 2:
        return found
    dt = phase_delay_s(turn_period_s(found.reps))

    def moved(t_s: float) -> float:
        return float(np.clip(t_s - dt, lo_s, hi_s))

    reps = tuple(Rep(moved(r.start_s), moved(r.turn_s), moved(r.end_s), r.confidence) for r in found.reps)
    return replace(found, start_s=reps[0].start_s, end_s=reps[-1].end_s, reps=reps)


def _beyond(edge_s: float, step: int, period_s: float, lo_s: float, hi_s: float) -> tuple[float, float]:
    """Where a rep just before (``step`` -1) or after (+1) a set's edge turnaround would turn:
    ``MATCH_SPACING`` periods away, and ``MATCH_SPACING[0]`` periods clear of the neighbouring set's edge."""
    near, far = (edge_s + step * m * period_s for m in MATCH_SPACING)
    pad = MATCH_SPACING[0] * period_s
    return (max(far, lo_s + pad), near) if step < 0 else (near, min(far, hi_s - pad))


def _size_match(size: float) -> float:
    """1 for a candidate as big as the template, less for one smaller or bigger."""
    return min(size, 1.0 / size)


def _like_a_rep(r: float, size: float, min_r: float = MATCH_R) -> bool:
    """A `best_match` correlation and size that make a rep: at least ``min_r``, within ``MATCH_SIZE``."""
    return r >= min_r and MATCH_SIZE[0] <= size <= MATCH_SIZE[1]


def _rep_around(turn_s: float, period_s: float, confidence: float) -> Rep:
    """A rep found by its turnaround alone: half a period either side."""
    return Rep(turn_s - period_s / 2.0, turn_s, turn_s + period_s / 2.0, confidence)


def cut_first_rep(found: DetectedSet, trace: Trace, data_start_s: float, still: Sequence[Pose]) -> DetectedSet:
    """Count the rep the start of the data cut: a recording that begins in motion (no still pose before the
    set), ``CUT_REP_PERIODS`` periods before the first counted turnaround, with rep-sized motion there; or
    drop a first "rep" that is the move into the set's pose (`_setup_move`), with which the recording began,
    and rate the set without it (`with_confidence`; the set is the bout's first, with nothing before it, and a
    following set's edge is not known here).

    A set recorded from rest never starts like this; a recording trimmed to the exercise often starts in
    the middle of the first rep, whose second half alone does not make a wave like the others, or with the
    lifter getting into position.
    """
    turns = np.array([r.turn_s for r in found.reps])
    if any(data_start_s <= t <= turns[0] for t, _ in still):
        return found
    period = turn_period_s(found.reps)
    if _setup_move(found, trace, period):
        reps = found.reps[1:]
        return with_confidence(DetectedSet(reps[0].start_s, found.end_s, reps, found.confidence), trace, -np.inf, np.inf)
    lead = turns[0] - data_start_s
    if not CUT_REP_PERIODS[0] * period <= lead <= CUT_REP_PERIODS[1] * period:
        return found
    t, bp, *_ = trace
    before = (t >= data_start_s) & (t <= turns[0] - period / 2.0)
    inside = (t >= turns[0] - period / 2.0) & (t <= turns[-1] + period / 2.0)
    if before.sum() < 2 or not inside.any():
        return found
    if not band_rms(bp, before) >= CUT_REP_RMS * band_rms(bp, inside):
        return found
    c = max(turns[0] - period, data_start_s)
    reps = (Rep(max(c - period / 2.0, data_start_s), c, c + period / 2.0, UNSEEN_CONFIDENCE), *found.reps)
    return DetectedSet(reps[0].start_s, found.end_s, reps, round(min(found.confidence, UNSURE), 3), found.n_reps)


def _setup_move(found: DetectedSet, trace: Trace, period: float) -> bool:
    """True if a set's first "rep" starts in a pose its other reps never pass through (more than
    ``EDGE_POSE_DEG`` from every low-passed direction between their starts and ends; the data's first where
    it starts before the data) and does not move like them as an added rep must (`_like_a_rep` with their
    mean; ``period`` (s) is the set's rep period): the move into the set's pose (raising the arm to the band,
    getting into position), not a rep.

    A rep's motion, wherever the recording cut it, passes through the poses of the others; a set-up move
    comes from elsewhere, and its pose change makes a wave bigger and unlike the reps'.
    """
    reps = found.reps
    if len(reps) <= MIN_REPS:
        return False
    t, _, level, _ = trace
    within = span(t, reps[1].turn_s - period / 2.0, reps[-1].turn_s + period / 2.0)
    poses = level[within]
    poses = poses[np.isfinite(poses).all(axis=1)]
    k = min(int(np.searchsorted(t, reps[0].turn_s - period / 2.0)), len(t) - 1)
    if not len(poses) or not np.isfinite(level[k]).all():
        return False
    cos = (poses / np.linalg.norm(poses, axis=1, keepdims=True)) @ unit(level[k])
    if float(cos.max()) >= _EDGE_POSE_COS:
        return False
    c, r, size = _match_among(trace, reps, 0, period)
    return not np.isnan(c) and not _like_a_rep(r, size)


def complete(found: DetectedSet, trace: Trace, lo_s: float, hi_s: float, still: Sequence[Pose] = ()) -> DetectedSet:
    """Add the reps the set's own rhythm and motion find in gaps of about two periods and at its edges.

    A rep whose principal-axis wave was too small, or lost when the axis turned, still moves like the set's
    other reps: its 3-axis motion correlates with their mean (`repcount.template`). Where the data is missing
    (a short dropout) the rhythm says how many reps it held. ``lo_s`` and ``hi_s`` are the neighbouring sets'
    nearest turnarounds; nothing is added beyond them. An added rep's confidence is its correlation times its
    size match. Edge reps must start (end) in the sensor's pose between reps, and reps after the set turn
    where its reps turn (`_turns_elsewhere`): a last "rep" that ends or turns elsewhere is dropped first
    (`_drop_last_move`). With no rep in rhythm before the first one, reps before a
    pause of up to ``PAUSE_S`` are looked for (matching by ``PAUSE_R``), or else a slower rep (a grinder,
    `_slow_rep`) just before it and such reps before a pause before that one; with none after the last one, a
    slower rep after a pause, and the reps after it like edge reps.
    """
    found = _drop_last_move(found, trace, start_pose(still, found.reps[0].turn_s, lo_s), still)
    fit = _set_fit(found, trace, lo_s, hi_s, still)
    added: list[Rep] = []  # in the order found: `added[-1]` is the last one found
    _fill_gaps(fit, added)
    for step in (-1, 1):
        _along(fit, added, _first_edge_rep(fit, added, step), step, MATCH_EDGE_REPS - 1)
    if not added or added[-1].turn_s < fit.turns[-1]:  # no rep in rhythm after the last one
        _after_pause(fit, added)
    _fill_dropouts(fit, added, tuple(sorted(found.reps + tuple(added), key=lambda r: r.turn_s)))
    reps = tuple(sorted(found.reps + tuple(added), key=lambda r: r.turn_s))
    return DetectedSet(reps[0].start_s, reps[-1].end_s, reps, found.confidence)


@dataclass(frozen=True)
class _SetFit:
    """What `complete` matches motion against: a set's recording, poses held still, rep template, turnarounds,
    pose between reps, rep period, whether it began from a pose held still, and its neighbours' nearest turns."""

    trace: Trace
    still: Sequence[Pose]
    template: np.ndarray
    turns: np.ndarray
    rest: np.ndarray | None
    period_s: float
    settling: bool
    lo_s: float
    hi_s: float


def _set_fit(found: DetectedSet, trace: Trace, lo_s: float, hi_s: float, still: Sequence[Pose]) -> _SetFit:
    """The `_SetFit` of ``found`` (`_shape`); with no pose between swung reps, the one held before them is its rest
    pose."""
    template, turns, rest, period = _shape(found, trace)
    start = start_pose(still, float(turns[0]), lo_s)
    return _SetFit(trace, still, template, turns, start if rest is None else rest, period, start is not None,
                   lo_s, hi_s)


def _find(fit: _SetFit, added: list[Rep], a_s: float, b_s: float, step: int = 0,
          min_r: float = MATCH_R) -> float | None:
    """Append the rep turning within (``a_s``, ``b_s``) moving like the set's (`_matching_rep`): its turn, or None."""
    centred = fit.settling and step < 0  # the band-pass is still settling from the held pose to the set's mean one
    shape = (fit.template, fit.turns, fit.rest, fit.period_s)
    rep = _matching_rep(fit.trace, shape, fit.still, (a_s, b_s), step, min_r, centred=centred)
    if rep is not None:
        added.append(rep)
    return None if rep is None else rep.turn_s


def _unseen(fit: _SetFit, added: list[Rep], c: float) -> float | None:
    """Append a rep kept in rhythm at ``c`` where the data is missing (a dropout), at low confidence.

    Returns ``c``, or None if the data there is not missing."""
    period = fit.period_s
    near = fit.trace[1][span(fit.trace[0], c - period / 2.0, c + period / 2.0)]
    if not len(near) or np.mean(~np.isfinite(near[:, 0])) < UNSEEN_SHARE:
        return None
    added.append(_rep_around(c, period, UNSEEN_CONFIDENCE))
    return c


def _fill_gaps(fit: _SetFit, added: list[Rep]) -> None:
    """Append the reps that match, or that a dropout hid, in gaps of about two periods between the set's reps."""
    lo, period = MATCH_SPACING[0], fit.period_s
    for a, b in zip(fit.turns[:-1], fit.turns[1:], strict=True):
        t: float | None = float(a)
        while t is not None and b - t > (1.0 + lo) * period:
            t = _find(fit, added, t + lo * period, b - lo * period) or _unseen(fit, added, t + period)


def _before_pause(fit: _SetFit, added: list[Rep], near: float) -> float | None:
    """Append a rep before the set's first ending by ``near``, after a pause of up to ``PAUSE_S`` (matching by
    ``PAUSE_R``); its turn, or None."""
    return _find(fit, added, max(near - PAUSE_S, fit.lo_s + MATCH_SPACING[0] * fit.period_s), near, -1, PAUSE_R)


def _first_edge_rep(fit: _SetFit, added: list[Rep], step: int) -> float | None:
    """Append the first rep in rhythm before the set (``step`` -1) or after it (1); before it, failing that, reps
    before a pause to brace for the set's first, or a grinder and the rep before a pause before that. Returns the
    turn to look on from for more (`_along`), or None."""
    period = fit.period_s
    first = float(fit.turns[0] if step < 0 else fit.turns[-1])
    edge = _find(fit, added, *_beyond(first, step, period, fit.lo_s, fit.hi_s), step)
    if edge is not None or step > 0:
        return edge
    edge = _before_pause(fit, added, first - MATCH_SPACING[1] * period)
    if edge is not None:
        return edge
    grinder = _slow_rep(fit.trace, fit.template, first, -1, period, fit.lo_s, fit.rest, fit.still)
    if grinder is None:
        return None
    added.append(grinder)
    return _before_pause(fit, added, grinder.start_s - period / 2.0)  # the rep before it ends there at the earliest


def _along(fit: _SetFit, added: list[Rep], edge: float | None, step: int, n: int) -> None:
    """Append up to ``n`` edge reps in rhythm on from the one turning at ``edge``, before it (``step`` -1) or
    after it (1)."""
    for _ in range(n):
        if edge is None:
            return
        edge = _find(fit, added, *_beyond(edge, step, fit.period_s, fit.lo_s, fit.hi_s), step)


def _after_pause(fit: _SetFit, added: list[Rep]) -> None:
    """Append a slower rep after the set's last, after a pause (`_slow_rep`), and the reps after it in rhythm again."""
    period = fit.period_s
    grinder = _slow_rep(fit.trace, fit.template, float(fit.turns[-1]), 1, period, fit.hi_s, fit.rest, fit.still)
    if grinder is not None:
        added.append(grinder)
        _along(fit, added, grinder.end_s - period / 2.0, 1, MATCH_EDGE_REPS)


def _fill_dropouts(fit: _SetFit, added: list[Rep], reps: tuple[Rep, ...]) -> None:
    """Append the reps a dropout hid between ``reps`` (by turn) that a match after the gap skipped."""
    lo = MATCH_SPACING[0]
    for a_rep, b_rep in zip(reps[:-1], reps[1:], strict=True):
        t: float | None = a_rep.turn_s
        while t is not None and b_rep.turn_s - t > (1.0 + lo) * fit.period_s:
            t = _unseen(fit, added, t + fit.period_s)


def _matching_rep(trace: Trace, shape: tuple[np.ndarray, np.ndarray, np.ndarray | None, float], still: Sequence[Pose],
                  within_s: tuple[float, float], step: int, min_r: float, *, centred: bool = False) -> Rep | None:
    """The rep turning within ``within_s`` that moves like a set's (``shape``: its rep template, turnarounds, pose
    between reps (`_rest_pose`) and rep period), matching by ``min_r``; at an edge (``step`` -1 before the set, +1
    after it) it must also start (end) in that pose, move on both sides of its turnaround and, after the set, turn
    where the set's reps turn; else None. ``centred`` matches each window less its mean (`template.best_match`)."""
    template, turns, rest, period = shape
    a_s, b_s = within_s
    c, r, size = best_match(trace[0], trace[1], template, a_s, b_s, centred=centred) if a_s < b_s else (0.0, 0.0, 0.0)
    if not _like_a_rep(r, size, min_r):
        return None
    if step and not _at_pose(trace, c + step * period / 2.0, rest, _held_after(still, c) if step > 0 else ()):
        return None  # a move into another pose (re-racking, putting the bar down), not a rep
    if step > 0 and _turns_elsewhere(trace, turns, c, period):
        return None  # a fidget after the set: out and back like a rep, but in another direction
    if step and _half_size(trace, template, c) < HALF_SIZE:
        return None  # half a rep: the way out of the brace or into the rest after the last rep
    return _rep_around(c, period, round(r * _size_match(size), 3))


def _shape(found: DetectedSet, trace: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
    """A set's rep template, turnarounds, pose between reps (`_rest_pose`) and rep period, for `_matching_rep`."""
    turns = np.array([r.turn_s for r in found.reps])
    period = turn_period_s(found.reps)
    return (rep_template(trace[0], trace[1], turns, period), turns,
            _rest_pose(trace, np.r_[turns - period / 2.0, turns[-1] + period / 2.0]), period)


def resumed_reps(found: DetectedSet, trace: Trace, from_s: float, hi_s: float, still: Sequence[Pose] = (),
                 n: int = MATCH_EDGE_REPS) -> tuple[Rep, ...]:
    """The reps that go on a set after a rest-pause, when the motion began again at ``from_s``.

    The first turns within a period of ``from_s`` and matches the set's mean rep by ``PAUSE_R`` (as a rep after
    a pause to brace); the next ones follow in its rhythm (``MATCH_SPACING``) by ``MATCH_R``; each ends in the
    set's pose between reps, moves on both sides of its turnaround and turns where the set's reps turn, as an
    edge rep after the set (`complete`).

    Parameters
    ----------
    found : DetectedSet
        The set, on the band-passed signal's times.
    trace : Trace
        The signal over the set and after it.
    from_s : float
        Where the motion began again (s).
    hi_s : float
        Nothing is taken within ``MATCH_SPACING[0]`` periods of this (the next set's first turnaround, s).
    still : sequence of Pose
        Poses held still (a rep ending past the data's end: `_at_pose`).
    n : int
        At most this many reps.

    Returns
    -------
    tuple of Rep
        In time order; empty if the motion at ``from_s`` does not go on the set.
    """
    shape = _shape(found, trace)
    period = shape[3]
    within = (from_s, min(from_s + period, hi_s - MATCH_SPACING[0] * period))
    reps: list[Rep] = []
    while len(reps) < n:
        rep = _matching_rep(trace, shape, still, within, 1, MATCH_R if reps else PAUSE_R)
        if rep is None:
            break
        reps.append(rep)
        within = _beyond(rep.turn_s, 1, period, -np.inf, hi_s)
    return tuple(reps)


def moves_alike(found: DetectedSet, later: DetectedSet, trace: Trace) -> bool:
    """Whether a later set moves like ``found``: its rep period within ``runs.JOIN_PERIOD_RATIO`` of the set's, and
    ``RESUME_MATCHED`` of its first ``RESUME_MATCHED`` + 1 reps (all, if it has fewer) each matching the set's mean
    rep (`repcount.template.best_match` within half a period of its turnaround: the same motion whichever turnaround
    counted it) by ``MATCH_R`` over all three axes, at a size within ``MATCH_SIZE``: the same lift, sensor and pose
    (its last rep may be a move to rack; one of its first may not match: the first out of the held pose, where the
    band-pass is still settling from the pause and `complete` finds it by a centred match, or one set off askew).

    Parameters
    ----------
    found, later : DetectedSet
        The two sets (band-passed signal's times).
    trace : Trace
        The signal over both.

    Returns
    -------
    bool
        True if the later set could be the rest of ``found``.
    """
    period, own = turn_period_s(found.reps), turn_period_s(later.reps)
    if max(period, own) > JOIN_PERIOD_RATIO * min(period, own):
        return False
    template = rep_template(trace[0], trace[1], np.array([r.turn_s for r in found.reps]), period)
    first = later.reps[:RESUME_MATCHED + 1]
    matched = sum(_like_a_rep(*best_match(trace[0], trace[1], template, r.turn_s - period / 2.0,
                                          r.turn_s + period / 2.0)[1:]) for r in first)
    return matched >= min(RESUME_MATCHED, len(first))


def reps_into_pause(found: DetectedSet, trace: Trace, until_s: float) -> tuple[Rep, ...]:
    """Reps in a set's rhythm after its last one, turning by ``until_s`` (where it paused), that match its mean rep
    by ``MATCH_R`` at a size within ``MATCH_SIZE``: once the set goes on after the pause (`resumed_reps`) they
    lie inside it, judged as `complete` judges a rep in a gap (a last rep into the pause may end off the pose).
    """
    shape = _shape(found, trace)
    period = shape[3]
    reps: list[Rep] = []
    rep: Rep | None = found.reps[-1]
    while rep is not None:
        rep = _matching_rep(trace, shape, (), _beyond(rep.turn_s, 1, period, -np.inf, until_s + MATCH_SPACING[0]
                                                      * period), 0, MATCH_R)
        reps += [rep] if rep is not None else []
    return tuple(reps)


def reps_before(turns_s: tuple[float, float], trace: Trace, still: Sequence[Pose] = ()) -> int:
    """How many reps `complete` finds before two reps turning at ``turns_s`` (live display only: two reps shown
    before a set is confirmed; those before them whose waves were lost still move like them).

    Parameters
    ----------
    turns_s : tuple of float
        Turnaround times (s) of two consecutive reps.
    trace : Trace
        The band-passed and low-passed signal (and magnitude) up to now.
    still : sequence of Pose
        Poses held still (`complete`: edge reps start in the pose between reps).

    Returns
    -------
    int
        Reps `complete` adds before the first turnaround (up to ``MATCH_EDGE_REPS``).
    """
    period = turns_s[1] - turns_s[0]
    pair = tuple(_rep_around(t, period, 1.0) for t in turns_s)
    done = complete(DetectedSet(pair[0].start_s, pair[1].end_s, pair, 1.0), trace, -np.inf, np.inf, still)
    return sum(r.turn_s < turns_s[0] for r in done.reps)


def _slow_rep(trace: Trace, template: np.ndarray, edge_s: float, step: int, period_s: float, bound_s: float,
              rest: np.ndarray | None, still: Sequence[Pose]) -> Rep | None:
    """A slower rep (a grinder, `_slow_match`) just after (``step`` +1) a set's last turnaround or before (-1)
    its first (``edge_s``; ``bound_s`` the neighbouring set's nearest turnaround), that matches by ``PAUSE_R``
    and ends (starts) in the pose between reps (after: or a pose held still after it); else None."""
    c, r, size, first, second = _slow_match(trace, template, edge_s, period_s, bound_s, step)
    start_s, end_s = c - first * period_s / 2.0, c + second * period_s / 2.0
    if not _like_a_rep(r, size, PAUSE_R):
        return None
    if not (_at_pose(trace, end_s, rest, _held_after(still, c)) if step > 0 else _at_pose(trace, start_s, rest)):
        return None
    return Rep(start_s, c, end_s, round(r * _size_match(size), 3))


def _slow_match(trace: Trace, template: np.ndarray, edge_s: float, period_s: float,
                bound_s: float, step: int = 1) -> tuple[float, float, float, float, float]:
    """The best match after a set's last turnaround ``edge_s`` (``step`` +1), within ``GRIND_GAP`` periods or a
    pause of ``PAUSE_S`` (and clear of the next set's first turnaround ``bound_s``), or before its first (-1),
    within ``GRIND_GAP`` periods (a pause comes before a grinder, not after it; clear of the previous set's last
    turnaround ``bound_s``), of the set's mean rep slowed by one of ``GRIND_STRETCH``, whole or in one phase (a
    grinder slows the lift, not always the descent): (turn time s, correlation, size, and the slowing of its
    first and second half). A rep whose first half is slowed by f turns at least (1 + f) / 2 periods after the
    one before; a fidget or a move to rack is quicker than a rep."""
    best = (np.nan, 0.0, 0.0, 1.0, 1.0)
    for f in GRIND_STRETCH:
        for phase in GRIND_PHASES:
            first, second = half_factors(f, phase)
            if step > 0:  # the last rep's second half, then this one's first
                a_s = edge_s + (1.0 + first) / 2.0 * period_s
                b_s = min(max(edge_s + GRIND_GAP * period_s, a_s + PAUSE_S), bound_s - MATCH_SPACING[0] * period_s)
            else:  # this one's second half, then the first rep's first
                b_s = edge_s - (1.0 + second) / 2.0 * period_s
                a_s = max(edge_s - GRIND_GAP * period_s, bound_s + MATCH_SPACING[0] * period_s)
            within = span(trace[0], a_s, b_s)
            if not a_s < b_s or within.start == within.stop:  # no data there (yet, live): no match
                continue
            c, r, size = best_match(trace[0], trace[1], stretched(template, f, phase), a_s, b_s)
            if r > best[1]:
                best = (c, r, size, first, second)
    return best


def by_rhythm(found: DetectedSet, trace: Trace) -> DetectedSet:
    """An irregular set counted by its rhythm: as many reps as rep periods fit between its first and last
    turnaround, the period taken from the autocorrelation of its 3-axis motion.

    Where a rep shows one wave or two, or none above the threshold, the turnarounds come at uneven spacings
    and the wave count misses or doubles reps; the whole motion still repeats once per rep. Reps are added
    in the widest gap (at its middle, where the motion is active: ``RHYTHM_ACTIVE``, and never still:
    ``RHYTHM_STILL``; confidence ``UNSEEN_CONFIDENCE``) while it is at least 1.5 periods wide, or the later of
    the closest two turnarounds is dropped, until the count fits. A rhythm one rep more than the waves suffices
    to add (the widest gap is checked); one fewer does not drop (``RHYTHM_MIN_DIFF``). A pause in the widest gap
    (before a grinder) explains a long span: no rep is added elsewhere.
    """
    turns = np.array([r.turn_s for r in found.reps])
    if len(turns) < 2 * MIN_REPS:
        return found
    near = turn_period_s(found.reps)
    period = rep_period_s(trace[0], trace[1], turns[0] - near / 2.0, turns[-1] + near / 2.0, near)
    if period is None or period[1] < RHYTHM_MIN_R:
        return found
    gaps = np.diff(turns) / period[0]
    if RHYTHM_GAPS[0] <= gaps.min() and gaps.max() <= RHYTHM_GAPS[1]:
        return found
    reps = list(found.reps)
    target = int(round((turns[-1] - turns[0]) / period[0])) + 1
    if len(reps) - target < RHYTHM_MIN_DIFF and target <= len(reps):  # one more: the widest gap is checked
        return found
    t, bp, *_ = trace
    level = band_rms(bp, (t >= turns[0]) & (t <= turns[-1]))
    while len(reps) != target:
        spacing = np.diff([r.turn_s for r in reps]) / period[0]
        if len(reps) < target:
            k = int(np.argmax(spacing))
            a_s, b_s = reps[k].turn_s, reps[k + 1].turn_s
            mid = (a_s + b_s) / 2.0
            if spacing[k] < 1.5 or band_rms(bp, np.abs(t - mid) <= period[0] / 2.0) < RHYTHM_ACTIVE * level or not (
                    _moving_throughout(trace, a_s, b_s, period[0], RHYTHM_STILL * level)):
                break  # a pause in the widest gap, not a missed rep, made the span long
            reps.insert(k + 1, _rep_around(mid, period[0], UNSEEN_CONFIDENCE))
        elif spacing.min() < RHYTHM_GAPS[0]:
            del reps[int(np.argmin(spacing)) + 1]
        else:
            break
    return DetectedSet(reps[0].start_s, reps[-1].end_s, tuple(reps), found.confidence)


def _moving_throughout(trace: Trace, a_s: float, b_s: float, period_s: float, level_g: float) -> bool:
    """True if every half-period window between turnarounds ``a_s`` and ``b_s`` (a quarter period in from
    each) moves with an RMS of at least ``level_g``: a missed rep keeps the motion going, a pause is still."""
    t, bp, *_ = trace
    centres = np.arange(a_s + period_s / 2.0, b_s - period_s / 2.0 + 1e-9, period_s / 4.0)
    return all(band_rms(bp, np.abs(t - c) <= period_s / 4.0) >= level_g for c in centres)


def _half_size(trace: Trace, template: np.ndarray, turn_s: float) -> float:
    """The smaller of the two halves' RMS around ``turn_s``, each over the template's same half (a half less
    than ``MIN_COVER`` inside the data says nothing; 1 if neither says anything). A rep moves on both sides
    of its turnaround; a window centred where the motion starts or stops (a set counted on its returns, whose
    first and last waves are half-reps) moves on one side only."""
    t, bp, *_ = trace
    half = (len(template) - 1) // 2
    k = int(np.searchsorted(t, turn_s))
    ratios = []
    for a, b in ((k - half, k), (k + 1, k + half + 1)):
        a, b = max(a, 0), min(b, len(bp))
        own = bp[a:b] if a < b else bp[:0]
        ref = template[a - (k - half) : a - (k - half) + len(own)]
        ok = np.isfinite(own).all(axis=1) & np.isfinite(ref).all(axis=1)
        if ok.sum() >= max(MIN_COVER * half, 2):
            ratios.append(float(np.sqrt(np.sum(own[ok] ** 2) / max(float(np.sum(ref[ok] ** 2)), 1e-12))))
    return min(ratios, default=1.0)


def with_confidence(found: DetectedSet, trace: Trace, lo_s: float, hi_s: float) -> DetectedSet:
    """The set with a confidence from its edges, where a count goes wrong, and the other count they allow.

    Each edge rep should move like the set's other reps (correlation times size match with their mean),
    and nothing just beyond the edge should (the same score, one minus). The weakest of the four is the
    set's confidence; below ``UNSURE`` the count it points to (one fewer for a doubtful edge rep, one more
    for rep-like motion beyond an edge) is the alternative, for "probably 9 or 10".
    """
    turns = np.array([r.turn_s for r in found.reps])
    period = turn_period_s(found.reps)
    template = rep_template(trace[0], trace[1], turns, period)
    scores: list[tuple[float, int]] = []
    for k, step in ((0, -1), (len(turns) - 1, 1)):
        scores.append((_likeness(_match_among(trace, found.reps, k, period), 1.0), -1))
        a_s, b_s = _beyond(turns[k], step, period, lo_s, hi_s)
        match = best_match(trace[0], trace[1], template, a_s, b_s) if a_s < b_s else (np.nan, 0.0, 0.0)
        scores.append((1.0 - _likeness(match, 0.0), 1))
    weakest, direction = min(scores)
    alternative = found.n_reps + direction if weakest < UNSURE else None
    return DetectedSet(found.start_s, found.end_s, found.reps, round(float(np.clip(weakest, 0.0, 1.0)), 3), alternative)


def _likeness(match: tuple[float, float, float], unknown: float) -> float:
    """Correlation times size match of a `best_match` result; ``unknown`` if it found no data."""
    c, r, size = match
    return unknown if np.isnan(c) else max(r, 0.0) * _size_match(size)


def _match_among(trace: Trace, reps: Sequence[Rep], k: int, period_s: float) -> tuple[float, float, float]:
    """How rep ``k`` matches the mean of the set's other reps (`best_match` near its turnaround)."""
    others = rep_template(trace[0], trace[1], np.array([r.turn_s for i, r in enumerate(reps) if i != k]), period_s)
    turn_s = reps[k].turn_s
    return best_match(trace[0], trace[1], others, turn_s - 0.15 * period_s, turn_s + 0.15 * period_s)


def _drop_last_move(found: DetectedSet, trace: Trace, start: np.ndarray | None = None,
                    still: Sequence[Pose] = ()) -> DetectedSet:
    """Drop a last rep that ends away from the set's pose (a move into another pose: re-racking, putting the
    bar down, getting up; a rep comes back to where the sensor is between reps, and the set ends where it
    started: ``start``, the pose held still before the first rep, when known, is that pose whatever the
    phase of the turnarounds found; else the pose half a period from them) or that moves unlike the
    other reps (a fidget: correlation with their mean below ``LAST_REP_MIN_R``; when it turns more than
    ``LATE_REP_PERIODS`` periods after the rep before and the data go on for a period after it, ``MATCH_R``
    and a size within ``MATCH_SIZE``, as for an added rep: the lifter paused, then moved to rack, and the
    recording holds that move), or that turns where the others do not (`_turns_elsewhere`: a fidget). When
    a last move is dropped, the rep before it goes too if it turns elsewhere (a fidget, then the move to rack).

    Only the end is checked: before the first rep the lifter braces still, after the last one they rack
    straight away, so only there does such a move fall into the set's rhythm.
    """
    reps = found.reps
    if len(reps) <= MIN_REPS:
        return found
    period = turn_period_s(reps)
    inner = reps[:-1]
    rest = start if start is not None else _rest_pose(
        trace, np.array([r.turn_s - period / 2.0 for r in inner] + [inner[-1].turn_s + period / 2.0]))
    c, r, size = _match_among(trace, reps, len(reps) - 1, period)
    last_s = reps[-1].turn_s
    late = last_s - reps[-2].turn_s > LATE_REP_PERIODS * period and last_s + period <= trace[0][-1]
    alike = _like_a_rep(r, size) if late else r >= LAST_REP_MIN_R
    inner_turns = np.array([rep.turn_s for rep in inner])
    if (_at_pose(trace, last_s + period / 2.0, rest, _held_after(still, last_s)) and (np.isnan(c) or alike)
            and not _turns_elsewhere(trace, inner_turns, last_s, period)):
        return found
    if len(inner) > MIN_REPS and _turns_elsewhere(trace, inner_turns[:-1], inner_turns[-1], period):
        inner = inner[:-1]  # the re-rack began with a fidget (grip, a look at the bar) before the move to rack
    return DetectedSet(inner[0].start_s, inner[-1].end_s, inner, found.confidence)


def _turns_elsewhere(trace: Trace, turns_s: np.ndarray, turn_s: float, period_s: float) -> bool:
    """True if the sensor at ``turn_s`` points away from where a set's reps turn (``turns_s``, all within
    ``EDGE_POSE_DEG`` of their mean low-passed direction): farther from that mean than ``TURN_POSE_SPREAD``
    times the farthest of them, and than it plus ``TURN_POSE_MIN_DEG``. False where a direction is unknown (a
    gap), for reps faster than ``TURN_POSE_MIN_PERIOD_S`` (``period_s``) or turning in poses too far apart to
    tell: there the low-passed signal at a turnaround holds the rep's own acceleration, not only the pose.

    The reps of a set turn in one pose, the same from rep to rep; a fidget after the set (adjusting the grip,
    a look at the bar) goes out and back like a rep, at a similar tempo, but in a direction of its own.
    """
    if period_s < TURN_POSE_MIN_PERIOD_S:
        return False
    t, _, level, _ = trace
    directions = level[np.clip(np.searchsorted(t, np.r_[turns_s, turn_s]), 0, len(t) - 1)]
    if not np.isfinite(directions).all():
        return False
    directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    angles = np.degrees(np.arccos(np.clip(directions @ unit(directions[:-1].mean(axis=0)), -1.0, 1.0)))
    spread = float(angles[:-1].max())
    return spread <= EDGE_POSE_DEG and bool(angles[-1] > max(TURN_POSE_SPREAD * spread, spread + TURN_POSE_MIN_DEG))


def _held_after(still: Sequence[Pose], turn_s: float) -> list[Pose]:
    """The poses held still after ``turn_s``."""
    return [p for p in still if p[0] > turn_s]


def _rest_pose(trace: Trace, times_s: np.ndarray) -> np.ndarray | None:
    """Mean direction of the low-passed acceleration at the given times (between reps) where it is a pose
    (`_quasi_static`), or None."""
    t, _, level, _ = trace
    k = np.searchsorted(t, times_s)
    k = k[(k >= 0) & (k < len(t))]
    k = k[np.isfinite(level[k]).all(axis=1)]
    k = np.array([i for i in k if _quasi_static(trace, float(t[i]))], dtype=int)
    return unit(level[k].mean(axis=0)) if len(k) else None


def _quasi_static(trace: Trace, time_s: float) -> bool:
    """True if the low-passed acceleration around ``time_s`` (``POSE_SPREAD_S`` either side: what the low-pass
    mixes into it) keeps within ``QUASI_STATIC_G`` of 1 g, so its direction is the sensor's pose to within
    ``EDGE_POSE_DEG``. A swung arm's is not a pose: several g of centripetal acceleration at the bottom of the
    arc, near 0 g in the float at the top."""
    t, _, level, _ = trace
    near = level[span(t, time_s - POSE_SPREAD_S, time_s + POSE_SPREAD_S)]
    g = np.linalg.norm(near[np.isfinite(near).all(axis=1)], axis=1)
    return not len(g) or bool(np.all(np.abs(g - 1.0) <= QUASI_STATIC_G))


def _at_pose(trace: Trace, time_s: float, rest: np.ndarray | None, held: Sequence[Pose] = ()) -> bool:
    """True if the sensor at ``time_s`` points within ``EDGE_POSE_DEG`` of ``rest`` (or no data says otherwise,
    as in a gap or where the low-passed acceleration is no pose: `_quasi_static`). Past the end of the data the
    last pose in ``held`` (poses held still after the move being checked) stands for it: a lifter who stood up or
    re-racked was seen still elsewhere; with none (a recording cut in motion) nothing says otherwise."""
    t, _, level, _ = trace
    k = int(np.searchsorted(t, time_s))
    if rest is None:
        return True
    if k >= len(t) and held:
        direction = np.array(held[-1][1])
    elif not 0 <= k < len(t) or time_s < t[0] or not np.isfinite(level[k]).all() or not _quasi_static(trace, time_s):
        return True
    else:
        direction = level[k]
    return float(np.dot(unit(direction), rest)) >= _EDGE_POSE_COS
