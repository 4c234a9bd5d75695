"""Faults: kill -9 the server while recorders send batches, restart it, and count what survived."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from service.db import open_db
from service.remote_ingest import encode_batch

pytestmark = pytest.mark.e2e

SERVE = ("import sys, pathlib; from service.cli.serve import serve; from service.settings import Settings; "
         "serve(Settings(db_path=pathlib.Path(sys.argv[1]), port=int(sys.argv[2])))")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(db_path), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


def _batch(session_id: int, device: str, seq: int) -> bytes:
    samples = np.full((200, 3), seq % 1000, dtype=np.int16)
    return encode_batch("acc", session_id, device, seq, samples, t0_ns=seq * 10**9, t1_ns=seq * 10**9 + 995_000_000)


def _sender(url: str, session_id: int, device: str, acked: list[int], stop: threading.Event) -> None:
    seq = 0
    with httpx.Client(timeout=5) as http:
        while not stop.is_set():
            seq += 1
            try:
                response = http.post(url, content=_batch(session_id, device, seq))
            except httpx.HTTPError:
                return
            if response.status_code == 200:
                acked.append(seq)


def test_kill_9_keeps_every_acknowledged_batch_and_retries_do_not_duplicate(tmp_path: Path) -> None:
    db_path, port = tmp_path / "k.db", _free_port()
    url = f"http://127.0.0.1:{port}/api/ingest/batches"
    proc = _start(db_path, port)
    session_id = httpx.post(f"http://127.0.0.1:{port}/api/sessions", json={"title": "k"}).json()["id"]
    devices = ("phone", "pi", "watch")
    acked: dict[str, list[int]] = {d: [] for d in devices}
    stop = threading.Event()
    threads = [threading.Thread(target=_sender, args=(url, session_id, d, acked[d], stop)) for d in devices]
    for thread in threads:
        thread.start()
    while sum(map(len, acked.values())) < 120 and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stop.set()
    for thread in threads:
        thread.join()

    db = open_db(db_path)
    stored = {(a, s) for a, s in db.execute(
        "select d.address, b.seq from ingest_batches b join devices d on d.id = b.device_id").fetchall()}
    assert {(d, s) for d in devices for s in acked[d]} <= stored
    db.conn.close()

    proc = _start(db_path, port)
    try:
        with httpx.Client(timeout=10) as http:
            for device in devices:
                last = max(acked[device]) + 3
                for seq in range(1, last + 1):
                    ack = http.post(url, content=_batch(session_id, device, seq)).json()[0]
                    assert ack["duplicate"] == ((device, seq) in stored)
    finally:
        proc.terminate()
        proc.wait()
    db = open_db(db_path)
    expected_batches = sum(max(acked[d]) + 3 for d in devices)
    assert db.execute("select count(*) from ingest_batches").fetchone()[0] == expected_batches
    stored = db.execute("select count(*), sum(n) from acc_chunks").fetchone()
    assert stored == (expected_batches, 200 * expected_batches)
