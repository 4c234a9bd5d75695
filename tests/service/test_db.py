"""The schema: numbered migrations, upgrade of a skeleton database, append-only raw streams, exact ranges."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

from service.db import INITIAL, MIGRATIONS, migrate, open_db


def test_migrations_run_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    assert [r[0] for r in db.execute("select name from migrations order by name")] == [n for n, _ in MIGRATIONS]
    assert migrate(db) == []
    assert open_db(tmp_path / "m.db").execute("pragma journal_mode").fetchone() == ("wal",)


def test_a_skeleton_database_is_upgraded_in_place(tmp_path: Path) -> None:
    old = sqlite_utils.Database(tmp_path / "old.db")
    for name, (columns, options) in INITIAL.items():
        old[name].create(columns, **options)  # type: ignore[arg-type]
    old["sessions"].insert({"id": 1, "title": "kept"})
    old["sets"].insert({"id": 1, "session_id": 1, "reps_detected": 5})
    old.conn.close()
    db = open_db(tmp_path / "old.db")
    assert db["sessions"].get(1)["title"] == "kept"
    assert {"rpe", "rir", "load_display_unit"} <= set(db["sets"].columns_dict)
    assert db["exercise_aliases"].get("Back Squat")["exercise_id"] == db.execute(
        "select id from exercises where name = 'squat'").fetchone()[0]


def test_raw_streams_are_append_only(tmp_path: Path) -> None:
    db = open_db(tmp_path / "a.db")
    with db.conn:
        db.execute("insert into sessions (id, title) values (1, 's')")
        db.execute("insert into devices (id, session_id, address) values (1, 1, 'h10')")
        db.execute("insert into hr_samples (session_id, device_id, t_ns, bpm) values (1, 1, 5, 60)")
    for sql in ("update hr_samples set bpm = 0", "delete from hr_samples"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(sql)


@pytest.mark.parametrize(("column", "value"), [("feeling", 6), ("arousal", 0), ("srpe", 11), ("soreness", 8)])
def test_the_table_itself_enforces_instrument_ranges(tmp_path: Path, column: str, value: int) -> None:
    db = open_db(tmp_path / "c.db")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(f"insert into checkins (kind, taken_at, created_at, {column}) values ('pre', 'x', 'x', ?)", [value])


def test_acc_samples_match_the_chunk_by_chunk_loader(tmp_path: Path) -> None:
    from service.analysis import load_acc
    from service.queries import acc_samples

    db = open_db(tmp_path / "acc.db")
    rng = np.random.default_rng(2)
    with db.conn:
        db.execute("insert into sessions (id, title, t0_ns) values (1, 's', 1000)")
        db.execute("insert into devices (id, session_id, address, clock_offset_ns) values (1, 1, 'h10', 0)")
        for k, n in enumerate((36, 1, 200, 73)):
            data = rng.integers(-2000, 2000, size=(n, 3)).astype("<i2").tobytes()
            db.execute("insert into acc_chunks (session_id, device_id, device_t0_ns, device_t1_ns, n, data) "
                       "values (1, 1, ?, ?, ?, ?)", [k * 10**9, k * 10**9 + (n - 1) * 5_000_000, n, data])
    device_ns, values = acc_samples(db, 1)
    stream = load_acc(db, 1)
    assert stream is not None
    assert np.allclose((device_ns - 1000) / 1e9, stream.t_s)
    assert np.array_equal(values / 1000.0, stream.acc_g)
