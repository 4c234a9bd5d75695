"""A bleak backend that plays a recorded trace back as if its devices were on the air.

``BleakScanner(backend=ReplayScanner, radio=radio)`` advertises the trace's devices and
``BleakClient(device, backend=ReplayClient, radio=radio)`` serves their GATT tables and replays their
notifications, so the reader code that runs against a real adapter is the code under test. Like a real
peripheral, a replayed device only notifies characteristics the client subscribed to, answers a PMD
START only after it was written, and streams PMD data only while that measurement runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError

from sensors.gatt import PMD_CONTROL_POINT, PMD_DATA
from sensors.trace import TraceEvent, TraceStats, iter_events, read_meta

log = logging.getLogger(__name__)

CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"


@dataclass
class _Playback:
    """Where one device's playback stands; survives reconnects."""

    events: list[TraceEvent]
    cursor: int = 0
    dropped: int = 0
    unknown: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ReplayRadio:
    """The recorded air of one trace: its devices, their events and the replay clock.

    Parameters
    ----------
    folder
        A trace folder (``trace.jsonl`` + ``meta.json``).
    speed
        1.0 plays in real time, 10.0 ten times faster, 0 as fast as possible.
    gate_timeout_s
        How long (wall clock) a notification waits for the client to subscribe or start its stream
        before it is dropped as unwanted.
    """

    def __init__(self, folder: Path, *, speed: float = 1.0, gate_timeout_s: float = 2.0) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        self.meta = read_meta(folder)
        self.stats = TraceStats()
        self.speed = speed
        self.gate_timeout_s = gate_timeout_s
        by_addr: dict[str, list[TraceEvent]] = {str(d["address"]): [] for d in self.meta["devices"]}
        for event in iter_events(folder, self.stats):
            by_addr.setdefault(event.addr, []).append(event)
        self.unknown_addresses = sorted(set(by_addr) - {str(d["address"]) for d in self.meta["devices"]})
        self._playback = {addr: _Playback(events) for addr, events in by_addr.items() if events}
        self.start_ns = min((p.events[0].t_ns for p in self._playback.values()), default=0)
        self._now_ns = self.start_ns
        self._wall_start: float | None = None

    def now_ns(self) -> int:
        """The recorded host time of the event being delivered: the clock a reader stamps with."""
        return self._now_ns

    def device_meta(self, address: str) -> dict[str, Any]:
        for device in self.meta["devices"]:
            if str(device["address"]).upper() == address.upper():
                return dict(device)
        raise BleakError(f"device {address} is not in this trace")

    def playback(self, address: str) -> _Playback | None:
        return self._playback.get(address)

    @property
    def not_replayed(self) -> int:
        """Recorded notifications no client subscribed to in time (dropped, as a device would)."""
        return sum(p.dropped for p in self._playback.values())

    @property
    def unknown_characteristics(self) -> int:
        """Recorded notifications from characteristics missing from the device's GATT table."""
        return sum(p.unknown for p in self._playback.values())

    async def finished(self) -> None:
        """Wait until every device has played its last event."""
        for playback in self._playback.values():
            await playback.done.wait()

    async def wait_until(self, t_ns: int) -> None:
        """Sleep until the trace time ``t_ns`` is due at this radio's speed."""
        loop = asyncio.get_running_loop()
        if self._wall_start is None:
            self._wall_start = loop.time()
        if self.speed > 0:
            due = self._wall_start + (t_ns - self.start_ns) / 1e9 / self.speed
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            await asyncio.sleep(0)

    def deliver_at(self, t_ns: int) -> None:
        self._now_ns = max(self._now_ns, t_ns)


class ReplayScanner(BaseBleakScanner):
    """Advertises every device of the radio's trace, after ``start()`` returns (as a radio would)."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: ReplayRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _advertise(self) -> None:
        await asyncio.sleep(0)
        for device in self._radio.meta["devices"]:
            services = [str(s["uuid"]).lower() for s in device.get("gatt", [])]
            if not self.is_allowed_uuid(services):
                continue
            adv = AdvertisementData(
                local_name=device.get("name"),
                manufacturer_data={},
                service_data={},
                service_uuids=services,
                tx_power=None,
                rssi=int(device.get("rssi", -60)),
                platform_data=(),
            )
            ble_device = self.create_or_update_device(
                str(device["address"]), str(device["address"]), device.get("name"), None, adv
            )
            self.call_detection_callbacks(ble_device, adv)


class ReplayClient(BaseBleakClient):
    """Serves a traced device's GATT table and replays its notifications through bleak's public API."""

    def __init__(self, address_or_ble_device: BLEDevice | str, *, radio: ReplayRadio, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._radio = radio
        self._meta = radio.device_meta(self.address)
        self._connected = False
        self._callbacks: dict[str, Callable[[bytearray], None]] = {}
        self._started: set[int] = set()
        self._unwanted: set[tuple[str, int]] = set()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- connection
    @property
    def name(self) -> str:
        return str(self._meta.get("name", self.address))

    @property
    def mtu_size(self) -> int:
        return int(self._meta.get("mtu", 23))

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool = False, **kwargs: Any) -> None:
        playback = self._radio.playback(self.address)
        if playback is not None and playback.done.is_set():
            raise BleakError(f"device {self.address} is no longer advertising (its trace has ended)")
        self.services = self._build_services()
        self._connected = True
        if playback is not None:
            self._task = asyncio.get_running_loop().create_task(self._play(playback))

    async def disconnect(self) -> None:
        self._connected = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    # -- GATT
    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        value = self._meta.get("reads", {}).get(characteristic.uuid)
        if value is None:
            raise BleakError(f"characteristic {characteristic.uuid} has no recorded value to read")
        return bytearray.fromhex(value)

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        raise BleakError("descriptors are not recorded in traces")

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        payload = bytes(data)
        if characteristic.uuid == PMD_CONTROL_POINT and len(payload) >= 2:
            if payload[0] == 0x02:
                self._started.add(payload[1])
            elif payload[0] == 0x03:
                self._started.discard(payload[1])
        self._changed.set()

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        raise BleakError("write descriptors through start_notify")

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: Callable[[bytearray], None], **kwargs: Any
    ) -> None:
        self._callbacks[characteristic.uuid] = callback
        self._changed.set()

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._callbacks.pop(characteristic.uuid, None)

    # -- playback
    def _build_services(self) -> BleakGATTServiceCollection:
        collection = BleakGATTServiceCollection()
        handle = 1
        for service_meta in self._meta.get("gatt", []):
            service = BleakGATTService(None, handle, str(service_meta["uuid"]).lower())
            collection.add_service(service)
            handle += 1
            for char_meta in service_meta.get("characteristics", []):
                props = list(char_meta.get("properties", ["notify"]))
                char = BleakGATTCharacteristic(
                    None, handle + 1, str(char_meta["uuid"]).lower(), props, lambda: self.mtu_size - 3, service
                )
                collection.add_characteristic(char)
                handle += 2
                if "notify" in props or "indicate" in props:
                    collection.add_descriptor(BleakGATTDescriptor(None, handle, CCCD_UUID, char))
                    handle += 1
        return collection

    def _gate_key(self, event: TraceEvent) -> tuple[str, int]:
        """What must be true before ``event`` can be sent: a subscription, and a started stream."""
        if event.char == PMD_DATA and event.payload:
            return event.char, event.payload[0] & 0x3F
        if event.char == PMD_CONTROL_POINT and event.payload[:2] == b"\xf0\x02" and len(event.payload) > 2:
            return event.char, event.payload[2]
        return event.char, -1

    def _gate_open(self, key: tuple[str, int]) -> bool:
        char, measurement = key
        return char in self._callbacks and (measurement < 0 or measurement in self._started)

    async def _wait_for_gate(self, key: tuple[str, int]) -> bool:
        if key in self._unwanted:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._radio.gate_timeout_s
        while not self._gate_open(key):
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._unwanted.add(key)
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
        return True

    async def _play(self, playback: _Playback) -> None:
        services = self.services
        assert services is not None  # connect() builds the GATT table before it starts playing
        while playback.cursor < len(playback.events) and self._connected:
            event = playback.events[playback.cursor]
            await self._radio.wait_until(event.t_ns)
            if event.kind == "disconnected":
                playback.cursor += 1
                if playback.cursor >= len(playback.events):
                    break  # the recording ended with the device leaving: nothing left to reconnect to
                self._link_lost()
                return
            if event.kind == "notify" and services.get_characteristic(event.char) is None:
                playback.unknown += 1  # not in the device's GATT table: no radio would carry it
            elif event.kind == "notify":
                if await self._wait_for_gate(self._gate_key(event)):
                    self._radio.deliver_at(event.t_ns)
                    self._callbacks[event.char](bytearray(event.payload))
                else:
                    playback.dropped += 1
            playback.cursor += 1
        if playback.cursor >= len(playback.events):
            playback.done.set()  # the recording ends here; the link stays up until the client leaves

    def _link_lost(self) -> None:
        if not self._connected:
            return
        self._connected = False
        self._task = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()
