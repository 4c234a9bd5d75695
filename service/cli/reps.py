"""``liftmind reps``: sets and reps of accelerometer recordings (CSV files, trace folders, or a stored session)."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from repcount.inputs import CleanStream, InputError, clean_stream
from repcount.live import CountEvent, RepCounter
from repcount.results import DetectedSet
from service.cli import CliError, peek

LIVE_CHUNK_S = 0.1
#: Largest session id there can be (as in the JSON API); larger ones do not fit SQLite's INTEGER.
MAX_ROW_ID = 2**62
COLUMNS = ("t", "ax", "ay", "az")


class ReadError(Exception):
    """A file that cannot be read as an accelerometer recording; the message says why."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "reps",
        help="count sets and reps in accelerometer recordings",
        description=(
            "Find the sets in accelerometer recordings and count their reps. Each FILE is a CSV with header "
            "t,ax,ay,az (t in seconds, acceleration in g; m/s^2 and milli-g are detected and converted, values without "
            "gravity (linear acceleration) are detected and counted from the motion alone; samples sent in packets "
            "under one time stamp are spread before it) or a trace folder "
            "(liftmind-trace/1) with a Polar H10 accelerometer stream. --session/--db recounts a stored session."
        ),
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="CSV file(s) or trace folder(s)")
    parser.add_argument("--live", action="store_true", help="feed the data through the streaming counter in "
                        f"{LIVE_CHUNK_S:g} s chunks and report each rep's detection delay")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")
    parser.add_argument("--session", type=int, metavar="ID", help="recount a stored session (needs --db)")
    parser.add_argument("--db", type=Path, metavar="FILE", help="the liftmind SQLite database")
    parser.set_defaults(func=run)


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ReadError(f"cannot read the file: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error):
        raise ReadError(f"not a CSV file with header {','.join(COLUMNS)} nor a trace folder") from None
    if not rows:
        raise ReadError("the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ReadError(f"missing column(s) {', '.join(missing)}: the header must be t,ax,ay,az")
    cols = [header.index(c) for c in COLUMNS]
    data = np.full((len(rows) - 1, 4), np.nan)
    for i, row in enumerate(rows[1:]):
        for j, c in enumerate(cols):
            try:
                data[i, j] = float(row[c])
            except (IndexError, ValueError):
                pass
    return data[:, 0], data[:, 1:]


def _read_trace(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from sensors.decode import SampleFrame, StreamDecoder
    from sensors.polar_pmd import Measurement
    from sensors.trace import iter_events

    decoder = StreamDecoder()
    times, values = [], []
    for event in iter_events(folder):
        for record in decoder.feed(event):
            if isinstance(record, SampleFrame) and record.measurement == Measurement.ACC:
                times.append(np.asarray(record.device_t_ns, dtype=np.int64))
                values.append(np.asarray(record.values, dtype=float)[:, :3] / 1000.0)
    if not times:
        raise ReadError("the trace has no accelerometer stream")
    t_ns = np.concatenate(times)
    return (t_ns - t_ns[0]) / 1e9, np.vstack(values)


def _load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if path.is_dir():
        if not (path / "trace.jsonl").is_file():
            raise ReadError("a folder without trace.jsonl: not a trace folder")
        return _read_trace(path)
    if not path.exists():
        raise ReadError("no such file")
    return _read_csv(path)


def _delays(sets: list[DetectedSet], events: list[CountEvent]) -> list[list[float | None]]:
    """Per set, per rep: when the live count first reached that rep, minus the rep's end (s)."""
    out = []
    for s in sets:
        reached: dict[int, float] = {}
        for ev in events:
            if s.start_s - 1.0 <= ev.t_s and (ev.count or ev.t_s <= s.end_s):
                for k in range(1, ev.count + 1):
                    reached.setdefault(k, ev.t_s)
            if ev.count == 0 and ev.t_s > s.end_s:
                break
        out.append([round(reached[k] - r.end_s, 2) if k in reached else None for k, r in enumerate(s.reps, 1)])
    return out


def _count(stream: CleanStream, live: bool) -> tuple[list[DetectedSet], list[list[float | None]] | None]:
    counter = RepCounter()
    if live and len(stream.t_s):
        edges = np.searchsorted(stream.t_s, np.arange(stream.t_s[0], stream.t_s[-1] + LIVE_CHUNK_S, LIVE_CHUNK_S))
        bounds = np.r_[edges, len(stream.t_s)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            counter.step(stream.t_s[a:b], stream.acc_g[a:b])
    else:
        counter.step(stream.t_s, stream.acc_g)
    sets = counter.flush()
    return sets, (_delays(sets, counter.events) if live else None)


def _record(name: str, stream: CleanStream, live: bool) -> dict[str, Any]:
    sets, delays = _count(stream, live)
    notes = list(stream.notes)
    if len(stream.t_s) < 2:
        notes.append(f"only {len(stream.t_s)} usable sample(s): nothing to count")
    elif not sets:
        notes.append("no set found (no regular, rep-like motion)")
    lo, hi = (float(stream.t_s[0]), float(stream.t_s[-1])) if len(stream.t_s) else (0.0, 0.0)

    def clip(t: float) -> float:  # an edge rep's start or end estimated from its period can fall outside the data
        return round(min(max(t, lo), hi), 3)

    rec: dict[str, Any] = {
        "file": name,
        "reps": sum(s.n_reps for s in sets),
        "rep_times_s": [[clip(r.start_s), clip(r.turn_s), clip(r.end_s)] for s in sets for r in s.reps],
        "set_start_s": clip(sets[0].start_s) if sets else None,
        "set_end_s": clip(sets[-1].end_s) if sets else None,
        "confidence": round(min(s.confidence for s in sets), 3) if sets else 0.0,
        "sets": [{"start_s": clip(s.start_s), "end_s": clip(s.end_s), "reps": s.n_reps,
                  "confidence": s.confidence, "alternative": s.alternative,
                  "rep_confidence": [r.confidence for r in s.reps]} for s in sets],
        "notes": notes,
    }
    if delays is not None:
        rec["rep_delay_s"] = [d for per_set in delays for d in per_set]
    return rec


def _text(rec: dict[str, Any]) -> str:
    lines = [f"{rec['file']}: {rec['reps']} reps in {len(rec['sets'])} set(s), confidence {rec['confidence']:.2f}"]
    for i, s in enumerate(rec["sets"], 1):
        maybe = f" (or {s['alternative']})" if s["alternative"] is not None else ""
        lines.append(f"  set {i}: {s['start_s']:.1f}-{s['end_s']:.1f} s, {s['reps']}{maybe} reps, "
                     f"confidence {s['confidence']:.2f}")
    if "rep_delay_s" in rec:
        shown = [d for d in rec["rep_delay_s"] if d is not None]
        if shown:
            lines.append(f"  live: each rep reported {np.median(shown):+.2f} s after its end (median)")
    lines += [f"  note: {n}" for n in rec["notes"]]
    return "\n".join(lines)


def _session_stream(args: argparse.Namespace) -> CleanStream:
    import sqlite_utils

    from service.analysis import load_acc

    db_path: Path = args.db
    if not db_path.exists():
        raise CliError(f"--session needs --db FILE of an existing liftmind database: {db_path} does not exist")
    if db_path.is_dir():
        raise CliError(f"{db_path} is a folder; --db needs a database file")
    if peek(db_path, "select 1 from sqlite_master where type = 'table' and name = 'acc_chunks'") is None:
        raise CliError(f"{db_path} is not a liftmind database")
    if not 1 <= args.session <= MAX_ROW_ID or peek(db_path, "select 1 from sessions where id = ?",
                                                    [args.session]) is None:
        raise CliError(f"no session {args.session} in {db_path}")
    db = sqlite_utils.Database(db_path)
    try:
        stream = load_acc(db, args.session)
    finally:
        db.close()
    if stream is None:
        raise CliError(f"session {args.session} has no accelerometer data in {db_path}")
    return clean_stream(stream.t_s, stream.acc_g)


def run(args: argparse.Namespace) -> int:
    if args.session is None and not args.files:
        raise CliError("give at least one FILE, or --session ID --db FILE")
    if args.session is not None and args.db is None:
        raise CliError("--session needs --db FILE (the liftmind database the session is in)")
    jobs: list[tuple[str, Any]] = [(str(p), p) for p in args.files]
    if args.session is not None:
        jobs.insert(0, (f"session {args.session}", None))
    status = 0
    for name, path in jobs:
        try:
            if path is None:
                stream = _session_stream(args)
            else:
                stream = clean_stream(*_load(path))
        except (ReadError, InputError) as exc:
            print(f"liftmind: error: {name}: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": name, "error": str(exc)}))
            status = 2
            continue
        rec = _record(name, stream, args.live)
        try:
            print(json.dumps(rec) if args.json else _text(rec), flush=True)
        except BrokenPipeError:  # the reader went away (``| head``): stop quietly
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
            return status
    return status
