"""Replaying a trace into the store through the same reader, decoder and ingest path as a live session."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from sensors.ble import Backend, StreamSettings, discover, stream_devices
from sensors.replay import ReplayClient, ReplayRadio, ReplayScanner
from sensors.trace import TraceEvent
from service.ingest import SessionWriter
from service.pipeline import SessionPipeline, stop_consumer


@dataclass
class ReplayReport:
    session_id: int
    events: int = 0
    samples: int = 0
    skipped_lines: dict[int, str] = field(default_factory=dict)
    decode_errors: dict[str, int] = field(default_factory=dict)
    unknown_characteristics: int = 0
    not_replayed: int = 0
    sets: int = 0


def _start_ns(meta: dict[str, Any], first_event_ns: int) -> int:
    """The recording's start (``started_at``, which truth times count from), else its first event."""
    try:
        return int(dt.datetime.fromisoformat(str(meta["started_at"])).timestamp()) * 1_000_000_000
    except (KeyError, ValueError):
        return first_event_ns


async def replay_trace(folder: Path, db: sqlite_utils.Database, *, speed: float = 0.0) -> ReplayReport:
    """Play ``folder`` through bleak (replay backend) into ``db``; analyse the session at the end."""
    radio = ReplayRadio(folder, speed=speed)
    backend = Backend(client=ReplayClient, scanner=ReplayScanner, kwargs={"radio": radio})
    found = await discover(backend, timeout_s=0.05)
    meta = radio.meta
    writer = SessionWriter(
        db,
        t0_ns=_start_ns(meta, radio.start_ns),
        title=str(meta.get("description", Path(folder).name)),
        source="replay",
        devices=list(meta["devices"]),
        trace_path=str(folder),
        synthetic=bool(meta.get("synthetic", False)),
    )
    report = ReplayReport(writer.session_id, skipped_lines=radio.stats.skipped)
    pipeline = SessionPipeline(writer)
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()
    stop = asyncio.Event()
    readers = asyncio.create_task(
        stream_devices([d for d, _ in found], queue.put_nowait, stop,
                       settings=StreamSettings(), backend=backend, clock=radio.now_ns)
    )
    consumer = asyncio.create_task(pipeline.consume(queue))
    try:
        await radio.finished()
        stop.set()
        await readers
    finally:
        stop.set()
        await stop_consumer(consumer)
        readers.cancel()
        pipeline.drain(queue)
        report.sets = len(pipeline.close(radio.now_ns(), labels=meta.get("truth", {}).get("sets", [])))
    decoder = pipeline.decoder
    report.events = pipeline.events
    report.samples = writer.samples_stored
    report.decode_errors = {f"{a} {c}": n for (a, c), n in decoder.errors.items()}
    report.unknown_characteristics = sum(decoder.unknown_characteristics.values()) + radio.unknown_characteristics
    report.not_replayed = radio.not_replayed
    return report
