"""Every write the API, the HTML forms and the CLI share: check-ins, set edits, HRV readings, sessions."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from typing import Any

import numpy as np
import sqlite_utils

from repcount.hrv import hrv_metrics, rmssd_ms
from service.live import prune_events
from service.models import CheckinIn, HrvReadingIn, SessionIn, SetPatch
from service.queries import NotFound

log = logging.getLogger(__name__)

#: Version tag stored with every HRV reading computed here.
HRV_ALGORITHM = "repcount.hrv/0.2"
LB_PER_KG = 1 / 0.45359237


class Refused(ValueError):
    """A write that would store something impossible, e.g. a session that ends before it starts (a 422)."""


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _iso(value: dt.datetime | None) -> str:
    if value is None:
        return now_iso()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def require_session(db: sqlite_utils.Database, session_id: int | None) -> None:
    if session_id is not None and db.execute("select 1 from sessions where id = ?", [session_id]).fetchone() is None:
        raise NotFound(f"session {session_id} does not exist")


def create_session(db: sqlite_utils.Database, session: SessionIn) -> int:
    started = session.started_at or dt.datetime.now(dt.UTC)
    if started.tzinfo is None:
        started = started.replace(tzinfo=dt.UTC)
    with db.conn:
        cursor = db.execute(
            "insert into sessions (title, started_at, t0_ns, source, synthetic) values (?, ?, ?, ?, 0)",
            [session.title, _iso(started), int(started.timestamp() * 1e9), session.source],
        )
    return int(cursor.lastrowid or 0)


def end_session(db: sqlite_utils.Database, session_id: int, ended_at: dt.datetime | None) -> str:
    """Record the session's end; returns it as stored (ISO 8601, UTC)."""
    require_session(db, session_id)
    ended = _iso(ended_at)
    started = db.execute("select started_at from sessions where id = ?", [session_id]).fetchone()[0]
    if started and dt.datetime.fromisoformat(ended) < dt.datetime.fromisoformat(started):
        raise Refused(f"ended_at: {ended} is before the session's start, {started}")
    with db.conn:
        db.execute("update sessions set ended_at = ? where id = ?", [ended, session_id])
        prune_events(db, session_id)
    return ended


def add_checkin(db: sqlite_utils.Database, checkin: CheckinIn) -> int:
    """Store a validated check-in; raises `NotFound` for an unknown session."""
    require_session(db, checkin.session_id)
    row = checkin.model_dump(exclude={"taken_at"})
    row["taken_at"] = _iso(checkin.taken_at)
    row["created_at"] = now_iso()
    with db.conn:
        cursor = db.execute(
            f"insert into checkins ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
        )
    return int(cursor.lastrowid or 0)


def update_set(db: sqlite_utils.Database, set_id: int, patch: SetPatch) -> None:
    """Apply the user's edits to a set (only the fields given); ``reps_detected`` is never touched."""
    if db.execute("select 1 from sets where id = ?", [set_id]).fetchone() is None:
        raise NotFound(f"set {set_id} does not exist")
    changes: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set}
    if changes.get("exercise"):
        changes["exercise"] = canonical_exercise(db, changes["exercise"])
    changes["updated_at"] = now_iso()
    assignments = ", ".join(f"{name} = ?" for name in changes)
    with db.conn:
        db.execute(f"update sets set {assignments} where id = ?", [*changes.values(), set_id])


def canonical_exercise(db: sqlite_utils.Database, name: str) -> str:
    """The catalogue name for ``name`` or one of its aliases (any case); an unknown name is kept as typed."""
    row = db.execute(
        "select e.name from exercise_aliases a join exercises e on e.id = a.exercise_id where a.alias = ?",
        [name.strip()],
    ).fetchone()
    return str(row[0]) if row else name.strip()


def kg_to_lb(load_kg: float | None) -> float | None:
    """Display helper: kilograms (stored) to pounds, rounded to 0.1 lb; the stored value is never rounded."""
    return None if load_kg is None else round(load_kg * LB_PER_KG, 1)


def _metrics(rr_ms: np.ndarray) -> dict[str, Any]:
    """All of `repcount.hrv.hrv_metrics`; should it fail on odd data, the time-domain metrics and the reason."""
    try:
        return dict(hrv_metrics(rr_ms, correct=True).to_dict())
    except ValueError as exc:
        log.warning("hrv_metrics failed on %d intervals: %s", len(rr_ms), exc)
        return {**_time_domain(rr_ms), "reasons": {"hrv_metrics": f"failed ({exc}); time domain only, uncorrected"}}


def _time_domain(rr_ms: np.ndarray) -> dict[str, Any]:
    """Uncorrected time-domain metrics."""
    rmssd = float(rmssd_ms(rr_ms))
    return {
        "n_beats": len(rr_ms), "corrected_pct": None, "duration_s": float(rr_ms.sum() / 1000),
        "mean_nn_ms": float(rr_ms.mean()), "sdnn_ms": float(rr_ms.std(ddof=1)), "rmssd_ms": rmssd,
        "ln_rmssd": math.log(rmssd) if rmssd > 0 else None,
        "pnn50_pct": float(100 * np.mean(np.abs(np.diff(rr_ms)) > 50)),
        "mean_hr_bpm": float(60000 / rr_ms.mean()),
    }


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def add_hrv_reading(db: sqlite_utils.Database, reading: HrvReadingIn) -> int:
    """Compute the reading's metrics from its RR intervals and store both (the RR as raw float32)."""
    require_session(db, reading.session_id)
    rr = np.asarray(reading.rr_ms, dtype=np.float64)
    metrics = _clean(_metrics(rr))
    row = {
        "kind": reading.kind, "session_id": reading.session_id, "taken_at": _iso(reading.taken_at),
        "posture": reading.posture, "device": reading.device, "window_s": float(rr.sum() / 1000),
        "n_beats": len(rr), "artifact_pct": metrics.get("corrected_pct"),
        "mean_rr_ms": metrics.get("mean_nn_ms"), "mean_hr_bpm": metrics.get("mean_hr_bpm"),
        "rmssd_ms": metrics.get("rmssd_ms"), "ln_rmssd": metrics.get("ln_rmssd"),
        "sdnn_ms": metrics.get("sdnn_ms"), "pnn50_pct": metrics.get("pnn50_pct"),
        "metrics": json.dumps(metrics), "rr_ms": rr.astype("<f4").tobytes(),
        "algorithm": HRV_ALGORITHM, "created_at": now_iso(),
    }
    with db.conn:
        cursor = db.execute(
            f"insert into hrv_readings ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
        )
    return int(cursor.lastrowid or 0)
