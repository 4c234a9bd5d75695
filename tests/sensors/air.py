"""Test helpers: a virtual radio (Bumble LocalLink) with virtual sensors, and the real reader on top of it."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from bumble.link import LocalLink

from sensors.ble import Backend, DeviceLink, StreamSettings, find_devices, stream_devices
from sensors.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
from sensors.decode import Record, SampleFrame, StreamDecoder
from sensors.polar_pmd import Measurement
from sensors.trace import TraceEvent
from sensors.virtual.peripheral import VirtualPeripheral
from sensors.virtual.polar_h10 import acc_sample, ecg_sample

H10_ADDR = "A0:9E:1A:00:00:01"
H10_ADDR_2 = "A0:9E:1A:00:00:02"
STRAP_ADDR = "C4:7C:8D:00:00:01"


class Air:
    """A local link, the reader's Bumble radio on it, and the virtual sensors added to it."""

    def __init__(self, *, mtu: int | None = 517) -> None:
        self.link = LocalLink()
        self.radio = BumbleRadio(link=self.link, mtu=mtu)
        self.backend = Backend(client=BumbleClient, scanner=BumbleScanner, kwargs={"radio": self.radio}, name="bumble")
        self.sensors: list[VirtualPeripheral] = []

    async def add(self, sensor: VirtualPeripheral) -> Any:
        await sensor.start()
        self.sensors.append(sensor)
        return sensor

    async def close(self) -> None:
        for sensor in self.sensors:
            await sensor.stop()
        await self.radio.close()


async def until(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait (polling the loop) until ``predicate`` holds; fail after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


@dataclass
class Session:
    """What the reader delivered: raw events, and the records the decoder made of them."""

    events: list[TraceEvent] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    decoder: StreamDecoder = field(default_factory=StreamDecoder)
    links: list[DeviceLink] = field(default_factory=list)

    def sink(self, event: TraceEvent) -> None:
        self.events.append(event)
        self.records.extend(self.decoder.feed(event))

    def frames(self, addr: str, measurement: Measurement = Measurement.ACC) -> list[SampleFrame]:
        return [r for r in self.records if isinstance(r, SampleFrame) and r.addr == addr and r.measurement is measurement]

    def values(self, addr: str, measurement: Measurement = Measurement.ACC) -> np.ndarray:
        return np.concatenate([f.values for f in self.frames(addr, measurement)])


@functools.cache
def _index_table(measurement: Measurement, search: int) -> dict[tuple[int, ...], int]:
    sample = acc_sample if measurement is Measurement.ACC else ecg_sample
    return {sample(i): i for i in range(search)}


def indexes_of(values: np.ndarray, measurement: Measurement = Measurement.ACC, search: int = 60_000) -> np.ndarray:
    """The sample indexes the virtual sensor generated these values at (unique within ``search``)."""
    table = _index_table(measurement, search)
    return np.array([table[tuple(int(v) for v in row)] for row in values])


async def read(
    air: Air,
    addresses: list[str],
    done: Callable[[Session], bool],
    *,
    settings: StreamSettings = StreamSettings(),
    timeout_s: float = 10.0,
    during: Callable[[Session], Any] | None = None,
    connect_timeout_s: float = 2.0,
) -> Session:
    """Run the reader on ``addresses`` until ``done(session)``; ``during`` runs alongside (faults)."""
    session = Session()
    devices = await find_devices(air.backend, addresses, timeout_s=5.0)
    stop = asyncio.Event()
    lock = asyncio.Lock()
    session.links = [
        DeviceLink(d, session.sink, settings=settings, backend=air.backend, connect_lock=lock,
                   connect_timeout_s=connect_timeout_s, min_backoff_s=0.05, max_backoff_s=0.2)
        for d in devices
    ]
    reader = asyncio.ensure_future(
        stream_devices(devices, session.sink, stop, settings=settings, backend=air.backend, links=session.links)
    )
    side = asyncio.ensure_future(during(session)) if during is not None else None
    try:
        await until(lambda: done(session) or reader.done(), timeout_s)
        stop.set()
        await reader
    finally:
        stop.set()
        reader.cancel()
        if side is not None:
            side.cancel()
    return session
