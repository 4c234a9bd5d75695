"""Turns raw GATT events (live or replayed) into typed samples, one decoder per session.

The same ``StreamDecoder`` serves the live reader and trace replay. It is pure: events in, records out,
no I/O. A packet that cannot be decoded is counted per device and characteristic and skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from sensors.errors import DecodeError
from sensors.gatt import HEART_RATE_MEASUREMENT, PMD_CONTROL_POINT, PMD_DATA
from sensors.heart_rate import decode_heart_rate
from sensors.pmd_frames import decode_data_frame, frame_kind
from sensors.polar_pmd import (
    ControlPointResponse,
    Measurement,
    MeasurementStopped,
    OpCode,
    Setting,
    decode_control_point,
    decode_settings,
)
from sensors.timestamps import GAP_TOLERANCE, ClockSync, SampleClock
from sensors.trace import TraceEvent

DEFAULT_RATES_HZ = {Measurement.ACC: 200.0, Measurement.ECG: 130.0}


@dataclass(frozen=True)
class HeartRateSample:
    addr: str
    t_ns: int
    bpm: int
    contact: bool | None
    energy_kj: int | None
    rr_ms: tuple[float, ...]


@dataclass(frozen=True)
class SampleFrame:
    """Samples of one PMD frame: ``values`` (n, channels) int32; ``device_t_ns`` per sample.

    ``device_t_ns`` is the device clock made continuous across clock resets (see ``StreamDecoder``);
    ``gap_ns`` / ``lost_samples`` describe a detected gap before this frame (0 if none).
    """

    addr: str
    measurement: Measurement
    arrival_ns: int
    device_t_ns: np.ndarray
    values: np.ndarray
    gap_ns: int
    lost_samples: int
    clock_reset: bool = False


@dataclass(frozen=True)
class ControlEvent:
    addr: str
    t_ns: int
    message: ControlPointResponse | MeasurementStopped


Record = HeartRateSample | SampleFrame | ControlEvent


@dataclass
class _DeviceState:
    rates_hz: dict[Measurement, float] = field(default_factory=lambda: dict(DEFAULT_RATES_HZ))
    factors: dict[Measurement, float] = field(default_factory=dict)
    clocks: dict[Measurement, SampleClock] = field(default_factory=dict)
    last_arrival_ns: dict[Measurement, int] = field(default_factory=dict)
    last_device_ns: dict[Measurement, int] = field(default_factory=dict)
    shift_ns: int = 0  # added to the device clock to keep it continuous across resets
    sync: ClockSync = field(default_factory=ClockSync)


class StreamDecoder:
    """Decodes events of every device of a session; counts what it had to skip."""

    def __init__(self) -> None:
        self._devices: dict[str, _DeviceState] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.last_error: dict[tuple[str, str], str] = {}
        self.unknown_characteristics: Counter[tuple[str, str]] = Counter()

    def device(self, addr: str) -> _DeviceState:
        return self._devices.setdefault(addr, _DeviceState())

    def clock_offset_ns(self, addr: str) -> int | None:
        """Host minus device clock (ns) of ``addr`` at its latest frame, None before any."""
        return self.device(addr).sync.offset_ns

    def clock_drift_ppm(self, addr: str) -> float | None:
        """How fast the device clock of ``addr`` runs against the host (ppm), once known."""
        return self.device(addr).sync.drift_ppm

    def to_host_ns(self, addr: str, device_t_ns: np.ndarray) -> np.ndarray:
        """Host times (ns since the Unix epoch) of device times of ``addr`` (as in ``SampleFrame``), with drift."""
        return np.asarray(self.device(addr).sync.to_host(device_t_ns))

    def set_rate(self, addr: str, measurement: Measurement, fs_hz: float) -> None:
        self.device(addr).rates_hz[measurement] = fs_hz

    def feed(self, event: TraceEvent) -> list[Record]:
        """Decode one event; returns zero or more records. Never raises on bad payloads."""
        if event.kind == "write":
            self._on_write(event)
            return []
        if event.kind == "disconnected":
            self._restart(event.addr, None)
            return []
        if event.kind != "notify":
            return []
        try:
            return self._decode(event)
        except DecodeError as exc:
            key = (event.addr, event.char)
            self.errors[key] += 1
            self.last_error[key] = str(exc)
            return []

    def _decode(self, event: TraceEvent) -> list[Record]:
        if event.char == HEART_RATE_MEASUREMENT:
            m = decode_heart_rate(event.payload)
            return [HeartRateSample(event.addr, event.t_ns, m.bpm, m.contact, m.energy_kj, m.rr_ms)]
        if event.char == PMD_DATA:
            return [self._on_frame(event)]
        if event.char == PMD_CONTROL_POINT:
            message = decode_control_point(event.payload)
            self._on_control(event.addr, message)
            return [ControlEvent(event.addr, event.t_ns, message)]
        self.unknown_characteristics[(event.addr, event.char)] += 1
        return []

    def _restart(self, addr: str, measurements: tuple[int, ...] | None) -> None:
        """Streams stopped (link lost, STOP, device-initiated stop): the next frames do not spread back."""
        for measurement, clock in self.device(addr).clocks.items():
            if measurements is None or measurement in measurements:
                clock.restart()

    def _on_write(self, event: TraceEvent) -> None:
        """A START we sent tells the sample rate of the stream to come."""
        p = event.payload
        if event.char != PMD_CONTROL_POINT or len(p) < 2 or p[0] != OpCode.START:
            return
        try:
            settings = decode_settings(p[2:])
            measurement = Measurement(p[1])
        except (DecodeError, ValueError):
            return
        state = self.device(event.addr)
        if Setting.SAMPLE_RATE in settings and settings[Setting.SAMPLE_RATE][0] > 0:
            rate_hz = float(settings[Setting.SAMPLE_RATE][0])
            if rate_hz != state.rates_hz.get(measurement):
                state.clocks.pop(measurement, None)
            state.rates_hz[measurement] = rate_hz
        self._restart(event.addr, (measurement,))

    def _on_control(self, addr: str, message: ControlPointResponse | MeasurementStopped) -> None:
        state = self.device(addr)
        if isinstance(message, MeasurementStopped):
            self._restart(addr, message.measurements)
            return
        if message.ok and message.op_code == OpCode.START and message.params:
            if message.measurement in Measurement._value2member_map_:
                settings = decode_settings(message.params)
                if Setting.FACTOR in settings:
                    state.factors[Measurement(message.measurement)] = float(settings[Setting.FACTOR][0])

    def _on_frame(self, event: TraceEvent) -> SampleFrame:
        state = self.device(event.addr)
        kind, _, _ = frame_kind(event.payload)
        factor = state.factors.get(Measurement(kind), 1.0) if kind in Measurement._value2member_map_ else 1.0
        frame = decode_data_frame(event.payload, factor=factor)
        m = frame.measurement
        clock = state.clocks.get(m)
        if clock is None:
            clock = state.clocks[m] = SampleClock(state.rates_hz.get(m, DEFAULT_RATES_HZ[Measurement.ACC]))
        placed = clock.place(frame.timestamp_ns, len(frame.samples))
        gap_ns, lost = placed.gap_ns, placed.lost_samples
        if placed.clock_reset:
            gap_ns, lost = self._bridge_reset(state, m, frame.timestamp_ns, len(frame.samples), event.t_ns, clock)
        t_ns = placed.t_ns + state.shift_ns
        state.last_arrival_ns[m], state.last_device_ns[m] = event.t_ns, int(t_ns[-1])
        state.sync.observe(int(t_ns[-1]), event.t_ns)
        values = np.asarray(frame.samples, dtype=np.int32)
        return SampleFrame(event.addr, m, event.t_ns, t_ns, values, gap_ns, lost, placed.clock_reset)

    def _bridge_reset(
        self, state: _DeviceState, m: Measurement, timestamp_ns: int, n: int, arrival_ns: int, clock: SampleClock
    ) -> tuple[int, int]:
        """The device clock went back (power loss): continue the device timeline from host time.

        The gap is what host time says passed beyond this frame's own duration; the shift makes this
        frame's last sample land one gap after the previous frame's last sample.
        """
        previous_arrival, previous_device = state.last_arrival_ns.get(m), state.last_device_ns.get(m)
        if previous_arrival is None or previous_device is None:
            state.shift_ns = 0
            return 0, 0
        gap_ns = max(0, arrival_ns - previous_arrival - round(n * clock.period_ns))
        state.shift_ns = previous_device + gap_ns + round(n * clock.period_ns) - timestamp_ns
        if gap_ns <= GAP_TOLERANCE * clock.period_ns:
            return 0, 0
        return gap_ns, round(gap_ns / clock.period_ns)
