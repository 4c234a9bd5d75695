"""Talking to a Polar PMD control point over a connected bleak client: one command at a time.

Commands are serialized (two in flight get their answers mixed: polar-ble-sdk#109), each waits for its
own response indication (multi-part answers joined), and a refusal becomes one ``DeviceError`` sentence
naming the setting and what the device allows (read back with GET settings).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bleak import BleakClient
from bleak.exc import BleakError

from sensors.errors import DecodeError, DeviceError
from sensors.gatt import PMD_CONTROL_POINT
from sensors.polar_pmd import (
    PMD_MIN_MTU,
    SETTING_UNITS,
    STATUS_SETTING,
    ControlPointResponse,
    Measurement,
    MeasurementStopped,
    Setting,
    Status,
    decode_control_point,
    decode_settings,
    get_settings_command,
    join_responses,
    start_command,
    stop_command,
)

log = logging.getLogger(__name__)

RESPONSE_TIMEOUT_S = 5.0
MAX_RESTARTS = 3
ECG_RATE_HZ = 130
ECG_RESOLUTION_BITS = 14
ACC_RESOLUTION_BITS = 16


@dataclass(frozen=True)
class StreamRequest:
    """A measurement to start, with its settings."""

    measurement: Measurement
    settings: dict[Setting, int]


def wanted_streams(acc_rate_hz: int, acc_range_g: int, ecg: bool) -> list[StreamRequest]:
    """ACC (16 bit) at the given rate and range, and ECG at 130 Hz / 14 bit when asked for."""
    acc = {Setting.SAMPLE_RATE: acc_rate_hz, Setting.RESOLUTION: ACC_RESOLUTION_BITS, Setting.RANGE: acc_range_g}
    requests = [StreamRequest(Measurement.ACC, acc)]
    if ecg:
        ecg_settings = {Setting.SAMPLE_RATE: ECG_RATE_HZ, Setting.RESOLUTION: ECG_RESOLUTION_BITS}
        requests.append(StreamRequest(Measurement.ECG, ecg_settings))
    return requests


def closest_setting(setting: Setting, wanted: int, allowed: tuple[float, ...]) -> int:
    """The offered value to use instead of ``wanted``: for a range the smallest that does not clip more
    (else the largest); for a rate or a resolution the largest not above it (else the smallest)."""
    values = sorted(int(v) for v in allowed)
    if setting is Setting.RANGE:
        return next((v for v in values if v >= wanted), values[-1])
    return next((v for v in reversed(values) if v <= wanted), values[0])


def _describe(setting: Setting, value: int | float) -> str:
    unit = SETTING_UNITS.get(setting, "")
    return f"{value:g} {unit}".strip() if isinstance(value, float) else f"{value} {unit}".strip()


class PmdControl:
    """The control point of one connected PMD sensor (indications must already be enabled)."""

    def __init__(
        self,
        client: BleakClient,
        label: str,
        record_write: Callable[[str, bytes], None],
        *,
        timeout_s: float = RESPONSE_TIMEOUT_S,
    ) -> None:
        self._client = client
        self._label = label
        self._record_write = record_write
        self._timeout_s = timeout_s
        self._lock = asyncio.Lock()
        self._responses: asyncio.Queue[ControlPointResponse] = asyncio.Queue()
        self.stopped_by_device: asyncio.Queue[tuple[int, ...]] = asyncio.Queue()
        self.running: dict[Measurement, StreamRequest] = {}
        self.restarts = 0

    def indicated(self, payload: bytes) -> None:
        """A control-point indication arrived (called from the notification callback: cheap)."""
        try:
            message = decode_control_point(payload)
        except DecodeError:
            return
        if isinstance(message, MeasurementStopped):
            self.stopped_by_device.put_nowait(message.measurements)
        else:
            self._responses.put_nowait(message)

    async def command(self, command: bytes) -> ControlPointResponse:
        """Write one command and wait for its response; nothing else is sent meanwhile."""
        async with self._lock:
            self._record_write(PMD_CONTROL_POINT, command)
            await self._client.write_gatt_char(PMD_CONTROL_POINT, command, response=True)
            parts: list[ControlPointResponse] = []
            while not parts or parts[-1].more:
                try:
                    response = await asyncio.wait_for(self._responses.get(), self._timeout_s)
                except TimeoutError:
                    raise TimeoutError(
                        f"{self._label} did not answer PMD command {command.hex(' ')} within {self._timeout_s:g} s"
                    ) from None
                if (response.op_code, response.measurement) == (command[0], command[1]):
                    parts.append(response)
            return join_responses(parts)

    async def start(self, request: StreamRequest, *, strict: bool = True) -> ControlPointResponse:
        """Start a stream (stopping it first if the sensor says it already runs).

        With ``strict=False`` a refused setting is replaced, once, by the closest value the sensor offers.

        Raises
        ------
        DeviceError
            If the sensor refuses, naming the setting and the values it allows.
        """
        response = await self._start(request)
        setting = STATUS_SETTING.get(response.status)
        if not response.ok and not strict and setting is not None and setting in request.settings:
            allowed = await self.allowed(request.measurement, setting)
            if allowed:
                closest = closest_setting(setting, request.settings[setting], allowed)
                log.warning("%s does not offer %s %s; using %s", self._label, request.measurement.name,
                            _describe(setting, request.settings[setting]), _describe(setting, closest))
                request = StreamRequest(request.measurement, {**request.settings, setting: closest})
                response = await self._start(request)
        if not response.ok:
            raise DeviceError(await self._refusal(request, response.status))
        self.running[request.measurement] = request
        return response

    async def _start(self, request: StreamRequest) -> ControlPointResponse:
        command = start_command(request.measurement, request.settings)
        response = await self.command(command)
        if response.status is Status.ALREADY_IN_STATE:
            await self.command(stop_command(request.measurement))
            response = await self.command(command)
        return response

    async def _refusal(self, request: StreamRequest, status: Status) -> str:
        name = request.measurement.name
        if status is Status.INVALID_MTU:
            mtu = self._client.mtu_size
            return f"{self._label} refused to start {name}: invalid MTU (link MTU {mtu}, PMD needs {PMD_MIN_MTU})"
        setting = STATUS_SETTING.get(status)
        if setting is None or setting not in request.settings:
            return f"{self._label} refused to start {name}: {status.text}"
        asked = _describe(setting, request.settings[setting])
        allowed = await self.allowed(request.measurement, setting)
        what = setting.name.lower().replace("_", " ")
        tail = f"; it allows {', '.join(_describe(setting, v) for v in allowed)}" if allowed else ""
        return f"{self._label} refused {name} {what} {asked} ({status.text}){tail}"

    async def allowed(self, measurement: Measurement, setting: Setting) -> tuple[float, ...]:
        """The values of ``setting`` the sensor offers for ``measurement`` (empty if it will not say)."""
        try:
            response = await self.command(get_settings_command(measurement))
            return decode_settings(response.params).get(setting, ()) if response.ok else ()
        except (BleakError, TimeoutError, DecodeError) as exc:
            log.warning("%s: could not read the allowed %s: %s", self._label, setting.name, exc)
            return ()

    async def restart(self, measurements: tuple[int, ...]) -> None:
        """Start again the streams the sensor stopped on its own (at most ``MAX_RESTARTS`` per link)."""
        for kind in measurements:
            request = self.running.pop(Measurement(kind), None) if kind in Measurement._value2member_map_ else None
            if request is None:
                continue
            if self.restarts >= MAX_RESTARTS:
                log.warning("%s stopped %s again; not restarting it", self._label, request.measurement.name)
                continue
            self.restarts += 1
            log.warning("%s stopped %s on its own; starting it again", self._label, request.measurement.name)
            try:
                await self.start(request)
            except DeviceError as exc:  # e.g. put in its charger: the other streams carry on
                log.warning("%s", exc)

    def described(self) -> dict[str, dict[str, int]]:
        """The running streams as a trace's ``meta.json`` lists them (``{"acc": {"sample_rate_hz": 200, ...}}``)."""
        keys = {Setting.SAMPLE_RATE: "sample_rate_hz", Setting.RANGE: "range_g", Setting.RESOLUTION: "resolution_bits"}
        return {
            m.name.lower(): {keys[s]: v for s, v in request.settings.items() if s in keys}
            for m, request in self.running.items()
        }

    async def stop_all(self) -> None:
        """Stop every running stream before leaving: the writes are acknowledged, the answers not awaited
        (an H10 left streaming stays on until its battery is out; one whose answer is lost is stopped)."""
        async with self._lock:
            for measurement in list(self.running):
                command = stop_command(measurement)
                self._record_write(PMD_CONTROL_POINT, command)
                try:
                    await self._client.write_gatt_char(PMD_CONTROL_POINT, command, response=True)
                except (BleakError, TimeoutError) as exc:
                    log.info("%s: stopping %s: %s", self._label, measurement.name, exc)
            self.running.clear()
