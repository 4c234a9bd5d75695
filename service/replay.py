"""Replaying a trace into the store through the same reader, decoder and ingest path as a live session."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from sensors.ble import Backend, StreamSettings, discover, stream_devices
from sensors.decode import StreamDecoder
from sensors.replay import ReplayClient, ReplayRadio, ReplayScanner
from sensors.trace import TraceEvent
from service.analysis import analyse_stored_session
from service.ingest import SessionWriter


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
    decoder = StreamDecoder()
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()
    stop = asyncio.Event()
    readers = asyncio.create_task(
        stream_devices([d for d, _ in found], queue.put_nowait, stop,
                       settings=StreamSettings(), backend=backend, clock=radio.now_ns)
    )

    def drain() -> None:
        while not queue.empty():
            event = queue.get_nowait()
            report.events += 1
            writer.add(decoder.feed(event))

    async def consume() -> None:
        while True:
            event = await queue.get()
            report.events += 1
            writer.add(decoder.feed(event))

    consumer = asyncio.create_task(consume())
    try:
        await radio.finished()
        stop.set()
        await readers
    finally:
        stop.set()
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        readers.cancel()
        drain()
        writer.finish(decoder, radio.now_ns())
    report.samples = writer.samples_stored
    report.decode_errors = {f"{a} {c}": n for (a, c), n in decoder.errors.items()}
    report.unknown_characteristics = sum(decoder.unknown_characteristics.values()) + radio.unknown_characteristics
    report.not_replayed = radio.not_replayed
    labels = meta.get("truth", {}).get("sets", [])
    report.sets = len(analyse_stored_session(db, writer.session_id, labels=labels))
    return report
