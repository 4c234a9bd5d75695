"""``liftmind serve``: the web view and JSON API over a database."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from service.app import create_app
from service.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "serve", help="serve the web view and API", description="Serve the web view and JSON API over a database."
    )
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database")
    add_bind_arguments(parser)
    parser.set_defaults(func=run)


def add_bind_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def serve(settings: Settings) -> None:
    print(f"liftmind: serving {settings.db_path} on http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def run(args: argparse.Namespace) -> int:
    serve(Settings(db_path=args.db, host=args.host, port=args.port))
    return 0
