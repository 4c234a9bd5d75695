"""The plain baseline counter the issue compares against (offline, one set per call).

Band-pass 0.1-3 Hz (zero phase), project on the first principal component, rep period from the first
autocorrelation peak, then peaks with a minimum distance of half a period and a prominence of half the signal's
standard deviation. Kept only as a reference for the benches.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

PERIOD_RANGE_S = (0.6, 10.0)


def baseline_count(t_s: np.ndarray, acc_g: np.ndarray) -> int:
    """Count the reps of one set with the plain baseline.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times (s), uniformly sampled.
    acc_g : numpy.ndarray
        Acceleration (N, 3) in g.

    Returns
    -------
    int
        Number of prominent peaks on the first principal component.
    """
    if len(t_s) < 8:
        return 0
    fs_hz = (len(t_s) - 1) / (t_s[-1] - t_s[0])
    high = min(3.0, 0.45 * fs_hz)
    sos = signal.butter(2, (0.1, high), btype="bandpass", fs=fs_hz, output="sos")
    x = signal.sosfiltfilt(sos, acc_g - acc_g.mean(axis=0), axis=0)
    x = x - x.mean(axis=0)
    pc = np.linalg.svd(x, full_matrices=False)[2][0]
    y = x @ pc
    ac = signal.correlate(y, y, mode="full", method="fft")[len(y) - 1 :]
    lo, hi = (int(p * fs_hz) for p in PERIOD_RANGE_S)
    hi = min(hi, len(ac) - 1)
    if hi <= lo:
        return 0
    period = lo + int(np.argmax(ac[lo:hi]))
    peaks, _ = signal.find_peaks(y, distance=max(1, period // 2), prominence=0.5 * float(np.std(y)))
    return int(len(peaks))
