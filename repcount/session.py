"""Whole-session analysis: a continuous accelerometer stream -> sets with their reps.

The offline entry point is the live counter run as one step plus flush, so both give the same sets.
"""

from __future__ import annotations

import numpy as np

from repcount.live import RepCounter
from repcount.results import DetectedSet, Rep

__all__ = ["DetectedSet", "Rep", "analyse_session"]


def analyse_session(t_s: np.ndarray, acc_g: np.ndarray) -> list[DetectedSet]:
    """Find the sets in a session stream and count their reps.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times in seconds, float64, increasing (gaps allowed; gaps over 2 s split the analysis).
        Any rate from 10 to 200 Hz; samples out of order or repeated are dropped, non-finite rows skipped.
    acc_g : numpy.ndarray
        Acceleration, shape (N, 3), in g, in any sensor orientation.

    Returns
    -------
    list of DetectedSet
        In time order; each with reps (start, turnaround, end, confidence) and a set confidence.

    Examples
    --------
    >>> from repcount.synth import synth_session
    >>> s = synth_session([("squat", 8, 60.0)], placement="chest", fs_hz=100.0, rng=np.random.default_rng(3))
    >>> [d.n_reps for d in analyse_session(s.t_s, s.acc_g)]
    [8]
    """
    counter = RepCounter()
    counter.step(t_s, acc_g)
    return counter.flush()
