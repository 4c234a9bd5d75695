"""Sample times inside PMD frames, as Polar's SDK spreads them, but with lost frames detected.

A frame's timestamp is the device-clock time of its last sample. Polar's ``PmdTimeStampUtils`` spreads a
frame's samples evenly between the previous frame's timestamp and its own, which silently stretches a
frame over the time of any frame lost before it. ``SampleClock`` does the same while the spacing is
plausible, and otherwise anchors the frame at its own timestamp with the nominal spacing and reports
the gap. All arithmetic is in integer ns: 2000-epoch timestamps (~8e17) do not fit a float64 exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.errors import DecodeError


@dataclass(frozen=True)
class PlacedFrame:
    """Sample times of one frame (device clock, ns) and the gap detected before it (0 if none)."""

    t_ns: np.ndarray
    gap_ns: int
    lost_samples: int


class SampleClock:
    """Places the samples of successive frames of one stream on the device clock.

    Parameters
    ----------
    fs_hz : float
        Nominal sample rate of the stream.
    gap_tolerance : float
        Relative deviation of the implied sample period from nominal beyond which the stretch is
        treated as lost frames (0.5: a period 50 % off nominal).
    """

    def __init__(self, fs_hz: float, gap_tolerance: float = 0.5) -> None:
        if fs_hz <= 0:
            raise ValueError(f"fs_hz must be > 0, got {fs_hz}")
        self.period_ns = 1e9 / fs_hz
        self.gap_tolerance = gap_tolerance
        self.previous_ns: int | None = None

    def reset(self) -> None:
        """Forget the previous frame (a stream was stopped and started again)."""
        self.previous_ns = None

    def place(self, timestamp_ns: int, n_samples: int) -> PlacedFrame:
        """Sample times for a frame of ``n_samples`` whose last sample is at ``timestamp_ns``."""
        if n_samples <= 0:
            raise DecodeError("a frame without samples cannot be placed in time")
        previous, self.previous_ns = self.previous_ns, timestamp_ns
        nominal = self._nominal(timestamp_ns, n_samples)
        if previous is None:
            return PlacedFrame(nominal, 0, 0)
        if timestamp_ns <= previous:
            self.previous_ns = previous
            raise DecodeError(f"frame timestamp {timestamp_ns} is not after the previous one {previous}")
        period = (timestamp_ns - previous) / n_samples
        if abs(period - self.period_ns) <= self.gap_tolerance * self.period_ns:
            steps = np.arange(1, n_samples + 1, dtype=np.int64)
            return PlacedFrame(previous + ((timestamp_ns - previous) * steps) // n_samples, 0, 0)
        gap_ns = int(nominal[0] - previous - self.period_ns)
        lost = max(0, round(gap_ns / self.period_ns))
        return PlacedFrame(nominal, max(gap_ns, 0), lost)

    def _nominal(self, timestamp_ns: int, n_samples: int) -> np.ndarray:
        back = np.arange(n_samples - 1, -1, -1, dtype=np.int64)
        return timestamp_ns - np.round(back * self.period_ns).astype(np.int64)


class ClockSync:
    """Maps a device clock to host time: offset = the smallest (arrival - device time) seen.

    BLE delivery only ever adds latency, so the minimum over frames is the best estimate of the offset.
    """

    def __init__(self) -> None:
        self.offset_ns: int | None = None

    def observe(self, device_ns: int, arrival_ns: int) -> None:
        offset = arrival_ns - device_ns
        if self.offset_ns is None or offset < self.offset_ns:
            self.offset_ns = offset

    def to_host(self, device_ns: np.ndarray | int) -> np.ndarray | int:
        if self.offset_ns is None:
            raise ValueError("no frame observed yet: the device clock cannot be mapped")
        return device_ns + self.offset_ns
