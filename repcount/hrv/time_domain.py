"""Time-domain HRV metrics (Task Force 1996) on RR/NN intervals in milliseconds.

Conventions (the ones Kubios uses; where NeuroKit2 or hrv-analysis differ it is said):

- SDNN uses the N - 1 denominator (``ddof=1``), like Kubios, NeuroKit2 and hrv-analysis.
- RMSSD is ``sqrt(mean(d**2))`` over the successive differences ``d``.
- pNN50 is the share of successive differences with ``|d| > 50 ms`` among all successive
  differences (N - 1 denominator: hrv-analysis, and Kubios as its guide is usually cited).
  NeuroKit2 divides by N (the Task Force wording); on 300 beats the two differ by 0.3 %.
- Mean HR is ``60000 / mean NN``: beats per minute over the recording (beat count divided
  by duration), not the mean of the instantaneous heart rates.
- ``valid_diff`` masks successive differences that straddle a recording gap: they are left
  out of RMSSD and pNN50 (NeuroKit2 does the same when ``RRI_Time`` shows a gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


def successive_differences_ms(
    rr_ms: ArrayLike, valid_diff: NDArray[np.bool_] | None = None
) -> NDArray[np.float64]:
    """Successive RR differences ``rr[i+1] - rr[i]`` in ms, without those across gaps.

    Parameters
    ----------
    rr_ms : array_like
        RR or NN intervals in ms.
    valid_diff : ndarray of bool, optional
        One flag per difference (length ``len(rr_ms) - 1``); ``False`` drops it.

    Returns
    -------
    ndarray
        The kept differences in ms.
    """
    d = np.diff(np.asarray(rr_ms, dtype=float))
    return d if valid_diff is None else d[valid_diff]


def rmssd_ms(rr_ms: ArrayLike, valid_diff: NDArray[np.bool_] | None = None) -> float:
    """Root mean square of successive RR differences.

    Parameters
    ----------
    rr_ms : array_like
        RR (or NN) intervals in milliseconds, in beat order.
    valid_diff : ndarray of bool, optional
        Differences to keep (see :func:`successive_differences_ms`).

    Returns
    -------
    float
        ``sqrt(mean(diff(rr_ms) ** 2))`` in ms over the N - 1 successive
        differences; ``nan`` when fewer than 2 intervals (no difference) are given.

    References
    ----------
    Task Force of the ESC and NASPE (1996), Eur Heart J 17:354-381.

    Examples
    --------
    >>> rmssd_ms([800.0, 810.0, 790.0])
    15.811388300841896
    """
    d = successive_differences_ms(rr_ms, valid_diff)
    if d.size == 0:
        return float("nan")
    return float(np.sqrt(np.mean(d * d)))


def pnn50_pct(rr_ms: ArrayLike, valid_diff: NDArray[np.bool_] | None = None) -> float:
    """Percentage of successive differences larger than 50 ms.

    Parameters
    ----------
    rr_ms : array_like
        RR or NN intervals in ms.
    valid_diff : ndarray of bool, optional
        Differences to keep.

    Returns
    -------
    float
        ``100 * count(|d| > 50) / len(d)`` (denominator N - 1, as Kubios); ``nan``
        without any difference.

    Examples
    --------
    >>> pnn50_pct([800.0, 900.0, 880.0])
    50.0
    """
    d = successive_differences_ms(rr_ms, valid_diff)
    if d.size == 0:
        return float("nan")
    return float(100.0 * np.count_nonzero(np.abs(d) > 50.0) / d.size)


def sdnn_ms(rr_ms: ArrayLike) -> float:
    """Standard deviation of NN intervals with the N - 1 denominator (``nan`` if N < 2).

    Examples
    --------
    >>> sdnn_ms([800.0, 820.0])
    14.142135623730951
    """
    rr = np.asarray(rr_ms, dtype=float)
    return float(np.std(rr, ddof=1)) if rr.size >= 2 else float("nan")


@dataclass(frozen=True)
class TimeDomain:
    """Time-domain metrics; all in ms except ``pnn50_pct`` (%) and ``mean_hr_bpm``."""

    mean_nn_ms: float
    sdnn_ms: float
    rmssd_ms: float
    ln_rmssd: float
    pnn50_pct: float
    mean_hr_bpm: float


def time_domain(rr_ms: ArrayLike, valid_diff: NDArray[np.bool_] | None = None) -> TimeDomain:
    """All time-domain metrics of one NN series.

    Parameters
    ----------
    rr_ms : array_like
        NN intervals in ms (at least 2 for SDNN, RMSSD and pNN50).
    valid_diff : ndarray of bool, optional
        Successive differences to keep (``False`` across a gap).

    Returns
    -------
    TimeDomain
        ``ln_rmssd`` is the natural log of RMSSD in ms (HRV4Training's daily value).

    Examples
    --------
    >>> round(time_domain([1000.0, 1000.0, 1000.0]).mean_hr_bpm, 1)
    60.0
    """
    rr = np.asarray(rr_ms, dtype=float)
    mean_nn = float(np.mean(rr)) if rr.size else float("nan")
    rmssd = rmssd_ms(rr, valid_diff)
    return TimeDomain(
        mean_nn_ms=mean_nn,
        sdnn_ms=sdnn_ms(rr),
        rmssd_ms=rmssd,
        ln_rmssd=float(np.log(rmssd)) if rmssd > 0 else float("nan"),
        pnn50_pct=pnn50_pct(rr, valid_diff),
        mean_hr_bpm=60000.0 / mean_nn if mean_nn > 0 else float("nan"),
    )
