"""Service bench: remote ingest throughput (beside a naive baseline), API read latency under live ingest,
and the data of a 1-hour session page.

Run: ``python tests/bench/bench_service.py`` (the full 60 s run ``make bench`` does) or ``--quick`` (10 s).
Every server is a real ``uvicorn`` subprocess on 127.0.0.1; the load generator is this process, so both
share the machine's two cores.

1. liftmind: 50 recorders, one WebSocket each, sending 1 s batches of 200 Hz 3-axis ACC (LMB1 binary) as
   fast as acks come back, at most 4 unacknowledged per recorder; a batch counts only when its ack (sent
   after the commit) arrives, and the stored sample count is checked against the acknowledged one.
2. naive baseline: a FastAPI endpoint taking a JSON list of samples and inserting one blob per batch, one
   commit per request, 50 concurrent HTTP clients.
3. 20 recorders streaming in real time (live events on) while a client reads the API: p50/p99 latency.
4. a 1-hour session (720,000 ACC samples, HR, RR, 20 sets): time of its page data.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from service.db import open_db  # noqa: E402
from service.remote_ingest import encode_batch  # noqa: E402

FS_HZ = 200
RECORDERS = 50
#: Batches a recorder keeps in flight (sent, not yet acknowledged); a batch counts only once acknowledged.
WINDOW = 4
LIVE_STREAMS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def liftmind_server(db_path: Path, port: int) -> list[str]:
    """``liftmind serve --db DB --port PORT``, without importing the other CLI commands."""
    code = ("import sys, pathlib; from service.cli.serve import serve; from service.settings import Settings; "
            "serve(Settings(db_path=pathlib.Path(sys.argv[1]), port=int(sys.argv[2])))")
    return ["-c", code, str(db_path), str(port)]


def start_server(args: list[str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {proc.stderr.read().decode() if proc.stderr else ''}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


def acc_second(rng: np.random.Generator) -> np.ndarray:
    return (rng.normal(0, 80, size=(FS_HZ, 3)) + [0, 0, 1000]).astype(np.int16)


async def ws_recorder(url: str, session_id: int, address: str, stop_at: float, *, live: bool,
                      counts: list[int], per_s: dict[int, int]) -> None:
    """Send batches with up to `WINDOW` unacknowledged (one a second when ``live``); count acked samples."""
    rng = np.random.default_rng(abs(hash(address)) % 2**32)
    samples = acc_second(rng)
    in_flight = asyncio.Semaphore(1 if live else WINDOW)
    async with websockets.connect(url, max_size=2**20, compression=None) as ws:

        async def receive_acks() -> None:
            while True:
                ack = json.loads(await ws.recv())
                if "error" in ack:
                    raise RuntimeError(ack["error"])
                counts[0] += FS_HZ
                second = int(time.monotonic())
                per_s[second] = per_s.get(second, 0) + FS_HZ
                in_flight.release()

        receiver = asyncio.create_task(receive_acks())
        if live:  # live recorders start at independent moments, as real ones do
            await asyncio.sleep(rng.uniform(0.0, 1.0))
        seq = 0
        while time.monotonic() < stop_at:
            await in_flight.acquire()
            seq += 1
            t0 = seq * 1_000_000_000
            await ws.send(encode_batch("acc", session_id, address, seq, samples, t0_ns=t0, t1_ns=t0 + 995_000_000,
                                       arrival_ns=time.time_ns() if live else 0))
            if live:
                await asyncio.sleep(1.0)
        for _ in range(1 if live else WINDOW):  # every batch sent is acknowledged before we stop
            await in_flight.acquire()
        receiver.cancel()


async def run_ws_load(port: int, session_id: int, n: int, seconds: float, *, live: bool,
                      per_s: dict[int, int] | None = None) -> int:
    counts = [0]
    stop_at = time.monotonic() + seconds
    url = f"ws://127.0.0.1:{port}/api/ingest/ws"
    per_s = {} if per_s is None else per_s
    await asyncio.gather(*(ws_recorder(url, session_id, f"rec-{i:02d}", stop_at, live=live, counts=counts,
                                       per_s=per_s) for i in range(n)))
    return counts[0]


def slowest_window(per_s: dict[int, int], window_s: int = 10) -> float:
    """Lowest rate (samples/s) over any ``window_s`` whole seconds of the run (first and last second dropped)."""
    seconds = sorted(per_s)[1:-1]
    rates = [sum(per_s.get(s, 0) for s in range(a, a + window_s)) / window_s
             for a in seconds if a + window_s - 1 <= seconds[-1]]
    return min(rates) if rates else float("nan")


async def run_naive_load(port: int, seconds: float) -> int:
    counts = [0]
    stop_at = time.monotonic() + seconds
    samples = acc_second(np.random.default_rng(1)).tolist()

    async def client(i: int, http: httpx.AsyncClient) -> None:
        seq = 0
        while time.monotonic() < stop_at:
            seq += 1
            r = await http.post(f"http://127.0.0.1:{port}/batch", json={"device": i, "seq": seq, "samples": samples})
            r.raise_for_status()
            counts[0] += FS_HZ

    limits = httpx.Limits(max_connections=RECORDERS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        await asyncio.gather(*(client(i, http) for i in range(RECORDERS)))
    return counts[0]


class NaiveBatch(BaseModel):
    device: int
    seq: int
    samples: list[list[int]]


def naive_server(port: int, db_path: str) -> None:
    """The baseline: JSON list body, one blob per batch, one commit per request."""
    import sqlite3

    import uvicorn
    from fastapi import FastAPI

    conn = sqlite3.connect(db_path, check_same_thread=False)
    conn.execute("pragma journal_mode=wal")
    conn.execute("create table if not exists batches (device int, seq int, data blob)")
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/batch")
    async def batch(body: NaiveBatch) -> dict[str, int]:
        with conn:
            conn.execute("insert into batches values (?, ?, ?)",
                         (body.device, body.seq, np.asarray(body.samples, dtype="<i2").tobytes()))
        return {"seq": body.seq}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def create_session(port: int) -> int:
    return int(httpx.post(f"http://127.0.0.1:{port}/api/sessions", json={"title": "bench"}).json()["id"])


def bench_ingest(tmp: Path, seconds: float, baseline_s: float) -> tuple[float, float, float, int, int]:
    port = free_port()
    db_path = tmp / "ingest.db"
    proc = start_server(liftmind_server(db_path, port), port)
    try:
        session_id = create_session(port)
        per_s: dict[int, int] = {}
        t = time.perf_counter()
        acked = asyncio.run(run_ws_load(port, session_id, RECORDERS, seconds, live=False, per_s=per_s))
        ours = acked / (time.perf_counter() - t)
        slowest = slowest_window(per_s, 10 if seconds >= 30 else 3)
    finally:
        stop(proc)
    stored = int(open_db(db_path).execute("select coalesce(sum(n), 0) from acc_chunks").fetchone()[0])
    port = free_port()
    proc = start_server([__file__, "--naive-server", str(port), str(tmp / "naive.db")], port)
    try:
        t = time.perf_counter()
        naive = asyncio.run(run_naive_load(port, baseline_s)) / (time.perf_counter() - t)
    finally:
        stop(proc)
    return ours, slowest, naive, acked, stored


async def read_latencies(port: int, session_id: int, seconds: float) -> list[float]:
    times = []
    stop_at = time.monotonic() + seconds
    paths = ["/api/sessions", f"/api/sessions/{session_id}", "/api/checkins", "/api/live/events.json?after=0"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        i = 0
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            (await http.get(paths[i % len(paths)])).raise_for_status()
            times.append(time.perf_counter() - t)
            i += 1
            await asyncio.sleep(0.02)
    return times


def bench_reads_under_live_ingest(tmp: Path, seconds: float) -> list[float]:
    port = free_port()
    db_path = tmp / "live.db"
    seed_hour_session(db_path)
    proc = start_server(liftmind_server(db_path, port), port)
    try:
        session_id = create_session(port)

        async def both() -> list[float]:
            load = asyncio.create_task(run_ws_load(port, session_id, LIVE_STREAMS, seconds + 1, live=True))
            await asyncio.sleep(1.0)
            times = await read_latencies(port, 1, seconds)
            await load
            return times

        return asyncio.run(both())
    finally:
        stop(proc)


def seed_hour_session(db_path: Path) -> int:
    """A 1-hour session written directly: 200 Hz ACC in 1 s chunks, 1 Hz HR, RR, 20 sets of 8 reps."""
    db = open_db(db_path)
    rng = np.random.default_rng(5)
    t0 = 1_700_000_000_000_000_000
    with db.conn:
        sid = int(db["sessions"].insert({"title": "hour", "started_at": "2026-01-01T10:00:00+00:00",
                                         "ended_at": "2026-01-01T11:00:00+00:00", "t0_ns": t0}).last_pk)
        dev = int(db["devices"].insert({"session_id": sid, "address": "H10", "clock_offset_ns": t0}).last_pk)
        chunk = acc_second(rng).tobytes()
        db["acc_chunks"].insert_all({"session_id": sid, "device_id": dev, "device_t0_ns": s * 10**9,
                                     "device_t1_ns": s * 10**9 + 995_000_000, "n": FS_HZ, "data": chunk}
                                    for s in range(3600))
        db["hr_samples"].insert_all({"session_id": sid, "device_id": dev, "t_ns": t0 + s * 10**9, "bpm": 90}
                                    for s in range(3600))
        db["rr_intervals"].insert_all({"session_id": sid, "device_id": dev, "t_ns": t0 + k * 700_000_000,
                                       "rr_ms": 700.0} for k in range(5100))
        for k in range(20):
            set_id = int(db["sets"].insert({"session_id": sid, "idx": k + 1, "exercise": "squat",
                                            "start_s": 150.0 * k, "end_s": 150.0 * k + 30, "reps_detected": 8,
                                            "algorithm": "bench"}).last_pk)
            db["reps"].insert_all({"set_id": set_id, "idx": r, "start_s": 150.0 * k + 3 * r,
                                   "turn_s": 150.0 * k + 3 * r + 1.5, "end_s": 150.0 * k + 3 * r + 3,
                                   "confidence": 0.9} for r in range(8))
    return sid


def bench_hour_page(tmp: Path) -> tuple[float, float, int]:
    """Best-of-5 seconds for the session API (sets, HR) and for the HTML page (if pages are registered)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    db_path = tmp / "hour.db"
    sid = seed_hour_session(db_path)
    with TestClient(create_app(Settings(db_path=db_path))) as client:
        api_s = min(_timed(client, f"/api/sessions/{sid}") for _ in range(5))
        status = client.get(f"/sessions/{sid}").status_code
        page_s = min(_timed(client, f"/sessions/{sid}") for _ in range(5)) if status == 200 else float("nan")
    return api_s, page_s, status


def _timed(client: object, path: str) -> float:
    t = time.perf_counter()
    client.get(path).raise_for_status()  # type: ignore[attr-defined]
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s ingest and 5 s reads (development)")
    parser.add_argument("--naive-server", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_server:
        naive_server(int(args.naive_server[0]), args.naive_server[1])
        return 0
    seconds, baseline_s, read_s = (10.0, 5.0, 5.0) if args.quick else (60.0, 15.0, 20.0)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours, slowest, naive, acked, stored = bench_ingest(tmp, seconds, baseline_s)
        lat = sorted(bench_reads_under_live_ingest(tmp, read_s))
        api_s, page_s, status = bench_hour_page(tmp)
    p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print(f"## service bench ({'quick' if args.quick else 'full'}, {os.cpu_count()} cores, load generator included)\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| remote ingest, 50 WebSocket recorders, {seconds:.0f} s, ack after commit | {ours:,.0f} samples/s "
          "| >= 250,000 |")
    window_s = 10 if seconds >= 30 else 3
    print(f"| same run, slowest {window_s} s window | {slowest:,.0f} samples/s | >= 250,000 |")
    print(f"| naive baseline (JSON list, one blob per batch), {baseline_s:.0f} s | {naive:,.0f} samples/s | |")
    print(f"| ratio | {ours / naive:.1f}x | |")
    print(f"| acknowledged samples / stored samples | {acked:,} / {stored:,} | equal |")
    print(f"| API reads during {LIVE_STREAMS} live streams: p50 / p99 ({len(lat)} reads) "
          f"| {p50 * 1e3:.1f} / {p99 * 1e3:.1f} ms | p99 < 50 ms |")
    print(f"| 1-hour session: GET /api/sessions/ID (sets, HR) | {api_s * 1e3:.1f} ms | < 200 ms |")
    page = f"{page_s * 1e3:.1f} ms" if status == 200 else f"not served (HTTP {status})"
    print(f"| 1-hour session: GET /sessions/ID (HTML page) | {page} | < 200 ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
