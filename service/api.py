"""The JSON API under ``/api/``: reads through `service.queries`, writes through `service.store`."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from service import live, queries, store, tempo
from service.analysis import analyse_stored_session
from service.db import open_db
from service.export import csv_export, export_rows, table_names
from service.models import (
    BatchAck,
    Checkin,
    CheckinIn,
    Exercise,
    HrvReading,
    HrvReadingIn,
    LiveEvent,
    Message,
    SessionCreated,
    SessionEnd,
    SessionEnded,
    SessionIn,
    SetOut,
    SetPatch,
)
from service.remote_ingest import BatchError, BatchWriter, StorageError, UnknownSession, decode_batches

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message}, 401: {"model": Message}, 404: {"model": Message}, 413: {"model": Message},
    422: {"model": Message}, 503: {"model": Message},
}
router = APIRouter(prefix="/api", responses=ERRORS)
#: Batches one WebSocket recorder may have in flight (sent, not yet acknowledged).
WS_WINDOW = 32


def get_db(request: Request) -> sqlite_utils.Database:
    return request.app.state.db  # type: ignore[no-any-return]


def get_writer(request: Request) -> BatchWriter:
    return request.app.state.writer  # type: ignore[no-any-return]


Db = Annotated[sqlite_utils.Database, Depends(get_db)]
RowId = Annotated[int, PathParam(ge=1, le=2**62, description="row id")]


@router.get("/sessions", summary="List sessions, newest first")
async def list_sessions(db: Db) -> list[dict[str, Any]]:
    return queries.list_sessions(db)


@router.post("/sessions", status_code=201, summary="Open a session (for a remote recorder)")
async def create_session(db: Db, body: SessionIn) -> SessionCreated:
    return SessionCreated(id=store.create_session(db, body))


@router.post("/sessions/{session_id}/end", summary="End a session and compute its sets and reps")
async def end_session(request: Request, db: Db, session_id: RowId, body: SessionEnd) -> SessionEnded:
    ended = store.end_session(db, session_id, body.ended_at)
    set_ids = await run_in_threadpool(_analyse, request.app.state.settings.db_path, session_id)
    return SessionEnded(id=session_id, ended_at=ended, set_ids=set_ids)


def _analyse(db_path: Path, session_id: int) -> list[int]:
    """Offline analysis on a connection of its own (it runs in a worker thread)."""
    db = open_db(db_path)
    try:
        return analyse_stored_session(db, session_id)
    finally:
        db.conn.close()


@router.get("/sessions/{session_id}", summary="A session with its sets, devices and heart rate")
async def get_session(db: Db, session_id: RowId) -> dict[str, Any]:
    session = queries.get_session(db, session_id)
    session["sets"] = tempo.with_tempo(db, session["sets"], session_id=session_id)
    session["heart_rate"] = [{"t_s": t, "bpm": b} for t, b in queries.heart_rate_series(db, session_id)]
    return session


@router.get("/exercises", summary="The exercise catalogue with the aliases other apps use")
async def list_exercises(db: Db) -> list[Exercise]:
    return [Exercise(**row) for row in queries.exercises(db)]


@router.get("/sets/{set_id}", summary="One set")
async def get_set(db: Db, set_id: RowId) -> SetOut:
    return _set_out(db, set_id)


@router.patch("/sets/{set_id}", summary="Edit a set: confirmed reps, load, RPE/RIR, exercise")
async def patch_set(db: Db, set_id: RowId, body: SetPatch) -> SetOut:
    store.update_set(db, set_id, body)
    return _set_out(db, set_id)


def _set_out(db: sqlite_utils.Database, set_id: RowId) -> SetOut:
    row = tempo.with_tempo(db, [queries.get_set(db, set_id)], set_id=set_id)[0]
    return SetOut(**row, load_lb=store.kg_to_lb(row["load_kg"]))


@router.post("/checkins", status_code=201, summary="Record a mood / wellness check-in")
async def add_checkin(db: Db, body: CheckinIn) -> Checkin:
    return Checkin(**queries.get_checkin(db, store.add_checkin(db, body)))


@router.get("/checkins", summary="Check-ins, of one session or all (newest first)")
async def list_checkins(db: Db, session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> list[Checkin]:
    if session_id is not None:
        queries.get_session_row(db, session_id)
    return [Checkin(**row) for row in queries.checkins(db, session_id=session_id)]


@router.post("/hrv-readings", status_code=201, summary="Store an HRV reading computed from RR intervals")
async def add_hrv_reading(db: Db, body: HrvReadingIn) -> HrvReading:
    return HrvReading(**queries.get_hrv_reading(db, store.add_hrv_reading(db, body)))


@router.get("/hrv-readings", summary="HRV readings, of one session or all (oldest first)")
async def list_hrv_readings(db: Db,
                            session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> list[HrvReading]:
    return [HrvReading(**row) for row in queries.hrv_readings(db, session_id=session_id)]


@router.get("/live/events.json", summary="Live events after an id (polling twin of the SSE stream)")
async def live_events_json(db: Db, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                           session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> list[LiveEvent]:
    return [LiveEvent(**row) for row in live.events_after(db, after, session_id=session_id)]


@router.get("/live/events", response_class=StreamingResponse, summary="Live events as server-sent events",
            responses={200: {"content": {"text/event-stream": {}}}})
async def live_events(request: Request, db: Db, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                      session_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                      max_s: Annotated[float, Query(gt=0, le=86400, allow_inf_nan=False)] = 3600) -> StreamingResponse:
    last = request.headers.get("last-event-id", "")
    start = int(last) if last.isascii() and last.isdigit() and int(last) <= 2**62 else after  # else not ours
    return StreamingResponse(live.sse_stream(db, start, session_id=session_id, max_s=max_s),
                             media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post("/ingest/batches", summary="Remote ingest: one or more binary LMB1 batches (see service/README.md)",
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                               "format": "binary"}}}}})
async def ingest_batches(request: Request, writer: Annotated[BatchWriter, Depends(get_writer)]) -> list[BatchAck]:
    try:
        batches = decode_batches(await request.body())
    except BatchError as exc:
        raise HTTPException(400, str(exc)) from None
    acks = []
    for batch in batches:
        try:
            acks.append(BatchAck(**await writer.submit(batch)))
        except UnknownSession as exc:
            raise HTTPException(404, str(exc)) from None
        except StorageError as exc:
            raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from None
    return acks


@router.websocket("/ingest/ws")
async def ingest_ws(websocket: WebSocket) -> None:
    """One WebSocket per recorder: a binary message per batch, a JSON text ack per batch after its commit.

    Acks come back in the order the batches were sent. A recorder may send up to `WS_WINDOW` batches before
    the first ack arrives: the next batches are read (and join the writer's group commit) while earlier
    ones commit.
    """
    writer: BatchWriter = websocket.app.state.writer
    await websocket.accept()
    acks: asyncio.Queue[asyncio.Task[dict[str, Any]] | None] = asyncio.Queue()
    window = asyncio.Semaphore(WS_WINDOW)
    reader = asyncio.create_task(_read_batches(websocket, writer, acks, window))
    sender = asyncio.create_task(_send_acks(websocket, acks, window))
    done, _ = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
    if reader in done:
        acks.put_nowait(None)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await sender
    else:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _read_batches(websocket: WebSocket, writer: BatchWriter,
                        acks: asyncio.Queue[asyncio.Task[dict[str, Any]] | None], window: asyncio.Semaphore) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await window.acquire()
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            acks.put_nowait(asyncio.create_task(_ws_ack(writer, message.get("bytes"))))


async def _send_acks(websocket: WebSocket, acks: asyncio.Queue[asyncio.Task[dict[str, Any]] | None],
                     window: asyncio.Semaphore) -> None:
    while (task := await acks.get()) is not None:
        ack = await task
        window.release()
        await websocket.send_text(json.dumps(ack))


async def _ws_ack(writer: BatchWriter, data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {"error": "send each batch as a binary message (LMB1 format)"}
    try:
        return await writer.submit(decode_batches(data)[0])
    except (BatchError, StorageError) as exc:
        return {"error": str(exc)}


@router.get("/export/{table}.{fmt}", summary="Export one table as CSV or JSON",
            responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
async def export_table(db: Db, table: str, fmt: Literal["csv", "json"]) -> Response:
    if table not in table_names(db):
        raise HTTPException(404, f"table {table!r} does not exist; tables: {', '.join(table_names(db))}")
    if fmt == "json":
        return StreamingResponse(_json_lines(export_rows(db, table)), media_type="application/json")
    return StreamingResponse(_csv_lines(db, table), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{table}.csv"'})


@router.get("/export", summary="The tables that can be exported")
async def export_index(db: Db) -> list[str]:
    return table_names(db)


def _json_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + json.dumps(row)
    yield "]"


def _csv_lines(db: sqlite_utils.Database, table: str) -> Iterator[str]:
    columns, rows = csv_export(db, table)
    buffer = io.StringIO()
    out = csv.DictWriter(buffer, fieldnames=columns)
    out.writeheader()
    for row in rows:
        out.writerow(row)
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
