"""Remote ingest: the compact binary batch format and the single writer that commits batches in groups.

A remote recorder (phone, Raspberry Pi) sends batches over one WebSocket (``/api/ingest/ws``, one batch a
binary message, an ack a text message) or HTTP (``POST /api/ingest/batches``, one or more batches
concatenated). Each batch carries (session, device address, seq): the pair (device, seq) is stored in
``ingest_batches`` in the same transaction as the samples, so a retried batch is acknowledged again
(``duplicate: true``) but never stored twice. An ack is sent only after the commit that holds the batch.

Batch layout, little-endian (48-byte header, then the address, then ``n`` records)::

    0  4s magic b"LMB1"      4 u8 version (1)     5 u8 kind (1 ACC, 2 ECG, 3 HR, 4 RR)
    6  u16 address length A  8 u32 session_id      12 u64 seq
    20 i64 t0_ns (device clock, first sample)      28 i64 t1_ns (last sample)
    36 i64 arrival_ns (recorder host clock at the last sample)   44 u32 n
    48 A bytes address (UTF-8)
    records: ACC int16 x,y,z (mg) | ECG int32 (uV) | HR (i64 t_ns, u16 bpm) | RR (i64 t_ns, f32 rr_ms)
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from service.db import open_db
from service.live import LiveEmitter, insert_events

log = logging.getLogger(__name__)

MAGIC = b"LMB1"
HEADER = struct.Struct("<4sBBHIQqqqI")
KINDS: dict[int, tuple[str, np.dtype[Any]]] = {
    1: ("acc", np.dtype([("x", "<i2"), ("y", "<i2"), ("z", "<i2")])),
    2: ("ecg", np.dtype("<i4")),
    3: ("hr", np.dtype([("t_ns", "<i8"), ("bpm", "<u2")])),
    4: ("rr", np.dtype([("t_ns", "<i8"), ("rr_ms", "<f4")])),
}
KIND_CODES = {name: code for code, (name, _) in KINDS.items()}
MAX_RECORDS = 100_000
MAX_GROUP = 4096
#: A batch is "live" (gets live events: reps, sets, HR) when its last sample arrived at the recorder within
#: this long of now; older batches (a recorder catching up, an upload) are stored only. The streaming counter
#: costs about 4 ms per 1 s batch, which live rates afford and catch-up rates do not.
LIVE_WINDOW_NS = 10_000_000_000


class BatchError(ValueError):
    """A batch that cannot be stored; the message says why (sent back to the recorder as a 4xx)."""


class UnknownSession(BatchError):
    """The batch names a session that does not exist."""


class StorageError(RuntimeError):
    """The transaction holding the batch failed (disk full, I/O error): nothing was stored, retry later."""


@dataclass(frozen=True)
class Batch:
    kind: str
    session_id: int
    address: str
    seq: int
    t0_ns: int
    t1_ns: int
    arrival_ns: int
    records: np.ndarray

    @property
    def n(self) -> int:
        return len(self.records)


def encode_batch(kind: str, session_id: int, address: str, seq: int, records: np.ndarray, *,
                 t0_ns: int = 0, t1_ns: int = 0, arrival_ns: int = 0) -> bytes:
    """One batch in the wire format; ``records`` is converted to the kind's record type."""
    code = KIND_CODES[kind]
    data = np.ascontiguousarray(records).astype(KINDS[code][1], copy=False) if kind != "acc" else (
        np.ascontiguousarray(np.asarray(records, dtype="<i2").reshape(-1, 3)).view(KINDS[1][1]).reshape(-1)
    )
    addr = address.encode()
    head = HEADER.pack(MAGIC, 1, code, len(addr), session_id, seq, t0_ns, t1_ns, arrival_ns, len(data))
    return head + addr + data.tobytes()


def decode_batches(body: bytes) -> list[Batch]:
    """Every batch in ``body`` (one or more, concatenated); raises `BatchError` naming the first problem."""
    batches, offset = [], 0
    view = memoryview(body)
    while offset < len(body):
        batch, offset = _decode_one(view, offset)
        batches.append(batch)
    if not batches:
        raise BatchError("the body holds no batch")
    return batches


def _decode_one(view: memoryview, offset: int) -> tuple[Batch, int]:
    if len(view) - offset < HEADER.size:
        raise BatchError(f"batch at byte {offset} is shorter than the {HEADER.size}-byte header")
    magic, version, code, alen, session_id, seq, t0, t1, arrival, n = HEADER.unpack_from(view, offset)
    if magic != MAGIC or version != 1:
        raise BatchError(f"batch at byte {offset} does not start with LMB1 version 1")
    if code not in KINDS:
        raise BatchError(f"batch kind {code} is unknown; known: {sorted(KINDS)}")
    if not 1 <= alen <= 64 or n > MAX_RECORDS or seq >= 2**63:
        raise BatchError(f"batch at byte {offset}: address length {alen}, n {n} or seq {seq} out of range")
    kind, dtype = KINDS[code]
    start = offset + HEADER.size + alen
    end = start + n * dtype.itemsize
    if end > len(view):
        raise BatchError(f"batch at byte {offset} declares {n} records but the body ends first")
    try:
        address = bytes(view[offset + HEADER.size:start]).decode()
    except UnicodeDecodeError:
        raise BatchError("batch address is not UTF-8") from None
    records = np.frombuffer(view[start:end], dtype=dtype)
    return Batch(kind, session_id, address, seq, t0, t1, arrival, records), end


@dataclass
class _Pending:
    batch: Batch
    future: asyncio.Future[dict[str, Any]]
    loop: asyncio.AbstractEventLoop


class BatchWriter:
    """The one thread that writes remote batches: it takes every batch waiting and commits them together."""

    def __init__(self, db_path: Path | str, *, live: bool = True) -> None:
        self.db_path = db_path
        self.live = live
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._devices: dict[tuple[int, str], int] = {}
        self._sessions: dict[int, int] = {}
        self._emitters: dict[int, LiveEmitter] = {}
        self.commits = 0

    def start(self) -> None:
        """Start the writer thread (once: a second call while it runs does nothing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="liftmind-batch-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    async def submit(self, batch: Batch) -> dict[str, Any]:
        """Queue ``batch``; returns its ack once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._queue.put(_Pending(batch, future, loop))
        return await future

    def _run(self) -> None:
        db = open_db(self.db_path, durable=True)
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                group = [first]
                while len(group) < MAX_GROUP:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._queue.put(None)
                        break
                    group.append(item)
                self._commit(db, group)
        finally:
            db.conn.close()

    def _commit(self, db: sqlite_utils.Database, group: list[_Pending]) -> None:
        results: list[dict[str, Any] | BaseException] = []
        try:
            with db.conn:
                results = [self._store(db, p.batch) for p in group]
        except sqlite3.Error as exc:  # the whole group rolled back: every waiter hears it, none is acked
            log.exception("batch group of %d failed", len(group))
            self._devices.clear()
            results = [StorageError(f"the batch was not stored ({exc.__class__.__name__}); retry it")] * len(group)
        self.commits += 1
        for pending, result in zip(group, results, strict=True):
            pending.loop.call_soon_threadsafe(_resolve, pending.future, result)

    def _store(self, db: sqlite_utils.Database, batch: Batch) -> dict[str, Any] | BaseException:
        t0_ns = self._session_t0(db, batch.session_id)
        if t0_ns is None:
            return UnknownSession(f"session {batch.session_id} does not exist")
        device_id = self._device(db, batch)
        cursor = db.conn.execute(
            "insert or ignore into ingest_batches (device_id, seq, session_id, kind, n, received_at_ns) "
            "values (?, ?, ?, ?, ?, ?)",
            [device_id, batch.seq, batch.session_id, batch.kind, batch.n, time.time_ns()],
        )
        ack = {"session_id": batch.session_id, "device_id": device_id, "seq": batch.seq, "duplicate": True}
        if cursor.rowcount == 0:
            return ack
        _insert_samples(db, batch, device_id)
        if self.live and abs(time.time_ns() - batch.arrival_ns) < LIVE_WINDOW_NS:
            insert_events(db, self._live_rows(batch, device_id, t0_ns))
        return {**ack, "duplicate": False}

    def _session_t0(self, db: sqlite_utils.Database, session_id: int) -> int | None:
        if session_id not in self._sessions:
            row = db.execute("select coalesce(t0_ns, 0) from sessions where id = ?", [session_id]).fetchone()
            if row is None:
                return None
            self._sessions[session_id] = int(row[0])
        return self._sessions[session_id]

    def _device(self, db: sqlite_utils.Database, batch: Batch) -> int:
        """The batch's device row, created on its first batch with the device-to-host clock offset."""
        key = (batch.session_id, batch.address)
        if key not in self._devices:
            offset_ns = batch.arrival_ns - batch.t1_ns if batch.arrival_ns else 0
            db.execute(
                "insert or ignore into devices (session_id, address, kind, clock_offset_ns) values (?, ?, 'remote', ?)",
                [batch.session_id, batch.address, offset_ns],
            )
            row = db.execute("select id from devices where session_id = ? and address = ?",
                             [batch.session_id, batch.address])
            self._devices[key] = int(row.fetchone()[0])
        return self._devices[key]

    def _live_rows(self, batch: Batch, device_id: int, t0_ns: int) -> list[dict[str, Any]]:
        emitter = self._emitters.setdefault(batch.session_id, LiveEmitter(batch.session_id, t0_ns))
        if batch.kind == "hr":
            return [emitter.hr(device_id, int(r["t_ns"]), int(r["bpm"])) for r in batch.records if r["bpm"] > 0]
        if batch.kind == "acc" and batch.n:
            acc = np.stack([batch.records["x"], batch.records["y"], batch.records["z"]], axis=1)
            return emitter.acc(device_id, _sample_times(batch), acc, batch.arrival_ns)
        return []


def _sample_times(batch: Batch) -> np.ndarray:
    steps = np.arange(batch.n, dtype=np.int64)
    return batch.t0_ns + ((batch.t1_ns - batch.t0_ns) * steps) // max(batch.n - 1, 1)


def _insert_samples(db: sqlite_utils.Database, batch: Batch, device_id: int) -> None:
    conn, r = db.conn, batch.records
    if batch.kind in ("acc", "ecg"):
        table = "acc_chunks" if batch.kind == "acc" else "ecg_chunks"
        conn.execute(
            f"insert into {table} (session_id, device_id, device_t0_ns, device_t1_ns, n, data) "
            "values (?, ?, ?, ?, ?, ?)",
            [batch.session_id, device_id, batch.t0_ns, batch.t1_ns, batch.n, r.tobytes()],
        )
    elif batch.kind == "hr":
        conn.executemany(
            "insert into hr_samples (session_id, device_id, t_ns, bpm) values (?, ?, ?, ?)",
            [(batch.session_id, device_id, int(t), int(b)) for t, b in zip(r["t_ns"], r["bpm"], strict=True)],
        )
    else:
        conn.executemany(
            "insert into rr_intervals (session_id, device_id, t_ns, rr_ms) values (?, ?, ?, ?)",
            [(batch.session_id, device_id, int(t), float(v)) for t, v in zip(r["t_ns"], r["rr_ms"], strict=True)],
        )


def _resolve(future: asyncio.Future[dict[str, Any]], result: dict[str, Any] | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
