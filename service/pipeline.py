"""One session's path from raw GATT events to the store, shared by live recording and trace replay.

Events are (optionally) appended to the raw trace first, then decoded and written; closing the pipeline
commits what is left, closes the trace and analyses the session (sets, reps, heart rate).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sensors.decode import Record, StreamDecoder
from sensors.trace import TraceEvent, TraceWriter
from service.analysis import analyse_stored_session
from service.ingest import SessionWriter


class SessionPipeline:
    """trace (optional) -> decoder -> store for one session; ``close`` finishes and analyses it."""

    def __init__(self, writer: SessionWriter, *, trace: TraceWriter | None = None) -> None:
        self.writer = writer
        self.trace = trace
        self.decoder = StreamDecoder()
        self.events = 0

    def handle(self, event: TraceEvent) -> list[Record]:
        if self.trace is not None:
            self.trace.write(event)
        self.events += 1
        records = self.decoder.feed(event)
        self.writer.add(records)
        return records

    async def consume(self, queue: asyncio.Queue[TraceEvent]) -> None:
        """Handle events as the reader enqueues them, until cancelled."""
        while True:
            self.handle(await queue.get())

    def drain(self, queue: asyncio.Queue[TraceEvent]) -> None:
        """Handle what is still queued (after the reader stopped)."""
        while not queue.empty():
            self.handle(queue.get_nowait())

    def close(self, end_ns: int, *, labels: list[dict[str, Any]] | None = None) -> list[int]:
        """Commit everything, close the trace, analyse the session; returns the new set ids."""
        try:
            self.writer.finish(self.decoder, end_ns)
        finally:
            if self.trace is not None:
                self.trace.close()
        return analyse_stored_session(self.writer.db, self.writer.session_id, labels=labels)


async def stop_consumer(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
