"""Opening the liftmind database: one SQLite file, its schema created or brought up to date here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SCHEMA: dict[str, tuple[dict[str, type], dict[str, object]]] = {
    "sessions": (
        {"id": int, "title": str, "started_at": str, "ended_at": str, "t0_ns": int, "source": str,
         "trace_path": str, "synthetic": int, "rmssd_ms": float, "notes": str},
        {"pk": "id"},
    ),
    "devices": (
        {"id": int, "session_id": int, "address": str, "name": str, "kind": str, "placement": str,
         "clock_offset_ns": int, "decode_errors": int},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")]},
    ),
    "acc_chunks": (
        {"id": int, "session_id": int, "device_id": int, "device_t0_ns": int, "device_t1_ns": int, "n": int,
         "gap_before_ns": int, "lost_samples": int, "data": bytes},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "hr_samples": (
        {"id": int, "session_id": int, "device_id": int, "t_ns": int, "bpm": int, "contact": int, "energy_kj": int},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "rr_intervals": (
        {"id": int, "session_id": int, "device_id": int, "t_ns": int, "rr_ms": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "sets": (
        {"id": int, "session_id": int, "idx": int, "exercise": str, "start_s": float, "end_s": float,
         "reps_detected": int, "reps_confirmed": int, "confidence": float, "load_kg": float,
         "rest_before_s": float, "algorithm": str},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")]},
    ),
    "reps": (
        {"id": int, "set_id": int, "idx": int, "start_s": float, "turn_s": float, "end_s": float,
         "confidence": float},
        {"pk": "id", "foreign_keys": [("set_id", "sets", "id")]},
    ),
}
INDEXES = {
    "acc_chunks": ["session_id", "device_id"],
    "hr_samples": ["session_id", "t_ns"],
    "rr_intervals": ["session_id", "t_ns"],
    "sets": ["session_id"],
    "reps": ["set_id"],
}


def open_db(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path``, in WAL mode, with the schema in place."""
    db = sqlite_utils.Database(sqlite3.connect(str(path), check_same_thread=False))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    ensure_schema(db)
    return db


def ensure_schema(db: sqlite_utils.Database) -> None:
    for name, (columns, options) in SCHEMA.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, **options)  # type: ignore[arg-type]
            for column in INDEXES.get(name, []):
                table.create_index([column], if_not_exists=True)
