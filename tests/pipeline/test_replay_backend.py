"""The replay backend through bleak's public API, and the reader on top of it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from bleak import BleakClient, BleakScanner

from sensors.ble import Backend, StreamSettings, stream_devices
from sensors.decode import SampleFrame, StreamDecoder
from sensors.gatt import HEART_RATE_MEASUREMENT, PMD_CONTROL_POINT, PMD_DATA, PMD_SERVICE
from sensors.replay import ReplayClient, ReplayRadio, ReplayScanner
from sensors.trace import TraceEvent

from .conftest import ADDR, write_trace


def test_scanner_finds_the_traced_device_by_service(trace: Path) -> None:
    async def scan() -> str | None:
        radio = ReplayRadio(trace, speed=0)
        device = await BleakScanner.find_device_by_filter(
            lambda d, ad: PMD_SERVICE in ad.service_uuids, timeout=2.0, backend=ReplayScanner, radio=radio
        )
        return None if device is None else device.address

    assert asyncio.run(scan()) == ADDR


def test_client_serves_gatt_and_replays_only_what_was_subscribed(trace: Path) -> None:
    async def run() -> tuple[list[bytes], int]:
        radio = ReplayRadio(trace, speed=0, gate_timeout_s=0.2)
        received: list[bytes] = []
        async with BleakClient(ADDR, backend=ReplayClient, radio=radio) as client:
            assert client.services.get_characteristic(PMD_DATA) is not None
            await client.start_notify(HEART_RATE_MEASUREMENT, lambda _, data: received.append(bytes(data)))
            await radio.finished()
        return received, radio.playback(ADDR).dropped  # type: ignore[union-attr]

    received, dropped = asyncio.run(run())
    assert received and all(p[0] & 0x10 for p in received)  # HR packets with RR intervals, nothing else
    assert dropped > 0  # the ACC frames and the START response nobody asked for


def _read_through_reader(trace: Path) -> list[TraceEvent]:
    async def run() -> list[TraceEvent]:
        radio = ReplayRadio(trace, speed=0)
        backend = Backend(client=ReplayClient, scanner=ReplayScanner, kwargs={"radio": radio})
        scanner_devices = await BleakScanner.discover(timeout=0.05, backend=ReplayScanner, radio=radio)
        got: list[TraceEvent] = []
        stop = asyncio.Event()
        task = asyncio.create_task(
            stream_devices(scanner_devices, got.append, stop, settings=StreamSettings(), backend=backend, clock=radio.now_ns)
        )
        await radio.finished()
        stop.set()
        await task
        return got

    return asyncio.run(run())


def _acc(events: list[TraceEvent]) -> tuple[np.ndarray, np.ndarray]:
    decoder = StreamDecoder()
    frames = [r for e in events for r in decoder.feed(e) if isinstance(r, SampleFrame)]
    return np.concatenate([f.device_t_ns for f in frames]), np.concatenate([f.values for f in frames])


def test_record_then_replay_gives_the_same_decoded_samples(trace: Path, events: list[TraceEvent], tmp_path: Path) -> None:
    replayed = _read_through_reader(trace)
    # What the reader saw is itself a trace: record it and replay that too.
    second = write_trace(tmp_path / "rerecorded", replayed)
    replayed_again = _read_through_reader(second)
    t_ref, v_ref = _acc(events)
    for got in (replayed, replayed_again):
        t_got, v_got = _acc(got)
        np.testing.assert_array_equal(v_got, v_ref)
        np.testing.assert_array_equal(t_got, t_ref)
    hr = [e.payload for e in events if e.char == HEART_RATE_MEASUREMENT]
    assert [e.payload for e in replayed_again if e.char == HEART_RATE_MEASUREMENT] == hr
    writes = [e for e in replayed if e.kind == "write"]
    assert writes and writes[0].char == PMD_CONTROL_POINT and writes[0].payload[:2] == b"\x02\x02"


def test_link_drop_mid_trace_reconnects_and_loses_nothing(events: list[TraceEvent], tmp_path: Path) -> None:
    cut = len(events) // 2
    dropped = events[:cut] + [TraceEvent(events[cut].t_ns, ADDR, "disconnected")] + events[cut:]
    replayed = _read_through_reader(write_trace(tmp_path / "drop", dropped))
    assert [e.kind for e in replayed].count("connected") == 2
    _, v_ref = _acc(events)
    _, v_got = _acc(replayed)
    np.testing.assert_array_equal(v_got, v_ref)


def test_bad_packets_and_unknown_characteristics_are_counted_not_fatal(events: list[TraceEvent]) -> None:
    decoder = StreamDecoder()
    bad = [
        TraceEvent(1, ADDR, "notify", HEART_RATE_MEASUREMENT, b"\x01"),
        TraceEvent(2, ADDR, "notify", PMD_DATA, b"\x02\x00\x01"),
        TraceEvent(3, ADDR, "notify", "0000ffff-0000-1000-8000-00805f9b34fb", b"\x00"),
    ]
    records = [r for e in bad + events for r in decoder.feed(e)]
    assert sum(decoder.errors.values()) == 2
    assert sum(decoder.unknown_characteristics.values()) == 1
    assert any(isinstance(r, SampleFrame) for r in records)
