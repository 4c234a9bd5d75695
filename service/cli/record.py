"""``liftmind record``: stream live sensors into the database, and every raw packet into a trace beside it.

Ctrl-C or SIGTERM stops cleanly: streams stopped, sensors disconnected, everything flushed. The trace is
written a line at a time, so even a ``kill -9`` leaves a readable trace up to its last line
(``liftmind replay`` plays it back).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bleak.exc import BleakError

from sensors.backends import backend_from_spec, close_backend
from sensors.ble import (
    Backend,
    DeviceLink,
    StreamSettings,
    device_kind,
    discover,
    find_devices,
    stream_devices,
)
from sensors.decode import HeartRateSample, Record, SampleFrame, StreamDecoder
from sensors.errors import DeviceError, SensorError
from sensors.trace import TraceEvent, TraceWriter, write_meta
from service.cli import CliError
from service.cli.scan import add_backend_option
from service.db import open_db
from service.ingest import SessionWriter
from service.pipeline import SessionPipeline, stop_consumer


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "record",
        help="record live sensors into a database",
        description="Connect to heart-rate straps and Polar sensors (all found by a scan, or the --device "
        "addresses), stream HR/RR, accelerometer (and ECG) into the database, and write the raw trace "
        "beside it (<db name>-traces/<UTC time>/). Ctrl-C stops.",
    )
    parser.add_argument("--device", action="append", metavar="ADDR", help="sensor address (repeat for several)")
    parser.add_argument("--acc-rate", type=int, default=None, metavar="HZ",
                        help="accelerometer rate; given, a sensor that refuses it is an error (default: 200, or "
                        "the closest a sensor offers)")
    parser.add_argument("--acc-range", type=int, default=None, metavar="G",
                        help="accelerometer range in G; given, a sensor that refuses it is an error (default: 8, "
                        "or the closest a sensor offers)")
    parser.add_argument("--ecg", action="store_true", help="also stream ECG (Polar H10, 130 Hz)")
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database (created if missing)")
    parser.add_argument("--title", default=None, help="session title (default: 'Recorded session <time>')")
    parser.add_argument("--scan-timeout", type=float, default=10.0, metavar="S", help="seconds to look for sensors")
    parser.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    add_backend_option(parser)
    parser.set_defaults(func=run)


@dataclass
class Tally:
    """What a recording got, for the closing line."""

    samples: Counter[str] = field(default_factory=Counter)
    heart_rates: int = 0
    gaps: int = 0
    lost_samples: int = 0

    def add(self, records: list[Record]) -> None:
        for record in records:
            if isinstance(record, SampleFrame):
                self.samples[record.measurement.name] += len(record.values)
                if record.gap_ns > 0:
                    self.gaps += 1
                    self.lost_samples += record.lost_samples
            elif isinstance(record, HeartRateSample):
                self.heart_rates += 1


def trace_folder(db_path: Path, started: dt.datetime) -> Path:
    """``<db dir>/<db stem>-traces/<UTC time>``: the raw trace lives beside the database."""
    return db_path.parent / f"{db_path.stem}-traces" / started.strftime("%Y%m%dT%H%M%SZ")


def _first_meta(device: Any, streams: dict[str, Any]) -> dict[str, Any]:
    """What is known of a device before connecting: its name says what it is (an H10 is worn on the chest)."""
    kind = device_kind(device.name)
    return {"address": device.address, "name": device.name, "kind": kind,
            "placement": "chest" if kind == "polar_h10" else None, "streams": streams}


def _device_meta(link: DeviceLink) -> dict[str, Any]:
    return {"address": link.device.address, "name": link.device.name, "kind": link.info.kind,
            "mtu": link.info.mtu, "gatt": link.info.gatt, "reads": link.info.reads, "streams": link.info.streams}


async def _devices(backend: Backend, args: argparse.Namespace) -> list[Any]:
    if args.device:
        return await find_devices(backend, args.device, args.scan_timeout)
    found = [d for d, _ in await discover(backend, args.scan_timeout)]
    if not found:
        raise DeviceError(
            f"no heart-rate or Polar sensor found after {args.scan_timeout:g} s of scanning "
            "(an H10 sleeps until it touches skin; a sensor connected to another app does not advertise)"
        )
    return found


def stream_settings(args: argparse.Namespace) -> StreamSettings:
    """Explicit --acc-rate / --acc-range are demands; the defaults adapt to each sensor."""
    strict = args.acc_rate is not None or args.acc_range is not None
    return StreamSettings(acc_rate_hz=args.acc_rate or 200, acc_range_g=args.acc_range or 8, ecg=args.ecg,
                          strict=strict)


def _session_meta(args: argparse.Namespace, devices: list[Any], started: dt.datetime) -> dict[str, Any]:
    wanted = stream_settings(args)
    streams = {"hr": {"rate_hz": 1}, "acc": {"sample_rate_hz": wanted.acc_rate_hz, "range_g": wanted.acc_range_g,
                                              "resolution_bits": 16}}
    if args.ecg:
        streams["ecg"] = {"sample_rate_hz": 130, "resolution_bits": 14}
    return {
        "description": args.title or f"Recorded session {started:%Y-%m-%d %H:%M} UTC",
        "synthetic": False, "provenance": "recorded live by liftmind record", "started_at": started.isoformat(),
        "devices": [_first_meta(d, streams) for d in devices],
    }


class Recording:
    """Where each event goes: the raw trace, the decoder, the store (and a tally for the closing line)."""

    def __init__(self, db_path: Path, folder: Path, meta: dict[str, Any]) -> None:
        self.folder, self.meta = folder, meta
        writer = SessionWriter(open_db(db_path), t0_ns=time.time_ns(), title=meta["description"],
                               source="record", devices=meta["devices"], trace_path=str(folder))
        self.pipeline = SessionPipeline(writer, trace=TraceWriter(folder, meta))
        self.tally = Tally()

    def handle(self, event: TraceEvent) -> None:
        self.tally.add(self.pipeline.handle(event))

    def on_connected(self, link: DeviceLink) -> None:
        """A device connected: what it told goes into the trace's meta (GATT table, MTU, feature read)."""
        entry = next(d for d in self.meta["devices"] if d["address"] == link.device.address)
        entry.update(_device_meta(link))
        write_meta(self.folder, self.meta)

    def close(self) -> None:
        """Commit what is left, close the trace, and find the session's sets and reps."""
        self.pipeline.close(time.time_ns())


async def record(args: argparse.Namespace, backend: Backend) -> str:
    """Record until stopped; returns the closing summary line."""
    started = dt.datetime.now(dt.UTC)
    devices = await _devices(backend, args)
    folder = trace_folder(args.db, started)
    recording = Recording(args.db, folder, _session_meta(args, devices, started))
    settings = stream_settings(args)
    queue: asyncio.Queue[TraceEvent] = asyncio.Queue()  # BLE callbacks only stamp and enqueue

    async def consume() -> None:
        while True:
            recording.handle(await queue.get())

    names = ", ".join(d.name or d.address for d in devices)
    print(f"recording {names} into {args.db} (raw trace: {folder}); Ctrl-C stops", flush=True)
    consumer = asyncio.create_task(consume())
    try:
        await _stream(devices, queue.put_nowait, recording.on_connected, settings, backend, args.duration)
    finally:
        await stop_consumer(consumer)
        while not queue.empty():
            recording.handle(queue.get_nowait())
        recording.close()
    return _summary(recording.pipeline.writer.session_id, len(devices), recording.tally, recording.pipeline.decoder, folder)


async def _stream(devices: list[Any], on_event: Any, on_connected: Any, settings: StreamSettings,
                  backend: Backend, duration_s: float | None) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if duration_s is not None:
        loop.call_later(duration_s, stop.set)
    lock = asyncio.Lock()
    links = [DeviceLink(d, on_event, settings=settings, backend=backend, connect_lock=lock,
                        on_connected=on_connected) for d in devices]
    try:
        await stream_devices(devices, on_event, stop, settings=settings, backend=backend, links=links)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _summary(session_id: int, n_devices: int, tally: Tally, decoder: StreamDecoder, folder: Path) -> str:
    samples = ", ".join(f"{n} {name} samples" for name, n in sorted(tally.samples.items())) or "no PMD samples"
    parts = [f"session {session_id}: {n_devices} device(s), {samples}, {tally.heart_rates} heart-rate packets"]
    if tally.gaps:
        parts.append(f"{tally.gaps} gap(s) marked ({tally.lost_samples} samples lost)")
    errors = sum(decoder.errors.values())
    if errors:
        parts.append(f"{errors} undecodable packet(s) skipped")
    parts.append(f"trace: {folder}")
    return "; ".join(parts)


async def _main(args: argparse.Namespace) -> str:
    backend = backend_from_spec(args.ble)
    try:
        return await record(args, backend)
    finally:
        with contextlib.suppress(Exception):
            await close_backend(backend)


def run(args: argparse.Namespace) -> int:
    for name, value in (("--acc-rate", args.acc_rate), ("--acc-range", args.acc_range)):
        if value is not None and value <= 0:
            raise CliError(f"{name} must be > 0, got {value}")
    if not args.db.parent.is_dir():
        raise CliError(f"--db {args.db}: folder {args.db.parent} does not exist")
    if not args.scan_timeout > 0:
        raise CliError(f"--scan-timeout must be > 0, got {args.scan_timeout:g}")
    if args.duration is not None and not 0 < args.duration < math.inf:
        raise CliError(f"--duration must be a number of seconds > 0, got {args.duration:g}")
    try:
        print(asyncio.run(_main(args)))
    except SensorError as exc:
        raise CliError(str(exc)) from None
    except BleakError as exc:
        raise CliError(f"Bluetooth error: {exc}") from None
    return 0
