"""From lobes to sets of reps: the regular run of same-sign lobes inside a bout of activity.

A rep shows as one dominant lobe at its turnaround (the tilt of the torso or forearm, or the acceleration
reversal at the bottom) and smaller opposite lobes between reps. Within a bout (lobes no more than
``BOUT_GAP_S`` apart) we look, for each sign, for the longest run of lobes spaced like reps (0.6-10 s, each
spacing within a factor of ~2 of the run's median) and of similar size, trim weak lobes at its edges, thin it
to one wave per rep if the 3-D motion repeats at twice the wave spacing (`repcount.period`), keep the sign
whose waves lie away from the pose held before the set (else the longer run), and repeat on what lies before and after it (a bout may hold set-up, walking and
re-racking as well). Two neighbouring runs of one sign, alike in rhythm (or one at twice the other's
wave rate, then thinned) and at most ``JOIN_GAP_PERIODS`` apart, are one set split by a pause or odd reps:
they are joined, with the rep-sized waves between them. Each set is then checked against itself
(`_complete`): a last rep that ends in another pose than the set's start, or comes late and moves unlike the
others, is a re-rack; a rep at an edge or in a two-period gap whose 3-axis motion matches the set's mean rep
is counted, and so is a slower last rep after a pause (a grinder); a set whose reps come at uneven spacings
is counted by its rhythm (`_by_rhythm`). This is the only decision logic: live and offline both call
`find_sets`; the live counter also shows up to two provisional reps before a set is confirmed
(`repcount.display`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from repcount.filters import phase_delay_s
from repcount.lobes import Lobe
from repcount.period import doubled_period_s, rep_period_s
from repcount.results import DetectedSet, Rep
from repcount.template import best_match, rep_template, stretched

BOUT_GAP_S = 5.0
MIN_REPS = 3
PERIOD_S = (0.6, 10.0)
SPACING_RATIO = (0.5, 2.2)
MIN_AREA_FRACTION = 0.3
MIN_PEAK_FRACTION = 0.3
EDGE_AREA_FRACTION = 0.55
EDGE_PEAK_FRACTION = 0.6
EDGE_MAX_RATIO = 2.5
EDGE_SPACING_RATIO = (0.6, 1.5)
MIN_PEAK_G = 0.02
MIN_DUTY = 0.5
MIN_EXCURSION_GAP_DEG = 1.0
START_POSE_MAX_AGE_S = 30.0

Pose = tuple[float, tuple[float, ...]]  # (time s, low-passed acceleration g) where the sensor was held still
Trace = tuple[np.ndarray, np.ndarray, np.ndarray]  # grid times (s); band-passed and low-passed acceleration (n, 3) (g)
SHORT_RUN = 5
SHORT_RUN_SPREAD = 2.5
POSTURE_WINDOW_S = 1.5  # a lobe ending this soon before a new posture settles is the move into it
WALK_STEP_RATIO = 1.5  # magnitude bouncing at twice the swing rate, this much more than at it: walking
WALK_MIN_STEP_G = 0.03
WALK_STEP_PEAK = 0.3  # and bouncing by at least this fraction of the lobe itself
PERIOD_STEP = (0.65, 1.5)  # a rep follows the previous one after this many rep periods
JOIN_GAP_PERIODS = 3.2  # two runs of one sign this close (in rep periods) are one set split by a pause
JOIN_PERIOD_RATIO = 1.4  # if their rep periods are this alike
JOIN_DOUBLED = (1.7, 2.4)  # or one is about twice the other: the faster part is thinned to one wave per rep
MATCH_R = 0.7  # motion next to a set, or in a gap of about two periods, that correlates this well with ...
MATCH_SIZE = (0.6, 1.7)  # ... the set's mean rep, at this relative size, is a rep too
MATCH_SPACING = (0.6, 1.4)  # periods from the rep next to it
MATCH_EDGE_REPS = 3  # at most this many such reps added at each edge
UNSURE = 0.5  # a set whose edges are less clear than this gets an alternative count
UNSEEN_CONFIDENCE = 0.3  # a rep inferred from the rhythm where the data is missing
CUT_REP_PERIODS = (1.3, 2.0)  # a recording starting in motion this many periods before the first turnaround ...
CUT_REP_RMS = 0.4  # ... with at least this fraction of the set's RMS there: the cut held a rep
RHYTHM_GAPS = (0.75, 1.35)  # a set with a rep spacing outside this many periods is irregular ...
RHYTHM_MIN_R = 0.3  # ... and if its motion repeats this clearly, its span in periods gives the count
RHYTHM_MIN_DIFF = 2  # reps the rhythm must differ by: one slow rep (a grinder, a pause) shifts it by one
RHYTHM_ACTIVE = 0.7  # a wide gap holds a rep only if it moves at least this much (RMS) like the whole set
GRIND_STRETCH = (1.5, 2.0)  # a last rep may be this many times slower than the others (a grinder) ...
GRIND_GAP = 2.5  # ... and turn up to this many periods after the rep before (a pause to brace for it) ...
GRIND_R = 0.75  # ... if it correlates this well with the set's mean rep slowed as much
LAST_REP_MIN_R = 0.5  # a last rep must correlate at least this well with the others
LATE_REP_PERIODS = 1.15  # a last rep turning this many periods after the one before must match like an added rep
EDGE_POSE_DEG = 20.0  # an edge rep must end (start) within this angle of the sensor's pose between reps


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


def _walking(lobe: Lobe) -> bool:
    return lobe.step_g > max(WALK_STEP_RATIO * lobe.stride_g, WALK_STEP_PEAK * lobe.peak_g, WALK_MIN_STEP_G)


def merge_lobes(lobes: Sequence[Lobe]) -> list[Wave]:
    """Merge runs of same-sign lobes into waves, so waves alternate in sign."""
    waves: list[Wave] = []
    for lobe in lobes:
        if waves and waves[-1].sign == lobe.sign:
            w = waves[-1]
            big = lobe.peak_g > w.peak_g
            waves[-1] = Wave(
                w.sign, lobe.peak_s if big else w.peak_s, max(w.peak_g, lobe.peak_g),
                w.area_gs + lobe.area_gs, w.first_peak_s, lobe.peak_s, w.walking or _walking(lobe),
                w.clipped or lobe.clipped, w.covered_s + lobe.end_s - lobe.start_s,
                lobe.level if big else w.level,
            )
        else:
            waves.append(Wave(lobe.sign, lobe.peak_s, lobe.peak_g, lobe.area_gs, lobe.peak_s, lobe.peak_s,
                              _walking(lobe), lobe.clipped, lobe.end_s - lobe.start_s, lobe.level))
    return waves


def _split_regular(idx: list[int], waves: Sequence[Wave]) -> list[int]:
    """Longest run of ``idx`` whose consecutive spacings lie within SPACING_RATIO of their median."""
    for _ in range(2):
        if len(idx) < 2:
            return idx
        t = np.array([waves[i].peak_s for i in idx])
        gaps = np.diff(t)
        med = float(np.median(gaps))
        ok = (gaps >= SPACING_RATIO[0] * med) & (gaps <= SPACING_RATIO[1] * med)
        breaks = np.flatnonzero(~ok)
        bounds = np.r_[0, breaks + 1, len(idx)]
        lengths = np.diff(bounds)
        k = int(np.argmax(lengths))
        idx = idx[bounds[k] : bounds[k + 1]]
    return idx


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _edge_is_weak(edge: int, inner: int, idx: list[int], waves: Sequence[Wave]) -> bool:
    """An edge wave must look like its neighbours: similar area and peak, spaced like the rest."""
    areas = np.array([waves[i].area_gs for i in idx])
    peaks = np.array([waves[i].peak_g for i in idx])
    period = float(np.median(np.abs(np.diff([waves[i].peak_s for i in idx]))))
    w = waves[edge]
    spacing = abs(w.peak_s - waves[inner].peak_s) / period
    if not EDGE_SPACING_RATIO[0] <= spacing <= EDGE_SPACING_RATIO[1]:
        return True
    if w.peak_g > EDGE_MAX_RATIO * np.median(peaks) or w.area_gs > EDGE_MAX_RATIO * np.median(areas):
        return True
    return not w.clipped and bool(
        w.area_gs < EDGE_AREA_FRACTION * np.median(areas)
        or w.peak_g < EDGE_PEAK_FRACTION * np.median(peaks)
    )


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


def _by_period(run: list[int], waves: Sequence[Wave], period_s: float, pool: list[int] | None = None) -> list[int]:
    """Waves of the run's sign (from ``pool`` if given) one rep period apart: after each kept wave, the one
    nearest a period on."""
    if pool is None:
        pool = [i for i in range(run[0], run[-1] + 1) if waves[i].sign == waves[run[0]].sign and not waves[i].walking]
    kept = [run[0]]
    while True:
        t = waves[kept[-1]].peak_s
        later = [i for i in pool if waves[i].peak_s - t >= PERIOD_STEP[0] * period_s]
        if not later:
            return kept
        window = [i for i in later if waves[i].peak_s - t <= PERIOD_STEP[1] * period_s] or later[:1]
        kept.append(min(window, key=lambda i: abs(waves[i].peak_s - t - period_s)))


def _one_per_rep(run: list[int], waves: Sequence[Wave], trace: Trace | None, whole: bool = False) -> list[int]:
    """Thin the run to one wave per rep when the motion repeats at twice the wave spacing."""
    if trace is None or len(run) < 2 * MIN_REPS:
        return run
    turns = [waves[i].peak_s for i in run]
    period_s = doubled_period_s(trace[0], trace[1], turns[0], turns[-1], float(np.median(np.diff(turns))))
    return run if period_s is None else _by_period(run, waves, period_s, run if whole else None)


def _candidate(waves: Sequence[Wave], sign: int, trace: Trace | None = None) -> list[int]:
    """The regular, rep-like run of waves of one sign, or []."""
    idx = [i for i, w in enumerate(waves) if w.sign == sign and not w.walking]
    if not idx:
        return []
    big = float(np.percentile([waves[i].area_gs for i in idx], 75))
    tall = float(np.percentile([waves[i].peak_g for i in idx], 75))
    idx = [
        i for i in idx
        if waves[i].area_gs >= MIN_AREA_FRACTION * big and waves[i].peak_g >= max(MIN_PEAK_FRACTION * tall, MIN_PEAK_G)
    ]
    idx = _one_per_rep(_trim_edges(_split_regular(_one_per_rep(idx, waves, trace, whole=True), waves), waves), waves, trace)
    if len(idx) < MIN_REPS:
        return []
    gaps = np.diff([waves[i].peak_s for i in idx])
    period = float(np.median(gaps))
    if not PERIOD_S[0] <= period <= PERIOD_S[1] or _duty(idx, waves) < MIN_DUTY:
        return []
    peaks = [waves[i].peak_g for i in idx]
    if len(idx) < SHORT_RUN and (gaps.max() > SHORT_RUN_SPREAD * gaps.min() or max(peaks) > SHORT_RUN_SPREAD * min(peaks)):
        return []  # a few reps must be convincingly alike: fidgets during rest come in twos and threes
    return idx


def _excursion_deg(run: list[int], waves: Sequence[Wave], pose: np.ndarray) -> float:
    """Median angle (degrees) between the pose at the run's waves and a reference pose."""
    cos = [float(np.dot(_unit(np.array(waves[i].level)), pose)) for i in run]
    return float(np.degrees(np.arccos(np.clip(np.median(cos), -1.0, 1.0))))


def _by_start_pose(runs: list[list[int]], waves: Sequence[Wave], still: Sequence[Pose]) -> list[int]:
    """Of the two candidate runs, the one whose waves lie away from the start position, or [] if unclear.

    The start position is the last pose held still before either run begins; reps leave it and come back,
    so their turnarounds are the waves farthest from it.
    """
    first = min(waves[r[0]].peak_s for r in runs)
    before = [p for t, p in still if first - START_POSE_MAX_AGE_S <= t <= first]
    if not before:
        return []
    pose = _unit(np.array(before[-1]))
    a, b = (_excursion_deg(r, waves, pose) for r in runs)
    if abs(a - b) < MIN_EXCURSION_GAP_DEG:
        return []
    return runs[0] if a > b else runs[1]


def _best_run(waves: Sequence[Wave], still: Sequence[Pose] = (), trace: Trace | None = None) -> list[int]:
    """Indices (into ``waves``) of the turnaround waves of the best rep run, or [] if none.

    Both signs usually give a run, the turnarounds and the returns to the start position. The start
    position held before the set says which one holds the turnarounds, whichever is longer: the returns
    include the half-waves that leave the start position and come back to it, so they are often the longer
    run, and taking them puts every turnaround half a period off. Without a clear start position the
    longer run wins. A run with two waves per rep has been thinned to one (`_one_per_rep`), so it does not
    win by its doubled length.
    """
    runs = [r for r in (_candidate(waves, 1, trace), _candidate(waves, -1, trace)) if r]
    if len(runs) == 2:
        decided = _by_start_pose(runs, waves, still)
        if decided:
            return decided
    best: list[int] = []
    best_key = (0, 0.0)
    for idx in runs:
        key = (len(idx), float(np.median([waves[i].area_gs for i in idx])))
        if key > best_key:
            best, best_key = idx, key
    return best


def _rep_confidence(areas: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    size = np.clip(1.0 - np.abs(np.log(areas / np.median(areas))) / np.log(3.0), 0.1, 1.0)
    med = float(np.median(gaps)) if len(gaps) else 1.0
    rhythm_gap = np.abs(np.log(np.r_[gaps, med] / med)) if len(gaps) else np.zeros(1)
    rhythm = np.clip(1.0 - np.minimum(rhythm_gap, np.r_[rhythm_gap[-1:], rhythm_gap[:-1]]) / np.log(2.5), 0.1, 1.0)
    out: np.ndarray = np.round(size * rhythm, 3)
    return out


def _build_set(run: list[int], waves: Sequence[Wave]) -> DetectedSet:
    turns = np.array([waves[i].peak_s for i in run])
    half = float(np.median(np.diff(turns))) / 2.0
    conf = _rep_confidence(np.array([waves[i].area_gs for i in run]), np.diff(turns))
    reps = []
    for k, i in enumerate(run):
        before = waves[i - 1].last_peak_s if i > 0 else -np.inf
        after = waves[i + 1].first_peak_s if i + 1 < len(waves) else np.inf
        start = before if turns[k] - before < 1.6 * half else turns[k] - half
        end = after if after - turns[k] < 1.6 * half else turns[k] + half
        reps.append(Rep(float(start), float(turns[k]), float(end), float(conf[k])))
    edge_margin = _edge_margin(run, waves)
    set_conf = float(np.clip(np.median(conf) * edge_margin * min(1.0, len(run) / 5.0), 0.0, 1.0))
    return DetectedSet(reps[0].start_s, reps[-1].end_s, tuple(reps), round(set_conf, 3))


def _edge_margin(run: list[int], waves: Sequence[Wave]) -> float:
    """Lower confidence when a same-sign wave just outside the run looks almost like a rep."""
    med = float(np.median([waves[i].area_gs for i in run]))
    period = float(np.median(np.diff([waves[i].peak_s for i in run])))
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


def _joined(a: list[int], b: list[int], waves: Sequence[Wave]) -> list[int]:
    """One run from two runs of one set split by a short pause, with the rep-sized waves between; or []."""
    if not a or not b or waves[a[0]].sign != waves[b[0]].sign:
        return []
    pa, pb = (float(np.median(np.diff([waves[i].peak_s for i in r]))) for r in (a, b))
    if JOIN_DOUBLED[0] <= max(pa, pb) / min(pa, pb) <= JOIN_DOUBLED[1]:  # one part counted each stroke of a rep
        a, b = (_by_period(a, waves, pb), b) if pa < pb else (a, _by_period(b, waves, pa))
        pa, pb = (float(np.median(np.diff([waves[i].peak_s for i in r]))) if len(r) > 1 else 0.0 for r in (a, b))
        if min(pa, pb) == 0.0:
            return []
    period = float(np.median(np.r_[np.diff([waves[i].peak_s for i in a]), np.diff([waves[i].peak_s for i in b])]))
    if max(pa, pb) > JOIN_PERIOD_RATIO * min(pa, pb) or waves[b[0]].peak_s - waves[a[-1]].peak_s > JOIN_GAP_PERIODS * period:
        return []
    peak = float(np.median([waves[i].peak_g for i in a + b]))
    area = float(np.median([waves[i].area_gs for i in a + b]))
    sized = [i for i in range(a[-1], b[0] + 1) if i in (a[-1], b[0]) or (
        waves[i].sign == waves[a[0]].sign
        and waves[i].peak_g >= EDGE_PEAK_FRACTION * peak and waves[i].area_gs >= EDGE_AREA_FRACTION * area)]
    middle = _by_period(sized, waves, period, sized)
    return a[:-1] + [i for i in middle if i < b[0]] + b


def _join_pauses(sets: list[DetectedSet], waves: Sequence[Wave]) -> list[DetectedSet]:
    """Merge consecutive sets of the same rep wave, rhythm and sign that a short mid-set pause split."""
    out: list[DetectedSet] = []
    for found in sets:
        run = _joined(_run_of(out[-1], waves), _run_of(found, waves), waves) if out else []
        out[-1:] = [_build_set(run, waves)] if run else [*out[-1:], found]
    return out


def find_sets(lobes: Sequence[Lobe], postures_s: Sequence[float] = (), still: Sequence[Pose] = (),
              trace: Trace | None = None, data_start_s: float = -np.inf, *, rated: bool = True) -> list[DetectedSet]:
    """All sets in one bout of lobes, in time order.

    ``postures_s`` are the times a new posture was confirmed (see `repcount.filters.FilterState`); the lobe
    of the move into it (lying down, bending to the bar) is not part of any rep. ``still`` are the poses
    where the sensor was held still: the last one before a set is its start position. ``trace`` is the
    band-passed 3-axis signal over the bout, used to tell one wave per rep from two (`repcount.period`).
    Two runs of one set split by a short pause are joined (`_join_pauses`). ``data_start_s`` is where the
    data begins: a recording cut in the middle of a set's first rep counts it (`_cut_first_rep`). With
    ``rated`` false the sets keep a provisional confidence (the live running count needs only the reps).
    """
    if postures_s:
        p = np.asarray(postures_s)
        lobes = [lb for lb in lobes if not np.any((p >= lb.end_s) & (p - lb.end_s <= POSTURE_WINDOW_S))]
    found = _join_pauses(_find_runs(lobes, postures_s, still, trace), merge_lobes(lobes))
    if trace is None:
        return found
    ends = [-np.inf] + [s.reps[-1].turn_s for s in found]
    starts = [s.reps[0].turn_s for s in found] + [np.inf]
    bounds = list(zip(ends[:-1], starts[1:], strict=True))
    done = [_by_rhythm(_complete(s, trace, lo, hi, still), trace) for s, (lo, hi) in zip(found, bounds, strict=True)]
    if rated:
        done = [_with_confidence(s, trace, lo, hi) for s, (lo, hi) in zip(done, bounds, strict=True)]
    return [_cut_first_rep(done[0], trace, data_start_s, still), *done[1:]] if done else done


def _period_s(reps: Sequence[Rep]) -> float:
    """A set's rep period: the median spacing of its turnarounds (s)."""
    return float(np.median(np.diff([r.turn_s for r in reps])))


def at_movement_times(found: DetectedSet, lo_s: float, hi_s: float) -> DetectedSet:
    """The set with its times moved from the band-passed signal back onto the movement, within the data
    (``lo_s`` to ``hi_s``).

    Everything in this module works on wave peaks; a set is reported only once final, shifted by the
    band-pass phase delay at its rep rate (`repcount.filters.phase_delay_s`), so turnarounds and tempo are
    where the lifter turned, for slow reps as for fast ones.
    """
    if found.n_reps < 2:
        return found
    dt = phase_delay_s(_period_s(found.reps))
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


def _cut_first_rep(found: DetectedSet, trace: Trace, data_start_s: float, still: Sequence[Pose]) -> DetectedSet:
    """Count the rep the start of the data cut: a recording that begins in motion (no still pose before the
    set), ``CUT_REP_PERIODS`` periods before the first counted turnaround, with rep-sized motion there.

    A set recorded from rest never starts like this; a recording trimmed to the exercise often starts in
    the middle of the first rep, whose second half alone does not make a wave like the others.
    """
    turns = np.array([r.turn_s for r in found.reps])
    period = _period_s(found.reps)
    lead = turns[0] - data_start_s
    if not CUT_REP_PERIODS[0] * period <= lead <= CUT_REP_PERIODS[1] * period:
        return found
    if any(data_start_s <= t <= turns[0] for t, _ in still):
        return found
    t, bp, _ = trace
    before = (t >= data_start_s) & (t <= turns[0] - period / 2.0)
    inside = (t >= turns[0] - period / 2.0) & (t <= turns[-1] + period / 2.0)
    if before.sum() < 2 or not inside.any():
        return found
    rms = [float(np.sqrt(np.nanmean(np.sum(bp[m] ** 2, axis=1)))) for m in (before, inside)]
    if not rms[0] >= CUT_REP_RMS * rms[1]:
        return found
    c = max(turns[0] - period, data_start_s)
    reps = (Rep(max(c - period / 2.0, data_start_s), c, c + period / 2.0, UNSEEN_CONFIDENCE), *found.reps)
    return DetectedSet(reps[0].start_s, found.end_s, reps, round(min(found.confidence, UNSURE), 3), found.n_reps)


def _complete(found: DetectedSet, trace: Trace, lo_s: float, hi_s: float, still: Sequence[Pose] = ()) -> DetectedSet:
    """Add the reps the set's own rhythm and motion find in gaps of about two periods and at its edges.

    A rep whose principal-axis wave was too small, or lost when the axis turned, still moves like the set's
    other reps: its 3-axis motion correlates with their mean (`repcount.template`). Where the data is missing
    (a short dropout) the rhythm says how many reps it held. ``lo_s`` and ``hi_s`` are the neighbouring sets'
    nearest turnarounds; nothing is added beyond them. An added rep's confidence is its correlation times its
    size match. Edge reps must start (end) in the sensor's pose between reps: a last "rep" that ends
    elsewhere is dropped first (`_drop_last_move`). With no rep in rhythm after the last one, a slower rep
    after a pause (a grinder) is looked for (`_slow_match`).
    """
    found = _drop_last_move(found, trace, _start_pose(still, found.reps[0].turn_s, lo_s))
    turns = np.array([r.turn_s for r in found.reps])
    period = _period_s(found.reps)
    template = rep_template(trace[0], trace[1], turns, period)
    lo = MATCH_SPACING[0]
    added: list[Rep] = []
    rest = _rest_pose(trace, np.r_[turns - period / 2.0, turns[-1] + period / 2.0])

    def find(a_s: float, b_s: float, step: int = 0) -> float | None:
        c, r, size = best_match(trace[0], trace[1], template, a_s, b_s) if a_s < b_s else (0.0, 0.0, 0.0)
        if r < MATCH_R or not MATCH_SIZE[0] <= size <= MATCH_SIZE[1]:
            return None
        if step and not _at_pose(trace, c + step * period / 2.0, rest):
            return None  # a move into another pose (re-racking, putting the bar down), not a rep
        added.append(Rep(c - period / 2.0, c, c + period / 2.0, round(r * _size_match(size), 3)))
        return c

    def unseen(c: float) -> float | None:
        """A rep kept in rhythm while the data was missing (a dropout), at low confidence."""
        k = int(np.searchsorted(trace[0], c))
        if not 0 <= k < len(trace[0]) or np.isfinite(trace[1][k]).all():
            return None
        added.append(Rep(c - period / 2.0, c, c + period / 2.0, UNSEEN_CONFIDENCE))
        return c

    for a, b in zip(turns[:-1], turns[1:], strict=True):
        t: float | None = float(a)
        while t is not None and b - t > (1.0 + lo) * period:
            t = find(t + lo * period, b - lo * period) or unseen(t + period)
    for step in (-1, 1):
        edge: float | None = float(turns[0] if step < 0 else turns[-1])
        for _ in range(MATCH_EDGE_REPS):
            if edge is not None:
                edge = find(*_beyond(edge, step, period, lo_s, hi_s), step)
    if not added or added[-1].turn_s < turns[-1]:  # no rep in rhythm after the last one: a slow one after a pause?
        c, r, size, f = _slow_match(trace, template, float(turns[-1]), period, hi_s)
        if r >= GRIND_R and MATCH_SIZE[0] <= size <= MATCH_SIZE[1] and _at_pose(trace, c + f * period / 2.0, rest):
            added.append(Rep(c - f * period / 2.0, c, c + f * period / 2.0, round(r * _size_match(size), 3)))
    reps = tuple(sorted(found.reps + tuple(added), key=lambda r: r.turn_s))
    return DetectedSet(reps[0].start_s, reps[-1].end_s, reps, found.confidence)


def _by_rhythm(found: DetectedSet, trace: Trace) -> DetectedSet:
    """An irregular set counted by its rhythm: as many reps as rep periods fit between its first and last
    turnaround, the period taken from the autocorrelation of its 3-axis motion.

    Where a rep shows one wave or two, or none above the threshold, the turnarounds come at uneven spacings
    and the wave count misses or doubles reps; the whole motion still repeats once per rep. Reps are added
    in the widest gaps (at their middle, confidence ``UNSEEN_CONFIDENCE``) or the later of the closest two
    turnarounds is dropped until the count fits.
    """
    turns = np.array([r.turn_s for r in found.reps])
    if len(turns) < 2 * MIN_REPS:
        return found
    near = _period_s(found.reps)
    period = rep_period_s(trace[0], trace[1], turns[0] - near / 2.0, turns[-1] + near / 2.0, near)
    if period is None or period[1] < RHYTHM_MIN_R:
        return found
    gaps = np.diff(turns) / period[0]
    if RHYTHM_GAPS[0] <= gaps.min() and gaps.max() <= RHYTHM_GAPS[1]:
        return found
    reps = list(found.reps)
    target = int(round((turns[-1] - turns[0]) / period[0])) + 1
    if abs(target - len(reps)) < RHYTHM_MIN_DIFF:
        return found
    half = period[0] / 2.0
    t, bp, _ = trace
    level = _rms(bp, (t >= turns[0]) & (t <= turns[-1]))
    while len(reps) != target:
        spacing = np.diff([r.turn_s for r in reps]) / period[0]
        if len(reps) < target:
            wide = [k for k in np.argsort(-spacing) if spacing[k] >= 1.5 and _rms(
                bp, (t >= reps[k].turn_s) & (t <= reps[k + 1].turn_s)) >= RHYTHM_ACTIVE * level]
            if not wide:
                break
            c = (reps[wide[0]].turn_s + reps[wide[0] + 1].turn_s) / 2.0
            reps.insert(int(wide[0]) + 1, Rep(c - half, c, c + half, UNSEEN_CONFIDENCE))
        elif spacing.min() < RHYTHM_GAPS[0]:
            del reps[int(np.argmin(spacing)) + 1]
        else:
            break
    return DetectedSet(reps[0].start_s, reps[-1].end_s, tuple(reps), found.confidence)


def _rms(bp_g: np.ndarray, mask: np.ndarray) -> float:
    """RMS magnitude of the band-passed 3-axis acceleration where ``mask`` is True (g); 0 if none."""
    return float(np.sqrt(np.nanmean(np.sum(bp_g[mask] ** 2, axis=1)))) if mask.any() else 0.0


def _slow_match(trace: Trace, template: np.ndarray, last_s: float, period_s: float,
                hi_s: float) -> tuple[float, float, float, float]:
    """The best match after a set's last turnaround ``last_s``, within ``GRIND_GAP`` periods (and clear of the
    next set's first turnaround ``hi_s``), of the set's mean rep slowed by one of ``GRIND_STRETCH``:
    (turn time s, correlation, size, slowing factor). A rep slowed by f turns at least (1 + f) / 2 periods
    after the one before; a fidget or a move to rack is quicker than a rep."""
    b_s = min(last_s + GRIND_GAP * period_s, hi_s - MATCH_SPACING[0] * period_s)
    best = (np.nan, 0.0, 0.0, 1.0)
    for f in GRIND_STRETCH:
        a_s = last_s + (1.0 + f) / 2.0 * period_s  # the last rep's second half, then this one's first half
        c, r, size = best_match(trace[0], trace[1], stretched(template, f), a_s, b_s) if a_s < b_s else best[:3]
        if r > best[1]:
            best = (c, r, size, f)
    return best


def _with_confidence(found: DetectedSet, trace: Trace, lo_s: float, hi_s: float) -> DetectedSet:
    """The set with a confidence from its edges, where a count goes wrong, and the other count they allow.

    Each edge rep should move like the set's other reps (correlation times size match with their mean),
    and nothing just beyond the edge should (the same score, one minus). The weakest of the four is the
    set's confidence; below ``UNSURE`` the count it points to (one fewer for a doubtful edge rep, one more
    for rep-like motion beyond an edge) is the alternative, for "probably 9 or 10".
    """
    turns = np.array([r.turn_s for r in found.reps])
    period = _period_s(found.reps)
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


def _drop_last_move(found: DetectedSet, trace: Trace, start: np.ndarray | None = None) -> DetectedSet:
    """Drop a last rep that ends away from the set's pose (a move into another pose: re-racking, putting the
    bar down, getting up; a rep comes back to where the sensor is between reps, and the set ends where it
    started: ``start``, the pose held still before the first rep, when known, is that pose whatever the
    phase of the turnarounds found; else the pose half a period from them) or that moves unlike the
    other reps (a fidget: correlation with their mean below ``LAST_REP_MIN_R``; when it turns more than
    ``LATE_REP_PERIODS`` periods after the rep before and the data go on for a period after it, ``MATCH_R``
    and a size within ``MATCH_SIZE``, as for an added rep: the lifter paused, then moved to rack, and the
    recording holds that move).

    Only the end is checked: before the first rep the lifter braces still, after the last one they rack
    straight away, so only there does such a move fall into the set's rhythm.
    """
    reps = found.reps
    if len(reps) <= MIN_REPS:
        return found
    period = _period_s(reps)
    inner = reps[:-1]
    rest = start if start is not None else _rest_pose(
        trace, np.array([r.turn_s - period / 2.0 for r in inner] + [inner[-1].turn_s + period / 2.0]))
    c, r, size = _match_among(trace, reps, len(reps) - 1, period)
    last_s = reps[-1].turn_s
    late = last_s - reps[-2].turn_s > LATE_REP_PERIODS * period and last_s + period <= trace[0][-1]
    alike = r >= MATCH_R and MATCH_SIZE[0] <= size <= MATCH_SIZE[1] if late else r >= LAST_REP_MIN_R
    if _at_pose(trace, last_s + period / 2.0, rest) and (np.isnan(c) or alike):
        return found
    return DetectedSet(inner[0].start_s, inner[-1].end_s, inner, found.confidence)


def _start_pose(still: Sequence[Pose], first_s: float, lo_s: float) -> np.ndarray | None:
    """Direction of the last pose held still before a set's first turnaround (after ``lo_s``, the previous
    set's last one, and at most ``START_POSE_MAX_AGE_S`` before), or None."""
    before = [p for t, p in still if max(lo_s, first_s - START_POSE_MAX_AGE_S) <= t <= first_s]
    return _unit(np.array(before[-1])) if before else None


def _rest_pose(trace: Trace, times_s: np.ndarray) -> np.ndarray | None:
    """Mean direction of the low-passed acceleration at the given times (between reps), or None."""
    t, _, level = trace
    k = np.searchsorted(t, times_s)
    k = k[(k >= 0) & (k < len(t))]
    k = k[np.isfinite(level[k]).all(axis=1)]
    return _unit(level[k].mean(axis=0)) if len(k) else None


def _at_pose(trace: Trace, time_s: float, rest: np.ndarray | None) -> bool:
    """True if the sensor at ``time_s`` points within ``EDGE_POSE_DEG`` of ``rest`` (or no data says otherwise,
    as in a gap)."""
    t, _, level = trace
    k = int(np.searchsorted(t, time_s))
    if rest is None or not 0 <= k < len(t) or time_s < t[0] or not np.isfinite(level[k]).all():
        return True
    return float(np.dot(_unit(level[k]), rest)) >= float(np.cos(np.radians(EDGE_POSE_DEG)))


def _find_runs(lobes: Sequence[Lobe], postures_s: Sequence[float], still: Sequence[Pose],
               trace: Trace | None) -> list[DetectedSet]:
    waves = merge_lobes(lobes)
    run = _best_run(waves, still, trace)
    if not run:
        return []
    before = [lobe for lobe in lobes if lobe.peak_s < waves[run[0]].first_peak_s - 1e-9]
    after = [lobe for lobe in lobes if lobe.peak_s > waves[run[-1]].last_peak_s + 1e-9]
    found = _build_set(run, waves)
    return [s for s in _find_runs(before, postures_s, still, trace) if s.end_s <= found.start_s] + [found] + [
        s for s in _find_runs(after, postures_s, still, trace) if s.start_s >= found.end_s
    ]

