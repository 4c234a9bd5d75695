"""Heart-rate variability: artifact correction, metrics, readings and in-session heart rate.

Public API (stable names):

- :func:`rmssd_ms` and the other time-domain functions;
- :func:`correct_artifacts` -> :class:`ArtifactResult` (Lipponen & Tarvainen 2019);
- :func:`hrv_metrics` -> :class:`HrvMetrics` (every metric, ``None`` + reason when too short);
- :func:`welch_psd`, :func:`lomb_psd`, :func:`frequency_domain` (Kubios-style spectrum).
"""

from repcount.hrv.artifacts import ArtifactResult, correct_artifacts, detect_artifacts
from repcount.hrv.frequency import FrequencyDomain, Spectrum, frequency_domain, lomb_psd, welch_psd
from repcount.hrv.metrics import HrvMetrics, hrv_metrics
from repcount.hrv.nonlinear import dfa_alpha1, poincare, sample_entropy, stress_index
from repcount.hrv.time_domain import TimeDomain, pnn50_pct, rmssd_ms, sdnn_ms, time_domain

__all__ = [
    "ArtifactResult", "FrequencyDomain", "HrvMetrics", "Spectrum", "TimeDomain",
    "correct_artifacts", "detect_artifacts", "dfa_alpha1", "frequency_domain", "hrv_metrics",
    "lomb_psd", "pnn50_pct", "poincare", "rmssd_ms", "sample_entropy", "sdnn_ms",
    "stress_index", "time_domain", "welch_psd",
]
