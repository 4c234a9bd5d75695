"""The CLI: every command has --help and is in the README; bad input is one line, exit 2, no traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[str]:
    parser = build_parser()
    return sorted(
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    )


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_is_documented(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    assert f"liftmind {command}" in capsys.readouterr().out
    assert f"liftmind {command}" in (ROOT / "README.md").read_text()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_missing_trace_is_one_clear_line(tmp_path: Path) -> None:
    result = _run("replay", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_malformed_trace_lines_are_reported_and_the_rest_stored(tmp_path: Path) -> None:
    from .conftest import h10_events, write_trace

    events = h10_events()
    folder = write_trace(tmp_path / "t", events[:-1])  # all but the final disconnect
    last = events[-1].t_ns
    with (folder / "trace.jsonl").open("a") as handle:
        handle.write(f'{{"t_ns": {last}, "addr": "A0:9E:1A:00:00:42", "kind": "notify", '
                     '"char": "0000ffff-0000-1000-8000-00805f9b34fb", "hex": "00"}\n')
        handle.write('{"t_ns": 2, "addr": "A0:9E')  # torn last line: the recorder was killed
    db = tmp_path / "x.db"
    assert main(["replay", str(folder), "--db", str(db)]) == 0
    result = _run("replay", str(folder), "--db", str(db))
    assert result.returncode == 0
    assert "1 unreadable trace line(s) skipped" in result.stdout
    assert "1 notification(s) from unknown characteristics ignored" in result.stdout
    import sqlite_utils

    stored = sqlite_utils.Database(db)
    assert stored["sessions"].count == 2  # replaying again adds a session, loses nothing
    assert stored.execute("select count(distinct session_id) from acc_chunks").fetchone()[0] == 2


def test_negative_speed_is_refused(tmp_path: Path) -> None:
    result = _run("replay", str(tmp_path), "--db", str(tmp_path / "x.db"), "--speed", "-1")
    assert result.returncode == 2 and "--speed must be >= 0" in result.stderr


def test_demo_never_replaces_a_database_holding_real_data(tmp_path: Path) -> None:
    from service.db import open_db

    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not sqlite at all" * 100)
    real = tmp_path / "real.db"
    db = open_db(real)
    with db.conn:
        db.table("sessions").insert({"title": "Monday squats", "synthetic": 0})
    for path in (garbage, real):
        before = path.read_bytes()
        result = _run("demo", "--no-serve", "--db", str(path))
        assert result.returncode == 2 and "not an earlier demo's" in result.stderr
        assert path.read_bytes() == before
