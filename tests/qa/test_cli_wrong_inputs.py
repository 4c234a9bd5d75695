"""Wrong inputs to the ``liftmind`` commands: one clear ``liftmind: error:`` line and exit 2, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import main
from service.db import open_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(bytes(range(256)) * 8)
    return path


def _fails_clearly(argv: list[str], capsys: pytest.CaptureFixture[str], expected: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("liftmind: error: ") and "\n" not in err
    assert expected in err


@pytest.mark.parametrize("command", [["profile"], ["export", "--out", "OUT"], ["import", "IN"],
                                     ["replay", str(FIXTURES / "demo_session")], ["serve"]])
def test_a_db_that_is_not_a_database_is_one_clear_line(command: list[str], garbage: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    argv = [arg.replace("OUT", str(tmp_path / "out")).replace("IN", str(tmp_path)) for arg in command]
    _fails_clearly([*argv, "--db", str(garbage)], capsys, f"{garbage} is not a liftmind database")


@pytest.mark.parametrize("command", [["profile"], ["export", "--out", "OUT"], ["serve"], ["demo", "--no-serve"]])
def test_a_folder_given_as_db_is_one_clear_line(command: list[str], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    argv = [arg.replace("OUT", str(tmp_path / "out")) for arg in command]
    _fails_clearly([*argv, "--db", str(tmp_path)], capsys, f"{tmp_path} is a folder")


def test_a_db_in_a_missing_folder_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fails_clearly(["profile", "--db", str(tmp_path / "no" / "x.db")], capsys, "does not exist")


def test_export_to_a_file_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.txt"
    out.write_text("keep me")
    open_db(tmp_path / "t.db").conn.close()
    _fails_clearly(["export", "--db", str(tmp_path / "t.db"), "--out", str(out)], capsys, "is a file")
    assert out.read_text() == "keep me"


@pytest.mark.parametrize(("argv", "expected"), [(["--seed", "-1"], "--seed must be >= 0"), ([], "is a file")])
def test_simulate_wrong_inputs_are_one_clear_line(argv: list[str], expected: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "file"
    out.write_text("x")
    _fails_clearly(["simulate", str(out if not argv else tmp_path / "trace"), *argv], capsys, expected)


def test_reps_of_a_folder_that_is_not_a_trace_is_one_clear_line(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _fails_clearly(["reps", str(tmp_path)], capsys, "not a trace folder")


@pytest.mark.parametrize("port", ["99999", "0", "abc"])
def test_serve_refuses_a_port_out_of_range(port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--db", str(tmp_path / "t.db"), "--port", port])
    assert exc.value.code == 2
    assert "argument --port" in capsys.readouterr().err


def test_export_never_writes_to_a_file_that_is_not_a_liftmind_database(tmp_path: Path) -> None:
    import sqlite3

    for content in (b"", None):
        path = tmp_path / f"other{0 if content is None else 1}.db"
        if content is None:
            with sqlite3.connect(path) as conn:
                conn.execute("create table notes (body text)")
        else:
            path.write_bytes(content)
        before = path.read_bytes()
        result = subprocess.run([sys.executable, "-m", "service.cli", "export", "--db", str(path), "--out",
                                 str(tmp_path / "out")], capture_output=True, text=True)
        assert result.returncode == 2 and "not a liftmind database" in result.stderr
        assert path.read_bytes() == before


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real ``liftmind`` command in a subprocess."""
    return subprocess.run([sys.executable, "-m", "service.cli", *argv], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert err.startswith("liftmind: error: ") and "\n" not in err, err
    return err


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_one_clear_line(command: str, tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = _cli(command, "--db", str(tmp_path / "t.db"), "--port", str(port))
    assert _one_line_error(result) == (f"liftmind: error: port {port} on 127.0.0.1 is in use (another liftmind?); "
                                       "pick another with --port")
    assert command == "serve" or not (tmp_path / "t.db").exists()  # the demo did not replay first


def test_a_host_that_is_not_this_machines_is_one_clear_line(tmp_path: Path) -> None:
    result = _cli("serve", "--db", str(tmp_path / "t.db"), "--host", "no-such-host.invalid", "--token", "t" * 16)
    assert "cannot listen on no-such-host.invalid" in _one_line_error(result)


def test_reps_of_a_binary_file_says_what_it_expected(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    assert _one_line_error(_cli("reps", str(path))) == (
        f"liftmind: error: {path}: not a CSV file with header t,ax,ay,az nor a trace folder")


@pytest.fixture
def db_with_a_session(tmp_path: Path) -> Path:
    from service.models import SessionIn
    from service.store import create_session

    db = open_db(tmp_path / "s.db")
    assert create_session(db, SessionIn(title="no sensors")) == 1
    db.conn.close()
    return tmp_path / "s.db"


@pytest.mark.parametrize(("argv", "expected"), [
    (["--session", "1"], "--session needs --db FILE (the liftmind database the session is in)"),
    (["--session", "1", "--db", "missing.db"], "--session needs --db FILE of an existing liftmind database: "
                                                 "missing.db does not exist"),
    (["--session", "1", "--db", "."], ". is a folder; --db needs a database file"),
    (["--session", "1", "--db", "garbage.db"], "garbage.db is not a liftmind database"),
    (["--session", "1", "--db", "other.db"], "other.db is not a liftmind database"),
    (["--session", "2", "--db", "s.db"], "no session 2 in s.db"),
    (["--session", "-1", "--db", "s.db"], "no session -1 in s.db"),
    (["--session", "99999999999999999999", "--db", "s.db"], "no session 99999999999999999999 in s.db"),
    (["--session", "1", "--db", "s.db"], "session 1 has no accelerometer data in s.db"),
])
def test_reps_of_a_stored_session_wrong_inputs_are_one_clear_line(argv: list[str], expected: str, tmp_path: Path,
                                                                  garbage: Path, db_with_a_session: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("create table notes (body text)")
    conn.close()
    def files() -> dict[str, bytes]:  # SQLite's -wal/-shm side files aside
        return {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))}

    before = files()
    assert _one_line_error(_cli("reps", *argv, cwd=tmp_path)) == f"liftmind: error: {expected}"
    assert files() == before  # nothing created or migrated


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("sessions.json", b"\xff\xfe\x00garbage", "sessions.json is not JSON: it is not UTF-8 text"),
    ("sessions.json", b'[{"id": 1,', "sessions.json is not JSON (Expecting property name enclosed in double quotes"),
    ("sessions.json", b'[{"id": 1, "title": "x", "mood": 3}]', "sessions.json: table sessions has no column mood"),
    ("live_events.json", b'[{"session_id": 999, "t_ns": 1, "kind": "hr", "payload": "{}"}]',
     "live_events.json: nothing imported into live_events: a row refers to a row that is in neither the database "
     "nor these files"),
    ("hrv_readings.json", b'[{"kind": "morning", "taken_at": "t", "algorithm": "a", "created_at": "c", '
                          b'"rr_ms": "!!not base64"}]',
     "hrv_readings.json: nothing imported into hrv_readings: a blob is not base64 text"),
])
def test_import_of_a_file_that_is_not_an_export_is_one_clear_line(name: str, content: bytes, expected: str,
                                                                  tmp_path: Path) -> None:
    (tmp_path / name).write_bytes(content)
    err = _one_line_error(_cli("import", "--db", "i.db", name, cwd=tmp_path))
    assert err.startswith(f"liftmind: error: {expected}")
    table = name.removesuffix(".json")
    assert open_db(tmp_path / "i.db").execute(f"select count(*) from {table}").fetchone()[0] == 0


@pytest.mark.parametrize(("argv", "expected"), [
    (["replay", str(FIXTURES / "demo_session"), "--db", "r.db", "--speed", "nan"], "--speed must be >= 0, got nan"),
    (["record", "--db", "r.db", "--duration", "nan"], "--duration must be a number of seconds > 0, got nan"),
    (["record", "--db", "r.db", "--duration", "-3"], "--duration must be a number of seconds > 0, got -3"),
])
def test_numbers_that_are_not_finite_or_positive_are_one_clear_line(argv: list[str], expected: str,
                                                                   tmp_path: Path) -> None:
    assert _one_line_error(_cli(*argv, cwd=tmp_path)) == f"liftmind: error: {expected}"
    assert not (tmp_path / "r.db").exists()


@pytest.mark.parametrize("command", [["replay", "--db", "r.db"], ["demo", "--no-serve", "--db", "r.db", "--trace"]])
@pytest.mark.parametrize(("trace", "expected"), [
    ("notes.txt", "notes.txt is a file; TRACE is a trace folder (trace.jsonl + meta.json)"),
    ("missing", "trace folder missing does not exist"),
])
def test_a_trace_that_is_a_file_or_missing_is_one_clear_line_and_leaves_the_db(
        command: list[str], trace: str, expected: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a trace")
    open_db(tmp_path / "r.db").conn.close()  # an empty database, which the demo would replace
    before = (tmp_path / "r.db").read_bytes()
    argv = [*command, trace] if command[0] == "demo" else [command[0], trace, *command[1:]]
    assert _one_line_error(_cli(*argv, cwd=tmp_path)) == f"liftmind: error: {expected}"
    assert (tmp_path / "r.db").read_bytes() == before
