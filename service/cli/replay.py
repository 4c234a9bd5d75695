"""``liftmind replay``: play a recorded trace through the reader into a database."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sensors.errors import TraceError
from service.cli import CliError, open_database
from service.replay import ReplayReport, replay_trace


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "replay",
        help="replay a recorded trace into a database",
        description="Play a trace folder (trace.jsonl + meta.json) through the BLE reader, decoders and rep "
        "counter into the database, as if its sensors were live.",
    )
    parser.add_argument("trace", type=Path, metavar="TRACE", help="trace folder")
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database (created if missing)")
    parser.add_argument("--speed", type=float, default=0.0, metavar="X",
                        help="1 = real time, 10 = ten times faster, 0 = as fast as possible (default)")
    parser.set_defaults(func=run)


def check_trace_folder(path: Path) -> None:
    """A `CliError` for a TRACE that is missing or a file, before any database is created or replaced."""
    if path.is_file():
        raise CliError(f"{path} is a file; TRACE is a trace folder (trace.jsonl + meta.json)")
    if not path.exists():
        raise CliError(f"trace folder {path} does not exist")


def summary(report: ReplayReport) -> str:
    parts = [f"session {report.session_id}: {report.events} events, {report.samples} ACC samples, {report.sets} sets"]
    if report.skipped_lines:
        first = min(report.skipped_lines)
        parts.append(f"{len(report.skipped_lines)} unreadable trace line(s) skipped (line {first}: {report.skipped_lines[first]})")
    if report.decode_errors:
        parts.append(f"{sum(report.decode_errors.values())} undecodable packet(s) skipped")
    if report.unknown_characteristics:
        parts.append(f"{report.unknown_characteristics} notification(s) from unknown characteristics ignored")
    if report.not_replayed:
        parts.append(f"{report.not_replayed} recorded notification(s) not replayed (nobody subscribed)")
    return "; ".join(parts)


def run(args: argparse.Namespace) -> int:
    if not args.speed >= 0:  # NaN too
        raise CliError(f"--speed must be >= 0, got {args.speed}")
    check_trace_folder(args.trace)
    try:
        db = open_database(args.db)
        report = asyncio.run(replay_trace(args.trace, db, speed=args.speed))
    except TraceError as exc:
        raise CliError(str(exc)) from None
    print(summary(report))
    return 0
