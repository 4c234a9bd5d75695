"""Streaming resampler: irregular samples at any rate -> a uniform 20 Hz grid of bin means, with gap breaks.

A bin is emitted once a later sample proves it complete, so the grid never depends on how the input was
chunked. Empty bins inside a short gap are linearly interpolated; a longer gap starts a new segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GRID_FS_HZ = 20.0
MAX_FILL_S = 2.0


@dataclass
class GridState:
    """Samples of the bin still open, and the last emitted bin (index and value)."""

    pending_t_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    pending_acc_g: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))
    last_bin: int | None = None
    last_value: np.ndarray = field(default_factory=lambda: np.zeros(3))


@dataclass(frozen=True)
class GridChunk:
    """Grid samples: bin-centre times (s), values (n, 3) in g, and True where a new segment starts."""

    t_s: np.ndarray
    acc_g: np.ndarray
    segment_start: np.ndarray

    @classmethod
    def empty(cls) -> GridChunk:
        return cls(np.empty(0), np.empty((0, 3)), np.empty(0, dtype=bool))


def _bins(t_s: np.ndarray) -> np.ndarray:
    return np.floor(t_s * GRID_FS_HZ).astype(np.int64)


def _bin_means(bins: np.ndarray, acc_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first = np.flatnonzero(np.concatenate(([True], bins[1:] != bins[:-1])))
    counts = np.diff(np.append(first, len(bins)))
    return bins[first], np.add.reduceat(acc_g, first, axis=0) / counts[:, None]


def _lerp(a: np.ndarray, b: np.ndarray, frac: np.ndarray | float) -> np.ndarray:
    out: np.ndarray = a + (b - a) * frac
    return out


def _fill(bins: np.ndarray, values: np.ndarray, prev_bin: int | None, prev_value: np.ndarray) -> GridChunk:
    """Interpolate the empty bins between consecutive non-empty ones; mark segment starts at long gaps."""
    first_bin = bins[0] - 1 if prev_bin is None else prev_bin
    first_value = values[0] if prev_bin is None else prev_value
    prev_bins = np.concatenate(([first_bin], bins[:-1]))
    prev_values = np.vstack([first_value[None, :], values[:-1]])
    steps = bins - prev_bins
    if prev_bin is not None and (steps == 1).all():  # no empty bin and no new segment (the usual live chunk):
        # the values go through the same formula as below, so a grid is bit-identical for any chunking
        return GridChunk((bins + 0.5) / GRID_FS_HZ, _lerp(prev_values, values, 1.0), np.zeros(len(bins), bool))
    new_seg = steps > int(MAX_FILL_S * GRID_FS_HZ)
    new_seg[0] |= prev_bin is None
    fill_n = np.where(new_seg, 1, steps)
    idx = np.repeat(np.arange(len(bins)), fill_n)
    offsets = np.cumsum(fill_n) - fill_n
    k = np.arange(len(idx)) - offsets[idx] + 1  # 1..fill_n within each run
    frac = (k / fill_n[idx])[:, None]
    out_values = _lerp(prev_values[idx], values[idx], frac)
    out_bins = bins[idx] - fill_n[idx] + k
    seg = np.zeros(len(idx), bool)
    seg[offsets] = new_seg
    return GridChunk((out_bins + 0.5) / GRID_FS_HZ, out_values, seg)


def span(t_s: np.ndarray, lo_s: float, hi_s: float) -> slice:
    """The grid samples with ``lo_s <= t <= hi_s``, as a slice: grid times increase, so this is
    ``(t_s >= lo_s) & (t_s <= hi_s)`` without a pass over the whole trace (bounds are numbers, not NaN).

    Examples
    --------
    >>> t = np.arange(10) / GRID_FS_HZ
    >>> span(t, 0.1, 0.2)
    slice(2, 5, None)
    """
    return slice(int(np.searchsorted(t_s, lo_s, side="left")), int(np.searchsorted(t_s, hi_s, side="right")))


def grid_step(state: GridState, t_s: np.ndarray, acc_g: np.ndarray) -> tuple[GridState, GridChunk]:
    """Add raw samples; return the new state and the grid bins that are now complete.

    Parameters
    ----------
    state : GridState
        From the previous call (``GridState()`` at the start).
    t_s : numpy.ndarray
        Sample times in seconds, increasing; samples not after the last one seen are dropped.
    acc_g : numpy.ndarray
        Accelerations (n, 3) in g, finite.

    Returns
    -------
    state, chunk : GridState, GridChunk
    """
    last_t = state.pending_t_s[-1] if len(state.pending_t_s) else -np.inf
    keep = t_s > np.maximum.accumulate(np.concatenate(([last_t], t_s)))[:-1]
    if not keep.all():
        t_s, acc_g = t_s[keep], acc_g[keep]
    all_t = np.concatenate((state.pending_t_s, t_s))
    all_acc = np.concatenate((state.pending_acc_g, acc_g))
    if not len(all_t):
        return state, GridChunk.empty()
    bins = _bins(all_t)
    done = int(np.searchsorted(bins, bins[-1]))  # the bins before the last are complete (times increase)
    if not done:
        return GridState(all_t, all_acc, state.last_bin, state.last_value), GridChunk.empty()
    b, v = _bin_means(bins[:done], all_acc[:done])
    chunk = _fill(b, v, state.last_bin, state.last_value)
    new_state = GridState(all_t[done:], all_acc[done:], int(b[-1]), v[-1])
    return new_state, chunk


def grid_flush(state: GridState) -> GridChunk:
    """Emit the last, still open bin."""
    if not len(state.pending_t_s):
        return GridChunk.empty()
    b, v = _bin_means(_bins(state.pending_t_s), state.pending_acc_g)
    return _fill(b, v, state.last_bin, state.last_value)
