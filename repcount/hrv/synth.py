"""Synthetic RR series with known spectral content, for checking the frequency domain."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def sinusoid_rr(duration_s: float, mean_ms: float, comps: Sequence[tuple[float, float]]) -> NDArray[np.float64]:
    """RR intervals of a heart whose interval follows ``mean_ms + sum(A sin(2 pi f t))`` in time.

    Each interval takes the value of the modulation at its own end (solved by fixed-point iteration), so
    the evenly resampled tachogram holds each sinusoid with amplitude A: its power is A²/2 ms².

    Parameters
    ----------
    duration_s : float
        Length of the series in s (beats are added until it is reached).
    mean_ms : float
        Mean RR interval in ms.
    comps : sequence of (amplitude_ms, frequency_hz)
        The sinusoids.

    Returns
    -------
    ndarray
        RR intervals in ms.

    Examples
    --------
    >>> rr = sinusoid_rr(60.0, 1000.0, [(20.0, 0.25)])
    >>> bool(abs(rr.mean() - 1000.0) < 1.0), bool(rr.max() - rr.min() < 41.0)
    (True, True)
    """
    t, out = 0.0, []
    while t < duration_s:
        rr = mean_ms
        for _ in range(5):
            rr = mean_ms + sum(a * np.sin(2 * np.pi * f * (t + rr / 1000)) for a, f in comps)
        t += rr / 1000
        out.append(rr)
    return np.asarray(out, dtype=np.float64)
