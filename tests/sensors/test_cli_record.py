"""``liftmind scan`` / ``liftmind record`` as a user runs them, against a virtual radio in another process.

The radio (``python -m sensors.virtual.air``) serves a Bumble controller on a loopback TCP port; the CLI
reaches it with ``LIFTMIND_BLE=bumble:tcp-client:...``. The default BlueZ backend is never started here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sensors.ble import Backend
from sensors.trace import load_events, read_meta
from sensors.virtual.air import h10_address, strap_address
from service.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_air() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """A virtual radio process with one H10 and one HR strap at 10x speed, and the env to reach it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensors.virtual.air", "--port", str(port), "--h10", "1", "--strap", "1",
         "--time-scale", "10"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, {**os.environ, "LIFTMIND_BLE": f"bumble:tcp-client:127.0.0.1:{port}"}


def _stop_air(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.communicate(timeout=10)


@pytest.fixture(scope="module")
def air() -> Iterator[dict[str, str]]:
    """One virtual radio for the tests whose recorder disconnects cleanly."""
    proc, env = _start_air()
    try:
        yield env
    finally:
        _stop_air(proc)


@pytest.fixture
def own_air() -> Iterator[dict[str, str]]:
    """A radio of its own, for a recorder that dies without disconnecting (its sensors stay taken)."""
    proc, env = _start_air()
    try:
        yield env
    finally:
        _stop_air(proc)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def liftmind(air: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run a liftmind command in this process, its radio the virtual one."""
    monkeypatch.setenv("LIFTMIND_BLE", air["LIFTMIND_BLE"])

    def run(*args: str) -> Result:
        code = main(list(args))
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return run


def test_scan_lists_the_sensors_with_services_and_rssi(liftmind: Any) -> None:
    result = liftmind("scan", "--timeout", "0.5", "--json")
    assert result.returncode == 0, result.stderr
    found = {d["address"]: d for d in json.loads(result.stdout)}
    assert set(found) == {h10_address(0), strap_address(0)}
    assert found[h10_address(0)]["name"] == "Polar H10 VIRT0001" and "heart rate" in found[h10_address(0)]["services"]
    assert isinstance(found[h10_address(0)]["rssi"], int)


def test_record_streams_into_the_db_and_writes_a_replayable_trace(liftmind: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    result = liftmind("record", "--db", str(db), "--duration", "1.5", "--scan-timeout", "0.5")
    assert result.returncode == 0, result.stderr
    assert "2 device(s)" in result.stdout and "ACC samples" in result.stdout
    with sqlite3.connect(db) as conn:
        acc = conn.execute("select sum(n), sum(lost_samples) from acc_chunks").fetchone()
        hr = conn.execute("select count(*) from hr_samples").fetchone()[0]
        ended = conn.execute("select ended_at from sessions").fetchone()[0]
        kinds = dict(conn.execute("select address, kind from devices").fetchall())
    assert kinds == {h10_address(0): "polar_h10", strap_address(0): "hr_strap"}
    assert acc[0] > 1000 and acc[1] == 0 and hr > 5 and ended
    (folder,) = (tmp_path / "s-traces").iterdir()
    events, stats = load_events(folder)
    assert not stats.skipped and sum(e.kind == "write" for e in events) >= 2  # START and STOP
    meta = read_meta(folder)
    h10 = next(d for d in meta["devices"] if d["address"] == h10_address(0))
    assert h10["mtu"] == 232 and h10["kind"] == "polar_h10" and h10["placement"] == "chest" and h10["gatt"]
    replay = liftmind("replay", str(folder), "--db", str(tmp_path / "r.db"))
    assert replay.returncode == 0, replay.stderr
    with sqlite3.connect(tmp_path / "r.db") as conn:
        assert conn.execute("select sum(n) from acc_chunks").fetchone()[0] == acc[0]


def _record_until_streaming(env: dict[str, str], db: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "record", "--db", str(db), "--scan-timeout", "0.5"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    traces = db.parent / f"{db.stem}-traces"
    deadline = 600  # x 0.05 s: a loaded machine starts Python slowly
    for _ in range(deadline):  # wait (bounded) for ACC frames in the trace, without sleeping blindly
        try:
            proc.wait(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            lines = [p for p in traces.glob("*/trace.jsonl")]
            if lines and lines[0].read_text().count("fb005c82") >= 5:
                return proc, lines[0].parent
    proc.kill()
    raise AssertionError(f"record never streamed: {proc.communicate()}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_stop_cleanly_with_everything_flushed(air: dict[str, str], tmp_path: Path,
                                                                  signum: int) -> None:
    proc, folder = _record_until_streaming(air, tmp_path / "s.db")
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    events, stats = load_events(folder)
    assert not stats.skipped
    assert [e.payload.hex() for e in events if e.kind == "write"][-1] == "0302"  # the stream was stopped
    with sqlite3.connect(tmp_path / "s.db") as conn:
        stored = conn.execute("select sum(n) from acc_chunks").fetchone()[0]
        ended = conn.execute("select ended_at from sessions").fetchone()[0]
    frames = sum(1 for e in events if e.char.startswith("fb005c82"))
    assert ended and stored == frames * 36


def test_kill_9_leaves_a_valid_trace(own_air: dict[str, str], tmp_path: Path) -> None:
    proc, folder = _record_until_streaming(own_air, tmp_path / "s.db")
    proc.kill()
    proc.communicate(timeout=20)
    events, stats = load_events(folder)
    assert len(stats.skipped) <= 1 and max(stats.skipped, default=stats.lines) == stats.lines  # at most a torn last line
    assert sum(e.char.startswith("fb005c82") for e in events) >= 5
    assert read_meta(folder)["devices"]


def test_a_refused_setting_is_one_sentence_naming_the_allowed_values(liftmind: Any, tmp_path: Path) -> None:
    result = liftmind("record", "--db", str(tmp_path / "s.db"), "--acc-rate", "333", "--scan-timeout", "0.5",
                      "--device", h10_address(0))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "refused ACC sample rate 333 Hz (invalid sample rate); it allows 25 Hz, 50 Hz, 100 Hz, 200 Hz" in result.stderr


def test_a_device_not_around_is_one_sentence(liftmind: Any, tmp_path: Path) -> None:
    result = liftmind("record", "--db", str(tmp_path / "s.db"), "--device", "00:11:22:33:44:55",
                      "--scan-timeout", "0.5")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "device 00:11:22:33:44:55 not found after 0.5 s of scanning; seen: " in result.stderr
    assert h10_address(0) in result.stderr


class _NoDBusScanner:
    """Stands in for BlueZ on a machine without a system bus: what bleak raises there."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", "/run/dbus/system_bus_socket")


@pytest.mark.parametrize("command", [["scan"], ["record", "--db", "x.db"]])
def test_no_adapter_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          command: list[str], tmp_path: Path) -> None:
    no_dbus = Backend(scanner=_NoDBusScanner)  # type: ignore[arg-type]
    monkeypatch.setattr("service.cli.scan.backend_from_spec", lambda spec: no_dbus)
    monkeypatch.setattr("service.cli.record.backend_from_spec", lambda spec: no_dbus)
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("liftmind: error: no Bluetooth adapter found") and err.count("\n") == 1
    assert "/run/dbus/system_bus_socket" in err


def test_an_unknown_backend_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--ble", "carrier-pigeon"]) == 2
    assert "is not a backend" in capsys.readouterr().err
