"""``liftmind serve``: the web view and JSON API over a database.

Binds 127.0.0.1 by default. Any other address needs an access token (``--token`` or the
``LIFTMIND_TOKEN`` environment variable), then required on every request; without one it refuses to start.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import socket
from pathlib import Path

import uvicorn

from service.app import create_app
from service.cli import CliError, open_database
from service.settings import LOOPBACK_HOSTS, TOKEN_ENV, Settings

MIN_TOKEN_CHARS = 16


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", help="serve the web view and API", description="Serve the web view and JSON API over a database."
    )
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database")
    add_bind_arguments(parser)
    parser.set_defaults(func=run)


def add_bind_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    parser.add_argument("--token", default=None, metavar="TOKEN",
                        help=f"access token required on every request (default: ${TOKEN_ENV}); "
                             "required when --host is not a loopback address")


def port_number(text: str) -> int:
    """argparse type of ``--port``: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {port}")
    return port


def settings_from_args(args: argparse.Namespace, db_path: Path) -> Settings:
    """Settings for ``args``; raises `CliError` for a non-loopback bind without a usable token."""
    token = args.token or os.environ.get(TOKEN_ENV) or None
    loopback = args.host in LOOPBACK_HOSTS or args.host.startswith("127.")
    if not loopback and token is None:
        raise CliError(f"binding {args.host} needs an access token: pass --token or set {TOKEN_ENV}")
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise CliError(f"the access token must be at least {MIN_TOKEN_CHARS} characters")
    return Settings(db_path=db_path, host=args.host, port=args.port, token=token)


def check_port_free(host: str, port: int) -> None:
    """Raise `CliError` unless ``host``:``port`` can be bound now, as uvicorn will bind it (``SO_REUSEADDR``,
    every address the host name resolves to): one clear line instead of uvicorn's own message and exit 3."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise CliError(f"cannot listen on {host}: not an address of this machine or a host name it knows") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                with contextlib.suppress(OSError):
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise CliError(f"port {port} on {host} is in use (another liftmind?); "
                                   "pick another with --port") from None
                raise CliError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None


def serve(settings: Settings) -> None:
    check_port_free(settings.host, settings.port)
    auth = " (access token required)" if settings.token else ""
    print(f"liftmind: serving {settings.db_path} on http://{settings.host}:{settings.port}/{auth}", flush=True)
    # access_log off: URLs may carry ?token= on a first visit, and tokens never go to logs.
    # No permessage-deflate: sensor samples barely compress and deflate costs more CPU than the rest of ingest.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, ws_max_size=settings.max_batch_bytes, ws_per_message_deflate=False)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args, args.db)
    open_database(args.db).conn.close()  # a clear error for a folder or a non-database before the server starts
    serve(settings)
    return 0
