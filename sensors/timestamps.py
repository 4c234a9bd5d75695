"""Sample times inside PMD frames, as Polar's SDK spreads them, with lost frames detected; device -> host clock.

A frame's timestamp is the device-clock time of its last sample. Polar's ``PmdTimeStampUtils`` spreads a
frame's samples evenly between the previous frame's timestamp and its own, which silently stretches a
frame over the time of any frame lost before it. ``SampleClock`` does the same while the spacing is
plausible, and otherwise anchors the frame at its own timestamp with the nominal spacing and reports the
gap. All arithmetic on absolute times is in integer ns: 2000-epoch timestamps (~8e17) do not fit a
float64 exactly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from sensors.errors import DecodeError

#: A relative deviation of the implied sample period from nominal beyond which a frame is not spread.
GAP_TOLERANCE = 0.5


@dataclass(frozen=True)
class PlacedFrame:
    """Sample times of one frame (device clock, ns) and what came before it.

    ``gap_ns`` is the time between the previous frame's last sample and this frame's first one beyond one
    sample period (0 if none); ``lost_samples`` is that gap in sample periods. ``clock_reset`` says the
    device clock went backwards (an H10 that lost power restarts at 2019-01-01): the gap across a reset
    cannot be read from the device clock and is left to the caller.
    """

    t_ns: np.ndarray
    gap_ns: int = 0
    lost_samples: int = 0
    clock_reset: bool = False


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

    def __init__(self, fs_hz: float, gap_tolerance: float = GAP_TOLERANCE) -> None:
        if not fs_hz > 0:
            raise ValueError(f"fs_hz must be > 0, got {fs_hz}")
        self.period_ns = 1e9 / fs_hz
        self.gap_tolerance = gap_tolerance
        self.previous_ns: int | None = None
        self._restarted = False

    def restart(self) -> None:
        """The stream was stopped and started again: the next frame is not spread back to the previous one,
        but the time between them is still reported as a gap."""
        self._restarted = True

    def place(self, timestamp_ns: int, n_samples: int) -> PlacedFrame:
        """Sample times for a frame of ``n_samples`` whose last sample is at ``timestamp_ns``.

        Raises
        ------
        DecodeError
            If the frame has no samples, or repeats the previous frame's timestamp.
        """
        if n_samples <= 0:
            raise DecodeError("a frame without samples cannot be placed in time")
        previous, restarted = self.previous_ns, self._restarted
        if previous is not None and timestamp_ns == previous:
            raise DecodeError(f"frame timestamp {timestamp_ns} repeats the previous frame's")
        self.previous_ns, self._restarted = timestamp_ns, False
        nominal = self._nominal(timestamp_ns, n_samples)
        if previous is None:
            return PlacedFrame(nominal)
        if timestamp_ns < previous:
            return PlacedFrame(nominal, clock_reset=True)
        period = (timestamp_ns - previous) / n_samples
        if not restarted and abs(period - self.period_ns) <= self.gap_tolerance * self.period_ns:
            steps = np.arange(1, n_samples + 1, dtype=np.int64)
            return PlacedFrame(previous + ((timestamp_ns - previous) * steps) // n_samples)
        gap_ns = int(nominal[0]) - previous - round(self.period_ns)
        if gap_ns <= self.gap_tolerance * self.period_ns:
            return PlacedFrame(nominal)
        return PlacedFrame(nominal, gap_ns, round(gap_ns / self.period_ns))

    def _nominal(self, timestamp_ns: int, n_samples: int) -> np.ndarray:
        back = np.arange(n_samples - 1, -1, -1, dtype=np.int64)
        return timestamp_ns - np.round(back * self.period_ns).astype(np.int64)


class ClockSync:
    """Maps one device clock to host time, following drift.

    BLE delivery only ever adds latency, so for each window of ``window_s`` device seconds the smallest
    (arrival - device time) is the best estimate of the clock offset then. The mapping is a line through
    the last ``windows`` such minima (offset and drift), or the single minimum while there is only one.
    A device clock that jumps (backwards, or by more than ``jump_s`` against host time) starts a new
    segment: the old estimates describe another clock.

    Parameters
    ----------
    window_s : float
        Device time covered by one minimum.
    windows : int
        How many minima the line is fitted to (``window_s * windows`` s of history).
    jump_s : float
        A change of offset larger than this is a clock reset or a clock being set, not latency.
    """

    def __init__(self, window_s: float = 10.0, windows: int = 30, jump_s: float = 2.0) -> None:
        self.window_ns = int(window_s * 1e9)
        self.jump_ns = int(jump_s * 1e9)
        self._minima: deque[tuple[int, int]] = deque(maxlen=windows)  # (device ns, offset ns)
        self._line: tuple[int, int, float, float] | None = None
        self.resets = 0

    @property
    def offset_ns(self) -> int | None:
        """The offset (host - device) at the latest observation, or None before any."""
        if not self._minima:
            return None
        return self.offset_at(self._minima[-1][0])

    def observe(self, device_ns: int, arrival_ns: int) -> bool:
        """Take one (device time, host arrival time) pair; returns True if the device clock jumped."""
        offset = arrival_ns - device_ns
        jumped = bool(self._minima) and (
            device_ns < self._minima[-1][0] or abs(offset - self.offset_at(device_ns)) > self.jump_ns
        )
        if jumped:
            self._minima.clear()
            self.resets += 1
        if self._minima and device_ns - self._minima[-1][0] < self.window_ns:
            if offset < self._minima[-1][1]:
                self._minima[-1] = (self._minima[-1][0], offset)
                self._line = None
        else:
            self._minima.append((device_ns, offset))
            self._line = None
        return jumped

    def _fit(self) -> tuple[int, int, float, float]:
        """(device ref, offset ref, intercept ns, slope ns per device s) of the line through the minima."""
        if self._line is None:
            d0, o0 = self._minima[0]
            if len(self._minima) < 2:
                self._line = (d0, o0, 0.0, 0.0)
            else:
                x = np.array([(d - d0) / 1e9 for d, _ in self._minima])
                y = np.array([float(o - o0) for _, o in self._minima])
                slope, intercept = np.polyfit(x, y, 1)
                self._line = (d0, o0, float(intercept), float(slope))
        return self._line

    def offset_at(self, device_ns: int) -> int:
        """The estimated offset (host - device) at device time ``device_ns``."""
        if not self._minima:
            raise ValueError("no frame observed yet: the device clock cannot be mapped")
        d0, o0, intercept, slope = self._fit()
        return o0 + round(intercept + slope * (device_ns - d0) / 1e9)

    @property
    def drift_ppm(self) -> float | None:
        """The fitted drift of the device clock against the host (ppm), once two windows are seen."""
        if len(self._minima) < 2:
            return None
        return self._fit()[3] / 1e3

    def to_host(self, device_ns: np.ndarray | int) -> np.ndarray | int:
        """Host time (ns since the Unix epoch) of device times, by the current estimate (integer ns)."""
        if isinstance(device_ns, np.ndarray):
            if not self._minima:
                raise ValueError("no frame observed yet: the device clock cannot be mapped")
            d0, o0, intercept, slope = self._fit()
            relative_s = (device_ns - np.int64(d0)) / 1e9
            return device_ns + np.int64(o0) + np.round(intercept + slope * relative_s).astype(np.int64)
        return device_ns + self.offset_at(device_ns)
