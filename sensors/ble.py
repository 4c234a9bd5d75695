"""The BLE reader: the only module that talks to bleak.

It discovers sensors by service, connects, enables notifications and control-point indications, starts
Polar PMD streams, and hands every raw event to a sink. Callbacks only timestamp and enqueue; decoding
happens elsewhere (``sensors.decode``). The bleak backend is injectable (``Backend``), so the same code
runs against a real adapter, a trace replay or a virtual radio.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from sensors.errors import DeviceError
from sensors.gatt import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE, PMD_CONTROL_POINT, PMD_DATA, PMD_SERVICE
from sensors.polar_pmd import (
    ControlPointResponse,
    Measurement,
    Setting,
    decode_control_point,
    start_command,
    stop_command,
)
from sensors.trace import TraceEvent

log = logging.getLogger(__name__)

Sink = Callable[[TraceEvent], None]
Clock = Callable[[], int]


@dataclass(frozen=True)
class StreamSettings:
    """What to stream from a Polar sensor. ±8 G: lifting clips at ±2 G."""

    acc_rate_hz: int = 200
    acc_range_g: int = 8
    ecg: bool = False


@dataclass(frozen=True)
class Backend:
    """How bleak reaches the radio: None classes mean the platform's own backend."""

    client: type[BaseBleakClient] | None = None
    scanner: type[BaseBleakScanner] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


async def discover(backend: Backend, timeout_s: float = 5.0) -> list[tuple[BLEDevice, AdvertisementData]]:
    """Sensors advertising the Heart Rate or Polar PMD service."""
    found = await BleakScanner.discover(
        timeout=timeout_s,
        return_adv=True,
        service_uuids=[HEART_RATE_SERVICE, PMD_SERVICE],
        backend=backend.scanner,
        **backend.kwargs,
    )
    return list(found.values())


class DeviceLink:
    """One sensor's connection, kept up until ``stop`` is set: reconnects with backoff after a drop."""

    def __init__(
        self,
        device: BLEDevice,
        sink: Sink,
        *,
        settings: StreamSettings,
        backend: Backend,
        clock: Clock = time.time_ns,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.device = device
        self._sink = sink
        self._settings = settings
        self._backend = backend
        self._clock = clock
        self._max_backoff_s = max_backoff_s
        self._cp_responses: asyncio.Queue[bytes] = asyncio.Queue()
        self._lost = asyncio.Event()
        self.reconnects = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Stream until ``stop`` is set; a dropped link is reconnected and its streams restarted."""
        backoff_s = 0.5
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff_s = 0.5
            except (BleakError, TimeoutError, OSError) as exc:
                log.warning("%s: %r; retrying in %.1f s", self.device.address, exc, backoff_s)
            if stop.is_set():
                return
            self.reconnects += 1
            try:
                await asyncio.wait_for(stop.wait(), backoff_s)
            except TimeoutError:
                backoff_s = min(backoff_s * 2, self._max_backoff_s)

    async def _session(self, stop: asyncio.Event) -> None:
        self._lost.clear()
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnect,
            backend=self._backend.client,
            **self._backend.kwargs,
        )
        await client.connect()
        self._emit("connected")
        try:
            started = await self._subscribe_and_start(client)
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._lost.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if client.is_connected:
                for measurement in started:
                    await self._write(client, PMD_CONTROL_POINT, stop_command(measurement))
        finally:
            if client.is_connected:
                await client.disconnect()
                self._emit("disconnected")

    async def _subscribe_and_start(self, client: BleakClient) -> list[Measurement]:
        chars = {c.uuid for s in client.services for c in s.characteristics}
        if HEART_RATE_MEASUREMENT in chars:
            await client.start_notify(HEART_RATE_MEASUREMENT, self._notifier(HEART_RATE_MEASUREMENT))
        if PMD_CONTROL_POINT not in chars or PMD_DATA not in chars:
            return []
        await client.start_notify(PMD_CONTROL_POINT, self._on_control_point)
        await client.start_notify(PMD_DATA, self._notifier(PMD_DATA))
        wanted = [
            (
                Measurement.ACC,
                {
                    Setting.SAMPLE_RATE: self._settings.acc_rate_hz,
                    Setting.RESOLUTION: 16,
                    Setting.RANGE: self._settings.acc_range_g,
                },
            )
        ]
        if self._settings.ecg:
            wanted.append((Measurement.ECG, {Setting.SAMPLE_RATE: 130, Setting.RESOLUTION: 14}))
        started = []
        for measurement, settings in wanted:
            await self._command(client, start_command(measurement, settings))
            started.append(measurement)
        return started

    async def _command(self, client: BleakClient, command: bytes) -> ControlPointResponse:
        await self._write(client, PMD_CONTROL_POINT, command)
        response = decode_control_point(await asyncio.wait_for(self._cp_responses.get(), timeout=5.0))
        if not isinstance(response, ControlPointResponse):
            raise DeviceError(f"{self.device.address} answered {command.hex(' ')} with a stop notice")
        if not response.ok and response.status.name != "ALREADY_IN_STATE":
            raise DeviceError(
                f"{self.device.name or self.device.address} refused command {command.hex(' ')}: "
                f"{response.status.name.lower().replace('_', ' ')}"
            )
        return response

    async def _write(self, client: BleakClient, char: str, payload: bytes) -> None:
        self._sink(TraceEvent(self._clock(), self.device.address, "write", char, payload))
        await client.write_gatt_char(char, payload, response=True)

    def _notifier(self, char: str) -> Callable[[Any, bytearray], None]:
        def on_notify(_: Any, data: bytearray) -> None:
            self._sink(TraceEvent(self._clock(), self.device.address, "notify", char, bytes(data)))

        return on_notify

    def _on_control_point(self, _: Any, data: bytearray) -> None:
        payload = bytes(data)
        self._sink(TraceEvent(self._clock(), self.device.address, "notify", PMD_CONTROL_POINT, payload))
        if payload[:1] == b"\xf0":
            self._cp_responses.put_nowait(payload)

    def _on_disconnect(self, _: BleakClient) -> None:
        self._emit("disconnected")
        self._lost.set()

    def _emit(self, kind: str) -> None:
        self._sink(TraceEvent(self._clock(), self.device.address, kind))  # type: ignore[arg-type]


async def stream_devices(
    devices: list[BLEDevice],
    sink: Sink,
    stop: asyncio.Event,
    *,
    settings: StreamSettings,
    backend: Backend,
    clock: Clock = time.time_ns,
) -> None:
    """Stream every device concurrently until ``stop`` is set."""
    links = [DeviceLink(d, sink, settings=settings, backend=backend, clock=clock) for d in devices]
    await asyncio.gather(*(link.run(stop) for link in links))
