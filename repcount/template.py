"""A set's own rep shape: the mean 3-axis band-passed acceleration around its rep turnarounds.

Once a set's rhythm is known, a candidate rep at its edge, or in a gap of about two periods, is judged by how
well the 3-D motion around it matches the set's other reps (normalised correlation over all three axes,
orientation-free) and by its size, rather than by the size of one half-wave on the principal axis.
"""

from __future__ import annotations

import numpy as np

from repcount.grid import GRID_FS_HZ, span

MIN_COVER = 0.6  # a window cut by the end of the data is compared on what is left, if at least this much


def _windows(bp_g: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    """The (len(centres), 2 * half + 1, 3) samples around each centre index, NaN where the data does not reach."""
    idx = centres[:, None] + np.arange(-half, half + 1)[None, :]
    outside = (idx < 0) | (idx >= len(bp_g))
    if outside.all():
        return np.full(idx.shape + (3,), np.nan)
    lo, hi = max(int(idx.min()), 0), min(int(idx.max()), len(bp_g) - 1)  # the windows are runs of rows
    out = np.take(bp_g[lo : hi + 1], idx - lo, axis=0, mode="clip")  # from the rows needed only: a trace is long
    out[outside] = np.nan
    return out


def _sliding(bp_g: np.ndarray, within: slice, half: int) -> np.ndarray:
    """`_windows` around each index of ``within`` (a run of consecutive centres): where all of them lie inside
    the data, one strided copy of the rows they cover (no index arrays; the same values, the same layout)."""
    first, last = within.start - half, within.stop - 1 + half
    if first < 0 or last >= len(bp_g):
        return _windows(bp_g, np.arange(within.start, within.stop), half)
    rows, cols = bp_g.strides
    view = np.lib.stride_tricks.as_strided(bp_g[first:], shape=(within.stop - within.start, 2 * half + 1, 3),
                                           strides=(rows, rows, cols), writeable=False)
    return view.copy()


def rep_template(t_s: np.ndarray, bp_g: np.ndarray, turns_s: np.ndarray, period_s: float) -> np.ndarray:
    """Mean 3-axis motion over one period centred on each turnaround.

    Parameters
    ----------
    t_s : numpy.ndarray
        Grid times (s) of the band-passed signal.
    bp_g : numpy.ndarray
        Band-passed 3-axis acceleration (n, 3), g.
    turns_s : numpy.ndarray
        Turnaround times (s) of the set's reps.
    period_s : float
        The set's rep period (s).

    Returns
    -------
    numpy.ndarray
        (2 * h + 1, 3) with h = half a period in grid samples; NaN where no rep's window had data.
    """
    half = max(int(round(0.5 * period_s * GRID_FS_HZ)), 1)
    wins = _windows(bp_g, np.searchsorted(t_s, turns_s), half)
    counts = np.sum(np.isfinite(wins[:, :, 0]), axis=0)
    total = np.nansum(wins, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: np.ndarray = np.where(counts[:, None] > 0, total / np.maximum(counts, 1)[:, None], np.nan)
    return out


def best_match(t_s: np.ndarray, bp_g: np.ndarray, template: np.ndarray, lo_s: float, hi_s: float,
               *, centred: bool = False) -> tuple[float, float, float]:
    """The time between ``lo_s`` and ``hi_s`` where the motion best matches a set's rep template.

    Parameters
    ----------
    t_s, bp_g : numpy.ndarray
        Grid times (s) and band-passed 3-axis acceleration (n, 3), g.
    template : numpy.ndarray
        From `rep_template`.
    lo_s, hi_s : float
        Range of candidate turnaround times (s).
    centred : bool
        Compare each window and the template less their own mean (per axis, over the samples compared): a
        rep whose window holds an offset, the band-pass settling from a pose held before the set, matches
        by its shape (over one period, a rep amid reps has hardly any mean after the band-pass).

    Returns
    -------
    time, correlation, size : float, float, float
        The candidate's centre (s), its normalised correlation with the template over all axes (in [-1, 1])
        and its RMS over the template's on the same samples; (nan, 0, 0) if no window in the range has at
        least ``MIN_COVER`` of its samples within the data (and not in a gap).

    Examples
    --------
    >>> t = np.arange(0, 20, 0.05)
    >>> x = np.c_[np.sin(2 * np.pi * t / 2.0), np.cos(2 * np.pi * t / 2.0), 0 * t]
    >>> tmpl = rep_template(t, x, np.array([4.5, 6.5, 8.5]), 2.0)
    >>> [round(v, 2) for v in best_match(t, 0.5 * x, tmpl, 11.9, 13.1)]
    [12.5, 1.0, 0.5]
    """
    half = (len(template) - 1) // 2
    within = span(t_s, lo_s, hi_s)
    if within.start >= within.stop:
        return float("nan"), 0.0, 0.0
    ks = np.arange(within.start, within.stop)
    wins = _sliding(bp_g, within, half)
    seen, known = np.isfinite(wins[:, :, 0]), np.isfinite(template[:, 0])
    ok = seen & known[None, :]
    a = wins  # compared on the samples both have
    if not seen.all():
        a[~seen] = 0.0
        b = np.where(ok[:, :, None], template[None, :, :], 0.0)
        nb = np.sqrt(np.sum(b * b, axis=(1, 2)))
    else:  # every window has all its samples: the template is compared on the same ones in each
        b = np.where(known[:, None], template, 0.0)[None, :, :]
        nb = np.repeat(np.sqrt(np.sum(b * b, axis=(1, 2))), len(ks))  # a row's sum does not depend on the others
    if not known.all():
        a[:, ~known] = 0.0
    if centred:
        a, b = (_less_mean(x, ok) for x in (a, np.broadcast_to(b, a.shape)))
        nb = np.sqrt(np.sum(b * b, axis=(1, 2)))
    na = np.sqrt(np.sum(a * a, axis=(1, 2)))
    r = np.sum(a * b, axis=(1, 2)) / np.maximum(na * nb, 1e-12)
    r[ok.sum(axis=1) < MIN_COVER * len(template)] = -np.inf
    if not len(r) or not np.isfinite(r.max()):
        return float("nan"), 0.0, 0.0
    k = int(np.argmax(r))
    return float(t_s[ks[k]]), float(r[k]), float(na[k] / max(float(nb[k]), 1e-12))


def _less_mean(x_g: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Windows (k, n, 3) less each one's per-axis mean over its samples where ``ok`` (k, n); 0 elsewhere."""
    count = np.maximum(ok.sum(axis=1), 1)[:, None, None]
    mean = np.sum(np.where(ok[:, :, None], x_g, 0.0), axis=1, keepdims=True) / count
    out: np.ndarray = np.where(ok[:, :, None], x_g - mean, 0.0)
    return out


def half_factors(factor: float, phase: int) -> tuple[float, float]:
    """How much the first and the second half of a rep are slowed when ``phase`` (0 both, -1 the first, 1 the
    second) is slowed by ``factor``: the one rule `stretched` and the rep built on its match share."""
    return (factor if phase in (0, -1) else 1.0, factor if phase in (0, 1) else 1.0)


def stretched(template: np.ndarray, factor: float, phase: int = 0) -> np.ndarray:
    """A rep template slowed down (``factor`` > 1) or sped up in time, whole or in one phase.

    Parameters
    ----------
    template : numpy.ndarray
        From `rep_template`, (2 * h + 1, 3).
    factor : float
        Time scale: 1.5 makes the rep (or the phase) last 1.5 times as long.
    phase : {0, -1, 1}
        0 stretches the whole rep; -1 only its first half (up to the turnaround), 1 only its second half
        (a grinder slows the lift and lowers the weight at the usual pace).

    Returns
    -------
    numpy.ndarray
        (2 * H + 1, 3) centred on the turnaround, H the longer of the two halves, linearly interpolated and
        padded with NaN where a half is shorter (NaN also where the template is NaN).

    Examples
    --------
    >>> stretched(np.zeros((5, 3)), 2.0).shape
    (9, 3)
    >>> out = stretched(np.ones((5, 3)), 2.0, phase=1)
    >>> out.shape, int(np.isnan(out[:, 0]).sum())
    ((9, 3), 2)
    """
    h = (len(template) - 1) // 2
    first, second = (max(int(round(h * f)), 1) for f in half_factors(factor, phase))
    half = max(first, second)
    x = np.concatenate((np.linspace(0.0, h, first + 1)[:-1], np.linspace(h, 2.0 * h, second + 1)))
    k = np.arange(len(template))
    body = np.stack([np.interp(x, k, template[:, j]) for j in range(template.shape[1])], axis=1)
    out: np.ndarray = np.full((2 * half + 1, template.shape[1]), np.nan)
    out[half - first : half + second + 1] = body
    return out
