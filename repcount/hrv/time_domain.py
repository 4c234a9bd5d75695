"""Time-domain HRV metrics (Task Force 1996) on RR/NN intervals in milliseconds."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def rmssd_ms(rr_ms: ArrayLike) -> float:
    """Root mean square of successive RR differences.

    Parameters
    ----------
    rr_ms : array_like
        RR (or NN) intervals in milliseconds, in beat order.

    Returns
    -------
    float
        ``sqrt(mean(diff(rr_ms) ** 2))`` in ms over the N - 1 successive
        differences; ``nan`` when fewer than 2 intervals are given.

    References
    ----------
    Task Force of the ESC and NASPE (1996), Eur Heart J 17:354-381.

    Examples
    --------
    >>> rmssd_ms([800.0, 810.0, 790.0])
    15.811388300841896
    """
    rr = np.asarray(rr_ms, dtype=float)
    if rr.size < 2:
        return float("nan")
    d = np.diff(rr)
    return float(np.sqrt(np.mean(d * d)))
