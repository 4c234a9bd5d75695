"""Sensor-reader bench: three virtual Polar H10s streaming ACC at 200 Hz plus HR, 60 s of device time each.

Run: python tests/bench/bench_sensors.py [--quick]

The virtual sensors run in another process (``python -m sensors.virtual.air``: Bumble controllers on a local
link, one exposed on a loopback TCP port); this process is the reader exactly as ``liftmind record`` runs
it: the Bumble host stack as its radio, bleak, ``sensors.ble``, the decoder, the SQLite store and the raw
trace. Device clocks run ``TIME_SCALE`` times faster than real time to keep the bench short; the CPU
reported is this process's CPU time divided by the device seconds streamed, i.e. the share of one core
the reader needs to keep up in real time. A short real-time run checks the scaled figure. Gaps are
checked against the sample index each virtual sample encodes: every missing run must be a marked gap
with exactly its sample count, and no gap may be marked where nothing is missing.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sensors.ble import Backend, StreamSettings, find_devices, stream_devices  # noqa: E402
from sensors.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner  # noqa: E402
from sensors.decode import SampleFrame, StreamDecoder  # noqa: E402
from sensors.polar_pmd import Measurement  # noqa: E402
from sensors.trace import TraceEvent, TraceWriter  # noqa: E402
from sensors.virtual.air import h10_address  # noqa: E402
from sensors.virtual.polar_h10 import acc_sample  # noqa: E402
from service.db import open_db  # noqa: E402
from service.ingest import SessionWriter  # noqa: E402

N_DEVICES = 3
DEVICE_S = 60.0
TIME_SCALE = 5.0


@dataclass
class Run:
    label: str
    drop_every: int
    time_scale: float
    device_s: float


@dataclass
class Outcome:
    run: Run
    cpu_s: float
    store_cpu_s: float
    wall_s: float
    device_s: float
    received: int
    missing: int
    marked_lost: int
    gaps_true: int
    gaps_marked: int
    gaps_right: int
    invented: int
    dropped_frames: int
    hr_packets: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _index_table(limit: int) -> dict[tuple[int, ...], int]:
    return {acc_sample(i): i for i in range(limit)}


class Reader:
    """What ``liftmind record`` does with each event: trace it, decode it, store it."""

    def __init__(self, folder: Path) -> None:
        self.trace = TraceWriter(folder / "trace", {"description": "bench", "devices": []})
        self.db = open_db(folder / "bench.db")
        devices = [{"address": h10_address(i)} for i in range(N_DEVICES)]
        self.writer = SessionWriter(self.db, t0_ns=time.time_ns(), title="bench", source="bench", devices=devices)
        self.decoder = StreamDecoder()
        self.frames: dict[str, list[SampleFrame]] = {h10_address(i): [] for i in range(N_DEVICES)}
        self.hr_packets = 0
        self.store_cpu_s = 0.0  # CPU spent in the trace and the store (not the reader's own work)
        self.store_window_s = 0.0
        self.trace_cpu_s = 0.0

    async def consume(self, queue: asyncio.Queue[TraceEvent]) -> None:
        """As ``liftmind record``: the BLE callbacks only enqueue, this task does the work."""
        while True:
            self.handle(await queue.get())

    def handle(self, event: TraceEvent) -> None:
        t0 = time.thread_time()
        self.trace.write(event)
        t1 = time.thread_time()
        records = self.decoder.feed(event)
        t2 = time.thread_time()
        self.writer.add(records)
        self.trace_cpu_s += t1 - t0
        self.store_cpu_s += (t1 - t0) + (time.thread_time() - t2)
        for record in records:
            if isinstance(record, SampleFrame) and record.measurement is Measurement.ACC:
                self.frames[record.addr].append(record)
            elif not isinstance(record, SampleFrame) and hasattr(record, "bpm"):
                self.hr_packets += 1

    def device_s(self, addr: str) -> float:
        frames = self.frames[addr]
        return 0.0 if len(frames) < 2 else (int(frames[-1].device_t_ns[-1]) - int(frames[0].device_t_ns[0])) / 1e9

    def close(self) -> None:
        self.writer.finish(self.decoder, time.time_ns())
        self.trace.close()


async def _stream(reader: Reader, port: int, run: Run) -> tuple[float, float, float]:
    radio = BumbleRadio(transport=f"tcp-client:127.0.0.1:{port}")
    backend = Backend(client=BumbleClient, scanner=BumbleScanner, kwargs={"radio": radio}, name="bumble")
    devices = await find_devices(backend, [h10_address(i) for i in range(N_DEVICES)], timeout_s=10.0)
    stop = asyncio.Event()
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()
    consumer = asyncio.ensure_future(reader.consume(queue))
    task = asyncio.ensure_future(stream_devices(devices, queue.put_nowait, stop, settings=StreamSettings(),
                                                backend=backend))
    while not all(reader.frames.values()):
        await asyncio.sleep(0.01)
    cpu0, wall0, store0 = time.process_time(), time.perf_counter(), reader.store_cpu_s
    spans0 = sum(reader.device_s(a) for a in reader.frames)
    while min(reader.device_s(a) for a in reader.frames) < run.device_s:
        await asyncio.sleep(0.25)
        if task.done():
            task.result()
    cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    reader.store_window_s = reader.store_cpu_s - store0
    device_s = sum(reader.device_s(a) for a in reader.frames) - spans0
    stop.set()
    await task
    consumer.cancel()
    while not queue.empty():
        reader.handle(queue.get_nowait())
    await radio.close()
    return cpu_s, wall_s, device_s


def _gaps(frames: list[SampleFrame], table: dict[tuple[int, ...], int]) -> dict[str, int]:
    """Missing runs from the sample indexes vs the gaps the decoder marked."""
    idx = np.array([table[tuple(int(v) for v in row)] for f in frames for row in f.values])
    bounds = np.cumsum([len(f.values) for f in frames])[:-1]
    inside = np.setdiff1d(np.arange(len(idx) - 1), bounds - 1)
    missing_at_bounds = idx[bounds] - idx[bounds - 1] - 1
    marked = np.array([f.lost_samples for f in frames[1:]])
    true_gap = missing_at_bounds > 0
    return {
        "received": len(idx),
        "missing": int(np.sum(np.diff(idx) - 1)),
        "missing_inside_frames": int(np.sum(np.diff(idx)[inside] != 1)),
        "marked_lost": int(marked.sum()),
        "gaps_true": int(true_gap.sum()),
        "gaps_marked": int((marked > 0).sum()),
        "gaps_right": int(np.sum(true_gap & (marked == missing_at_bounds))),
        "invented": int(np.sum((marked > 0) & ~true_gap)),
    }


def bench(run: Run) -> Outcome:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        stats_path = Path(tmp) / "air.json"
        air = subprocess.Popen(
            [sys.executable, "-m", "sensors.virtual.air", "--port", str(port), "--h10", str(N_DEVICES),
             "--time-scale", str(run.time_scale), "--drop-every", str(run.drop_every), "--stats", str(stats_path)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert air.stdout is not None and air.stdout.readline().strip() == "ready"
            reader = Reader(Path(tmp))
            try:
                cpu_s, wall_s, device_s = asyncio.run(_stream(reader, port, run))
            finally:
                reader.close()
        finally:
            air.terminate()
            air.communicate(timeout=20)
        sent = json.loads(stats_path.read_text())
    table = _index_table(max(s["streams"]["ACC"]["next_index"] for s in sent.values()) + 1)
    per_device = [_gaps(reader.frames[a], table) for a in reader.frames]
    totals = {k: sum(d[k] for d in per_device) for k in per_device[0]}
    assert totals["missing_inside_frames"] == 0
    dropped = sum(s["streams"]["ACC"]["dropped_frames"] for s in sent.values())
    return Outcome(run, cpu_s, reader.store_window_s, wall_s, device_s, totals["received"], totals["missing"], totals["marked_lost"],
                   totals["gaps_true"], totals["gaps_marked"], totals["gaps_right"], totals["invented"], dropped,
                   reader.hr_packets)


def print_table(outcomes: list[Outcome]) -> None:
    print(f"{N_DEVICES} virtual Polar H10s, ACC 200 Hz raw (36 samples / frame, MTU 232) + HR 1 Hz; reader = "
          "Bumble host + bleak + sensors.ble + decoder + SQLite store + trace, in one process\n")
    print("| run | device s (per device) | clock speed | CPU s: reader / + store & trace "
          "| % of one core in real time: reader / + store & trace | samples received | samples missing | lost samples marked | frames dropped by sensors "
          "| gaps (true / marked / exact) | gaps invented | HR packets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for o in outcomes:
        per_device_s = o.device_s / N_DEVICES
        reader_s = o.cpu_s - o.store_cpu_s
        print(f"| {o.run.label} | {per_device_s:.1f} | {o.run.time_scale:g}x | {reader_s:.2f} / {o.cpu_s:.2f} "
              f"| {100 * reader_s / per_device_s:.2f} % / {100 * o.cpu_s / per_device_s:.2f} % "
              f"| {o.received} | {o.missing} | {o.marked_lost} | {o.dropped_frames} "
              f"| {o.gaps_true} / {o.gaps_marked} / {o.gaps_right} | {o.invented} | {o.hr_packets} |")
    print("\nCPU % = CPU seconds of this process / device seconds per device (the three streams run at once): the "
          "share of one core needed in real time. 'reader' = Bumble host stack + bleak + sensors.ble + decoder "
          "(what BlueZ + the reader would do); '+ store & trace' adds TraceWriter and service.ingest.SessionWriter "
          "(which also runs the live rep counter, service.live / repcount.live: most of that column). "
          "'exact': marked gap = missing samples, to the sample.")


def main() -> None:
    quick = "--quick" in sys.argv
    device_s = 10.0 if quick else DEVICE_S
    runs = [
        Run("no drops", 0, TIME_SCALE, device_s),
        Run("1 frame in 20 dropped", 20, TIME_SCALE, device_s),
        Run("real time, no drops", 0, 1.0, 5.0 if quick else 10.0),
    ]
    outcomes = [bench(run) for run in runs]
    print_table(outcomes)
    for o in outcomes:
        if o.run.drop_every == 0:
            assert o.missing == 0 and o.gaps_marked == 0, f"{o.run.label}: samples lost without drops"
        else:
            assert o.gaps_right == o.gaps_true == o.gaps_marked and o.invented == 0, f"{o.run.label}: gap mismatch"


if __name__ == "__main__":
    main()
