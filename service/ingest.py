"""The in-process ingest path: decoded records from a live reader or a replay into the store.

Records are buffered and written in one transaction per flush; a flush happens every ``flush_every``
records, every ``flush_interval_s`` seconds and at the end, so an interrupted recording keeps everything up
to its last flush, and the raw trace beside it keeps every event. Each flush also appends the live events
(sets, reps from the streaming counter, heart rate) that a ``liftmind serve`` in another process streams.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import sqlite_utils

from sensors.decode import HeartRateSample, Record, SampleFrame, StreamDecoder
from sensors.polar_pmd import Measurement
from service.live import LiveEmitter, insert_events, prune_events


def _pk(value: object) -> int:
    """The integer primary key sqlite-utils reports after an insert."""
    if not isinstance(value, int):
        raise TypeError(f"expected an integer primary key, got {value!r}")
    return value


def _iso(t_ns: int) -> str:
    return dt.datetime.fromtimestamp(t_ns / 1e9, tz=dt.UTC).isoformat(timespec="seconds")


class SessionWriter:
    """Writes one session's devices and streams; ``finish`` closes it."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        *,
        t0_ns: int,
        title: str,
        source: str,
        devices: list[dict[str, Any]],
        trace_path: str | None = None,
        synthetic: bool = False,
        flush_every: int = 500,
        flush_interval_s: float = 0.5,
    ) -> None:
        self.db = db
        self.t0_ns = t0_ns
        self.flush_every = flush_every
        self.flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        with db.conn:
            self.session_id = _pk(
                db.table("sessions").insert(
                    {"title": title, "started_at": _iso(t0_ns), "t0_ns": t0_ns, "source": source,
                     "trace_path": trace_path, "synthetic": int(synthetic)}
                ).last_pk
            )
            self.device_ids = {
                str(d["address"]): _pk(
                    db.table("devices").insert(
                        {"session_id": self.session_id, "address": d["address"], "name": d.get("name"),
                         "kind": d.get("kind"), "placement": d.get("placement")}
                    ).last_pk
                )
                for d in devices
            }
        self._acc: list[dict[str, Any]] = []
        self._ecg: list[dict[str, Any]] = []
        self._hr: list[dict[str, Any]] = []
        self._rr: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self.live = LiveEmitter(self.session_id, t0_ns)
        self._last_beat_ns: dict[str, int] = {}
        self.samples_stored = 0

    def _device_id(self, addr: str) -> int:
        if addr not in self.device_ids:
            self.device_ids[addr] = _pk(
                self.db.table("devices").insert({"session_id": self.session_id, "address": addr}).last_pk
            )
        return self.device_ids[addr]

    def add(self, records: list[Record]) -> None:
        for record in records:
            if isinstance(record, SampleFrame) and record.measurement is Measurement.ACC:
                self._add_acc(record)
            elif isinstance(record, SampleFrame) and record.measurement is Measurement.ECG:
                self._add_ecg(record)
            elif isinstance(record, HeartRateSample):
                self._add_hr(record)
        buffered = len(self._acc) + len(self._ecg) + len(self._hr)
        if buffered >= self.flush_every or (
            buffered and time.monotonic() - self._last_flush >= self.flush_interval_s
        ):
            self.flush()

    def _add_acc(self, frame: SampleFrame) -> None:
        device_id = self._device_id(frame.addr)
        self._acc.append(
            {"session_id": self.session_id, "device_id": device_id,
             "device_t0_ns": int(frame.device_t_ns[0]), "device_t1_ns": int(frame.device_t_ns[-1]),
             "n": len(frame.values), "gap_before_ns": frame.gap_ns, "lost_samples": frame.lost_samples,
             "data": np.clip(frame.values, -32768, 32767).astype("<i2").tobytes()}
        )
        if len(frame.values):
            self._events += self.live.acc(device_id, frame.device_t_ns, frame.values, frame.arrival_ns)

    def _add_ecg(self, frame: SampleFrame) -> None:
        self._ecg.append(
            {"session_id": self.session_id, "device_id": self._device_id(frame.addr),
             "device_t0_ns": int(frame.device_t_ns[0]), "device_t1_ns": int(frame.device_t_ns[-1]),
             "n": len(frame.values), "data": np.asarray(frame.values, dtype="<i4").tobytes()}
        )

    def _add_hr(self, sample: HeartRateSample) -> None:
        device_id = self._device_id(sample.addr)
        self._hr.append(
            {"session_id": self.session_id, "device_id": device_id, "t_ns": sample.t_ns, "bpm": sample.bpm,
             "contact": None if sample.contact is None else int(sample.contact), "energy_kj": sample.energy_kj}
        )
        if sample.bpm > 0:
            self._events.append(self.live.hr(device_id, sample.t_ns, sample.bpm))
        # Beat times: chain from the previous beat when it fits, else count back from arrival.
        total_ns = int(sum(sample.rr_ms) * 1e6)
        previous = self._last_beat_ns.get(sample.addr)
        chained = previous is not None and abs(previous + total_ns - sample.t_ns) < 1.5e9
        start = previous if chained and previous is not None else sample.t_ns - total_ns
        for rr in sample.rr_ms:
            start += int(rr * 1e6)
            self._rr.append({"session_id": self.session_id, "device_id": device_id, "t_ns": start, "rr_ms": rr})
        if sample.rr_ms:
            self._last_beat_ns[sample.addr] = start

    def flush(self) -> None:
        """Commit what is buffered: after this returns, it is on disk."""
        with self.db.conn:
            if self._acc:
                self.db.table("acc_chunks").insert_all(self._acc)
                self.samples_stored += sum(r["n"] for r in self._acc)
            if self._hr:
                self.db.table("hr_samples").insert_all(self._hr)
            if self._ecg:
                self.db.table("ecg_chunks").insert_all(self._ecg)
            if self._rr:
                self.db.table("rr_intervals").insert_all(self._rr)
            insert_events(self.db, self._events)
        self._acc, self._ecg, self._hr, self._rr, self._events = [], [], [], [], []
        self._last_flush = time.monotonic()

    def finish(self, decoder: StreamDecoder, end_ns: int) -> None:
        self._events += self.live.flush()
        self.flush()
        with self.db.conn:
            for addr, device_id in self.device_ids.items():
                errors = sum(n for (a, _), n in decoder.errors.items() if a == addr)
                self.db.table("devices").update(
                    device_id,
                    {"clock_offset_ns": decoder.clock_offset_ns(addr), "clock_drift_ppm": decoder.clock_drift_ppm(addr),
                     "decode_errors": errors},
                )
            self.db.table("sessions").update(self.session_id, {"ended_at": _iso(end_ns)})
            prune_events(self.db, self.session_id)
