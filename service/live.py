"""Live events: what the ingest paths append to ``live_events``, and the SSE stream that tails it.

The table is the bus: the recorder (``liftmind record`` / ``liftmind replay --speed 1``) and the remote
ingest writer append rows in their own transactions; ``liftmind serve``, possibly another process, polls for
rows with an id above the last one it sent. Kinds: ``set_started``, ``rep``, ``rep_retracted``, ``set_ended``
(from the streaming counter `repcount.live.RepCounter`) and ``hr``. A set that goes on after a rest-pause longer
than the counter waits (its set already ended) has ``"resumed": true`` on its rep events, no new ``set_started``,
and its next ``set_ended`` lists it whole again (with ``"resumed": true``): the reps of the set ended before are in
its count. The table stays small: when a session
ends, the events of sessions that are over are deleted (`prune_events`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlite_utils

from repcount.live import RepCounter
from repcount.results import DetectedSet

#: Version tag of the live counter, stored in each rep event's payload.
LIVE_ALGORITHM = "repcount.live/0.1"
POLL_S = 0.15


@dataclass
class DeviceCounter:
    """One accelerometer's streaming counter and the clock that maps its samples to host time."""

    offset_ns: int
    counter: RepCounter = field(default_factory=RepCounter)
    seen_events: int = 0
    seen_sets: int = 0
    last_count: int = 0
    last_set: DetectedSet | None = None  # the last set reported ended (one that goes on after a rest-pause is
    # replaced in the counter's list by the whole set)


@dataclass
class LiveEmitter:
    """Turns one session's samples into live event rows (dicts ready for ``live_events``)."""

    session_id: int
    t0_ns: int
    devices: dict[int, DeviceCounter] = field(default_factory=dict)

    def acc(self, device_id: int, device_t_ns: np.ndarray, acc_mg: np.ndarray, arrival_ns: int) -> list[dict[str, Any]]:
        """Step the device's counter over an ACC chunk (device clock, mg); returns the events it caused."""
        if device_id not in self.devices:
            self.devices[device_id] = DeviceCounter(offset_ns=arrival_ns - int(device_t_ns[-1]))
        state = self.devices[device_id]
        t_s = (np.asarray(device_t_ns, dtype=np.int64) + state.offset_ns - self.t0_ns) / 1e9
        state.counter.step(t_s, np.asarray(acc_mg, dtype=np.float64).reshape(-1, 3) / 1000.0)
        return self._drain(device_id, state)

    def flush(self) -> list[dict[str, Any]]:
        """End of stream: close open sets on every device."""
        rows = []
        for device_id, state in self.devices.items():
            state.counter.flush()
            rows += self._drain(device_id, state)
        return rows

    def hr(self, device_id: int, t_ns: int, bpm: int) -> dict[str, Any]:
        return self._row(t_ns, "hr", {"device_id": device_id, "bpm": bpm})

    def _drain(self, device_id: int, state: DeviceCounter) -> list[dict[str, Any]]:
        rows = []
        for event in state.counter.events[state.seen_events:]:
            t_ns = self.t0_ns + int(event.t_s * 1e9)
            base = {"device_id": device_id, "t_s": event.t_s, "count": event.count, "algorithm": LIVE_ALGORITHM}
            if event.resumed:
                base["resumed"] = True
            if event.retracted:  # to 0: the reps shown provisionally did not become a set
                rows.append(self._row(t_ns, "rep_retracted", base))
            elif event.count == 0:
                rows.append(self._row(t_ns, "set_ended", {**base, **self._ended(state)}))
            else:
                if state.last_count == 0 and not event.resumed:
                    rows.append(self._row(t_ns, "set_started", base))
                rows.append(self._row(t_ns, "rep", base))
            state.last_count = event.count
        state.seen_events = len(state.counter.events)
        return rows

    @staticmethod
    def _ended(state: DeviceCounter) -> dict[str, Any]:
        """The ``set_ended`` payload: the sets found since the last one, from the last one reported if it went on
        after a rest-pause (the counter replaced it with the whole set: ``"resumed": true``)."""
        sets = state.counter.sets
        went_on = bool(state.seen_sets) and sets[state.seen_sets - 1] is not state.last_set
        new_sets = sets[state.seen_sets - went_on:]
        state.seen_sets, state.last_set = len(sets), (sets[-1] if sets else None)
        out = [{"start_s": s.start_s, "end_s": s.end_s, "reps": s.n_reps} for s in new_sets]
        return {"sets": out, "reps": sum(s["reps"] for s in out), **({"resumed": True} if went_on else {})}

    def _row(self, t_ns: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"session_id": self.session_id, "t_ns": t_ns, "kind": kind, "payload": json.dumps(payload)}


def insert_events(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Append rows inside the caller's transaction."""
    if rows:
        db.conn.executemany(
            "insert into live_events (session_id, t_ns, kind, payload) values (:session_id, :t_ns, :kind, :payload)",
            rows,
        )


def prune_events(db: sqlite_utils.Database, ending_session_id: int) -> int:
    """Delete the live events no viewer needs once ``ending_session_id`` ends; returns how many.

    Those of every other session that has ended, or that wrote no live event since this session's first one
    (its recorder was killed: such a session never ends). The ending session's own events stay, so the live
    page can still show it, until the next session ends. Call inside the transaction that records the end.
    Ids are AUTOINCREMENT, so a deleted id is never reused and a client tailing ``after=ID`` misses nothing.
    """
    first = db.execute("select min(id) from live_events where session_id = ?", [ending_session_id]).fetchone()[0]
    cursor = db.execute(
        """
        delete from live_events where session_id in (
            select e.session_id from live_events e join sessions s on s.id = e.session_id
            where e.session_id != :ending
            group by e.session_id
            having max(s.ended_at) is not null or max(e.id) < :first
        )
        """,
        {"ending": ending_session_id, "first": first},
    )
    return int(cursor.rowcount)


def events_after(db: sqlite_utils.Database, after: int, *, session_id: int | None = None,
                 limit: int = 500) -> list[dict[str, Any]]:
    """Live events with id above ``after``, oldest first, payload decoded."""
    where, params = "id > ?", [after]
    if session_id is not None:
        where, params = where + " and session_id = ?", [after, session_id]
    rows = db.execute(
        f"select id, session_id, t_ns, kind, payload from live_events where {where} order by id limit ?",
        [*params, limit],
    ).fetchall()
    return [{"id": r[0], "session_id": r[1], "t_ns": r[2], "kind": r[3], "payload": json.loads(r[4])} for r in rows]


async def sse_stream(db: sqlite_utils.Database, after: int, *, session_id: int | None,
                     max_s: float) -> AsyncIterator[str]:
    """Server-sent events: each new row as ``id:``/``data:`` JSON, a comment every ~15 s to keep proxies open."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_s
    idle = 0.0
    yield "retry: 1000\n\n"
    while loop.time() < deadline:
        rows = events_after(db, after, session_id=session_id)
        for row in rows:
            after = row["id"]
            yield f"id: {row['id']}\nevent: {row['kind']}\ndata: {json.dumps(row)}\n\n"
        idle = 0.0 if rows else idle + POLL_S
        if idle >= 15.0:
            idle = 0.0
            yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_S)
