"""Heart-rate variability: artifact correction, metrics, readings and in-session heart rate."""

from repcount.hrv.time_domain import rmssd_ms

__all__ = ["rmssd_ms"]
