"""Every SQL read the pages and the JSON API share: one data function per page."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import sqlite_utils


class NotFound(LookupError):
    """A requested row does not exist."""


def list_sessions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            """
            select s.id, s.title, s.started_at, s.ended_at, s.synthetic, s.rmssd_ms,
                   count(st.id) as n_sets, coalesce(sum(coalesce(st.reps_confirmed, st.reps_detected)), 0) as n_reps
            from sessions s left join sets st on st.session_id = s.id
            group by s.id order by s.started_at desc, s.id desc
            """
        )
    )


def get_session(db: sqlite_utils.Database, session_id: int) -> dict[str, Any]:
    rows = list(db.query("select * from sessions where id = ?", [session_id]))
    if not rows:
        raise NotFound(f"session {session_id} does not exist")
    session = rows[0]
    session["sets"] = list(
        db.query(
            """
            select id, idx, exercise, start_s, end_s, reps_detected, reps_confirmed, reps_alternative, confidence, load_kg,
                   load_display_unit, rpe, rir, rest_before_s, algorithm, peak_hr_bpm, hrr60_bpm, rest_rmssd_ms
            from sets where session_id = ? order by idx
            """,
            [session_id],
        )
    )
    session["devices"] = list(
        db.query("select id, address, name, kind, placement, decode_errors from devices where session_id = ?", [session_id])
    )
    return session


def heart_rate_series(db: sqlite_utils.Database, session_id: int) -> list[tuple[float, int]]:
    """(seconds from session start, bpm) for the session's heart-rate samples, zeros dropped."""
    t0 = db.execute("select t0_ns from sessions where id = ?", [session_id]).fetchone()
    if t0 is None:
        raise NotFound(f"session {session_id} does not exist")
    return [
        ((t_ns - t0[0]) / 1e9, bpm)
        for t_ns, bpm in db.execute(
            "select t_ns, bpm from hr_samples where session_id = ? and bpm > 0 order by t_ns", [session_id]
        ).fetchall()
    ]


# --- Read functions for the web pages (service/pages.py) -------------------------------------------------


def session_sets(db: sqlite_utils.Database, session_id: int) -> list[dict[str, Any]]:
    """The session's sets with every column, user edits (RPE, RIR, confirmed reps) included, in order."""
    return list(db.query("select * from sets where session_id = ? order by idx", [session_id]))


def session_reps(db: sqlite_utils.Database, session_id: int) -> list[dict[str, Any]]:
    """Every rep of the session's sets, in time order (seconds from session start)."""
    return list(
        db.query(
            """
            select r.set_id, r.idx, r.start_s, r.turn_s, r.end_s, r.confidence
            from reps r join sets s on s.id = r.set_id where s.session_id = ? order by r.start_s
            """,
            [session_id],
        )
    )


def set_rep_times(db: sqlite_utils.Database, *, session_id: int | None = None,
                  set_id: int | None = None) -> dict[int, list[tuple[float | None, float | None, float | None]]]:
    """(start_s, turn_s, end_s) of each rep by set id, in rep order: of one session, one set, or all sets."""
    where, params = ("where s.session_id = ?", [session_id]) if session_id is not None else (
        ("where r.set_id = ?", [set_id]) if set_id is not None else ("", []))
    out: dict[int, list[tuple[float | None, float | None, float | None]]] = {}
    for row_set_id, start_s, turn_s, end_s in db.execute(
        f"select r.set_id, r.start_s, r.turn_s, r.end_s from reps r join sets s on s.id = r.set_id {where} "
        "order by r.set_id, r.idx, r.start_s",
        params,
    ):
        out.setdefault(row_set_id, []).append((start_s, turn_s, end_s))
    return out


def eccentric_first_by_name(db: sqlite_utils.Database) -> dict[str, bool]:
    """Whether each catalogue exercise starts by lowering, keyed by its name and aliases in lower case."""
    return {
        str(alias).casefold(): bool(flag)
        for alias, flag in db.execute(
            "select name, eccentric_first from exercises where eccentric_first is not null union all "
            "select a.alias, e.eccentric_first from exercise_aliases a join exercises e on e.id = a.exercise_id "
            "where e.eccentric_first is not null"
        )
    }


def rr_series(db: sqlite_utils.Database, session_id: int) -> list[tuple[float, float]]:
    """(seconds from session start, RR in ms) for the session's beats."""
    return [
        (t_s, rr)
        for t_s, rr in db.execute(
            """
            select (r.t_ns - s.t0_ns) / 1e9, r.rr_ms from rr_intervals r join sessions s on s.id = r.session_id
            where r.session_id = ? order by r.t_ns
            """,
            [session_id],
        ).fetchall()
    ]


def session_volume(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Per session: start and end time, volume load (kg x reps, None while no load is logged), set count."""
    return list(
        db.query(
            """
            select s.id, s.started_at, s.ended_at,
                   sum(st.load_kg * coalesce(st.reps_confirmed, st.reps_detected)) as volume_load_kg,
                   count(st.id) as n_sets
            from sessions s left join sets st on st.session_id = s.id
            group by s.id order by s.started_at
            """
        )
    )


def live_resume_id(db: sqlite_utils.Database, *, max_backlog: int = 5000) -> int:
    """The live event id to tail after so that a new viewer replays the latest session's events from its start
    (at most ``max_backlog`` of them), and so numbers its sets right."""
    last, session_id = db.execute(
        "select coalesce(max(id), 0), (select session_id from live_events order by id desc limit 1) from live_events"
    ).fetchone()
    first = db.execute("select coalesce(min(id), 1) from live_events where session_id = ?", [session_id]).fetchone()[0]
    return int(max(first - 1, last - max_backlog, 0))


def ended_live_session(db: sqlite_utils.Database) -> int | None:
    """The session of the newest live event if that session has ended (nothing is being recorded), else None."""
    row = db.execute(
        "select s.id, s.ended_at from sessions s where s.id = (select session_id from live_events order by id desc limit 1)"
    ).fetchone()
    return int(row[0]) if row is not None and row[1] is not None else None


# --- Reads of the JSON API (service/api.py) ----------------------------------------------------------------


def _one(db: sqlite_utils.Database, sql: str, params: list[Any], what: str) -> dict[str, Any]:
    rows = list(db.query(sql, params))
    if not rows:
        raise NotFound(f"{what} does not exist")
    return rows[0]


def get_session_row(db: sqlite_utils.Database, session_id: int) -> dict[str, Any]:
    return _one(db, "select * from sessions where id = ?", [session_id], f"session {session_id}")


def get_set(db: sqlite_utils.Database, set_id: int) -> dict[str, Any]:
    return _one(
        db,
        """
        select id, session_id, idx, exercise, start_s, end_s, reps_detected, reps_confirmed, reps_alternative, confidence, load_kg,
               load_display_unit, rpe, rir, rest_before_s, algorithm, peak_hr_bpm, hrr60_bpm, rest_rmssd_ms
        from sets where id = ?
        """,
        [set_id],
        f"set {set_id}",
    )


_CHECKIN_SQL = """
    select c.*,
           case when c.sleep is not null and c.stress is not null and c.fatigue is not null
                     and c.soreness is not null then c.sleep + c.stress + c.fatigue + c.soreness end as hooper_total,
           case when c.srpe is not null and s.ended_at is not null
                then c.srpe * round((julianday(s.ended_at) - julianday(s.started_at)) * 1440, 1) end
                as session_load_au
    from checkins c left join sessions s on s.id = c.session_id
"""


def get_checkin(db: sqlite_utils.Database, checkin_id: int) -> dict[str, Any]:
    return _one(db, _CHECKIN_SQL + " where c.id = ?", [checkin_id], f"check-in {checkin_id}")


def checkins(db: sqlite_utils.Database, *, session_id: int | None = None) -> list[dict[str, Any]]:
    """Check-ins with their Hooper total and session load (sRPE x minutes), newest first."""
    where = "where c.session_id = ?" if session_id is not None else ""
    params = [session_id] if session_id is not None else []
    return list(db.query(_CHECKIN_SQL + f" {where} order by c.taken_at desc, c.id desc limit 5000", params))


_HRV_COLUMNS = """id, kind, session_id, taken_at, posture, device, window_s, n_beats, artifact_pct, mean_rr_ms,
    mean_hr_bpm, rmssd_ms, ln_rmssd, sdnn_ms, pnn50_pct, metrics, algorithm, created_at"""


def _hrv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "metrics": json.loads(row["metrics"] or "{}")}


def get_hrv_reading(db: sqlite_utils.Database, reading_id: int) -> dict[str, Any]:
    sql = f"select {_HRV_COLUMNS} from hrv_readings where id = ?"
    return _hrv_row(_one(db, sql, [reading_id], f"HRV reading {reading_id}"))


def hrv_readings(db: sqlite_utils.Database, *, session_id: int | None = None) -> list[dict[str, Any]]:
    """HRV readings with their metrics decoded, oldest first."""
    where = "where session_id = ?" if session_id is not None else ""
    params = [session_id] if session_id is not None else []
    sql = f"select {_HRV_COLUMNS} from hrv_readings {where} order by taken_at, id limit 5000"
    return [_hrv_row(row) for row in db.query(sql, params)]


def exercises(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The exercise catalogue, each with its aliases."""
    rows = list(db.query("select id, name, category, eccentric_first from exercises order by name"))
    aliases: dict[int, list[str]] = {}
    for alias, exercise_id in db.execute("select alias, exercise_id from exercise_aliases order by alias"):
        aliases.setdefault(exercise_id, []).append(alias)
    return [{**row, "eccentric_first": bool(row["eccentric_first"]), "aliases": aliases.get(row["id"], [])}
            for row in rows]


def acc_samples(db: sqlite_utils.Database, device_id: int) -> tuple[np.ndarray, np.ndarray]:
    """All of one device's accelerometer samples: device-clock times (int64 ns) and values (n, 3) int16 mg.

    One query and vectorised NumPy: a 1-hour 200 Hz stream (3,600 chunks) loads in a few milliseconds.
    """
    rows = db.execute(
        "select device_t0_ns, device_t1_ns, n, data from acc_chunks where device_id = ? order by device_t1_ns",
        [device_id],
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 3), dtype=np.int16)
    t0 = np.array([r[0] for r in rows], dtype=np.int64)
    t1 = np.array([r[1] for r in rows], dtype=np.int64)
    n = np.array([r[2] for r in rows], dtype=np.int64)
    values = np.frombuffer(b"".join(r[3] for r in rows), dtype="<i2").reshape(-1, 3)
    steps = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    device_ns = np.repeat(t0, n) + (np.repeat(t1 - t0, n) * steps) // np.repeat(np.maximum(n - 1, 1), n)
    return device_ns, values
