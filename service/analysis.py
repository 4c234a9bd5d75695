"""Derived values of a stored session: sets and reps from its accelerometer, HRV from its RR intervals.

Every derived row carries the algorithm version that produced it, so a session can be re-analysed with
a newer one from the raw streams it keeps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlite_utils

from repcount.hrv import SessionHeartRate, rmssd_ms, session_hr_summary
from repcount.session import DetectedSet, analyse_session
from service import queries

ALGORITHM = "repcount-0.9"
HR_ALGORITHM = "hrv-session-0.1"
#: Max HR for zones when the profile has neither max HR nor age (zones are then approximate).
DEFAULT_MAX_HR_BPM = 190.0


@dataclass(frozen=True)
class AccStream:
    device_id: int
    t_s: np.ndarray
    acc_g: np.ndarray


def load_acc(db: sqlite_utils.Database, session_id: int) -> AccStream | None:
    """The session's accelerometer stream with the most samples, on host time (s from session start).

    Device times map to host time through the clock offset measured at the end of the stream and the
    device clock's drift (tens of ppm: ~70 ms over an hour at 20 ppm).
    """
    row = db.execute(
        "select device_id, sum(n) from acc_chunks where session_id = ? group by device_id order by 2 desc limit 1",
        [session_id],
    ).fetchone()
    if row is None:
        return None
    device_id = int(row[0])
    t0_ns = db.table("sessions").get(session_id)["t0_ns"]
    device = db.table("devices").get(device_id)
    device_ns, values = queries.acc_samples(db, device_id)
    offset_ns = np.int64(device["clock_offset_ns"] or 0)
    drift_ppm = device.get("clock_drift_ppm") or 0.0
    correction_ns = np.round((device_ns - device_ns[-1]) * (drift_ppm * 1e-6)).astype(np.int64)
    t_s = (device_ns + offset_ns + correction_ns - t0_ns) / 1e9
    return AccStream(device_id, t_s, values.astype(np.float64) / 1000.0)


def _json_float(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _label(detected: DetectedSet, labels: list[dict[str, Any]]) -> str | None:
    """The logged exercise whose time span overlaps this set the most, if any."""
    best, best_overlap = None, 0.0
    for label in labels:
        overlap = min(detected.end_s, label["end_s"]) - max(detected.start_s, label["start_s"])
        if overlap > best_overlap:
            best, best_overlap = label["exercise"], overlap
    return best


def load_beats(db: sqlite_utils.Database, session_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Beat times (s from session start) and RR intervals (ms) of the session, in time order."""
    t0_ns = db.table("sessions").get(session_id)["t0_ns"]
    rows = db.execute("select t_ns, rr_ms from rr_intervals where session_id = ? order by t_ns", [session_id]).fetchall()
    if not rows:
        return np.empty(0), np.empty(0)
    t_ns, rr = np.array(rows, dtype=object).T
    return (t_ns.astype(np.int64) - t0_ns) / 1e9, rr.astype(np.float64)


def _profile(db: sqlite_utils.Database) -> dict[str, Any]:
    rows = list(db.query("select max_hr_bpm, age_years, rest_hr_bpm, sex from profile where id = 1"))
    return rows[0] if rows else {}


def _max_hr_source(db: sqlite_utils.Database) -> str:
    """Where the zones' max HR came from: the user's own max HR, their age, or a default."""
    profile = _profile(db)
    return "measured" if profile.get("max_hr_bpm") else "age" if profile.get("age_years") else "default"


def heart_rate_summary(
    db: sqlite_utils.Database, beat_s: np.ndarray, rr_ms: np.ndarray, sets: list[tuple[float, float]]
) -> SessionHeartRate | None:
    """In-session heart rate (zones, per-set peak and recovery, DFA alpha1, TRIMP), or None without beats."""
    if len(rr_ms) < 2:
        return None
    profile = _profile(db)
    max_hr = profile.get("max_hr_bpm") or (None if profile.get("age_years") else DEFAULT_MAX_HR_BPM)
    return session_hr_summary(
        beat_s, rr_ms, sets, max_hr_bpm=max_hr, age_years=profile.get("age_years"),
        rest_hr_bpm=profile.get("rest_hr_bpm"), sex=profile.get("sex"),
    )


#: What a person entered about a set; re-analysis carries it over to the set that replaces it.
USER_FIELDS = ("exercise", "reps_confirmed", "load_kg", "load_display_unit", "rpe", "rir", "set_type")


def _match(found: DetectedSet, old: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The earlier set covering most of ``found`` (over half of the shorter of the two), if any."""
    best, best_overlap = None, 0.0
    for row in old:
        overlap = min(found.end_s, row["end_s"]) - max(found.start_s, row["start_s"])
        shorter = min(found.end_s - found.start_s, row["end_s"] - row["start_s"])
        if overlap > best_overlap and overlap > 0.5 * shorter:
            best, best_overlap = row, overlap
    return best


def _edited(row: dict[str, Any]) -> bool:
    return any(row.get(k) is not None for k in USER_FIELDS if k != "exercise")


def analyse_stored_session(
    db: sqlite_utils.Database, session_id: int, *, labels: list[dict[str, Any]] | None = None
) -> list[int]:
    """(Re)compute sets, reps and session HR/HRV; returns the new set ids.

    Earlier results are replaced, but not what the person entered: a new set takes over the user fields
    (``USER_FIELDS``) of the earlier set it overlaps, and an edited set the new analysis no longer finds
    is kept as it was.
    """
    stream = load_acc(db, session_id)
    detected = analyse_session(stream.t_s, stream.acc_g) if stream is not None else []
    beat_s, rr = load_beats(db, session_id)
    hr = heart_rate_summary(db, beat_s, rr, [(d.start_s, d.end_s) for d in detected])
    old = [r for r in db.query("select * from sets where session_id = ?", [session_id]) if r["start_s"] is not None]
    matches = []
    for found in detected:
        row = _match(found, [o for o in old if o not in matches])
        matches.append(row)
    kept = [o for o in old if o not in matches and _edited(o)]
    set_ids = []
    with db.conn:
        for row in old:
            if row not in kept:
                db.execute("delete from reps where set_id = ?", [row["id"]])
                db.execute("delete from sets where id = ?", [row["id"]])
        previous_end: float | None = None
        for idx, (found, earlier) in enumerate(zip(detected, matches, strict=True), start=1):
            heart = hr.sets[idx - 1] if hr is not None else None
            values = {
                "session_id": session_id, "idx": idx, "exercise": _label(found, labels or []),
                "start_s": found.start_s, "end_s": found.end_s, "reps_detected": len(found.reps),
                "reps_alternative": found.alternative, "confidence": found.confidence, "algorithm": ALGORITHM,
                "rest_before_s": None if previous_end is None else found.start_s - previous_end,
                "peak_hr_bpm": heart and heart.peak_hr_bpm, "hrr60_bpm": heart and heart.hrr60_bpm,
                "rest_rmssd_ms": heart and heart.rest_rmssd_ms,
            }
            if earlier is not None:
                values.update({k: earlier[k] for k in USER_FIELDS if earlier.get(k) is not None})
            inserted = db.table("sets").insert(values)
            assert inserted.last_pk is not None  # sqlite-utils sets it on every insert
            set_id = int(inserted.last_pk)
            db.table("reps").insert_all(
                {"set_id": set_id, "idx": i, "start_s": r.start_s, "turn_s": r.turn_s, "end_s": r.end_s,
                 "confidence": r.confidence}
                for i, r in enumerate(found.reps, start=1)
            )
            previous_end = found.end_s
            set_ids.append(set_id)
        ordered = db.execute("select id from sets where session_id = ? order by start_s, id", [session_id]).fetchall()
        for idx, (set_id,) in enumerate(ordered, start=1):
            db.execute("update sets set idx = ? where id = ?", [idx, set_id])
        value = rmssd_ms(rr) if len(rr) >= 2 else None
        db.table("sessions").update(session_id, {
            "rmssd_ms": None if value is None or np.isnan(value) else float(value),
            "hr_summary": None if hr is None else json.dumps(
                {**hr.to_dict(), "max_hr_source": _max_hr_source(db)}, allow_nan=False, default=_json_float
            ),
            "analysis_algorithm": f"{ALGORITHM}; {HR_ALGORITHM}",
        })
    return set_ids
