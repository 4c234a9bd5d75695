"""Lobes of the rep signal: runs on one side of zero that clear an adaptive threshold (a Schmitt trigger).

A lobe starts where the signal passes ``ENTER * rms`` (never below ``FLOOR_G``) and lasts while it stays
beyond half that level. It is final when the signal leaves it, so lobes do not depend on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from repcount.filters import RepSignal
from repcount.grid import GRID_FS_HZ

ENTER = 0.45
FLOOR_G = 0.01
CLIP_S = 0.5
EARLY_FALL = 0.6  # an open lobe whose signal has fallen to this fraction of its peak has shown its peak


@dataclass(frozen=True)
class Lobe:
    """One half-wave: sign, peak time (s), |peak| (g), area (g s), first and last time (s), and the mean
    step-band and stride-band RMS of the magnitude over it (g)."""

    sign: int
    peak_s: float
    peak_g: float
    area_gs: float
    start_s: float
    end_s: float
    step_g: float
    stride_g: float
    clipped: bool = False  # cut by the start or end of the data: its size says nothing
    level: tuple[float, ...] = (0.0, 0.0, 1.0)  # mean low-passed acceleration over it: the pose there (g)
    low_g: float = 1.0  # least magnitude of the acceleration over it (near 0 g: in free fall)


@dataclass(frozen=True)
class LobeState:
    """Samples (t, x, threshold, step and stride RMS) of the run still open at the end of the last chunk."""

    t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    x_g: np.ndarray = field(default_factory=lambda: np.empty(0))
    h_g: np.ndarray = field(default_factory=lambda: np.empty(0))
    step_g: np.ndarray = field(default_factory=lambda: np.empty(0))
    stride_g: np.ndarray = field(default_factory=lambda: np.empty(0))
    level_g: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    mag_g: np.ndarray = field(default_factory=lambda: np.empty(0))
    origin_s: float | None = None  # first grid time of the segment


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _run_sums(values: np.ndarray, starts: np.ndarray, stops: np.ndarray, ufunc: np.ufunc = np.add) -> np.ndarray:
    """``ufunc`` reduced over each run ``[start, stop)`` of ``values`` (runs are disjoint and sorted)."""
    padded = np.concatenate([values, np.zeros((1,) + values.shape[1:])])
    return ufunc.reduceat(padded, np.stack((starts, stops), axis=1).ravel(), axis=0)[::2]


def _first_peaks(y: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Per run ``[start, stop)`` of ``y`` (disjoint, sorted; no NaN in a run, which lies above a threshold): the index
    of its first maximum, as ``np.argmax`` gives it."""
    n = stops - starts
    inside = np.arange(int(n.sum())) + np.repeat(starts - (np.cumsum(n) - n), n)  # the runs' indices, in order
    top = np.full(len(y), np.nan)
    top[inside] = np.repeat(_run_sums(y, starts, stops, np.maximum), n)
    hits = np.flatnonzero(y == top)
    peaks: np.ndarray = hits[np.searchsorted(hits, starts)]
    return peaks


def _lobes_in(state: LobeState, upto: int, *, at_end: bool = False) -> list[Lobe]:
    """Lobes whose run ends before index ``upto`` (``at_end``: the data stops at ``upto``)."""
    out = []
    t_s, h_g = state.t_s, state.h_g
    for sign in (1, -1):
        y = sign * state.x_g
        starts, stops = _runs(y > 0.5 * h_g)
        keep = stops <= upto
        starts, stops = starts[keep], stops[keep]
        if len(starts):
            tall = _run_sums(y - h_g, starts, stops, np.maximum) > 0
            starts, stops = starts[tall], stops[tall]
        if not len(starts):
            continue
        n = (stops - starts).astype(float)
        area = _run_sums(y, starts, stops) / GRID_FS_HZ
        step = _run_sums(state.step_g, starts, stops) / n
        stride = _run_sums(state.stride_g, starts, stops) / n
        level = _run_sums(state.level_g, starts, stops) / n[:, None]
        low = _run_sums(state.mag_g, starts, stops, np.minimum)
        peak = _first_peaks(y, starts, stops)
        clipped = (at_end & (stops == upto)) | (state.origin_s is not None and t_s[starts] - state.origin_s < CLIP_S)
        fields = zip(t_s[peak].tolist(), y[peak].tolist(), area.tolist(), t_s[starts].tolist(), t_s[stops - 1].tolist(),
                     step.tolist(), stride.tolist(), clipped.tolist(), level.tolist(), low.tolist(), strict=True)
        out += [Lobe(sign, p_s, p_g, a_gs, a_s, b_s, st_g, sd_g, bool(c), tuple(lv), lo_g)
                for p_s, p_g, a_gs, a_s, b_s, st_g, sd_g, c, lv, lo_g in fields]
    return sorted(out, key=lambda lobe: lobe.peak_s)


def lobe_step(state: LobeState, t_s: np.ndarray, sig: RepSignal) -> tuple[LobeState, list[Lobe]]:
    """Add grid samples (times and rep signal) of one segment; return the lobes that closed."""
    t = np.concatenate((state.t_s, t_s))
    x = np.concatenate((state.x_g, sig.x_g))
    h = np.concatenate((state.h_g, np.maximum(ENTER * sig.rms_g, FLOOR_G)))
    step = np.concatenate((state.step_g, sig.step_g))
    stride = np.concatenate((state.stride_g, sig.stride_g))
    level = np.vstack([state.level_g, sig.level_g if sig.level_g is not None else np.zeros((len(t_s), 3))])
    mag = np.concatenate((state.mag_g, sig.mag_g if sig.mag_g is not None else np.ones(len(t_s))))
    inside = np.abs(x) > 0.5 * h
    same_side = np.concatenate(([True], np.sign(x[1:]) == np.sign(x[:-1])))
    open_from = len(x)
    while open_from > 0 and inside[open_from - 1] and (open_from == len(x) or same_side[open_from]):
        open_from -= 1
    origin = state.origin_s if state.origin_s is not None else (float(t_s[0]) if len(t_s) else None)
    closed = bool(inside[:open_from].any())  # else no run has closed: a lobe lies beyond half its threshold
    lobes = _lobes_in(LobeState(t, x, h, step, stride, level, mag, origin), open_from) if closed else []
    k = open_from
    rest = LobeState(t[k:], x[k:], h[k:], step[k:], stride[k:], level[k:], mag[k:], origin)
    return rest, lobes


def lobe_flush(state: LobeState) -> list[Lobe]:
    """Close the run still open (end of a segment or of the stream)."""
    return _lobes_in(state, len(state.x_g), at_end=True)


def open_lobe(state: LobeState) -> Lobe | None:
    """The run still open, as a lobe ending now, once its signal has fallen to ``EARLY_FALL`` of its peak.

    Live display only: the lobe is not final (it may still grow), so nothing decided from it is kept.
    """
    # no lobe peaks higher than the signal's largest value: while the latest value is above EARLY_FALL of
    # that (the usual case: the run is still rising, or has not yet fallen), no lobe here has fallen enough
    if not len(state.x_g) or abs(float(state.x_g[-1])) > EARLY_FALL * float(np.max(np.abs(state.x_g))):
        return None
    found = _lobes_in(state, len(state.x_g))
    if not found or abs(float(state.x_g[-1])) > EARLY_FALL * found[-1].peak_g:
        return None
    return found[-1]
