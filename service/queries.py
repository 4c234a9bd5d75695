"""Every SQL read the pages and the JSON API share: one data function per page."""

from __future__ import annotations

from typing import Any

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
            select id, idx, exercise, start_s, end_s, reps_detected, reps_confirmed, confidence, load_kg,
                   rest_before_s, algorithm
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
