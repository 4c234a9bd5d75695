"""Runs of rep waves in a bout of lobes: the regular run of same-sign waves that holds a set's turnarounds.

A rep shows as one dominant lobe at its turnaround (the tilt of the torso or forearm, or the acceleration
reversal at the bottom) and smaller opposite lobes between reps. Consecutive same-sign lobes are merged into
waves (`merge_lobes`). For each sign we look for the longest run of waves spaced like reps (``PERIOD_S``, each
spacing within a factor of ~2 of the run's median) and of similar size, trim weak waves at its edges, thin it
to one wave per rep if the 3-D motion repeats at twice the wave spacing (`repcount.period`) or the waves come
quicker than any rep or land as quick as hops (two strokes each: the hops of a jumping jack), keep the sign
whose waves lie away from the pose held before the set (else the longer run), and repeat on what lies before
and after it (a bout may hold set-up, walking and re-racking as well): `find_runs`. A run that is the strides
of jogging, running or climbing stairs (the magnitude bouncing at the footfalls, twice a wave, and hardly once
a wave) is taken out like a set but is none (`_strides`). Two neighbouring runs alike in rhythm (or one at twice
the other's wave rate, then thinned) and at most ``JOIN_GAP_PERIODS`` apart (or ``JOIN_GAP_S``, a breather among
quick reps), are one set split by a pause or odd reps: they are joined, with the rep-sized waves between them
(`join_pauses`). Each part's sign was chosen on its own, and a short part may be a run of its returns: of two
runs of opposite signs, the shorter is re-read in the longer one's sign (`_in_sign_of`).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal

from repcount.filters import SOS_STEP, SOS_STRIDE, STEP_BAND_HZ
from repcount.grid import GRID_FS_HZ
from repcount.lobes import Lobe
from repcount.period import doubled_period_s
from repcount.results import DetectedSet, Rep

MIN_REPS = 3
PERIOD_S = (0.5, 10.0)  # fast push-ups turn every ~0.55 s; footsteps are told by the walking test
SPACING_RATIO = (0.5, 2.2)
MIN_AREA_FRACTION = 0.3
MIN_PEAK_FRACTION = 0.3
EDGE_AREA_FRACTION = 0.55
EDGE_PEAK_FRACTION = 0.6
EDGE_MAX_RATIO = 2.5
EDGE_SPACING_RATIO = (0.6, 1.5)
MIN_PEAK_G = 0.02  # a set's first and last rep waves, and half its waves, peak at least this high (breathing less)
INNER_PEAK_G = 0.75 * MIN_PEAK_G  # a wave between them may be this small: reps of a set vary by about a quarter
MIN_DUTY = 0.5
MIN_EXCURSION_GAP_DEG = 1.0
REST_RATIO = 0.5  # the returns lie at most this fraction as far from a pose as the turnarounds: it is the rest ...
REST_TURN_DEG = 20.0  # ... if the turnarounds lie at least this far from it (nearer, they are at it: EDGE_POSE_DEG)
START_POSE_MAX_AGE_S = 30.0
SHORT_RUN = 5
SHORT_RUN_SPREAD = 2.5
WALK_STEP_RATIO = 1.5  # magnitude bouncing at twice the swing rate, this much more than at it: walking
WALK_MIN_STEP_G = 0.03
WALK_STEP_PEAK = 0.3  # and bouncing by at least this fraction of the lobe itself
WALK_MAX_STEP_G = 0.5  # but footfalls of walking shake a worn sensor less than this (RMS): more is jumping or a swing
LOCO_STEP_RATIO = (1.0, 2.0)  # a run's magnitude bounces this much more in the step band than in the stride band
LOCO_SYMMETRY = 0.7  # (within these bounds, this fraction of what steps alone show through the two bands at the run's
# cadence: slow steps, ~1.5 Hz on stairs, pass the stride band as well as the step band, so at least as much, not
# more, is asked there: footfalls at 1.49 Hz alone read 1.1): the
LOCO_SHORT_MIN_RATIO = 1.2  # (but a run shorter than SHORT_RUN, a few waves of a lift whose harmonics read alike in
# the two bands, must bounce clearly more at the steps): the
LOCO_MIN_STEP_G = 0.08  # footfalls of steady locomotion (left and right alike), when the bounce is at least this
LOCO_SLOW_MIN_STEP_G = 0.12  # (this, and under WALK_MAX_STEP_G, where the ratio is relaxed: a lift's harmonics
# reach the step band too)
LOCO_STEP_ALIKE_R = 0.0  # (and, there, if left and right steps may be alike: the magnitude correlates positively
# with itself half a wave on, as gait's step regularity reads; a quick lift's, up and down unlike, negatively)
LOCO_REP_WAVES = (0.6, 1.25)  # (half, or a third, of its rhythm: the lag within these many waves where it repeats)
LOCO_SMOOTH_S = 0.25  # (read smoothed over this: a heel strike's spike, tens of ms, sampled at 10-25 Hz lands in a
# sample or between two as it falls, unlike from step to step; a bounce, or the spike smoothed, repeats)
LOCO_MAX_STEP_G = 0.8  # but footfalls shake a worn sensor by less (RMS; a run's whole bounce ~0.8 g): a swung bell more
LOCO_MIN_STRIDE_S = 0.6  # and its waves come at most this often: strides (at 180 steps/min 0.67 s), not steps,
LOCO_CONTEXT_S = 10.0  # unless it goes on into this long of waves taken for walking (a jog on the trunk, hopping
# like a jumping jack, bounces around WALK_MAX_STEP_G; a jumping jack set starts with a few s of such hops)
LOCO_MAX_SET_S = 120.0  # or lasts this long unbroken: footfalls for minutes are a jog, not a set of jumping jacks
HOP_MAX_S = 0.6  # waves this quick that land (the magnitude bouncing by HOP_MIN_STEP_G at their rate) are hops
HOP_MIN_STEP_G = 0.25  # two a rep (jumping jacks), even where a rep may be this quick (fast push-ups do not land)
FLIGHT_MAX_S = 0.8  # or up to this slow where they leave the floor:
FLIGHT_MAX_G = 0.05  # the magnitude falling under this in the waves: free fall reads 0 g and noise (a lift pulled
# down hard passes 0 g but seldom as near at a sample; a walking or climbing trunk never leaves the floor)
# or where they land in two poses by turns (a jumping jack lands open, then closed: `_poses_alternate`): the pose
HOP_POSE_MIN_DEG = 2.0  # (mean acceleration over each wave's cycle) turning at least this much from wave to wave
HOP_POSE_RATIO = 3.0  # and this many times more than two waves on (an alternation twice the poses' jitter or more)
PERIOD_STEP = (0.65, 1.5)  # a rep follows the previous one after this many rep periods
JOIN_GAP_PERIODS = 3.2  # two runs of one sign this close (in rep periods) are one set split by a pause
JOIN_GAP_S = 6.0  # or this close in seconds: a few breaths among quick reps (a rest between sets is longer)
JOIN_PERIOD_RATIO = 1.4  # if their rep periods are this alike
JOIN_DOUBLED = (1.7, 2.4)  # or one is about twice the other: the faster part is thinned to one wave per rep
STILL_BAND_FRACTION = 0.25  # farther apart (up to the bout's gap), if the sensor stayed still between them (band-pass
# RMS under this fraction of the reps' peak: held, not walking or re-racking) ...
STILL_POSE_MARGIN_G = 0.1  # ... in the set's pose (low-passed within this of the span the reps' low-pass covers)

Pose = tuple[float, tuple[float, ...]]  # (time s, low-passed acceleration g) where the sensor was held still
# grid times (s); band-passed and low-passed acceleration (n, 3) and the acceleration's magnitude (n,) (g)
Trace = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Wave:
    """Consecutive same-sign lobes merged: the biggest peak and the first/last peak times."""

    sign: int
    peak_s: float
    peak_g: float
    area_gs: float
    first_peak_s: float
    last_peak_s: float
    walking: bool
    clipped: bool
    covered_s: float  # time spent inside its lobes
    level: tuple[float, ...]  # mean low-passed acceleration over its biggest lobe (g): the pose there
    step_g: float = 0.0  # step-band and stride-band RMS of the magnitude over its biggest lobe (g)
    stride_g: float = 0.0
    start_s: float = 0.0  # start of its first lobe
    low_g: float = 1.0  # least magnitude of the acceleration over its lobes (g)


def _walking(lobe: Lobe) -> bool:
    return WALK_MAX_STEP_G > lobe.step_g > max(WALK_STEP_RATIO * lobe.stride_g, WALK_STEP_PEAK * lobe.peak_g,
                                               WALK_MIN_STEP_G)


def merge_lobes(lobes: Sequence[Lobe], waves: Sequence[Wave] = ()) -> list[Wave]:
    """Merge runs of same-sign lobes into waves, so waves alternate in sign; ``lobes`` follow those merged
    into ``waves`` (merging is prefix-stable: ``merge_lobes(b, merge_lobes(a)) == merge_lobes([*a, *b])``)."""
    out = list(waves)
    for lobe in lobes:
        if out and out[-1].sign == lobe.sign:
            w = out[-1]
            big = lobe.peak_g > w.peak_g
            out[-1] = Wave(
                w.sign, lobe.peak_s if big else w.peak_s, max(w.peak_g, lobe.peak_g),
                w.area_gs + lobe.area_gs, w.first_peak_s, lobe.peak_s, w.walking or _walking(lobe),
                w.clipped or lobe.clipped, w.covered_s + lobe.end_s - lobe.start_s,
                lobe.level if big else w.level, lobe.step_g if big else w.step_g, lobe.stride_g if big else w.stride_g,
                w.start_s, min(w.low_g, lobe.low_g),
            )
        else:
            out.append(Wave(lobe.sign, lobe.peak_s, lobe.peak_g, lobe.area_gs, lobe.peak_s, lobe.peak_s,
                            _walking(lobe), lobe.clipped, lobe.end_s - lobe.start_s, lobe.level,
                            lobe.step_g, lobe.stride_g, lobe.start_s, lobe.low_g))
    return out


def _longest_stretches(ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``ok`` (at least one column): start and length of its longest run of True, the first if
    tied (start 0, length 0 if none)."""
    cols = np.arange(ok.shape[1])
    last_false = np.maximum.accumulate(np.where(ok, -1, cols), axis=1)
    run_to = np.where(ok, cols - last_false, 0)  # length of the run of True ending at each column
    end = np.argmax(run_to, axis=1)
    length = run_to[np.arange(len(ok)), end]
    return np.where(length > 0, end - length + 1, 0), length


def _split_regular(idx: list[int], waves: Sequence[Wave]) -> list[int]:
    """Longest run of ``idx`` whose consecutive spacings lie within SPACING_RATIO of one spacing: their median,
    or, where a few reps lie among waves far apart (set-up, a pause, a grinder) and the median is none of
    theirs, whichever spacing makes the run longest; the run found must then be regular about its own median."""
    for any_spacing in (True, False):  # then the run must be regular about its own median
        if len(idx) < 2:
            return idx
        gaps = np.diff([waves[i].peak_s for i in idx])
        refs = np.append(median(gaps.tolist()), gaps if any_spacing else [])
        refs = refs[np.sort(np.unique(refs, return_index=True)[1])]  # each spacing once, first as listed: a repeat
        # gives the same stretch, so the first longest is the same (n spacings x n gaps was O(n^2) in a long bout)
        ok = (gaps[None, :] >= SPACING_RATIO[0] * refs[:, None]) & (gaps[None, :] <= SPACING_RATIO[1] * refs[:, None])
        starts, lengths = _longest_stretches(ok)
        best = int(np.argmax(lengths))  # the median's own run if no other is longer
        idx = idx[starts[best] : starts[best] + lengths[best] + 1]
    return idx


def unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def median(values: Sequence[float]) -> float:
    """``float(np.median(values))`` of a short sequence, by sorting it: the same number (the middle value, or the
    mean of the middle two; NaN if empty or any is NaN), ~4 us instead of ~30 (a bout's search takes hundreds).

    Examples
    --------
    >>> median([3.0, 1.0, 2.0]), median([4.0, 1.0, 3.0, 2.0])
    (2.0, 2.5)
    """
    s = sorted(values)
    n = len(s)
    if not n or any(math.isnan(v) for v in s):
        return float("nan")
    return float(s[n // 2]) if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def _upper_quartile(values: Sequence[float]) -> float:
    """``float(np.percentile(values, 75))`` by sorting: numpy's linear method step by step (its index, and its
    interpolation from the nearer side), so the same number."""
    s = sorted(values)
    n = len(s)
    if not n or any(math.isnan(v) for v in s):
        return float("nan")
    at = n * 0.75 + 0.25 - 1
    if at >= n - 1:
        return float(s[-1])
    k = int(at)
    frac, a, b = at - k, s[k], s[k + 1]
    return float(b - (b - a) * (1 - frac) if frac >= 0.5 else a + (b - a) * frac)


def spacings(times_s: Sequence[float]) -> list[float]:
    """``np.diff(times_s)`` as a list (the same numbers)."""
    return [b - a for a, b in zip(times_s, times_s[1:])]


def _edge_is_weak(edge: int, inner: int, idx: list[int], waves: Sequence[Wave]) -> bool:
    """An edge wave must look like its neighbours: similar area and peak, spaced like the rest."""
    period = median([abs(g) for g in spacings([waves[i].peak_s for i in idx])])
    w = waves[edge]
    spacing = abs(w.peak_s - waves[inner].peak_s) / period
    if not EDGE_SPACING_RATIO[0] <= spacing <= EDGE_SPACING_RATIO[1]:
        return True
    area, peak = median([waves[i].area_gs for i in idx]), median([waves[i].peak_g for i in idx])
    if w.peak_g > EDGE_MAX_RATIO * peak or w.area_gs > EDGE_MAX_RATIO * area:
        return True
    return not w.clipped and bool(w.area_gs < EDGE_AREA_FRACTION * area or w.peak_g < EDGE_PEAK_FRACTION * peak)


def _trim_edges(idx: list[int], waves: Sequence[Wave]) -> list[int]:
    while len(idx) > MIN_REPS:
        if _edge_is_weak(idx[0], idx[1], idx, waves):
            idx = idx[1:]
        elif _edge_is_weak(idx[-1], idx[-2], idx, waves):
            idx = idx[:-1]
        else:
            break
    return idx


def _duty(idx: list[int], waves: Sequence[Wave]) -> float:
    """Fraction of the run's span spent inside lobes: reps keep the signal moving, fidgets are blips."""
    inside = sum(w.covered_s for w in waves[idx[0] : idx[-1] + 1])
    return inside / max(waves[idx[-1]].peak_s - waves[idx[0]].peak_s, 1e-9)


def _same_sign_between(run: list[int], waves: Sequence[Wave]) -> list[int]:
    """The waves of the run's sign from its first to its last, but those taken for walking."""
    return [i for i in range(run[0], run[-1] + 1) if waves[i].sign == waves[run[0]].sign and not waves[i].walking]


def _by_period(run: list[int], waves: Sequence[Wave], period_s: float, pool: list[int] | None = None) -> list[int]:
    """Waves of the run's sign (from ``pool`` if given) one rep period apart: after each kept wave, the one
    nearest a period on."""
    if pool is None:
        pool = _same_sign_between(run, waves)
    kept = [run[0]]
    while True:  # the pool is in time order: the waves far enough on, and those not too far, are slices of it
        t = waves[kept[-1]].peak_s
        lo = bisect_left(pool, True, key=lambda i: waves[i].peak_s - t >= PERIOD_STEP[0] * period_s)
        if lo == len(pool):
            return kept
        hi = bisect_left(pool, True, lo=lo, key=lambda i: waves[i].peak_s - t > PERIOD_STEP[1] * period_s)
        window = pool[lo:hi] or pool[lo : lo + 1]
        kept.append(min(window, key=lambda i: abs(waves[i].peak_s - t - period_s)))


def _one_per_rep(run: list[int], waves: Sequence[Wave], trace: Trace | None, whole: bool = False) -> list[int]:
    """Thin the run to one wave per rep when the motion repeats at twice the wave spacing."""
    if trace is None or len(run) < 2 * MIN_REPS:
        return run
    turns = [waves[i].peak_s for i in run]
    period_s = doubled_period_s(trace[0], trace[1], turns[0], turns[-1], median(spacings(turns)))
    return run if period_s is None else _by_period(run, waves, period_s, run if whole else None)


def _without_outsized(idx: list[int], waves: Sequence[Wave]) -> list[int]:
    """``idx`` less its biggest wave if that peaks ``EDGE_MAX_RATIO`` times higher than any other: a single move
    (into or out of a posture, a re-rack) is no rep, and among a few waves it would set the size of reps."""
    if len(idx) < 2:
        return idx
    peaks = np.array([waves[i].peak_g for i in idx])
    top = int(np.argmax(peaks))
    if peaks[top] <= EDGE_MAX_RATIO * np.max(np.delete(peaks, top)):
        return idx
    return idx[:top] + idx[top + 1 :]


def _above_floor(idx: list[int], waves: Sequence[Wave]) -> list[int]:
    """``idx`` from its first to its last wave peaking at least ``MIN_PEAK_G``, if half of those do, else [].

    The floor tells reps from breathing and sway, and belongs to the set, not to each wave: the reps of one set
    differ in size, and a wave under the floor (down to ``INNER_PEAK_G``) is a rep among reps that clear it.
    Before the first and after the last, such waves are the breathing at rest that goes on around the set.
    """
    big = [k for k, i in enumerate(idx) if waves[i].peak_g >= MIN_PEAK_G]
    if not big:
        return []
    idx = idx[big[0] : big[-1] + 1]
    return idx if 2 * len(big) >= len(idx) else []


def _candidate(waves: Sequence[Wave], sign: int, trace: Trace | None = None) -> list[int]:
    """The regular, rep-like run of waves of one sign, or []."""
    # fewer than MIN_REPS waves stay fewer: the steps below only drop waves, except _one_per_rep's thinning by
    # the period, which takes waves between a run's ends but acts only on runs of 2 * MIN_REPS or more
    idx = [i for i, w in enumerate(waves) if w.sign == sign and not w.walking]
    if len(idx) < MIN_REPS:
        return []
    ref = _without_outsized(idx, waves)
    big, tall = _upper_quartile([waves[i].area_gs for i in ref]), _upper_quartile([waves[i].peak_g for i in ref])
    idx = [
        i for i in idx
        if waves[i].area_gs >= MIN_AREA_FRACTION * big
        and waves[i].peak_g >= max(MIN_PEAK_FRACTION * tall, INNER_PEAK_G)
    ]
    if len(idx) < MIN_REPS:
        return []
    idx = _one_per_rep(idx, waves, trace, whole=True)
    idx = _above_floor(_one_per_rep(_trim_edges(_split_regular(idx, waves), waves), waves, trace), waves)
    if len(idx) < MIN_REPS:
        return []
    gaps = spacings([waves[i].peak_s for i in idx])
    period = median(gaps)
    if _strokes(idx, waves, period, trace) and PERIOD_S[0] <= 2.0 * period and len(idx) >= 2 * MIN_REPS - 1:
        idx = _by_period(idx, waves, 2.0 * period, idx)  # five strokes, the ends kept, make three reps
        if len(idx) < MIN_REPS:
            return []
        gaps = spacings([waves[i].peak_s for i in idx])
        period = median(gaps)
    if not PERIOD_S[0] <= period <= PERIOD_S[1] or _duty(idx, waves) < MIN_DUTY:
        return []
    peaks = [waves[i].peak_g for i in idx]
    if len(idx) < SHORT_RUN and (max(gaps) > SHORT_RUN_SPREAD * min(gaps) or max(peaks) > SHORT_RUN_SPREAD * min(peaks)):
        return []  # a few reps must be convincingly alike: fidgets during rest come in twos and threes
    return idx


def _excursion_deg(run: list[int], waves: Sequence[Wave], pose: np.ndarray) -> float:
    """Median angle (degrees) between the pose at the run's waves and a reference pose."""
    cos = [float(np.dot(unit(np.array(waves[i].level)), pose)) for i in run]
    return float(np.degrees(np.arccos(np.clip(median(cos), -1.0, 1.0))))


def _by_start_pose(runs: list[list[int]], waves: Sequence[Wave], still: Sequence[Pose],
                   data_pose: Pose | None = None) -> list[int]:
    """Of the two candidate runs, the one whose waves lie away from the start position, or [] if unclear.

    The start position is the last pose held still before either run begins; reps leave it and come back,
    so their turnarounds are the waves farthest from it. Without one, the pose where the data first moved
    after beginning at rest (``data_pose``) is the start position if one run's waves come back to it (lie
    nearer than ``REST_RATIO`` of the other's distance, which is at least ``REST_TURN_DEG``): held still that
    briefly, it may also be a set-up pose, away from the set (a lifter getting into position), and then both
    runs lie far from it; and where the reps hardly turn the sensor (a wrist on a lunge) the pose tells little.
    """
    first_s = min(waves[r[0]].peak_s for r in runs)
    pose, rest_ratio, min_deg = start_pose(still, first_s, -np.inf), 1.0, 0.0
    if pose is None and data_pose is not None and 0.0 <= first_s - data_pose[0] <= START_POSE_MAX_AGE_S:
        pose, rest_ratio, min_deg = unit(np.array(data_pose[1])), REST_RATIO, REST_TURN_DEG
    if pose is None:
        return []
    a, b = (_excursion_deg(r, waves, pose) for r in runs)
    if abs(a - b) < MIN_EXCURSION_GAP_DEG or min(a, b) > rest_ratio * max(a, b) or max(a, b) < min_deg:
        return []
    return runs[0] if a > b else runs[1]


def _best_run(waves: Sequence[Wave], still: Sequence[Pose] = (), trace: Trace | None = None,
              data_pose: Pose | None = None) -> list[int]:
    """Indices (into ``waves``) of the turnaround waves of the best rep run, or [] if none.

    Both signs usually give a run, the turnarounds and the returns to the start position. The start
    position held before the set says which one holds the turnarounds, whichever is longer: the returns
    include the half-waves that leave the start position and come back to it, so they are often the longer
    run, and taking them puts every turnaround half a period off. A recording that began at rest says the
    same (``data_pose``, see `_by_start_pose`). Without a clear start position the longer run wins. A run
    with two waves per rep has been thinned to one (`_one_per_rep`), so it does not win by its doubled length.
    """
    runs = [r for r in (_candidate(waves, 1, trace), _candidate(waves, -1, trace)) if r]
    if len(runs) == 2:
        decided = _by_start_pose(runs, waves, still, data_pose)
        if decided:
            return decided
    best: list[int] = []
    best_key = (0, 0.0)
    for idx in runs:
        key = (len(idx), median([waves[i].area_gs for i in idx]))
        if key > best_key:
            best, best_key = idx, key
    return best


def _rep_confidence(areas: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    size = np.clip(1.0 - np.abs(np.log(areas / median(areas.tolist()))) / np.log(3.0), 0.1, 1.0)
    med = median(gaps.tolist()) if len(gaps) else 1.0
    rhythm_gap = np.abs(np.log(np.r_[gaps, med] / med)) if len(gaps) else np.zeros(1)
    rhythm = np.clip(1.0 - np.minimum(rhythm_gap, np.r_[rhythm_gap[-1:], rhythm_gap[:-1]]) / np.log(2.5), 0.1, 1.0)
    out: np.ndarray = np.round(size * rhythm, 3)
    return out


def _build_set(run: list[int], waves: Sequence[Wave]) -> DetectedSet:
    turns = np.array([waves[i].peak_s for i in run])
    gaps = np.diff(turns)
    half = median(gaps.tolist()) / 2.0
    conf = _rep_confidence(np.array([waves[i].area_gs for i in run]), gaps)
    reps = []
    for k, i in enumerate(run):
        before = waves[i - 1].last_peak_s if i > 0 else -np.inf
        after = waves[i + 1].first_peak_s if i + 1 < len(waves) else np.inf
        start = before if turns[k] - before < 1.6 * half else turns[k] - half
        end = after if after - turns[k] < 1.6 * half else turns[k] + half
        reps.append(Rep(float(start), float(turns[k]), float(end), float(conf[k])))
    edge_margin = _edge_margin(run, waves)
    set_conf = float(np.clip(median(conf.tolist()) * edge_margin * min(1.0, len(run) / 5.0), 0.0, 1.0))
    return DetectedSet(reps[0].start_s, reps[-1].end_s, tuple(reps), round(set_conf, 3))


def _edge_margin(run: list[int], waves: Sequence[Wave]) -> float:
    """Lower confidence when a same-sign wave just outside the run looks almost like a rep."""
    med = median([waves[i].area_gs for i in run])
    period = _spacing_s(run, waves)
    margin = 1.0
    for j, ref in ((run[0] - 2, run[0]), (run[-1] + 2, run[-1])):
        if 0 <= j < len(waves) and abs(waves[j].peak_s - waves[ref].peak_s) < 2.0 * period:
            ratio = waves[j].area_gs / med
            if 0.3 <= ratio:
                margin = min(margin, 0.6)
    return margin


def _run_of(found: DetectedSet, waves: Sequence[Wave]) -> list[int]:
    """Indices of the waves at a set's rep turnarounds ([] if one is not a wave peak)."""
    peaks = np.array([w.peak_s for w in waves])
    idx = [int(np.argmin(np.abs(peaks - r.turn_s))) for r in found.reps]
    return idx if all(abs(waves[i].peak_s - r.turn_s) < 1e-9 for i, r in zip(idx, found.reps)) else []


def _in_sign_of(a: list[int], b: list[int], waves: Sequence[Wave]) -> tuple[list[int], list[int]]:
    """Runs ``a`` and ``b`` (``a`` first) of opposite signs, the shorter re-read in the longer one's sign: of the
    waves of that sign from the one before its first wave to the one after its last (not into the longer run), those
    big enough for reps (``MIN_AREA_FRACTION``, ``MIN_PEAK_FRACTION`` of the longer run's, as in `_candidate`), cut to
    their regular stretch (`_split_regular`); none if that is not spaced like the shorter run's waves (within
    ``SPACING_RATIO``): the same reps lie half a rep on, not at another rate."""
    key_a, key_b = ((len(r), median([waves[i].area_gs for i in r])) for r in (a, b))
    keep, other = (a, b) if key_a >= key_b else (b, a)
    big, tall = _upper_quartile([waves[i].area_gs for i in keep]), _upper_quartile([waves[i].peak_g for i in keep])
    lo, hi = (other[0] - 1, min(other[-1] + 1, b[0] - 1)) if other is a else (max(other[0] - 1, a[-1] + 1),
                                                                               other[-1] + 1)
    read = [i for i in range(max(lo, 0), min(hi, len(waves) - 1) + 1) if waves[i].sign == waves[keep[0]].sign
            and waves[i].area_gs >= MIN_AREA_FRACTION * big and waves[i].peak_g >= MIN_PEAK_FRACTION * tall]
    read = _split_regular(read, waves)
    ratio = _spacing_s(read, waves) / _spacing_s(other, waves) if len(read) > 1 else 0.0
    read = read if SPACING_RATIO[0] <= ratio <= SPACING_RATIO[1] else []  # else that sign holds no run of these reps
    return (a, read) if other is b else (read, b)


def _spacing_s(run: list[int], waves: Sequence[Wave]) -> float:
    """The median spacing (s) of a run's wave peaks."""
    return median(spacings([waves[i].peak_s for i in run]))


def _joined(a: list[int], b: list[int], waves: Sequence[Wave], trace: Trace | None = None) -> list[int]:
    """One run from two runs of one set split by a short pause (or a longer one held still in the set's pose:
    `_held_between`), with the rep-sized waves between; or [].

    Between, a wave a period or more after the first part (beyond the pause's start) needs only be as tall as
    `_candidate` asks of a rep: a slow rep after the pause (a grinder) peaks lower in the band-pass; a lower
    wave sooner is the move into the pause."""
    if a and b and waves[a[0]].sign != waves[b[0]].sign:  # one part counted on its returns: one sign for the set
        a, b = _in_sign_of(a, b, waves)
    if len(a) < 2 or len(b) < 2:
        return []
    pa, pb = (_spacing_s(r, waves) for r in (a, b))
    if JOIN_DOUBLED[0] <= max(pa, pb) / min(pa, pb) <= JOIN_DOUBLED[1]:  # one part counted each stroke of a rep
        a, b = (_by_period(a, waves, pb), b) if pa < pb else (a, _by_period(b, waves, pa))
        pa, pb = (_spacing_s(r, waves) if len(r) > 1 else 0.0 for r in (a, b))
        if min(pa, pb) == 0.0:
            return []
    period = median(spacings([waves[i].peak_s for i in a]) + spacings([waves[i].peak_s for i in b]))
    near = waves[b[0]].peak_s - waves[a[-1]].peak_s <= max(JOIN_GAP_PERIODS * period, JOIN_GAP_S)
    if max(pa, pb) > JOIN_PERIOD_RATIO * min(pa, pb) or not (near or _held_between(a, b, waves, trace, period)):
        return []
    peak = median([waves[i].peak_g for i in a + b])
    area = median([waves[i].area_gs for i in a + b])
    sized = [i for i in range(a[-1], b[0] + 1) if i in (a[-1], b[0]) or (
        waves[i].sign == waves[a[0]].sign and waves[i].area_gs >= EDGE_AREA_FRACTION * area and waves[i].peak_g >= (
            MIN_PEAK_FRACTION if waves[i].peak_s - waves[a[-1]].peak_s >= period else EDGE_PEAK_FRACTION) * peak)]
    middle = _by_period(sized, waves, period, sized)
    return a[:-1] + [i for i in middle if i < b[0]] + b


def _held_between(a: list[int], b: list[int], waves: Sequence[Wave], trace: Trace | None, period_s: float) -> bool:
    """The sensor was held still in the set's pose between two parts (a rest-pause: a breather at lockout): from half
    a period after the first part's last turnaround to half a period before the second's first (`held_still`, the
    pose spanned over the two parts, the reps' median peak)."""
    if trace is None:
        return False
    parts = [np.searchsorted(trace[0], (waves[r[0]].start_s, waves[r[-1]].peak_s)) for r in (a, b)]
    reps = np.concatenate([trace[2][i:j] for i, j in parts])
    return held_still(trace, waves[a[-1]].peak_s + period_s / 2, waves[b[0]].peak_s - period_s / 2, reps,
                      median([waves[i].peak_g for i in a + b]))


def band_rms(bp_g: np.ndarray, mask: np.ndarray | slice) -> float:
    """RMS magnitude of the band-passed 3-axis acceleration where ``mask`` selects and the data is not missing (g);
    0 if none."""
    power = np.sum(bp_g[mask] ** 2, axis=1)
    power = power[np.isfinite(power)]
    return float(np.sqrt(np.mean(power))) if len(power) else 0.0


def held_still(trace: Trace, lo_s: float, hi_s: float, pose_g: np.ndarray, peak_g: float) -> bool:
    """Whether the sensor was held still in a set's pose from ``lo_s`` to ``hi_s``.

    Parameters
    ----------
    trace : Trace
        Grid times (s), band-passed and low-passed acceleration (g).
    lo_s, hi_s : float
        The stretch to check (s).
    pose_g : numpy.ndarray
        (n, 3) low-passed acceleration over the set's reps (g): the pose is the span it covers.
    peak_g : float
        The reps' median wave peak (g).

    Returns
    -------
    bool
        True if the band-passed acceleration stays small beside the reps' peak (RMS under
        ``STILL_BAND_FRACTION`` of it: not walking or re-racking) and the low-passed within ``STILL_POSE_MARGIN_G``
        of the span ``pose_g`` covers (not another pose); False with no data there, a gap in it or no pose.
    """
    t_s, band_g, low_g = trace[0], trace[1], trace[2]
    lo, hi = np.searchsorted(t_s, (lo_s, hi_s))
    if hi <= lo or len(pose_g) == 0 or np.isnan(band_g[lo:hi]).any() or np.isnan(pose_g).any():
        return False
    rms_g = band_rms(band_g, slice(lo, hi))
    held = low_g[lo:hi]
    moved_g = float(np.sqrt(np.mean(np.sum((held - held.mean(axis=0)) ** 2, axis=1))))
    pose = (held >= pose_g.min(axis=0) - STILL_POSE_MARGIN_G) & (held <= pose_g.max(axis=0) + STILL_POSE_MARGIN_G)
    return min(rms_g, moved_g) < STILL_BAND_FRACTION * peak_g and bool(pose.all())


def join_pauses(sets: list[DetectedSet], waves: Sequence[Wave], trace: Trace | None = None) -> list[DetectedSet]:
    """Merge consecutive sets of the same rep wave, rhythm and sign that a short mid-set pause (or a still one in
    the set's pose) split."""
    out: list[DetectedSet] = []
    for found in sets:
        run = _joined(_run_of(out[-1], waves), _run_of(found, waves), waves, trace) if out else []
        out[-1:] = [_build_set(run, waves)] if run else [*out[-1:], found]
    return out


def find_runs(waves: Sequence[Wave], still: Sequence[Pose], trace: Trace | None,
              data_pose: Pose | None = None) -> list[DetectedSet]:
    """Sets in a bout's waves (`merge_lobes`), in time order: the best run, then those before and after it."""
    run = _best_run(waves, still, trace, data_pose)
    if not run:
        return []
    found = _build_set(run, waves)
    kept = [] if _strides(run, waves, trace) else [found]
    # waves end at lobe boundaries, so the waves before and after the run are those its lobes merge into
    return [s for s in find_runs(waves[: run[0]], still, trace, data_pose) if s.end_s <= found.start_s] + kept + [
        s for s in find_runs(waves[run[-1] + 1 :], still, trace, data_pose) if s.start_s >= found.end_s
    ]


def _strokes(idx: list[int], waves: Sequence[Wave], period_s: float, trace: Trace | None = None) -> bool:
    """The waves are two strokes a rep: quicker than any rep, or as quick as hops and landing like them (up to
    ``FLIGHT_MAX_S`` apart if they leave the floor or land in two poses by turns: `_poses_alternate`)."""
    if period_s < PERIOD_S[0]:
        return True
    if median([waves[i].step_g for i in idx]) < HOP_MIN_STEP_G:
        return False
    return period_s < HOP_MAX_S or (period_s < FLIGHT_MAX_S and (
        _flight(idx, waves) or _poses_alternate(idx, waves, trace)))


def _poses_alternate(idx: list[int], waves: Sequence[Wave], trace: Trace | None) -> bool:
    """The sensor's pose alternates from wave to wave: two waves make one rep that moves between two poses.

    The pose at a wave is the mean low-passed acceleration over its own cycle (midpoint to midpoint of the waves
    around it): the motion's own acceleration over a cycle that ends at the speed it began with averages out,
    so the mean points where gravity does in the sensor's frame, weighted to where the push is (a hop's landing;
    in the air the acceleration is near 0). The landings lie at the waves of one sign: the poses at the run's
    waves, or else at the other sign's waves between them, must turn by ``HOP_POSE_MIN_DEG`` or more from each to
    the next and ``HOP_POSE_RATIO`` times more than from each to the one after next (medians). Two waves on, only
    the poses' jitter (sigma) is left; one wave on, an alternation of a adds to it: the ratio
    sqrt(1 + 2 a^2 / sigma^2) is 3 at a = 2 sigma. A motion of one wave per rep comes back to one pose every wave.
    False without a trace or with fewer than ``2 * MIN_REPS`` cycles.
    """
    if trace is None or len(idx) < 2 * MIN_REPS:
        return False
    t_s, level_g = trace[0], trace[2]
    cum = np.vstack([np.zeros((1, 3)), np.cumsum(np.nan_to_num(level_g), axis=0)])
    between = [j for j in range(idx[0], idx[-1] + 1) if waves[j].sign != waves[idx[0]].sign]
    for times_s in ([waves[i].peak_s for i in idx], [waves[j].peak_s for j in between]):
        cuts = np.searchsorted(t_s, np.convolve(times_s, (0.5, 0.5), mode="valid"))  # waves alternate in sign
        poses = np.array([unit(cum[b] - cum[a]) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a])
        if len(poses) < 2 * MIN_REPS:
            continue
        turn, skip = (median(_angles_deg(poses, lag).tolist()) for lag in (1, 2))
        if turn >= max(HOP_POSE_MIN_DEG, HOP_POSE_RATIO * skip):
            return True
    return False


def _angles_deg(units: np.ndarray, lag: int) -> np.ndarray:
    """Angles (degrees) between unit vectors ``lag`` rows apart."""
    out: np.ndarray = np.degrees(np.arccos(np.clip(np.sum(units[lag:] * units[:-lag], axis=1), -1.0, 1.0)))
    return out


def _flight(idx: list[int], waves: Sequence[Wave]) -> bool:
    """The body leaves the floor in these waves (jumps, or running): the magnitude falls toward 0 g."""
    return median([waves[i].low_g for i in idx]) < FLIGHT_MAX_G


def _strides(run: list[int], waves: Sequence[Wave], trace: Trace | None) -> bool:
    """The run is the strides of jogging, running, brisk walking or climbing stairs: its waves of that sign come
    no oftener than strides (counting any it skipped: the hops of a jumping jack on the trunk are thinned to one a
    rep; and not each one hard landing, `_hops`), and the magnitude bounces at the footfalls, twice a wave, far
    more than once a wave (left and right steps alike). Slow steps (stairs, ~1.5 Hz) leak into the stride band
    almost as much as into the step band, so a walking bounce (no flight) may show a ratio that falls with the
    cadence (`_band_ratio`), to no more in one band than the other at ~1.5 Hz where the run is not short
    (``SHORT_RUN``), if it is clearly footfalls (a quick lift's harmonics reach the step band too) and its steps
    are alike (`_steps_alike`: a quick lift's third harmonic fills the step band as well, but its magnitude does
    not repeat every half wave). Waves as quick as
    steps (hops on the trunk) are strides only where the run goes on into a long walk at its cadence
    (`_amid_walking`), or where they land for longer than any set does (``LOCO_MAX_SET_S``: a jog on the trunk
    bouncing like jumping jacks). A swung or jumped rep (kettlebell, jumping jack at the arm) changes the
    magnitude once a rep as well, and by more than footfalls do; a lift hardly bounces."""
    step = median([waves[i].step_g for i in run])
    stride = median([waves[i].stride_g for i in run])
    period_s = _spacing_s(run, waves)
    least = LOCO_STEP_RATIO[0] if len(run) >= SHORT_RUN else LOCO_SHORT_MIN_RATIO
    ratio = float(np.clip(LOCO_SYMMETRY * _band_ratio(2.0 / period_s), least, LOCO_STEP_RATIO[1]))
    footfalls = LOCO_MAX_STEP_G > step >= max(LOCO_MIN_STEP_G, LOCO_STEP_RATIO[1] * stride)
    walked = WALK_MAX_STEP_G > step >= max(LOCO_SLOW_MIN_STEP_G, ratio * stride) and not _flight(run, waves)
    if not (footfalls or (walked and _steps_alike(run, waves, trace))):
        return False
    pool = _same_sign_between(run, waves)
    spacing_s = _spacing_s(pool, waves)
    if spacing_s >= LOCO_MIN_STRIDE_S and not _hops(pool, waves, spacing_s, trace):
        return True
    if _amid_walking(run, waves, spacing_s):
        return True
    return footfalls and waves[run[-1]].peak_s - waves[run[0]].peak_s >= LOCO_MAX_SET_S


def _hops(pool: list[int], waves: Sequence[Wave], spacing_s: float, trace: Trace | None) -> bool:
    """Each wave is one hard landing, not a stride of two footfalls: the waves come no slower than hops
    (``FLIGHT_MAX_S`` apart), land like them (``HOP_MIN_STEP_G``) and the magnitude does not repeat within a wave
    (`_steps_alike` at the waves' own spacing: landing and flight half a wave apart). A jumping jack's hops,
    kept between its reps, come as slowly as strides; footfalls that come one a wave as slowly are soft
    (walking, stairs)."""
    if spacing_s >= FLIGHT_MAX_S or median([waves[i].step_g for i in pool]) < HOP_MIN_STEP_G:
        return False
    return not _steps_alike(pool, waves, trace)


def _steps_alike(run: list[int], waves: Sequence[Wave], trace: Trace | None) -> bool:
    """Each wave may hold alike footfalls: unless the magnitude of the acceleration over the run (smoothed over
    ``LOCO_SMOOTH_S``, less its mean over each wave spacing) repeats at a lag near the spacing
    (``LOCO_REP_WAVES``: its rhythm) but correlates with itself by less than ``LOCO_STEP_ALIKE_R`` a half and a
    third of that lag on (two or three steps a wave): then it changes once a wave, as a lift's does. True (no
    evidence against footfalls) without a trace, across a gap, or over under three spacings."""
    if trace is None:
        return True
    t_s, mag_g = trace[0], trace[3]
    lo, hi = np.searchsorted(t_s, (waves[run[0]].start_s, waves[run[-1]].peak_s))
    x = mag_g[lo:hi]
    smooth_n = int(round(LOCO_SMOOTH_S * GRID_FS_HZ))
    wave_n = max(int(round(_spacing_s(run, waves) * GRID_FS_HZ)), 2 * smooth_n)
    if len(x) < 3 * wave_n or not np.isfinite(x).all():
        return True
    bounce = _moving_mean(x, smooth_n)[(wave_n - smooth_n) // 2 :][: len(x) - wave_n + 1] - _moving_mean(x, wave_n)
    lags = range(int(LOCO_REP_WAVES[0] * wave_n), int(LOCO_REP_WAVES[1] * wave_n) + 1)
    rep_n = max(lags, key=lambda lag: _correlation(bounce, lag))
    return _correlation(bounce, rep_n) <= 0.0 or any(
        _correlation(bounce, int(round(rep_n / steps))) >= LOCO_STEP_ALIKE_R for steps in (2, 3))


def _moving_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Means of the ``len(x) - n + 1`` windows of ``n`` consecutive values."""
    out: np.ndarray = np.convolve(x, np.ones(n) / n, mode="valid")
    return out


def _correlation(x: np.ndarray, lag: int) -> float:
    """Correlation (about 0) of ``x`` with itself ``lag`` samples on (0 where either part is flat)."""
    a, b = x[:-lag], x[lag:]
    return float(np.dot(a, b)) / max(float(np.sqrt(np.dot(a, a) * np.dot(b, b))), 1e-12)


def _amid_walking(run: list[int], waves: Sequence[Wave], spacing_s: float) -> bool:
    """The run goes on, at its own cadence and with no pause, into at least ``LOCO_CONTEXT_S`` of waves taken
    mostly for walking on one side: one stretch of locomotion whose footfalls bounced a little harder there."""
    for i, direction in ((run[0], -1), (run[-1], 1)):
        j, walking = i, 0
        while abs(waves[j].peak_s - waves[i].peak_s) < LOCO_CONTEXT_S and 0 <= j + direction < len(waves) and abs(
                waves[j + direction].peak_s - waves[j].peak_s) <= spacing_s:
            j += direction
            walking += waves[j].walking
        if abs(waves[j].peak_s - waves[i].peak_s) >= LOCO_CONTEXT_S and walking >= abs(j - i) / 2.0:
            return True
    return False


def _band_gain(sos: np.ndarray, f_hz: np.ndarray) -> np.ndarray:
    gain: np.ndarray = np.abs(signal.sosfreqz(sos, worN=f_hz, fs=GRID_FS_HZ)[1])
    return gain


_BOUNCE_HZ = np.linspace(0.5, 5.0, 91)
_BAND_RATIO = _band_gain(SOS_STEP, _BOUNCE_HZ) / _band_gain(SOS_STRIDE, _BOUNCE_HZ)


def _band_ratio(f_hz: float) -> float:
    """Step-band over stride-band gain for a bounce at ``f_hz``: what footfalls alone read as their ratio. Only
    steps slower than the step band's centre are read as less (quicker ones are held to the full ratio)."""
    return float(np.interp(min(f_hz, float(np.sqrt(np.prod(STEP_BAND_HZ)))), _BOUNCE_HZ, _BAND_RATIO))


def start_pose(still: Sequence[Pose], first_s: float, lo_s: float) -> np.ndarray | None:
    """Direction of the last pose held still before a set's first turnaround (after ``lo_s``, the previous
    set's last one, and at most ``START_POSE_MAX_AGE_S`` before), or None."""
    before = [p for t, p in still if max(lo_s, first_s - START_POSE_MAX_AGE_S) <= t <= first_s]
    return unit(np.array(before[-1])) if before else None
