"""A virtual BLE peripheral on a Bumble controller: advertising, one connection, link faults, a device clock.

Subclasses add GATT services and streams. The device clock runs ``time_scale`` times faster than the
event loop's clock (0: as fast as the loop allows) and drifts by ``clock_ppm``; ``reset_clock`` puts it
back to the H10's power-on default, as a strap that lost power does. Needs the ``bumble`` test extra.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bumble.controller import Controller
from bumble.core import AdvertisingData
from bumble.device import Connection, Device
from bumble.gatt import Service
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from sensors.polar_pmd import H10_DEFAULT_CLOCK_NS

log = logging.getLogger(__name__)

ADVERTISING_INTERVAL_MS = 20


class DeviceClock:
    """A sensor's clock (ns since 2000-01-01) against the event loop: scaled, drifting, resettable.

    ``time_scale`` device seconds pass per loop second (10: a minute of streaming in 6 s); the crystal
    runs ``ppm`` fast (negative: slow).
    """

    def __init__(self, *, start_ns: int = H10_DEFAULT_CLOCK_NS, time_scale: float = 1.0, ppm: float = 0.0) -> None:
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        self.start_ns = start_ns
        self.time_scale = time_scale
        self.ppm = ppm
        self._t0: float | None = None

    def _loop_s(self) -> float:
        now = asyncio.get_running_loop().time()
        if self._t0 is None:
            self._t0 = now
        return now - self._t0

    def now_ns(self) -> int:
        """The device clock now."""
        return self.start_ns + round(self._loop_s() * self.time_scale * 1e9 * (1.0 + self.ppm * 1e-6))

    def period_ns(self, fs_hz: float) -> float:
        """One sample period on this clock (the sensor's own clock ticks the samples: exactly nominal)."""
        return 1e9 / fs_hz

    async def sleep_device_s(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.time_scale)

    async def sleep_until(self, device_ns: int) -> None:
        """Sleep until the device clock reads ``device_ns``."""
        delay_ns = device_ns - self.now_ns()
        await asyncio.sleep(max(0.0, delay_ns / 1e9 / self.time_scale / (1.0 + self.ppm * 1e-6)))

    def reset(self) -> None:
        """Lose power: the clock restarts at the H10 default."""
        self._loop_s()
        self.start_ns, self._t0 = H10_DEFAULT_CLOCK_NS, asyncio.get_running_loop().time()


class VirtualPeripheral:
    """A connectable peripheral on ``link`` with the given services; subclasses define ``services()``."""

    def __init__(self, link: LocalLink, address: str, name: str, *, max_mtu: int = 232) -> None:
        self.link = link
        self.address = address.upper()
        self.name = name
        self.max_mtu = max_mtu
        self.controller: Controller | None = None
        self.device: Device | None = None
        self.connection: Connection | None = None
        self.connections = 0
        self._return: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def services(self) -> list[Service]:
        raise NotImplementedError

    def advertised_uuids(self) -> bytes:
        """The 16-bit service UUIDs to advertise, little-endian."""
        return bytes.fromhex("0d18")

    async def start(self) -> None:
        """Power on and advertise every 20 ms (again after each disconnection)."""
        self.controller = Controller(f"virtual-{self.address}", link=self.link, public_address=self.address)
        host = Host(self.controller, AsyncPipeSink(self.controller))
        self.device = Device(name=self.name, address=Address(self.address), host=host)
        self.device.gatt_server.max_mtu = self.max_mtu
        self.device.add_services(self.services())
        self.device.on("connection", self._on_connection)
        await self.device.power_on()
        self.device.advertising_data = bytes(
            AdvertisingData(
                [
                    (AdvertisingData.FLAGS, bytes([0x06])),
                    (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, self.advertised_uuids()),
                    (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                ]
            )
        )
        await self.advertise()

    async def advertise(self) -> None:
        assert self.device is not None
        await self.device.start_advertising(
            auto_restart=True,
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    async def stop(self) -> None:
        """Stop everything and power off."""
        self._cancel_tasks()
        if self._return is not None:
            self._return.cancel()
        if self.device is not None:
            await self.device.power_off()
            self.device = None
        if self.controller is not None and self.controller in self.link.controllers:
            self.link.remove_controller(self.controller)

    async def drop_link(self, *, away_s: float = 0.0) -> None:
        """Drop the connection (as a sensor walking out of range); stay silent for ``away_s`` s of loop time."""
        assert self.device is not None
        if away_s > 0:
            await self.device.stop_advertising()
        if self.connection is not None:
            await self.connection.disconnect()
        if away_s > 0:
            self._return = asyncio.get_running_loop().create_task(self._come_back(away_s))

    async def _come_back(self, away_s: float) -> None:
        await asyncio.sleep(away_s)
        if self.device is not None:
            await self.advertise()

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.connections += 1
        connection.on("disconnection", lambda reason: self._on_disconnection(connection))

    def _on_disconnection(self, connection: Connection) -> None:
        if self.connection is connection:
            self.connection = None
        self._cancel_tasks()
        self.on_link_lost()

    def on_link_lost(self) -> None:
        """Subclasses stop their streams here."""

    def subscribed(self, characteristic: Any) -> bool:
        """Whether the connected client enabled notifications or indications of ``characteristic``."""
        if self.device is None or self.connection is None:
            return False
        cccd = self.device.gatt_server.subscribers.get(self.connection, {}).get(characteristic.handle)
        return bool(cccd and cccd[0] & 0x03)

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
