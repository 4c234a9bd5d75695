"""Tier 2: a trace the real reader recorded (virtual H10 + strap, with faults) replayed through the reader.

``fixtures/sensors/virtual_h10_faults`` (see ``tests/sensors/make_fixtures.py``) carries what the sensors
really sent in ``meta.json['truth']``: the replay must find every dropped frame, the reconnect, and the
malformed packet, and invent nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sensors.ble import Backend, StreamSettings, discover, stream_devices
from sensors.decode import SampleFrame, StreamDecoder
from sensors.gatt import HEART_RATE_MEASUREMENT
from sensors.polar_pmd import Measurement
from sensors.replay import ReplayClient, ReplayRadio, ReplayScanner
from sensors.trace import TraceEvent, load_events, read_meta

from .air import H10_ADDR, STRAP_ADDR, indexes_of

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "fixtures" / "sensors" / "virtual_h10_faults"


def replay(folder: Path) -> list[TraceEvent]:
    async def run() -> list[TraceEvent]:
        radio = ReplayRadio(folder, speed=0)
        backend = Backend(client=ReplayClient, scanner=ReplayScanner, kwargs={"radio": radio})
        devices = [d for d, _ in await discover(backend, timeout_s=0.05)]
        got: list[TraceEvent] = []
        stop = asyncio.Event()
        task = asyncio.create_task(stream_devices(devices, got.append, stop, settings=StreamSettings(ecg=True),
                                                  backend=backend, clock=radio.now_ns))
        await radio.finished()
        stop.set()
        await task
        return got

    return asyncio.run(run())


def frames(events: list[TraceEvent], measurement: Measurement) -> tuple[list[SampleFrame], StreamDecoder]:
    decoder = StreamDecoder()
    out = [r for e in events for r in decoder.feed(e) if isinstance(r, SampleFrame) and r.measurement is measurement]
    return out, decoder


@pytest.fixture(scope="module")
def replayed() -> list[TraceEvent]:
    return replay(TRACE)


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return dict(read_meta(TRACE)["truth"])


def test_fixture_is_small_and_says_where_it_came_from() -> None:
    meta = read_meta(TRACE)
    assert "SYNTHETIC" in meta["provenance"] and meta["truth"]
    assert sum(p.stat().st_size for p in TRACE.iterdir()) < 100_000


def test_replay_reconnects_where_the_recording_did(replayed: list[TraceEvent], truth: dict[str, Any]) -> None:
    h10_links = [e.kind for e in replayed if e.addr == H10_ADDR and e.kind == "connected"]
    assert len(h10_links) == truth[H10_ADDR]["connections"] == 2


def test_every_dropped_acc_frame_is_a_marked_gap_and_no_gap_is_invented(
    replayed: list[TraceEvent], truth: dict[str, Any]
) -> None:
    acc, _ = frames(replayed, Measurement.ACC)
    acc = [f for f in acc if f.addr == H10_ADDR]
    assert sum(len(f.values) for f in acc) == truth[H10_ADDR]["acc"]["sent_samples"]
    idx = indexes_of(np.concatenate([f.values for f in acc]))
    missing = np.diff(idx) - 1
    # a gap is marked exactly where sample indexes jump, with exactly the samples missing there
    boundaries = np.cumsum([len(f.values) for f in acc])[:-1]
    assert np.all(missing[np.setdiff1d(np.arange(len(missing)), boundaries - 1)] == 0)
    marked = np.array([f.lost_samples for f in acc[1:]])
    expected = missing[boundaries - 1]
    assert np.array_equal(marked > 0, expected > 0)  # every gap found, none invented
    # a dropped frame costs exactly its samples; a restart after the outage starts off the old sample
    # grid, so the time it cost is a fraction of a sample off a whole count (rounded either way)
    assert np.all(np.abs(marked - expected) <= 1)
    assert np.sum(marked - expected != 0) <= truth[H10_ADDR]["connections"] - 1
    assert sum(f.gap_ns > 0 for f in acc) >= truth[H10_ADDR]["acc"]["dropped_frames"]


def test_ecg_arrives_whole_in_order(replayed: list[TraceEvent], truth: dict[str, Any]) -> None:
    ecg, _ = frames(replayed, Measurement.ECG)
    values = np.concatenate([f.values for f in ecg])[:, 0]
    assert len(values) == truth[H10_ADDR]["ecg"]["sent_samples"]
    t = np.concatenate([f.device_t_ns for f in ecg])
    assert np.all(np.diff(t) > 0)


def test_heart_rate_and_the_malformed_packet(replayed: list[TraceEvent], truth: dict[str, Any]) -> None:
    _, decoder = frames(replayed, Measurement.ACC)
    assert decoder.errors[(STRAP_ADDR, HEART_RATE_MEASUREMENT)] == truth[STRAP_ADDR]["malformed_notifications"]
    decoder = StreamDecoder()
    rr = [rr for e in replayed if e.addr == STRAP_ADDR for r in decoder.feed(e) for rr in getattr(r, "rr_ms", ())]
    assert [round(v * 1024 / 1000) for v in rr] == truth[STRAP_ADDR]["rr_1024"]


def test_replay_decodes_the_same_as_the_recording(replayed: list[TraceEvent]) -> None:
    recorded, _ = load_events(TRACE)
    for measurement in (Measurement.ACC, Measurement.ECG):
        a, _ = frames(recorded, measurement)
        b, _ = frames(replayed, measurement)
        np.testing.assert_array_equal(np.concatenate([f.values for f in a]), np.concatenate([f.values for f in b]))
        np.testing.assert_array_equal(np.concatenate([f.device_t_ns for f in a]),
                                      np.concatenate([f.device_t_ns for f in b]))
        assert [f.lost_samples for f in a] == [f.lost_samples for f in b]
