"""Re-analysing a stored session replaces derived values but keeps what the person entered."""

from __future__ import annotations

import asyncio
from pathlib import Path

from service.analysis import analyse_stored_session
from service.db import open_db
from service.replay import replay_trace

from .conftest import h10_events, write_trace


def test_user_edits_survive_reanalysis(tmp_path: Path) -> None:
    trace = write_trace(tmp_path / "t", h10_events(plan=(("squat", 5, 20.0), ("squat", 6, 10.0))))
    db = open_db(tmp_path / "x.db")
    session_id = asyncio.run(replay_trace(trace, db)).session_id
    sets = list(db.query("select * from sets where session_id = ? order by idx", [session_id]))
    assert len(sets) == 2
    db.execute("update sets set reps_confirmed = 6, load_kg = 80, rpe = 8 where id = ?", [sets[0]["id"]])
    db.execute("update sets set start_s = 900, end_s = 930, rir = 2 where id = ?", [sets[1]["id"]])  # no longer found
    db.conn.commit()
    analyse_stored_session(db, session_id)
    after = list(db.query("select * from sets where session_id = ? order by idx", [session_id]))
    assert [s["idx"] for s in after] == [1, 2, 3]
    first = after[0]
    assert (first["reps_confirmed"], first["load_kg"], first["rpe"]) == (6, 80, 8)
    assert first["reps_detected"] == sets[0]["reps_detected"] and first["id"] != sets[0]["id"]
    assert after[2]["id"] == sets[1]["id"] and after[2]["rir"] == 2  # the edited set nobody detects now is kept
    assert db.execute("select count(*) from reps where set_id = ?", [first["id"]]).fetchone()[0] == first["reps_detected"]
