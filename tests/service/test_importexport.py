"""``liftmind export`` / ``liftmind import``: every table out and back, twice adds nothing, bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from service.db import open_db
from service.export import table_names


def _seeded(path: Path) -> None:
    db = open_db(path)
    with db.conn:
        db.execute("insert into sessions (id, title, t0_ns) values (1, 'squat day', 0)")
        db.execute("insert into devices (id, session_id, address) values (1, 1, 'h10')")
        db.execute("insert into acc_chunks (session_id, device_id, n, data) values (1, 1, 1, ?)",
                   [b"\x01\x00\xff\x7f\x00\x80"])
        db.execute("insert into checkins (kind, session_id, taken_at, created_at, feeling, note) "
                   "values ('pre', 1, 't', 't', -2, 'tired, \"sore\"')")


def test_export_then_import_round_trips_every_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seeded(tmp_path / "a.db")
    assert main(["export", "--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "out")]) == 0
    assert main(["import", "--db", str(tmp_path / "b.db"), str(tmp_path / "out")]) == 0
    assert main(["import", "--db", str(tmp_path / "b.db"), str(tmp_path / "out")]) == 0
    assert "acc_chunks: 0 rows added of 1" in capsys.readouterr().out
    a, b = open_db(tmp_path / "a.db"), open_db(tmp_path / "b.db")
    for table in table_names(a):
        assert list(a[table].rows) == list(b[table].rows), table


def test_csv_export_and_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seeded(tmp_path / "a.db")
    assert main(["export", "--db", str(tmp_path / "a.db"), "--out", str(tmp_path / "c"), "--format", "csv",
                 "--table", "checkins"]) == 0
    assert '"tired, ""sore"""' in (tmp_path / "c" / "checkins.csv").read_text()
    (tmp_path / "sets.json").write_text("{not json")
    assert main(["import", "--db", str(tmp_path / "b.db"), str(tmp_path / "sets.json")]) == 2
    (tmp_path / "nope.json").write_text(json.dumps([]))
    assert main(["import", "--db", str(tmp_path / "b.db"), str(tmp_path / "nope.json")]) == 2
    assert main(["export", "--db", str(tmp_path / "missing.db"), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "is not JSON" in err and "no table for nope" in err and "does not exist" in err
