"""Short synthetic traces written through the real trace writer, for the pipeline tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from repcount.synth import synth_session
from sensors.demo_trace import H10_GATT
from sensors.simulate import h10_session_events
from sensors.trace import TraceEvent, TraceWriter

ADDR = "A0:9E:1A:00:00:42"
STARTED = dt.datetime(2026, 11, 1, 18, 0, tzinfo=dt.UTC)


def device_meta(addr: str = ADDR) -> dict[str, Any]:
    return {"address": addr, "name": "Polar H10 TEST", "kind": "polar_h10", "placement": "chest", "mtu": 232,
            "gatt": H10_GATT, "streams": {"acc": {"sample_rate_hz": 200}}}


def h10_events(seed: int = 3, plan: tuple[tuple[str, int, float], ...] = (("squat", 5, 20.0),)) -> list[TraceEvent]:
    rng = np.random.default_rng(seed)
    session = synth_session(plan, placement="chest", fs_hz=200.0, rng=rng)
    effort = np.zeros(len(session.t_s))
    t0_ns = int(STARTED.timestamp()) * 1_000_000_000
    return h10_session_events(ADDR, t0_ns, session.acc_g, 200.0, effort, rng)


def write_trace(folder: Path, events: list[TraceEvent], devices: list[dict[str, Any]] | None = None) -> Path:
    meta = {"description": "test trace", "synthetic": True, "started_at": STARTED.isoformat(),
            "devices": devices or [device_meta()]}
    with TraceWriter(folder, meta) as writer:
        for event in events:
            writer.write(event)
    return folder


@pytest.fixture(scope="session")
def events() -> list[TraceEvent]:
    return h10_events()


@pytest.fixture
def trace(tmp_path: Path, events: list[TraceEvent]) -> Path:
    return write_trace(tmp_path / "trace", events)
