"""Heart-rate variability: artifact correction, metrics, readings and in-session heart rate.

Public API (stable names):

- :func:`rmssd_ms` and the other time-domain functions;
- :func:`correct_artifacts` -> :class:`ArtifactResult` (Lipponen & Tarvainen 2019);
- :func:`hrv_metrics` -> :class:`HrvMetrics` (every metric, ``None`` + reason when too short);
- :func:`welch_psd`, :func:`lomb_psd`, :func:`frequency_domain` (Kubios-style spectrum);
- :func:`reading_verdict` -> :class:`ReadingVerdict` (7-day baseline, 60-day normal range);
- :func:`session_hr_summary` -> :class:`SessionHeartRate` (zones, peak HR and HRR60 per
  set, rest RMSSD, DFA alpha1 windows, TRIMP);
- :class:`RollingHrv` / :func:`rolling_hrv` (streaming HR and RMSSD, equal to batch).
"""

from repcount.hrv.artifacts import ArtifactResult, correct_artifacts, detect_artifacts
from repcount.hrv.frequency import FrequencyDomain, Spectrum, frequency_domain, lomb_psd, welch_psd
from repcount.hrv.metrics import HrvMetrics, hrv_metrics
from repcount.hrv.readings import ReadingVerdict, reading_verdict
from repcount.hrv.rolling import RollingHrv, RollingValues, rolling_hrv
from repcount.hrv.session import (
    AlphaWindow,
    SessionHeartRate,
    SetHeartRate,
    alpha1_windows,
    beat_times_from_rr,
    max_hr_from_age,
    session_hr_summary,
)
from repcount.hrv.nonlinear import dfa_alpha1, poincare, sample_entropy, stress_index
from repcount.hrv.time_domain import TimeDomain, pnn50_pct, rmssd_ms, sdnn_ms, time_domain

__all__ = [
    "AlphaWindow", "ReadingVerdict", "RollingHrv", "RollingValues", "SessionHeartRate",
    "SetHeartRate", "alpha1_windows", "beat_times_from_rr", "max_hr_from_age", "reading_verdict", "rolling_hrv",
    "session_hr_summary",
    "ArtifactResult", "FrequencyDomain", "HrvMetrics", "Spectrum", "TimeDomain",
    "correct_artifacts", "detect_artifacts", "dfa_alpha1", "frequency_domain", "hrv_metrics",
    "lomb_psd", "pnn50_pct", "poincare", "rmssd_ms", "sample_entropy", "sdnn_ms",
    "stress_index", "time_domain", "welch_psd",
]
