"""The BLE reader: the only module that drives bleak.

It discovers sensors by service, connects (one at a time: stacks refuse concurrent connection attempts),
checks the ATT MTU, enables control-point indications and data notifications before any command, sends
PMD commands one at a time, starts the streams, and hands every raw event to a sink. Callbacks only
timestamp and enqueue; decoding happens elsewhere (``sensors.decode``). A dropped link is reconnected with
backoff and its streams started again; the decoder marks the gap. The bleak backend is injectable
(``Backend``), so the same code runs against a real adapter, a trace replay or a virtual radio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakBluetoothNotAvailableError, BleakDeviceNotFoundError, BleakError

from sensors.errors import AdapterError, DeviceError
from sensors.gatt import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE, PMD_CONTROL_POINT, PMD_DATA, PMD_SERVICE
from sensors.pmd_commands import PmdControl, wanted_streams
from sensors.polar_pmd import PMD_MIN_MTU, Measurement, decode_features
from sensors.trace import EventKind, TraceEvent

log = logging.getLogger(__name__)

Sink = Callable[[TraceEvent], None]
Clock = Callable[[], int]
#: Measurements a PMD sensor is assumed to offer when its feature read fails (an H10).
H10_FEATURES = frozenset({Measurement.ACC, Measurement.ECG})


@dataclass(frozen=True)
class StreamSettings:
    """What to stream from a Polar sensor. ±8 G: lifting clips at ±2 G.

    ``strict``: a sensor refusing these values is an error. Otherwise each sensor gets the closest values
    it offers (a Verity Sense streams ACC at 52 Hz when 200 Hz was asked, beside an H10 at 200 Hz).
    """

    acc_rate_hz: int = 200
    acc_range_g: int = 8
    ecg: bool = False
    strict: bool = False


@dataclass(frozen=True)
class Backend:
    """How bleak reaches the radio: None classes mean the platform's own backend."""

    client: type[BaseBleakClient] | None = None
    scanner: type[BaseBleakScanner] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    name: str = "bleak"


@contextlib.contextmanager
def _adapter_errors() -> Any:
    """No D-Bus / no adapter / Bluetooth off -> one ``AdapterError``."""
    try:
        yield
    except FileNotFoundError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise AdapterError(
            f"no Bluetooth adapter found: the system D-Bus / BlueZ is not reachable{where}; "
            "start bluetoothd with an adapter plugged in, or set LIFTMIND_BLE=bumble:<HCI transport>"
        ) from None
    except BleakBluetoothNotAvailableError as exc:
        raise AdapterError(f"Bluetooth is not available: {exc}; turn Bluetooth on or plug in an adapter") from None


async def discover(
    backend: Backend, timeout_s: float = 5.0, *, any_service: bool = False
) -> list[tuple[BLEDevice, AdvertisementData]]:
    """Sensors advertising the Heart Rate or Polar PMD service (every device with ``any_service``)."""
    with _adapter_errors():
        # bleak's ExtraArgs type omits the None that BleakScanner takes for service_uuids and backend
        found = await BleakScanner.discover(  # type: ignore[call-overload]
            timeout=timeout_s,
            return_adv=True,
            service_uuids=None if any_service else [HEART_RATE_SERVICE, PMD_SERVICE],
            backend=backend.scanner,
            **backend.kwargs,
        )
    return sorted(found.values(), key=lambda pair: -(pair[1].rssi or -999))


async def find_devices(backend: Backend, addresses: list[str], timeout_s: float = 10.0) -> list[BLEDevice]:
    """The devices with these addresses, scanning until all are seen or ``timeout_s`` passes.

    Raises
    ------
    DeviceError
        Naming the addresses not found and the sensors that were.
    """
    wanted = {a.upper() for a in addresses}
    seen: dict[str, tuple[BLEDevice, AdvertisementData]] = {}
    done = asyncio.Event()

    def on_advertisement(device: BLEDevice, adv: AdvertisementData) -> None:
        seen[device.address.upper()] = (device, adv)
        if wanted <= set(seen):
            done.set()

    with _adapter_errors():
        async with BleakScanner(on_advertisement, backend=backend.scanner, **backend.kwargs):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout_s)
    missing = sorted(wanted - set(seen))
    if missing:
        around = ", ".join(f"{a} ({d.name or 'no name'})" for a, (d, _) in sorted(seen.items())) or "nothing"
        raise DeviceError(f"device {', '.join(missing)} not found after {timeout_s:g} s of scanning; seen: {around}")
    return [seen[a.upper()][0] for a in addresses]


_KIND_BY_NAME = (("polar h10", "polar_h10"), ("polar sense", "polar_verity_sense"), ("polar oh1", "polar_oh1"))


def device_kind(name: str | None, *, pmd: bool | None = None) -> str:
    """``polar_h10``, ``polar_verity_sense``, ``polar_oh1`` by advertised name; else ``polar_pmd`` or ``hr_strap``."""
    lowered = (name or "").lower()
    for prefix, kind in _KIND_BY_NAME:
        if lowered.startswith(prefix):
            return kind
    return "polar_pmd" if pmd else "hr_strap"


@dataclass
class LinkInfo:
    """What a connection told about a device: for the trace's ``meta.json``."""

    mtu: int = 23
    gatt: list[dict[str, Any]] = field(default_factory=list)
    reads: dict[str, str] = field(default_factory=dict)
    kind: str = "hr_strap"
    streams: dict[str, dict[str, int]] = field(default_factory=dict)


class DeviceLink:
    """One sensor's connection, kept up until ``stop`` is set: reconnects with backoff after a drop.

    A refusal (a setting the device does not allow, an MTU too small for PMD) is not retried: ``run``
    raises ``DeviceError``. Lost links and failed connection attempts are retried forever, waiting
    ``min_backoff_s`` doubling up to ``max_backoff_s`` between attempts.
    """

    def __init__(
        self,
        device: BLEDevice,
        sink: Sink,
        *,
        settings: StreamSettings,
        backend: Backend,
        clock: Clock = time.time_ns,
        connect_lock: asyncio.Lock | None = None,
        connect_timeout_s: float = 10.0,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
        on_connected: Callable[[DeviceLink], None] | None = None,
    ) -> None:
        self.device = device
        self._sink = sink
        self._settings = settings
        self._backend = backend
        self._clock = clock
        self._connect_lock = connect_lock or asyncio.Lock()
        self._connect_timeout_s = connect_timeout_s
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._on_connected = on_connected
        self._lost = asyncio.Event()
        self.info = LinkInfo()
        self.sessions = 0
        self.reconnects = 0

    @property
    def label(self) -> str:
        return f"{self.device.name} ({self.device.address})" if self.device.name else self.device.address

    async def run(self, stop: asyncio.Event) -> None:
        """Stream until ``stop`` is set; a dropped link is reconnected and its streams restarted."""
        backoff_s = self._min_backoff_s
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff_s = self._min_backoff_s
            except BleakDeviceNotFoundError as exc:
                log.warning("%s: %s; scanning for it again", self.label, exc)
                await self._rediscover()
            except (BleakError, TimeoutError, OSError) as exc:
                log.warning("%s: %s; retrying in %.1f s", self.label, exc, backoff_s)
            if stop.is_set():
                return
            self.reconnects += 1
            try:
                await asyncio.wait_for(stop.wait(), backoff_s)
            except TimeoutError:
                backoff_s = min(backoff_s * 2, self._max_backoff_s)

    async def _rediscover(self) -> None:
        """Scan for the device again (a stack may forget a device that went away; connect needs it seen)."""
        async with self._connect_lock:
            with _adapter_errors(), contextlib.suppress(BleakError):
                found = await BleakScanner.find_device_by_address(
                    self.device.address, timeout=self._connect_timeout_s / 2,
                    backend=self._backend.scanner,  # type: ignore[arg-type]  # bleak takes None: its own backend
                    **self._backend.kwargs,
                )
                if found is not None:
                    self.device = found

    async def _session(self, stop: asyncio.Event) -> None:
        self._lost.clear()
        client = BleakClient(
            self.device,
            disconnected_callback=self._on_disconnect,
            timeout=self._connect_timeout_s,
            backend=self._backend.client,
            **self._backend.kwargs,
        )
        async with self._connect_lock:
            with _adapter_errors():
                await client.connect()
        self.sessions += 1
        self._emit("connected")
        control: PmdControl | None = None
        try:
            control = await self._subscribe_and_start(client)
            if self._on_connected is not None:
                self._on_connected(self)
            await self._wait(stop, control)
        finally:
            if client.is_connected:
                if control is not None:
                    await control.stop_all()
                await client.disconnect()
                self._emit("disconnected")

    async def _wait(self, stop: asyncio.Event, control: PmdControl | None) -> None:
        """Until ``stop`` or a lost link; a stream the device stopped on its own is started again."""
        while not stop.is_set() and not self._lost.is_set():
            waiters: list[asyncio.Future[Any]] = [
                asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._lost.wait())
            ]
            stopped = asyncio.ensure_future(control.stopped_by_device.get()) if control is not None else None
            if stopped is not None:
                waiters.append(stopped)
            done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in pending:
                waiter.cancel()
            if control is not None and stopped is not None and stopped in done and not stop.is_set() \
                    and not self._lost.is_set():
                await control.restart(stopped.result())

    async def _subscribe_and_start(self, client: BleakClient) -> PmdControl | None:
        chars = {c.uuid for s in client.services for c in s.characteristics}
        await _acquire_mtu(client)
        self.info = LinkInfo(mtu=client.mtu_size, gatt=_gatt_table(client), kind=device_kind(self.device.name))
        if HEART_RATE_MEASUREMENT in chars:
            await client.start_notify(HEART_RATE_MEASUREMENT, self._notifier(HEART_RATE_MEASUREMENT))
            self.info.streams["hr"] = {"rate_hz": 1}
        if PMD_CONTROL_POINT not in chars or PMD_DATA not in chars:
            return None
        self.info.kind = device_kind(self.device.name, pmd=True)
        if self.info.mtu < PMD_MIN_MTU:
            raise DeviceError(
                f"{self.label} accepted an ATT MTU of only {self.info.mtu} bytes; "
                f"Polar PMD streaming needs at least {PMD_MIN_MTU}"
            )
        control = PmdControl(client, self.label, self._sink_write)
        await client.start_notify(PMD_CONTROL_POINT, self._control_point_callback(control))
        await client.start_notify(PMD_DATA, self._notifier(PMD_DATA))
        features = await self._features(client)
        for request in wanted_streams(self._settings.acc_rate_hz, self._settings.acc_range_g, self._settings.ecg):
            if request.measurement not in features:
                offered = ", ".join(sorted(m.name for m in features)) or "nothing"
                message = f"{self.label} does not offer {request.measurement.name}; it offers {offered}"
                if self._settings.strict:
                    raise DeviceError(message)
                log.warning("%s: not streaming it", message)
                continue
            await control.start(request, strict=self._settings.strict)
        self.info.streams.update(control.described())
        return control

    async def _features(self, client: BleakClient) -> frozenset[Measurement]:
        try:
            blob = bytes(await client.read_gatt_char(PMD_CONTROL_POINT))
            self.info.reads[PMD_CONTROL_POINT] = blob.hex()
            return decode_features(blob)
        except (BleakError, ValueError) as exc:
            log.warning("%s: PMD feature read failed (%s); assuming an H10 (ACC, ECG)", self.label, exc)
            return H10_FEATURES

    def _sink_write(self, char: str, payload: bytes) -> None:
        self._sink(TraceEvent(self._clock(), self.device.address, "write", char, payload))

    def _notifier(self, char: str) -> Callable[[Any, bytearray], None]:
        address, sink, clock = self.device.address, self._sink, self._clock

        def on_notify(_: Any, data: bytearray) -> None:
            sink(TraceEvent(clock(), address, "notify", char, bytes(data)))

        return on_notify

    def _control_point_callback(self, control: PmdControl) -> Callable[[Any, bytearray], None]:
        def on_indication(_: Any, data: bytearray) -> None:
            payload = bytes(data)
            self._sink(TraceEvent(self._clock(), self.device.address, "notify", PMD_CONTROL_POINT, payload))
            control.indicated(payload)

        return on_indication

    def _on_disconnect(self, _: BleakClient) -> None:
        self._emit("disconnected")
        self._lost.set()

    def _emit(self, kind: EventKind) -> None:
        self._sink(TraceEvent(self._clock(), self.device.address, kind))


async def _acquire_mtu(client: BleakClient) -> None:
    """BlueZ negotiates the MTU itself, but bleak reports 23 (and warns) until asked to look (``_acquire_mtu``,
    a private BlueZ-backend method: best effort, other backends report the real MTU)."""
    acquire = getattr(client._backend, "_acquire_mtu", None)
    if acquire is None:
        return
    try:
        await acquire()
    except Exception as exc:  # noqa: BLE001 - a private D-Bus call; without it the MTU check says why
        log.info("could not read the negotiated MTU from BlueZ: %r", exc)


def _gatt_table(client: BleakClient) -> list[dict[str, Any]]:
    return [
        {
            "uuid": service.uuid,
            "characteristics": [{"uuid": c.uuid, "properties": list(c.properties)} for c in service.characteristics],
        }
        for service in client.services
    ]


async def stream_devices(
    devices: list[BLEDevice],
    sink: Sink,
    stop: asyncio.Event,
    *,
    settings: StreamSettings,
    backend: Backend,
    clock: Clock = time.time_ns,
    links: list[DeviceLink] | None = None,
) -> None:
    """Stream every device concurrently until ``stop`` is set; a refusal by any device stops all of them.

    Pass ``links`` to supply configured ``DeviceLink`` objects instead (``devices`` is then ignored).
    """
    if links is None:
        lock = asyncio.Lock()
        links = [DeviceLink(d, sink, settings=settings, backend=backend, clock=clock, connect_lock=lock) for d in devices]
    tasks = [asyncio.ensure_future(link.run(stop)) for link in links]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
