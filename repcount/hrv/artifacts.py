"""Automatic RR artifact detection and correction after Lipponen & Tarvainen (2019).

Detection is the published decision tree (the method behind Kubios' automatic
correction), with the parameters NeuroKit2 and systole use: successive differences
``dRR`` and deviations from an 11-beat median ``mRR`` (negative ones doubled) are
normalised by time-varying thresholds ``alpha x QD`` (alpha = 5.2, QD = half the
inter-quartile range of their absolute values over 91 beats, never below
``MIN_THRESHOLD_MS``); ectopic beats use the S11/S12 subspace with c1 = 0.13,
c2 = 0.17; long/short beats need ``|mRR| > 3``, or the S21/S22 criterion together with
the paper's missed/extra test (eq. 6/7). NeuroKit2 also takes S21/S22 alone, which on
resting recordings with strong respiratory arrhythmia flags 1-3 % of normal beats.
A flagged interval must also differ from the 11-beat median by ``MIN_DEVIATION`` (5 %):
on quiet stretches of Holter data quantised to 1/128 s the adaptive thresholds shrink to a
few quanta and would otherwise flag ordinary 2-4 % changes as ectopic (7 % of nsr2db nsr002).
A second ectopic test looks for the premature-beat signature itself (an interval 20 %
shorter than the one before, then a pause 25 % longer): the adaptive thresholds widen
while the heart rate changes fast (standing up) and miss ectopics there.

Correction works on the intervals, keeping beat timing wherever the data allow:

- extra beat (a short interval that, added to the next one, makes one normal interval):
  the two intervals are merged; "normal" means within the threshold of the 11-beat median
  and within 20 % of it (the threshold alone grows too wide where HR changes fast);
- missed beats (an interval about k = 2 or 3 times the local median, each part "normal"
  as above): split into k equal intervals;
- gap (an interval of 3 s or more, or 4 or more local medians: a strap off the skin or a
  radio dropout): removed, and the successive differences across it are marked invalid;
- ectopic and long/short beats: replaced by a cubic spline through the surrounding good
  intervals (Kubios interpolates too); a run whose sum matches the interpolated sum
  within the threshold (the premature beat + compensatory pause of an ectopic) is
  rescaled to keep its original duration.

Detection and correction repeat (at most ``MAX_PASSES`` times) while artifacts are found;
the counts add up over the passes.
A series with more than 5 % corrected beats is flagged as unreliable (Kubios' rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline
from scipy.ndimage import percentile_filter

ALPHA = 5.2
WINDOW_BEATS = 91
MEDIAN_BEATS = 11
C1, C2 = 0.13, 0.17
MIN_THRESHOLD_MS = 5.0
GAP_MS = 3000.0
MAX_PASSES = 3
UNRELIABLE_PCT = 5.0
SPLIT_TOLERANCE = 0.2
MIN_DEVIATION = 0.05
PREMATURE_SHORT, PREMATURE_PAUSE = 0.8, 1.25

_EXTRA, _MISSED, _GAP, _ECTOPIC, _LONGSHORT = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class ArtifactResult:
    """Corrected NN series with what was changed.

    Attributes
    ----------
    rr_ms : ndarray
        Corrected NN intervals in ms (gap intervals removed).
    valid_diff : ndarray of bool
        One flag per successive difference of ``rr_ms``; ``False`` across a gap.
    n_beats_in : int
        Number of input intervals.
    n_ectopic, n_missed, n_extra, n_longshort : int
        Corrected intervals by kind.
    n_gaps : int
        Removed gap intervals; ``gap_s`` is their total duration in s.
    """

    rr_ms: NDArray[np.float64] = field(repr=False)
    valid_diff: NDArray[np.bool_] = field(repr=False)
    n_beats_in: int
    n_ectopic: int
    n_missed: int
    n_extra: int
    n_longshort: int
    n_gaps: int
    gap_s: float

    @property
    def n_corrected(self) -> int:
        """Intervals changed by the correction (gaps not included)."""
        return self.n_ectopic + self.n_missed + self.n_extra + self.n_longshort

    @property
    def corrected_pct(self) -> float:
        """Corrected intervals as a percentage of the input intervals."""
        return 100.0 * self.n_corrected / self.n_beats_in if self.n_beats_in else 0.0

    @property
    def reliable(self) -> bool:
        """``True`` when at most 5 % of the intervals were corrected."""
        return self.corrected_pct <= UNRELIABLE_PCT


@dataclass(frozen=True)
class _Subspaces:
    med_ms: NDArray[np.float64]
    th2_ms: NDArray[np.float64]
    kind: NDArray[np.int8]


def _centred_percentile(a: NDArray[np.float64], pct: float, size: int) -> NDArray[np.float64]:
    """Running percentile over ``size`` centred beats; windows are truncated at the ends.

    Padding the ends (``mode="nearest"``) would repeat the first or last value up to
    ``size // 2`` times and let one edge artifact set the threshold of its neighbours.
    """
    out = percentile_filter(a, pct, size=size, mode="nearest")
    half = size // 2
    edges = np.unique(np.r_[np.arange(min(half, a.size)), np.arange(max(a.size - half, 0), a.size)])
    padded = np.pad(a, half, constant_values=np.nan)
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)[edges], axis=1)
    pos = (np.count_nonzero(~np.isnan(windows), axis=1) - 1) * pct / 100.0  # NaNs sort last
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, windows.shape[1] - 1)
    v_lo = np.take_along_axis(windows, lo[:, None], axis=1)[:, 0]
    v_hi = np.take_along_axis(windows, hi[:, None], axis=1)[:, 0]
    out[edges] = np.where(hi > lo, v_lo + (pos - lo) * (np.nan_to_num(v_hi) - v_lo), v_lo)
    return out


def _threshold_ms(x: NDArray[np.float64]) -> NDArray[np.float64]:
    a = np.abs(x)
    q1 = _centred_percentile(a, 25, WINDOW_BEATS)
    q3 = _centred_percentile(a, 75, WINDOW_BEATS)
    return np.maximum(ALPHA * (q3 - q1) / 2.0, MIN_THRESHOLD_MS)


def _subspaces(rr: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    med = _centred_percentile(rr, 50, MEDIAN_BEATS)
    drr = np.empty_like(rr)
    drr[0] = rr[0] - med[0]
    drr[1:] = np.diff(rr)
    drn = drr / _threshold_ms(drr)
    mrr = rr - med
    mrr[mrr < 0] *= 2.0
    th2 = _threshold_ms(mrr)
    pad = np.pad(drn, 2, mode="reflect")
    prev, nxt, nxt2 = pad[1:-3], pad[3:-1], pad[4:]
    s12 = np.where(drn > 0, np.maximum(prev, nxt), np.minimum(prev, nxt))
    s22 = np.where(drn >= 0, np.minimum(nxt, nxt2), np.maximum(nxt, nxt2))
    return med, th2, drn, mrr / th2, s12, s22


def _missed_or_extra(
    rr: NDArray[np.float64], med: NDArray[np.float64], th2: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Eq. 6/7 of the paper: the interval is two normal ones, or one with the next."""
    pair: NDArray[np.float64] = rr + np.append(rr[1:], np.inf)
    return (np.abs(rr / 2.0 - med) < th2) | (np.abs(pair - med) < th2)


def detect_artifacts(rr_ms: ArrayLike) -> NDArray[np.int8]:
    """Lipponen-Tarvainen detection: per interval 0 (normal), or its ectopic / long-short flag.

    Parameters
    ----------
    rr_ms : array_like
        RR intervals in ms (at least 3).

    Returns
    -------
    ndarray of int8
        4 for ectopic (both intervals around the ectopic beat), 5 for long/short
        (missed, extra and gap are decided at correction).

    References
    ----------
    Lipponen & Tarvainen (2019), J Med Eng Technol 43:173-181.

    Examples
    --------
    >>> rr = np.full(60, 800.0); rr[30] = 560.0; rr[31] = 1040.0
    >>> detect_artifacts(rr)[29:33].tolist()
    [0, 4, 4, 0]
    """
    return _detect(np.asarray(rr_ms, dtype=float)).kind


def _detect(rr: NDArray[np.float64]) -> _Subspaces:
    med, th2, drn, mrn, s12, s22 = _subspaces(rr)
    cand = np.abs(drn) > 1
    ectopic = cand & (((drn > 1) & (s12 < -C1 * drn - C2)) | ((drn < -1) & (s12 > -C1 * drn + C2)))
    rest = cand & ~ectopic
    long_or_short = ((drn > 1) & (s22 < -1)) | ((drn < -1) & (s22 > 1))
    longshort = rest & ((long_or_short & _missed_or_extra(rr, med, th2)) | (np.abs(mrn) > 3))
    # The next beat is examined too when its own dRR is the smaller of the next two.
    follow = np.zeros_like(rest)
    follow[1:-1] = rest[:-2] & (np.abs(drn[1:-1]) < np.abs(drn[2:])) & (np.abs(mrn[1:-1]) > 3)
    ectopic |= _premature(rr)
    dev, min_dev = np.abs(rr - med), MIN_DEVIATION * med
    kind = np.zeros(rr.size, dtype=np.int8)
    kind[(longshort | follow) & (dev >= min_dev)] = _LONGSHORT
    kind[_with_partner(ectopic, dev, min_dev)] = _ECTOPIC
    return _Subspaces(med, th2, kind)


def _premature(rr: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Short-long signature of a premature beat: 20 % shorter than the interval before it,
    then a pause 25 % longer than it. Catches ectopics that the adaptive thresholds miss
    where the heart rate itself is changing fast (standing up); no clean recording here
    shows the pattern."""
    out = np.zeros(rr.size, dtype=bool)
    if rr.size >= 3:
        out[1:-1] = (rr[1:-1] < PREMATURE_SHORT * rr[:-2]) & (rr[2:] > PREMATURE_PAUSE * rr[1:-1])
    return out


def _with_partner(
    ectopic: NDArray[np.bool_], dev_ms: NDArray[np.float64], min_dev_ms: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Ectopic pairs: each flagged interval with the neighbour further from the median.

    A pair is kept only if one of its intervals differs from the median by ``min_dev_ms``.
    """
    out = np.zeros_like(ectopic)
    idx = np.flatnonzero(ectopic)
    prev_dev = dev_ms[np.maximum(idx - 1, 0)]
    next_dev = dev_ms[np.minimum(idx + 1, dev_ms.size - 1)]
    partner = np.clip(np.where(prev_dev >= next_dev, idx - 1, idx + 1), 0, dev_ms.size - 1)
    keep = (dev_ms[idx] >= min_dev_ms[idx]) | (dev_ms[partner] >= min_dev_ms[partner])
    out[idx[keep]] = True
    out[partner[keep]] = True
    return out


def _decide(rr: NDArray[np.float64], det: _Subspaces) -> _Subspaces:
    """Turn detected beats into correction actions (extra / missed / gap / interpolate)."""
    med, th2 = det.med_ms, det.th2_ms
    action = det.kind.copy()
    action[rr >= GAP_MS] = _GAP
    tol = np.minimum(th2, SPLIT_TOLERANCE * med)
    merged_into = -1
    for j in np.flatnonzero(action).tolist():
        if j == merged_into:
            continue
        k = int(np.rint(rr[j] / med[j]))
        if rr[j] < med[j] and j + 1 < rr.size and abs(rr[j] + rr[j + 1] - med[j]) < tol[j]:
            action[j], action[j + 1], merged_into = _EXTRA, 0, j + 1
        elif 2 <= k <= 3 and abs(rr[j] / k - med[j]) < tol[j]:
            action[j] = _MISSED
        elif rr[j] >= GAP_MS or k >= 4:
            action[j] = _GAP
    return _Subspaces(med, th2, action)


def _interpolate_bad(rr: NDArray[np.float64], sub: _Subspaces) -> NDArray[np.float64]:
    """Spline-replace ectopic/long-short intervals, keeping a run's duration when it fits."""
    out = rr.copy()
    bad = (sub.kind == _ECTOPIC) | (sub.kind == _LONGSHORT)
    good = np.flatnonzero(sub.kind == 0)
    if not np.any(bad) or good.size < 2:
        return out
    idx = np.flatnonzero(bad)
    at = np.clip(idx, good[0], good[-1])
    pred = CubicSpline(good, rr[good])(at)
    # Sparse good beats can make the spline overshoot (even below zero): there, interpolate linearly.
    wild = (pred < rr[good].min()) | (pred > rr[good].max())
    pred[wild] = np.interp(at[wild], good, rr[good])
    out[idx] = pred
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    for run in runs:
        total, pred_total = rr[run].sum(), out[run].sum()
        if run.size > 1 and abs(total - pred_total) < sub.th2_ms[run[0]]:
            out[run] *= total / pred_total
    return out


def _rebuild(
    rr: NDArray[np.float64], sub: _Subspaces, brk: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Apply merges, splits and gap removals; carry the gap marks along."""
    kind = sub.kind
    extra = np.flatnonzero(kind == _EXTRA)
    missed = np.flatnonzero(kind == _MISSED)
    vals = rr.copy()
    reps = np.ones(rr.size, dtype=np.int64)
    vals[extra] = rr[extra] + rr[extra + 1]
    reps[extra + 1] = 0
    k = np.rint(rr[missed] / sub.med_ms[missed]).astype(np.int64)
    vals[missed] = rr[missed] / k
    reps[missed] = k
    reps[kind == _GAP] = 0
    kept = np.flatnonzero(reps)
    n_gaps_before = np.cumsum(kind == _GAP)[kept]
    after_gap = np.diff(n_gaps_before, prepend=0) > 0
    first = np.zeros(int(reps.sum()), dtype=bool)
    first[np.cumsum(reps[kept]) - reps[kept]] = True
    out_brk = np.zeros_like(first)
    out_brk[first] = after_gap | brk[kept]
    return np.repeat(vals, reps), out_brk


def correct_artifacts(rr_ms: ArrayLike) -> ArtifactResult:
    """Detect and correct ectopic, missed, extra and long/short beats and gaps.

    Parameters
    ----------
    rr_ms : array_like
        Positive, finite RR intervals in ms.

    Returns
    -------
    ArtifactResult
        The corrected NN series, the counts by kind and the reliability flag.

    Raises
    ------
    ValueError
        If an interval is not finite or not positive.

    References
    ----------
    Lipponen & Tarvainen (2019), J Med Eng Technol 43:173-181.

    Examples
    --------
    >>> rr = np.full(100, 800.0); rr[50] = 1600.0
    >>> res = correct_artifacts(rr)
    >>> res.rr_ms.size, res.n_missed, float(res.rr_ms.sum()) == float(rr.sum())
    (101, 1, True)
    """
    rr = np.array(rr_ms, dtype=float)
    if rr.size and (not np.all(np.isfinite(rr)) or np.any(rr <= 0)):
        raise ValueError("`rr_ms` must hold positive finite intervals")
    brk = np.zeros(rr.size, dtype=bool)
    counts = dict.fromkeys((_EXTRA, _MISSED, _GAP, _ECTOPIC, _LONGSHORT), 0)
    gap_s = 0.0
    for _ in range(MAX_PASSES if rr.size >= 3 else 0):
        sub = _decide(rr, _detect(rr))
        if not np.any(sub.kind):
            break
        for key in counts:
            counts[key] += int(np.count_nonzero(sub.kind == key))
        gap_s += float(rr[sub.kind == _GAP].sum()) / 1000.0
        rr, brk = _rebuild(_interpolate_bad(rr, sub), sub, brk)
        if rr.size < 3:
            break
    return ArtifactResult(
        rr_ms=rr, valid_diff=~brk[1:], n_beats_in=int(np.size(rr_ms)),
        n_ectopic=counts[_ECTOPIC], n_missed=counts[_MISSED], n_extra=counts[_EXTRA],
        n_longshort=counts[_LONGSHORT], n_gaps=counts[_GAP], gap_s=gap_s,
    )
