"""Set-level rep period from the autocorrelation of the 3-axis band-passed acceleration over a run.

Some movements (a band row pulled and released in two strokes, a swing) put one or two same-sign waves on the
principal axis per rep, irregularly. The wave spacing then halves for part of the set, but the whole 3-D
motion still repeats once per rep: its autocorrelation peaks at the rep period, not at the wave spacing. When
the two strokes are alike, the peaks at one and two spacings are as high; the motion's period is then told by
how the peaks decay: a motion that repeats every spacing decays steadily (1 >= 2 >= 3 >= 4 spacings), one
that repeats every two spacings correlates better at 2 and 4 than at 1 and 3, and better at 2 than at 3.
"""

from __future__ import annotations

import numpy as np

from repcount.grid import GRID_FS_HZ, span

MIN_LAG_S = 0.5
DOUBLE_RATIO = (1.3, 2.4)  # the autocorrelation's main peak at 1.3-2.4 times the wave spacing ...
MIN_PEAK_R = 0.4  # ... clearly periodic there ...
MIN_GAIN_R = 0.05  # ... and clearly more than at the wave spacing itself, over a run of ...
GAIN_SPACINGS = 40  # ... this many spacings (20 two-stroke reps); a shorter run needs a margin ~ 1/sqrt(length)
EVEN_ODD_GAIN = 0.05  # or: at 2 and 4 spacings the motion repeats this much better than at 1 and 3 ...
MIN_EVEN_R = 0.3  # ... clearly periodic at 2 spacings ...
EVEN_ODD_SPACINGS = 16  # ... over a run of at least this many spacings (4 of them at most a quarter of it)


def _autocorr(x_g: np.ndarray) -> np.ndarray:
    """Autocorrelation of a (n, 3) signal summed over axes, 1 at lag 0."""
    x = x_g - x_g.mean(axis=0)
    n = len(x)
    spec = np.fft.rfft(x, 2 * n, axis=0)
    r = np.fft.irfft(np.abs(spec) ** 2, axis=0)[:n].sum(axis=1)
    out: np.ndarray = r / max(float(r[0]), 1e-12)
    return out


def _span_autocorr(t_s: np.ndarray, bp_g: np.ndarray, start_s: float, end_s: float,
                   min_samples: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Autocorrelation of the motion between ``start_s`` and ``end_s`` (a short gap in the data, NaN, counts as
    no motion), its lags (s) and the indices of its local peaks; None for fewer than ``min_samples`` samples."""
    seg = np.nan_to_num(bp_g[span(t_s, start_s, end_s)])
    if len(seg) < max(min_samples, 3):
        return None
    r = _autocorr(seg)
    peaks = np.flatnonzero((r[1:-1] >= r[:-2]) & (r[1:-1] >= r[2:])) + 1
    return r, np.arange(len(r)) / GRID_FS_HZ, peaks


def doubled_period_s(t_s: np.ndarray, bp_g: np.ndarray, start_s: float, end_s: float, spacing_s: float) -> float | None:
    """The rep period (s) if the motion between ``start_s`` and ``end_s`` repeats at about twice ``spacing_s``.

    Parameters
    ----------
    t_s : numpy.ndarray
        Grid times (s) of the band-passed signal.
    bp_g : numpy.ndarray
        Band-passed 3-axis acceleration (n, 3), g.
    start_s, end_s : float
        The span of the run (first and last turnaround), s.
    spacing_s : float
        Median spacing of the run's waves, s.

    Returns
    -------
    float or None
        The lag (s) of the autocorrelation's highest local peak when it lies at ``DOUBLE_RATIO`` times
        ``spacing_s``, reaches ``MIN_PEAK_R`` and beats the best peak near ``spacing_s`` by ``MIN_GAIN_R`` (more
        on a run shorter than ``GAIN_SPACINGS`` spacings: correlations over fewer cycles are noisier); or,
        over a run of ``EVEN_ODD_SPACINGS`` spacings or more, the lag of the best correlation near twice
        ``spacing_s`` when it reaches ``MIN_EVEN_R``, beats the one near 3 spacings, and the correlations near 2
        and 4 spacings beat those near 1 and 3 by ``EVEN_ODD_GAIN``; else None.

    Examples
    --------
    >>> t = np.arange(0, 30, 0.05)
    >>> x = np.c_[np.sin(2 * np.pi * t / 1.5), np.sin(4 * np.pi * t / 1.5), 0 * t]
    >>> round(doubled_period_s(t, x, 0.0, 30.0, 0.75), 2)
    1.5
    """
    found = _span_autocorr(t_s, bp_g, start_s, end_s, 4 * DOUBLE_RATIO[1] * spacing_s * GRID_FS_HZ)
    if found is None:
        return None
    r, lag_s, inner = found
    peaks = inner[(lag_s[inner] >= MIN_LAG_S) & (lag_s[inner] <= 3.0 * spacing_s)]
    if not len(peaks):
        return None
    best = int(peaks[np.argmax(r[peaks])])
    near = peaks[np.abs(lag_s[peaks] / spacing_s - 1.0) < 0.3]
    near_r = float(r[near].max()) if len(near) else 0.0
    ratio = lag_s[best] / spacing_s
    margin = MIN_GAIN_R * np.sqrt(max(GAIN_SPACINGS * spacing_s / (end_s - start_s), 1.0))
    if DOUBLE_RATIO[0] <= ratio <= DOUBLE_RATIO[1] and r[best] >= MIN_PEAK_R and r[best] - near_r >= margin:
        return float(lag_s[best])
    if len(r) < EVEN_ODD_SPACINGS * spacing_s * GRID_FS_HZ:
        return None
    at = [int(np.argmax(np.where(np.abs(lag_s / (k * spacing_s) - 1.0) <= 0.15, r, -np.inf))) for k in (1, 2, 3, 4)]
    r1, r2, r3, r4 = (float(r[k]) for k in at)
    if r2 >= MIN_EVEN_R and r2 > r3 and (r2 + r4) - (r1 + r3) >= EVEN_ODD_GAIN:
        return float(lag_s[at[1]])
    return None


def rep_period_s(
    t_s: np.ndarray, bp_g: np.ndarray, start_s: float, end_s: float, near_s: float
) -> tuple[float, float] | None:
    """The period (s) at which the motion between ``start_s`` and ``end_s`` repeats, near ``near_s``.

    Parameters
    ----------
    t_s : numpy.ndarray
        Grid times (s) of the band-passed signal.
    bp_g : numpy.ndarray
        Band-passed 3-axis acceleration (n, 3), g.
    start_s, end_s : float
        The span to look at, s.
    near_s : float
        The expected period (the median spacing of the set's reps), s.

    Returns
    -------
    (float, float) or None
        The lag (s, refined between grid samples) of the autocorrelation's highest local peak within 30 % of
        ``near_s``, and the autocorrelation there; None if there is no such peak.

    Examples
    --------
    >>> t = np.arange(0, 30, 0.05)
    >>> x = np.c_[np.sin(2 * np.pi * t / 1.53), 0 * t, 0 * t]
    >>> round(float(rep_period_s(t, x, 0.0, 30.0, 1.4)[0]), 2)
    1.53
    """
    found = _span_autocorr(t_s, bp_g, start_s, end_s, 3)
    if found is None:
        return None
    r, lag_s, inner = found
    peaks = inner[np.abs(lag_s[inner] / near_s - 1.0) <= 0.3]
    if not len(peaks):
        return None
    k = int(peaks[np.argmax(r[peaks])])
    curve = r[k - 1] - 2.0 * r[k] + r[k + 1]
    shift = 0.5 * (r[k - 1] - r[k + 1]) / curve if curve < 0 else 0.0
    return (k + shift) / GRID_FS_HZ, float(r[k])
