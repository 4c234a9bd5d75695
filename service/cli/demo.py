"""``liftmind demo``: replay the bundled demo session into a local database, then serve it."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from sensors.errors import TraceError
from service.cli import CliError, open_database, peek
from service.cli.replay import check_trace_folder, summary
from service.cli.serve import add_bind_arguments, check_port_free, serve, settings_from_args
from service.replay import replay_trace

#: The bundled demo trace, in the source tree beside the packages.
DEMO_TRACE = Path(__file__).resolve().parents[2] / "fixtures" / "demo_session"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "demo",
        help="replay the bundled demo session and serve the web view",
        description="Replay the bundled synthetic demo session into a fresh demo database, then serve it.",
    )
    parser.add_argument("--db", type=Path, default=Path("demo-data/demo.db"), metavar="FILE",
                        help="demo database, replaced on each run if it holds only demo data (default demo-data/demo.db)")
    parser.add_argument("--trace", type=Path, default=DEMO_TRACE, metavar="TRACE", help="trace folder to replay")
    parser.add_argument("--no-serve", action="store_true", help="replay only; do not start the server")
    add_bind_arguments(parser)
    parser.set_defaults(func=run)


def _only_demo_data(path: Path) -> bool:
    """True if ``path`` is a liftmind database whose sessions are all synthetic (an earlier demo)."""
    row = peek(path, "select count(*) = sum(synthetic) or count(*) = 0 from sessions")
    return row is not None and bool(row[0])


def run(args: argparse.Namespace) -> int:
    if args.db.is_dir():
        raise CliError(f"{args.db} is a folder; --db needs a database file")
    check_trace_folder(args.trace)
    if args.db.exists() and not _only_demo_data(args.db):
        raise CliError(f"{args.db} holds data that is not an earlier demo's; the demo replaces its database, "
                       "so give it another --db file")
    # Bind problems (token, port in use) are found before the replay, not after it.
    settings = None if args.no_serve else settings_from_args(args, args.db)
    if settings is not None:
        check_port_free(settings.host, settings.port)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    try:
        report = asyncio.run(replay_trace(args.trace, open_database(args.db)))
    except TraceError as exc:
        raise CliError(str(exc)) from None
    print(summary(report), flush=True)
    if settings is not None:
        serve(settings)
    return 0
