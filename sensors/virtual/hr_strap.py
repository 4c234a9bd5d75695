"""A virtual heart-rate strap: the standard Heart Rate Service, one 0x2A37 notification per device second."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bumble.gatt import Characteristic, Service

from sensors.gatt import BODY_SENSOR_LOCATION, HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE
from sensors.heart_rate import RR_UNITS_PER_S, decode_heart_rate, encode_heart_rate
from sensors.virtual.peripheral import DeviceClock, VirtualPeripheral

CHEST = 0x01


def rr_sequence_1024(index: int) -> int:
    """The strap's beat ``index`` as an RR interval in 1/1024 s (a slow breathing-like wobble, 780-900 ms)."""
    return round((780 + 30 * (index % 5)) * RR_UNITS_PER_S / 1000)


@dataclass
class HeartLog:
    """What a strap sent: every RR interval (1/1024 s) in order, and the notifications that carried them."""

    rr_1024: list[int] = field(default_factory=list)
    notifications: int = 0


class HeartRateStream:
    """Beats on a device clock; each device second, one notification with the beats that ended in it."""

    def __init__(self, clock: DeviceClock) -> None:
        self.clock = clock
        self.log = HeartLog()
        self._beat = 0
        self._elapsed_1024 = 0

    def next_packet(self, second: int) -> bytes:
        """The notification sent at the end of device second ``second`` (counted from stream start)."""
        rr: list[int] = []
        while self._elapsed_1024 + rr_sequence_1024(self._beat) <= second * RR_UNITS_PER_S:
            rr.append(rr_sequence_1024(self._beat))
            self._elapsed_1024 += rr[-1]
            self._beat += 1
        bpm = round(60 * RR_UNITS_PER_S / rr[-1]) if rr else 0
        return encode_heart_rate(bpm, tuple(rr), contact=True)


class VirtualHeartRateStrap(VirtualPeripheral):
    """A strap speaking only the Heart Rate Service (0x180D / 0x2A37 notify, 0x2A38 read)."""

    def __init__(self, link: object, address: str, name: str = "HRM-Pro VIRT", *, clock: DeviceClock | None = None,
                 max_mtu: int = 23) -> None:
        super().__init__(link, address, name, max_mtu=max_mtu)  # type: ignore[arg-type]
        self.clock = clock or DeviceClock()
        self.heart = HeartRateStream(self.clock)
        self.hr_char = Characteristic(
            HEART_RATE_MEASUREMENT, Characteristic.Properties.NOTIFY, Characteristic.Permissions(0), b""
        )

    def heart_rate_service(self) -> Service:
        location = Characteristic(
            BODY_SENSOR_LOCATION, Characteristic.Properties.READ, Characteristic.READABLE, bytes([CHEST])
        )
        return Service(HEART_RATE_SERVICE, [self.hr_char, location])

    def services(self) -> list[Service]:
        return [self.heart_rate_service()]

    def _on_connection(self, connection: object) -> None:
        super()._on_connection(connection)  # type: ignore[arg-type]
        self.spawn(self._heart_loop())

    async def _heart_loop(self) -> None:
        second = 0
        while True:
            await self.clock.sleep_device_s(1.0)
            second += 1
            packet = self.heart.next_packet(second)
            if self.subscribed(self.hr_char):
                self.heart.log.notifications += 1
                self.heart.log.rr_1024.extend(decode_heart_rate(packet).rr_1024)
                await self.notify_raw(self.hr_char, packet)

    async def notify_raw(self, characteristic: Characteristic[bytes], payload: bytes) -> None:
        """Notify any payload (even a malformed one) to the connected client, if it subscribed."""
        if self.device is not None and self.connection is not None:
            await self.device.notify_subscriber(self.connection, characteristic, payload)
        else:
            await asyncio.sleep(0)
