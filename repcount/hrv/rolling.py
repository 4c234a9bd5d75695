"""Rolling heart rate and RMSSD over the last N beats, O(1) work per beat.

The state keeps a ring of the last N intervals with the running sum of the intervals and of
the squared successive differences inside the window. The sums are recomputed exactly from
the ring every N beats (amortised O(1)), so rounding never builds up, and whenever the sum of
squares falls below ``CANCEL_RATIO`` of its largest value since then: subtracting a big
difference that leaves a small sum keeps the big one's rounding (after a 400-ms jump out of
the window, steady beats read RMSSD ~4e-6 ms instead of 0). The schedule depends on the
beats only: any chunking of a stream gives the same values as one call over the whole array,
and those equal :func:`~repcount.hrv.rmssd_ms` of each window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

CANCEL_RATIO = 1e-4  # below this fraction of its peak, the running sum of squares is mostly rounding


@dataclass(frozen=True)
class RollingValues:
    """Per input beat: mean HR (``60000 / mean RR``) and RMSSD of the window ending there."""

    hr_bpm: NDArray[np.float64]
    rmssd_ms: NDArray[np.float64]


class RollingHrv:
    """Streaming HR and RMSSD over the last ``n_beats`` intervals.

    Parameters
    ----------
    n_beats : int
        Window length in intervals (at least 2). Until the window is full the values cover
        the beats seen so far; RMSSD is ``nan`` before the second beat.
    max_change_pct : float, optional
        Live artifact rejection (FatMaxxer's rule): an interval that differs from the
        previous received one by more than this percentage is not added, and the values
        stay those of the current window. ``None`` (default) keeps every interval.

    Examples
    --------
    >>> roll = RollingHrv(3)
    >>> out = roll.update([800.0, 810.0, 790.0, 800.0])
    >>> [round(float(v), 2) for v in out.rmssd_ms]
    [nan, 10.0, 15.81, 15.81]
    """

    def __init__(self, n_beats: int = 30, max_change_pct: float | None = None) -> None:
        if n_beats < 2:
            raise ValueError(f"`n_beats` must be >= 2, got {n_beats}")
        self.n_beats = n_beats
        self.max_change_pct = max_change_pct
        self._last_rr = float("nan")
        self._last_values = (float("nan"), float("nan"))
        self.n_rejected = 0
        self._ring: deque[float] = deque(maxlen=n_beats)
        self._sum_ms = 0.0
        self._sum_sq = 0.0
        self._peak_sq = 0.0  # largest running sum of squares since the last exact recompute
        self._count = 0

    def _resync(self) -> None:
        ring = np.fromiter(self._ring, dtype=float)
        d = np.diff(ring)
        self._sum_ms = float(ring.sum())
        self._sum_sq = float(np.dot(d, d))
        self._peak_sq = self._sum_sq

    def _accept(self, rr: float) -> bool:
        prev, self._last_rr = self._last_rr, rr
        if self.max_change_pct is None or not np.isfinite(prev):
            return True
        return abs(rr - prev) <= self.max_change_pct / 100.0 * prev

    def _push(self, rr: float) -> tuple[float, float]:
        if not self._accept(rr):
            self.n_rejected += 1
            return self._last_values
        ring = self._ring
        if len(ring) == self.n_beats:
            old, nxt = ring[0], ring[1]
            self._sum_ms -= old
            self._sum_sq -= (nxt - old) ** 2
        if ring:
            self._sum_sq += (rr - ring[-1]) ** 2
        ring.append(rr)
        self._sum_ms += rr
        self._count += 1
        self._peak_sq = max(self._peak_sq, self._sum_sq)
        if self._count % self.n_beats == 0 or self._sum_sq < CANCEL_RATIO * self._peak_sq:
            self._resync()
        n = len(ring)
        rmssd = float(np.sqrt(max(self._sum_sq, 0.0) / (n - 1))) if n > 1 else float("nan")
        self._last_values = (60000.0 * n / self._sum_ms, rmssd)
        return self._last_values

    def update(self, rr_ms: ArrayLike) -> RollingValues:
        """Add intervals (ms) and return the rolling values after each of them."""
        values = [self._push(float(v)) for v in np.asarray(rr_ms, dtype=float).ravel()]
        arr = np.asarray(values, dtype=float).reshape(-1, 2)
        return RollingValues(hr_bpm=arr[:, 0], rmssd_ms=arr[:, 1])


def rolling_hrv(
    rr_ms: ArrayLike, n_beats: int = 30, max_change_pct: float | None = None
) -> RollingValues:
    """Batch rolling HR and RMSSD: one :class:`RollingHrv` update over the whole array."""
    return RollingHrv(n_beats, max_change_pct).update(rr_ms)
