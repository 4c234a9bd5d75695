"""Heart rate during a strength session: zones, peak HR per set, recovery, rest HRV, DFA alpha1, TRIMP.

Conventions:

- Beat-to-beat HR is ``60000 / RR`` smoothed by a 5-beat running median (robust to the
  occasional artifact, like Kubios' 5-beat HR average).
- Max HR is the user's, else Tanaka et al. (2001): ``208 - 0.7 x age``.
- Zones are % of max HR: Z1 50-60, Z2 60-70, Z3 70-80, Z4 80-90, Z5 >= 90; each beat adds
  its interval's duration to its zone.
- Peak HR of a set: the highest smoothed HR from the set start to 15 s after its end
  (HR keeps rising for a few seconds after the last rep), and before the next set.
- HR recovery (HRR60): peak HR minus the median HR 55-65 s after the set ends; ``None``
  with a reason if the next set starts or the recording ends before that.
- Rest RMSSD: RMSSD of the artifact-corrected beats between a set's end and the next
  set's start (or the end of the recording); needs 30 beats and <= 5 % corrected.
- DFA alpha1 in 2-min windows every 20 s (Rogers / FatMaxxer): 0.75 marks the aerobic
  and 0.5 the anaerobic threshold; a window with more than 3 % corrected beats is not
  trustworthy.
- TRIMP: Edwards (minutes in zone x zone number) always; Banister
  (``sum dt_min x HRr x a x exp(b HRr)``, a, b = 0.64, 1.92 men, 0.86, 1.67 women) when the
  rest HR and sex are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import median_filter

from repcount.hrv.artifacts import correct_artifacts
from repcount.hrv.nonlinear import dfa_alpha1
from repcount.hrv.time_domain import rmssd_ms

ZONE_EDGES_PCT = (50.0, 60.0, 70.0, 80.0, 90.0)
PEAK_LAG_S = 15.0
RECOVERY_S = 60.0
DFA_WINDOW_S = 120.0
DFA_STEP_S = 20.0
DFA_MAX_ARTIFACT_PCT = 3.0
MIN_REST_BEATS = 30


@dataclass(frozen=True)
class SetHeartRate:
    """Heart rate around one set; ``reasons`` says why a value is ``None``."""

    start_s: float
    end_s: float
    peak_hr_bpm: float | None
    hrr60_bpm: float | None
    rest_rmssd_ms: float | None
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlphaWindow:
    """DFA alpha1 of the 2-min window ending at ``t_end_s``."""

    t_end_s: float
    alpha1: float | None
    corrected_pct: float
    trustworthy: bool


@dataclass(frozen=True)
class SessionHeartRate:
    """In-session heart-rate summary (times in s, HR in bpm)."""

    max_hr_bpm: float
    mean_hr_bpm: float
    peak_hr_bpm: float
    zone_time_s: tuple[float, float, float, float, float]
    sets: tuple[SetHeartRate, ...]
    dfa_windows: tuple[AlphaWindow, ...]
    trimp_edwards: float
    trimp_banister: float | None

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready mapping (nested sets and windows as dicts)."""
        return asdict(self)


def max_hr_from_age(age_years: float) -> float:
    """Tanaka, Monahan & Seals (2001) age-predicted max HR: ``208 - 0.7 x age``.

    Examples
    --------
    >>> max_hr_from_age(40)
    180.0
    """
    return 208.0 - 0.7 * age_years


def beat_times_from_rr(rr_ms: ArrayLike, start_s: float = 0.0) -> NDArray[np.float64]:
    """Beat times in s as ``start_s + cumsum(rr) / 1000``.

    BLE heart-rate packets carry no per-beat time and their RR can arrive seconds late,
    so the sum of the intervals is the beat clock (anchor ``start_s`` to the first beat).

    Examples
    --------
    >>> beat_times_from_rr([1000.0, 500.0], start_s=10.0).tolist()
    [11.0, 11.5]
    """
    return start_s + np.cumsum(np.asarray(rr_ms, dtype=float)) / 1000.0


def smoothed_hr_bpm(rr_ms: ArrayLike) -> NDArray[np.float64]:
    """Beat-to-beat HR ``60000 / RR`` through a 5-beat running median."""
    return median_filter(60000.0 / np.asarray(rr_ms, dtype=float), size=5, mode="nearest")


def _zone_index(hr_pct: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.searchsorted(np.asarray(ZONE_EDGES_PCT), hr_pct, side="right")


def _set_summary(
    t_s: NDArray[np.float64], rr: NDArray[np.float64], hr: NDArray[np.float64],
    start_s: float, end_s: float, next_start_s: float,
) -> SetHeartRate:
    reasons: dict[str, str] = {}
    stop = min(end_s + PEAK_LAG_S, next_start_s)
    in_set = (t_s >= start_s) & (t_s <= stop)
    peak = float(hr[in_set].max()) if np.any(in_set) else None
    if peak is None:
        reasons["peak_hr_bpm"] = "no beat recorded during the set"
    late = (t_s >= end_s + RECOVERY_S - 5) & (t_s <= end_s + RECOVERY_S + 5)
    hrr = None
    if next_start_s < end_s + RECOVERY_S + 5:
        reasons["hrr60_bpm"] = f"the next set starts {next_start_s - end_s:.0f} s after this one ends"
    elif t_s[-1] < end_s + RECOVERY_S + 5 or not np.any(late):
        reasons["hrr60_bpm"] = "the recording ends before 60 s of recovery"
    elif peak is not None:
        hrr = peak - float(np.median(hr[late]))
    rest = (t_s > end_s) & (t_s < next_start_s)
    res = correct_artifacts(rr[rest])
    rest_rmssd = None
    if res.rr_ms.size < MIN_REST_BEATS:
        reasons["rest_rmssd_ms"] = f"needs {MIN_REST_BEATS} beats of rest, got {res.rr_ms.size}"
    elif not res.reliable:
        reasons["rest_rmssd_ms"] = f"{res.corrected_pct:.1f} % of the rest beats were artifacts"
    else:
        rest_rmssd = rmssd_ms(res.rr_ms, res.valid_diff)
    return SetHeartRate(start_s, end_s, peak, hrr, rest_rmssd, reasons)


def alpha1_windows(t_s: ArrayLike, rr_ms: ArrayLike) -> tuple[AlphaWindow, ...]:
    """DFA alpha1 of 2-min windows every 20 s over beats at times ``t_s`` (s).

    Examples
    --------
    >>> rr = np.full(400, 600.0) + np.random.default_rng(1).normal(0, 20, 400)
    >>> w = alpha1_windows(np.cumsum(rr) / 1000, rr)
    >>> len(w), w[0].trustworthy
    (6, True)
    """
    t, rr = np.asarray(t_s, dtype=float), np.asarray(rr_ms, dtype=float)
    out = []
    for t_end in np.arange(t[0] + DFA_WINDOW_S, t[-1] + 1e-9, DFA_STEP_S):
        sel = (t > t_end - DFA_WINDOW_S) & (t <= t_end)
        res = correct_artifacts(rr[sel])
        alpha = dfa_alpha1(res.rr_ms)
        ok = bool(np.isfinite(alpha)) and res.corrected_pct <= DFA_MAX_ARTIFACT_PCT
        out.append(AlphaWindow(float(t_end), float(alpha) if np.isfinite(alpha) else None,
                               res.corrected_pct, ok))
    return tuple(out)


def _banister(
    dt_min: NDArray[np.float64], hr: NDArray[np.float64], rest_hr_bpm: float | None,
    max_hr: float, sex: str | None,
) -> float | None:
    if rest_hr_bpm is None or sex is None:
        return None
    a, b = (0.64, 1.92) if sex == "male" else (0.86, 1.67)
    hrr = np.clip((hr - rest_hr_bpm) / (max_hr - rest_hr_bpm), 0.0, 1.0)
    return float(np.sum(dt_min * hrr * a * np.exp(b * hrr)))


def session_hr_summary(
    beat_times_s: ArrayLike,
    rr_ms: ArrayLike,
    sets: Sequence[tuple[float, float]],
    *,
    max_hr_bpm: float | None = None,
    age_years: float | None = None,
    rest_hr_bpm: float | None = None,
    sex: Literal["male", "female"] | None = None,
) -> SessionHeartRate:
    """Summarise heart rate over a session (see the module docstring for conventions).

    Parameters
    ----------
    beat_times_s : array_like
        Time of each beat in s (the end of each interval), increasing.
    rr_ms : array_like
        The RR intervals in ms, one per beat time.
    sets : sequence of (start_s, end_s)
        Sets in time order, on the same clock as ``beat_times_s``.
    max_hr_bpm, age_years : float, optional
        Max HR, or the age to predict it; one of them is required.
    rest_hr_bpm, sex : optional
        Needed for Banister's TRIMP only.

    Returns
    -------
    SessionHeartRate

    Raises
    ------
    ValueError
        Without max HR or age, with fewer than 2 beats, or with mismatched arrays.
    """
    t, rr = np.asarray(beat_times_s, dtype=float), np.asarray(rr_ms, dtype=float)
    if t.shape != rr.shape or t.size < 2:
        raise ValueError("`beat_times_s` and `rr_ms` must have the same length (>= 2)")
    if max_hr_bpm is None:
        if age_years is None:
            raise ValueError("give `max_hr_bpm` or `age_years`")
        max_hr_bpm = max_hr_from_age(age_years)
    hr = smoothed_hr_bpm(rr)
    dt_min = rr / 60000.0
    zone = _zone_index(100.0 * hr / max_hr_bpm)
    zone_s = tuple(float(60.0 * dt_min[zone == z].sum()) for z in range(1, 6))
    starts = [s for s, _ in sets[1:]] + [float("inf")]
    summaries = tuple(_set_summary(t, rr, hr, s, e, nxt) for (s, e), nxt in zip(sets, starts))
    return SessionHeartRate(
        max_hr_bpm=float(max_hr_bpm), mean_hr_bpm=float(60000.0 * rr.size / rr.sum()),
        peak_hr_bpm=float(hr.max()), zone_time_s=zone_s,  # type: ignore[arg-type]
        sets=summaries, dfa_windows=alpha1_windows(t, rr),
        trimp_edwards=float(sum(z * s / 60.0 for z, s in enumerate(zone_s, start=1))),
        trimp_banister=_banister(dt_min, hr, rest_hr_bpm, max_hr_bpm, sex),
    )
