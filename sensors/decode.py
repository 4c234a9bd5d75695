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
from sensors.polar_pmd import (
    ControlPointResponse,
    Measurement,
    MeasurementStopped,
    Setting,
    decode_control_point,
    decode_data_frame,
    decode_settings,
)
from sensors.timestamps import ClockSync, SampleClock
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
    """Samples of one PMD frame: ``values`` (n, channels) int32; ``device_t_ns`` per sample."""

    addr: str
    measurement: Measurement
    arrival_ns: int
    device_t_ns: np.ndarray
    values: np.ndarray
    gap_ns: int
    lost_samples: int


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
        return self.device(addr).sync.offset_ns

    def set_rate(self, addr: str, measurement: Measurement, fs_hz: float) -> None:
        self.device(addr).rates_hz[measurement] = fs_hz

    def feed(self, event: TraceEvent) -> list[Record]:
        """Decode one event; returns zero or more records. Never raises on bad payloads."""
        if event.kind == "write":
            self._on_write(event)
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

    def _on_write(self, event: TraceEvent) -> None:
        """A START we sent tells the sample rate of the stream to come."""
        p = event.payload
        if event.char != PMD_CONTROL_POINT or len(p) < 2 or p[0] != 0x02:
            return
        try:
            settings = decode_settings(p[2:])
            measurement = Measurement(p[1])
        except (DecodeError, ValueError):
            return
        state = self.device(event.addr)
        if Setting.SAMPLE_RATE in settings:
            state.rates_hz[measurement] = float(settings[Setting.SAMPLE_RATE][0])
        state.clocks.pop(measurement, None)

    def _on_control(self, addr: str, message: ControlPointResponse | MeasurementStopped) -> None:
        state = self.device(addr)
        if isinstance(message, ControlPointResponse) and message.ok and message.op_code == 0x02:
            measurement = Measurement(message.measurement) if message.measurement in Measurement._value2member_map_ else None
            if measurement is not None and message.params:
                settings = decode_settings(message.params)
                if Setting.FACTOR in settings:
                    state.factors[measurement] = float(settings[Setting.FACTOR][0])
        if isinstance(message, MeasurementStopped):
            for clock in state.clocks.values():
                clock.reset()

    def _on_frame(self, event: TraceEvent) -> SampleFrame:
        state = self.device(event.addr)
        measurement = Measurement(event.payload[0] & 0x3F) if event.payload else Measurement.ACC
        frame = decode_data_frame(event.payload, factor=state.factors.get(measurement, 1.0))
        clock = state.clocks.get(frame.measurement)
        if clock is None:
            clock = state.clocks[frame.measurement] = SampleClock(state.rates_hz.get(frame.measurement, 200.0))
        placed = clock.place(frame.timestamp_ns, len(frame.samples))
        state.sync.observe(frame.timestamp_ns, event.t_ns)
        values = np.asarray(frame.samples, dtype=np.int32)
        return SampleFrame(
            event.addr, frame.measurement, event.t_ns, placed.t_ns, values, placed.gap_ns, placed.lost_samples
        )
