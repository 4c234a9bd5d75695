"""Checks and repairs of an accelerometer stream before counting: order, duplicates, NaNs, units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

G_M_S2 = 9.80665
#: Median magnitude ranges (at rest a sensor reads 1 g): inside the first it is g, inside the second m/s^2.
G_RANGE = (0.3, 3.0)
MS2_RANGE = (3.0, 30.0)


class InputError(ValueError):
    """The stream cannot be counted at all (wrong shape, no usable samples)."""


@dataclass(frozen=True)
class CleanStream:
    """Samples ready for the counter (times increasing, finite, in g) and what was done to get there."""

    t_s: np.ndarray
    acc_g: np.ndarray
    notes: tuple[str, ...]


def clean_stream(t_s: np.ndarray, acc: np.ndarray) -> CleanStream:
    """Sort, de-duplicate and drop non-finite samples; detect m/s^2 and convert to g.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times in seconds, shape (N,).
    acc : numpy.ndarray
        Acceleration, shape (N, 3), in g or m/s^2 (detected from the median magnitude).

    Returns
    -------
    CleanStream
        ``notes`` lists every repair in plain words (empty if none was needed).

    Raises
    ------
    InputError
        If the shapes do not match (N,) and (N, 3).

    Examples
    --------
    >>> s = clean_stream(np.array([0.0, 0.02, 0.01]), np.array([[0, 0, 9.8], [0, 0, 9.8], [0, 0, 9.8]]))
    >>> s.t_s.tolist(), s.notes
    ([0.0, 0.01, 0.02], ('2 samples were out of time order and were sorted', 'values look like m/s^2 (median magnitude 9.80): converted to g'))
    """
    t = np.asarray(t_s, dtype=float).reshape(-1)
    a = np.asarray(acc, dtype=float)
    if a.ndim != 2 or a.shape[1] != 3 or len(a) != len(t):
        raise InputError(f"expected times (N,) and accelerations (N, 3), got {t.shape} and {a.shape}")
    notes = []
    ok = np.isfinite(t) & np.isfinite(a).all(axis=1)
    if not ok.all():
        notes.append(f"{int((~ok).sum())} samples with missing or non-finite values were dropped")
        t, a = t[ok], a[ok]
    if len(t) > 1 and np.any(np.diff(t) < 0):
        notes.append(f"{int(np.sum(np.diff(t) < 0)) + 1} samples were out of time order and were sorted")
        order = np.argsort(t, kind="stable")
        t, a = t[order], a[order]
    if len(t) > 1 and np.any(np.diff(t) == 0):
        keep = np.r_[True, np.diff(t) > 0]
        notes.append(f"{int((~keep).sum())} samples with a repeated time stamp were dropped")
        t, a = t[keep], a[keep]
    a, unit_note = _to_g(a)
    if unit_note:
        notes.append(unit_note)
    return CleanStream(t, a, tuple(notes))


def _to_g(a: np.ndarray) -> tuple[np.ndarray, str]:
    if not len(a):
        return a, ""
    median = float(np.median(np.linalg.norm(a, axis=1)))
    if G_RANGE[0] <= median < G_RANGE[1]:
        return a, ""
    if MS2_RANGE[0] <= median < MS2_RANGE[1]:
        return a / G_M_S2, f"values look like m/s^2 (median magnitude {median:.2f}): converted to g"
    return a, f"median magnitude {median:.3g} is neither about 1 g nor about 9.8 m/s^2: the units are suspect"
