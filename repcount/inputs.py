"""Checks and repairs of an accelerometer stream before counting: order, duplicates, packets, NaNs, units, gravity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

G_M_S2 = 9.80665
#: Median magnitude ranges (at rest a sensor reads 1 g): inside the first it is g, the second m/s^2, the third milli-g.
G_RANGE = (0.3, 3.0)
MS2_RANGE = (3.0, 30.0)
MILLI_G_RANGE = (300.0, 3000.0)
#: Gravity check: over windows of GRAVITY_WINDOW_S a stream with gravity averages to about its own RMS (gravity would
#: have to turn by ~270 degrees within the windows to bring the mean under GRAVITY_FREE_RATIO x RMS); linear
#: acceleration (gravity removed, as phones and watches export it) returns to 0 and averages to near 0.
#: Seen: with gravity SPAR >= 0.44, synthetic lifts >= 0.67 (wrist running 0.36); gravity-free SPAR <= 0.28.
GRAVITY_WINDOW_S = 2.0
GRAVITY_FREE_RATIO = 0.3


class InputError(ValueError):
    """The stream cannot be counted at all (wrong shape, no usable samples)."""


@dataclass(frozen=True)
class CleanStream:
    """Samples ready for the counter (times increasing, finite, in g) and what was done to get there."""

    t_s: np.ndarray
    acc_g: np.ndarray
    notes: tuple[str, ...]


def clean_stream(t_s: np.ndarray, acc: np.ndarray) -> CleanStream:
    """Sort, de-duplicate and drop non-finite samples; spread samples stamped per packet; detect m/s^2 or milli-g
    and convert to g; detect values without gravity (linear acceleration) and add a constant 1 g.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times in seconds, shape (N,).
    acc : numpy.ndarray
        Acceleration, shape (N, 3), in g, m/s^2 or milli-g (detected from the median magnitude), with or without
        gravity (detected by `gravity_ratio`).

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
        t, a, note = _repeated_stamps(t, a)
        notes += note
    a, unit_notes = _to_g(t, a)
    return CleanStream(t, a, tuple(notes + unit_notes))


def _repeated_stamps(t_s: np.ndarray, acc: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Keep one of identical rows (same time and values); spread samples that share a time stamp otherwise.

    Sensors that send samples in packets (BLE) are often exported with the packet's time on every sample. Such a
    group is spread evenly over the interval before its stamp (at most the typical sample interval per sample, so a
    group after a gap does not fill the gap).
    """
    stamps, first, n = np.unique(t_s, return_index=True, return_counts=True)
    same = (np.maximum.reduceat(acc, first) == np.minimum.reduceat(acc, first)).all(axis=1)
    keep = np.r_[True, np.diff(t_s) > 0] | np.repeat(~same, n)  # a group of identical rows is one sample
    notes = [f"{int((~keep).sum())} repeated samples (same time and values) were dropped"] if not keep.all() else []
    stamps, first, n = np.unique(t_s[keep], return_index=True, return_counts=True)
    t_s, acc = t_s[keep], acc[keep]
    if len(stamps) == len(t_s):
        return t_s, acc, notes
    if len(stamps) < 2:
        return t_s[:1], acc[:1], [*notes, f"{len(t_s) - 1} samples share the only time stamp and were dropped"]
    dt_s = float(np.median(np.diff(stamps) / n[1:]))
    span_s = np.minimum(np.r_[np.inf, np.diff(stamps)], n * dt_s)
    k = np.repeat(np.arange(len(stamps)), n)
    j = np.arange(len(t_s)) - first[k]  # 0 .. n-1 within a group
    spread = stamps[k] - (n[k] - 1 - j) * span_s[k] / n[k]
    notes.append(f"{len(t_s) - len(stamps)} samples shared a time stamp with others (sent in packets?): "
                 "spread evenly before it")
    return spread, acc, notes


def gravity_ratio(t_s: np.ndarray, acc: np.ndarray) -> float:
    """Over windows of ``GRAVITY_WINDOW_S``: the summed length of each window's mean vector over the summed RMS.

    About 1 with gravity in the values (at rest exactly 1), near 0 for linear acceleration (gravity removed), which
    returns to 0 within a rep. Summing before dividing weights the windows by how much they move, so rest (where a
    gravity-free sensor's bias alone reads like a mean) counts little.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times in seconds, increasing, shape (N,).
    acc : numpy.ndarray
        Acceleration, shape (N, 3), any unit (the ratio has none).

    Returns
    -------
    float
        In [0, 1]; 1.0 when there are too few samples to tell.

    Examples
    --------
    >>> t = np.arange(500) / 50.0
    >>> wave = np.sin(2 * np.pi * 0.5 * t)[:, None] * np.array([0.3, 0.0, 0.1])
    >>> round(gravity_ratio(t, wave + np.array([0.0, 0.0, 1.0])), 2), round(gravity_ratio(t, wave), 2)
    (0.98, 0.0)
    """
    k = np.floor((t_s - t_s[0]) / GRAVITY_WINDOW_S).astype(np.int64) if len(t_s) else np.zeros(0, np.int64)
    n = np.bincount(k)
    full = n >= 5
    if not full.any():
        return 1.0
    mean = np.column_stack([np.bincount(k, acc[:, i]) for i in range(3)])[full] / n[full, None]
    rms = np.sqrt(np.bincount(k, np.einsum("ij,ij->i", acc, acc))[full] / n[full])
    return float(np.sum(np.linalg.norm(mean, axis=1)) / max(float(np.sum(rms)), 1e-12))


def _to_g(t_s: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, list[str]]:
    if not len(a):
        return a, []
    if len(a) > 1 and not np.ptp(a, axis=0).any():
        return a, ["every sample holds the same values (a constant signal): the sensor recorded no motion"]
    median = float(np.median(np.linalg.norm(a, axis=1)))
    if gravity_ratio(t_s, a) < GRAVITY_FREE_RATIO or median < G_RANGE[0]:
        return _add_gravity(a, median)
    if G_RANGE[0] <= median < G_RANGE[1]:
        return a, []
    if MS2_RANGE[0] <= median < MS2_RANGE[1]:
        return a / G_M_S2, [f"values look like m/s^2 (median magnitude {median:.2f}): converted to g"]
    if MILLI_G_RANGE[0] <= median < MILLI_G_RANGE[1]:
        return a / 1000.0, [f"values look like milli-g (median magnitude {median:.0f}): converted to g"]
    return a, [f"median magnitude {median:.3g} is neither about 1 g, 9.8 m/s^2 nor 1000 milli-g: the units are suspect"]


def _add_gravity(a: np.ndarray, median: float) -> tuple[np.ndarray, list[str]]:
    """Linear acceleration (gravity removed): add a constant 1 g so the counter sees a sensor that never tilts.

    The reps are counted from the motion alone; the counter's posture cues (still poses, tilt between reps) read
    "no change". The constant goes along the direction the data moves most in (a lift moves mostly up and
    down, along gravity; rotation-invariant).
    """
    units = "g"
    if median >= MS2_RANGE[0]:  # a median linear acceleration of 3 g and more is not lifting: m/s^2
        a, units = a / G_M_S2, "m/s^2 (converted to g)"
    centred = a - a.mean(axis=0)
    axis = np.linalg.svd(centred.T @ centred)[0][:, 0]
    if units == "g":
        units = "g as the header says (if they are m/s^2, as Android exports linear acceleration, divide by 9.81)"
    note = (f"the values have no gravity in them (linear acceleration?), taken as {units}: reps are counted from the "
            "motion alone, without the sensor's tilt")
    return a + axis[None, :], [note]
