"""The ``liftmind`` command: one subcommand per module in this package."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

#: Subcommand modules, in the order ``liftmind --help`` lists them. Each exposes
#: ``register(subparsers) -> None`` adding one parser with ``set_defaults(func=run)``.
COMMANDS: tuple[str, ...] = (
    "decode",
    "demo",
    "hrv",
    "importexport",
    "profile",
    "record",
    "replay",
    "reps",
    "scan",
    "serve",
    "simulate",
)


#: Commands whose name differs from their module's.
MODULE_OF: dict[str, str] = {"import": "importexport", "export": "importexport"}


class CliError(Exception):
    """A failure the user can act on; printed as one line, exit status 2."""


def open_database(path: Path) -> sqlite_utils.Database:
    """`service.db.open_db` for a path the user typed: a folder, a path that cannot be opened or a file that is
    not an SQLite database is a `CliError` naming it, never a traceback."""
    from service.db import open_db

    if path.is_dir():
        raise CliError(f"{path} is a folder; --db needs a database file")
    if not path.parent.is_dir():
        raise CliError(f"cannot create the database {path}: folder {path.parent} does not exist")
    try:
        return open_db(path)
    except sqlite3.DatabaseError as exc:
        raise CliError(f"{path} is not a liftmind database that can be opened ({exc})") from None


def peek(path: Path, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
    """The first row ``sql`` gives on the database at ``path``, opened read-only (nothing is written, not
    even a migration); None if the file is not a database or has no such table."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute(sql, params).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else tuple(row)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every command, or with just the module of command ``only`` (fast start-up:
    each command imports only what it needs, e.g. ``decode`` never loads SciPy or FastAPI)."""
    parser = argparse.ArgumentParser(
        prog="liftmind",
        description="Local-first strength-session tracker: sensors, reps, HRV and mood.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only is not None else COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def _command_module(argv: Sequence[str]) -> str | None:
    """The module of the command named in ``argv``, if it names one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first is None:
        return None
    module = MODULE_OF.get(first, first)
    return module if module in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_module(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"liftmind: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("liftmind: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
