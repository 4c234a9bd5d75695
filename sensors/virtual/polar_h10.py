"""A virtual Polar H10: Heart Rate Service plus the PMD service (control point, ACC and ECG streams).

It answers the control point as an H10 does (feature read, GET settings, START/STOP with validation,
INVALID_MTU below an ATT MTU of 70, ALREADY_IN_STATE), streams raw ACC frames (type 0x01) or, as a
Verity Sense does, delta frames (0x81, with a FACTOR in the START response), and ECG (type 0x00).
Faults: drop every n-th data frame, a drifting or reset clock, refused settings, a refused MTU
(``max_mtu``), a dropped link, and a device-initiated stop. Samples are a known function of their index
(``acc_sample``, ``ecg_sample``), so a test knows exactly which ones arrived.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bumble.att import AttributeValue
from bumble.gatt import Characteristic, Service

from sensors.errors import DecodeError
from sensors.gatt import PMD_CONTROL_POINT, PMD_DATA, PMD_SERVICE
from sensors.pmd_frames import FRAME_HEADER_BYTES, encode_delta_frame, encode_raw_frame
from sensors.polar_pmd import (
    PMD_MIN_MTU,
    Measurement,
    OpCode,
    Setting,
    Status,
    decode_settings,
    encode_features,
    encode_response,
    encode_settings,
)
from sensors.virtual.hr_strap import VirtualHeartRateStrap
from sensors.virtual.peripheral import DeviceClock

H10_SETTINGS: dict[Measurement, dict[Setting, tuple[int, ...]]] = {
    Measurement.ACC: {Setting.SAMPLE_RATE: (25, 50, 100, 200), Setting.RESOLUTION: (16,), Setting.RANGE: (2, 4, 8)},
    Measurement.ECG: {Setting.SAMPLE_RATE: (130,), Setting.RESOLUTION: (14,)},
}
_REFUSAL = {Setting.SAMPLE_RATE: Status.INVALID_SAMPLE_RATE, Setting.RESOLUTION: Status.INVALID_RESOLUTION,
            Setting.RANGE: Status.INVALID_RANGE}
_BYTES_PER_SAMPLE = {Measurement.ACC: 6, Measurement.ECG: 3}
DELTA_SAMPLES_PER_FRAME = 36


def acc_sample(index: int) -> tuple[int, int, int]:
    """The virtual sensor's ACC sample ``index`` in device units (mG when the factor is 1)."""
    return ((index * 7) % 2001 - 1000, -((index * 13) % 1501), 1000 + index % 97)


def ecg_sample(index: int) -> tuple[int]:
    """The virtual sensor's ECG sample ``index`` in µV."""
    return ((index * 37) % 4001 - 2000,)


@dataclass
class StreamLog:
    """What one stream produced: samples sent, samples in dropped frames, frames dropped, starts."""

    sent_samples: int = 0
    dropped_samples: int = 0
    dropped_frames: int = 0
    frames: int = 0
    starts: int = 0
    next_index: int = 0
    anchor_ns: int | None = None
    anchor_index: int = 0


@dataclass
class H10Faults:
    """How the virtual H10 misbehaves.

    ``drop_every_nth_frame``: the n-th, 2n-th ... data frame of each stream is never sent (0: none).
    ``allowed``: setting values it accepts, overriding the H10's (a setting it refuses).
    ``compressed``: send ACC as delta frames 0x81 with ``factor`` (a Verity Sense), not raw 0x01.
    ``offers``: the measurements it has (a Verity Sense has no ECG).
    ``keeps_streaming``: a lost link does not stop its streams (as an H10 nobody sent STOP to): the next
    START is answered ALREADY_IN_STATE.
    """

    drop_every_nth_frame: int = 0
    allowed: dict[Measurement, dict[Setting, tuple[int, ...]]] = field(default_factory=dict)
    compressed: bool = False
    factor: float = 1.0
    keeps_streaming: bool = False
    offers: tuple[Measurement, ...] = (Measurement.ACC, Measurement.ECG)


class VirtualPolarH10(VirtualHeartRateStrap):
    """An H10 on a virtual link. ``max_mtu=23`` makes it refuse a larger MTU (and then every START)."""

    def __init__(
        self,
        link: object,
        address: str,
        name: str = "Polar H10 VIRT0001",
        *,
        clock: DeviceClock | None = None,
        faults: H10Faults | None = None,
        max_mtu: int = 232,
    ) -> None:
        super().__init__(link, address, name, clock=clock, max_mtu=max_mtu)
        self.faults = faults or H10Faults()
        self.logs: dict[Measurement, StreamLog] = {m: StreamLog() for m in H10_SETTINGS}
        self.commands: list[bytes] = []
        self._streams: dict[Measurement, asyncio.Task[None]] = {}
        self.cp_char: Characteristic[bytes] = Characteristic(
            PMD_CONTROL_POINT,
            Characteristic.Properties.READ | Characteristic.Properties.WRITE | Characteristic.Properties.INDICATE,
            Characteristic.READABLE | Characteristic.WRITEABLE,
            AttributeValue(read=self._read_cp, write=self._write_cp),
        )
        self.data_char = Characteristic(PMD_DATA, Characteristic.Properties.NOTIFY, Characteristic.Permissions(0), b"")

    def services(self) -> list[Service]:
        return [self.heart_rate_service(), Service(PMD_SERVICE, [self.cp_char, self.data_char])]

    def allowed(self, measurement: Measurement) -> dict[Setting, tuple[int, ...]]:
        return {**H10_SETTINGS[measurement], **self.faults.allowed.get(measurement, {})}

    @property
    def running(self) -> set[Measurement]:
        return set(self._streams)

    # -- control point
    def _read_cp(self, connection: Any) -> bytes:
        return encode_features(self.faults.offers)

    def _write_cp(self, connection: Any, value: bytes) -> None:
        command = bytes(value)
        self.commands.append(command)
        self.spawn(self._indicate(self._answer(connection, command)))

    async def _indicate(self, payload: bytes) -> None:
        if self.device is not None and self.connection is not None:
            await self.device.indicate_subscriber(self.connection, self.cp_char, payload)

    def _answer(self, connection: Any, command: bytes) -> bytes:
        if len(command) < 2:
            return encode_response(command[0] if command else 0, 0, Status.INVALID_LENGTH)
        op, kind = command[0], command[1]
        if op not in OpCode._value2member_map_:
            return encode_response(op, kind, Status.INVALID_OP_CODE)
        if kind not in self.faults.offers:
            return encode_response(op, kind, Status.NOT_SUPPORTED)
        measurement = Measurement(kind)
        if op == OpCode.GET_SETTINGS:
            return encode_response(op, kind, Status.SUCCESS, encode_settings(self.allowed(measurement)))  # type: ignore[arg-type]
        if op == OpCode.STOP:
            return encode_response(op, kind, self._stop(measurement))
        status = self._check_start(connection, measurement, command[2:])
        if status is not Status.SUCCESS:
            return encode_response(op, kind, status)
        rate = int(decode_settings(command[2:]).get(Setting.SAMPLE_RATE, (0,))[0])
        self._streams[measurement] = self.spawn(self._stream(measurement, rate, connection.att_mtu))
        params = b""
        if measurement is Measurement.ACC and self.faults.compressed:
            params = encode_settings({Setting.FACTOR: (self.faults.factor,)})
        return encode_response(op, kind, Status.SUCCESS, params)

    def _check_start(self, connection: Any, measurement: Measurement, body: bytes) -> Status:
        if connection.att_mtu < PMD_MIN_MTU:
            return Status.INVALID_MTU
        if measurement in self._streams:
            return Status.ALREADY_IN_STATE
        try:
            settings = decode_settings(body)
        except DecodeError:
            return Status.INVALID_PARAMETER
        allowed = self.allowed(measurement)
        for setting, status in _REFUSAL.items():
            if setting in allowed and (setting not in settings or int(settings[setting][0]) not in allowed[setting]):
                return status
        return Status.SUCCESS

    def _stop(self, measurement: Measurement) -> Status:
        task = self._streams.pop(measurement, None)
        if task is None:
            return Status.ALREADY_IN_STATE
        task.cancel()
        return Status.SUCCESS

    async def device_stops(self, measurement: Measurement) -> None:
        """The sensor ends a stream on its own (``01 <type>`` indication), as on low battery."""
        if self._stop(measurement) is Status.SUCCESS:
            await self._indicate(bytes([0x01, measurement]))

    def on_link_lost(self) -> None:
        if not self.faults.keeps_streaming:
            self._streams.clear()  # the tasks were cancelled with the link

    async def power_cycle(self, *, away_s: float) -> None:
        """Lose power: the link drops, the clock restarts at 2019-01-01, back after ``away_s`` loop seconds."""
        await self.drop_link(away_s=away_s)
        self.clock.reset()

    # -- streams
    def _frame(self, measurement: Measurement, timestamp_ns: int, first: int, n: int) -> bytes:
        if measurement is Measurement.ECG:
            return encode_raw_frame(measurement, timestamp_ns, [ecg_sample(i) for i in range(first, first + n)])
        samples = [acc_sample(i) for i in range(first, first + n)]
        if self.faults.compressed:
            return encode_delta_frame(measurement, timestamp_ns, samples)
        return encode_raw_frame(measurement, timestamp_ns, samples)

    def _samples_per_frame(self, measurement: Measurement, mtu: int) -> int:
        if measurement is Measurement.ACC and self.faults.compressed:
            return DELTA_SAMPLES_PER_FRAME
        return (mtu - 3 - FRAME_HEADER_BYTES) // _BYTES_PER_SAMPLE[measurement]

    async def _stream(self, measurement: Measurement, rate_hz: int, mtu: int) -> None:
        log = self.logs[measurement]
        log.starts += 1
        n = self._samples_per_frame(measurement, mtu)
        period_ns = self.clock.period_ns(rate_hz)
        now_ns = self.clock.now_ns()
        if log.anchor_ns is not None and now_ns > log.anchor_ns:
            # samples keep being taken while nobody listens: indexes stay in step with the clock
            log.next_index = max(log.next_index, log.anchor_index + int((now_ns - log.anchor_ns) // period_ns))
        anchor_ns, anchor_index = now_ns, log.next_index
        log.anchor_ns, log.anchor_index = anchor_ns, anchor_index
        while True:
            first = log.next_index
            timestamp_ns = anchor_ns + round((first + n - 1 - anchor_index) * period_ns)
            await self.clock.sleep_until(timestamp_ns)
            frame = self._frame(measurement, timestamp_ns, first, n)
            log.next_index += n
            log.frames += 1
            nth = self.faults.drop_every_nth_frame
            if nth and log.frames % nth == 0:
                log.dropped_samples += n
                log.dropped_frames += 1
                continue
            if self.device is None or self.connection is None:
                return
            log.sent_samples += n
            await self.device.notify_subscriber(self.connection, self.data_char, frame)
