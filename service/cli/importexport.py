"""``liftmind export`` and ``liftmind import``: every table to CSV or JSON files, and JSON files back.

The two commands are one module because they are one format: ``export`` writes ``<table>.json`` (a JSON
list of rows, blobs base64) or ``<table>.csv`` per table; ``import`` reads such JSON files into a database,
keeping existing rows (same primary key) untouched, so importing twice adds nothing.
"""

from __future__ import annotations

import argparse
import binascii
import csv
import json
import sqlite3
from pathlib import Path

from service.cli import CliError, open_database, peek
from service.export import csv_export, export_rows, import_rows, table_names


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = subparsers.add_parser("export", help="write every table to CSV or JSON files",
                                   description="Write every table (or the ones named) to DIR/<table>.csv or .json.")
    export.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write (created)")
    export.add_argument("--format", choices=("csv", "json"), default="json", help="file format (default json)")
    export.add_argument("--table", action="append", metavar="NAME", help="only this table (repeatable)")
    export.set_defaults(func=run_export)
    load = subparsers.add_parser("import", help="read exported JSON files into a database",
                                 description="Read <table>.json files written by 'liftmind export' into a database; "
                                             "rows whose primary key exists are kept as they are.")
    load.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database (created if needed)")
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="<table>.json files or folders of them")
    load.set_defaults(func=run_import)


def _is_liftmind_db(path: Path) -> bool:
    """Looked at read-only, so that exporting never writes to a file that is not ours."""
    return peek(path, "select 1 from sqlite_master where type = 'table' and name = 'migrations'") is not None


def run_export(args: argparse.Namespace) -> int:
    if not args.db.exists():
        raise CliError(f"database {args.db} does not exist")
    if not args.db.is_dir() and not _is_liftmind_db(args.db):
        raise CliError(f"{args.db} is not a liftmind database; export only reads liftmind databases")
    db = open_database(args.db)
    tables = table_names(db)
    unknown = sorted(set(args.table or []) - set(tables))
    if unknown:
        raise CliError(f"no table {', '.join(unknown)}; tables: {', '.join(tables)}")
    if args.out.exists() and not args.out.is_dir():
        raise CliError(f"--out {args.out} is a file; give a folder to write the tables into")
    args.out.mkdir(parents=True, exist_ok=True)
    for table in args.table or tables:
        path = args.out / f"{table}.{args.format}"
        with path.open("w", newline="", encoding="utf-8") as handle:
            count = _write(handle, db, table, args.format)
        print(f"{path}: {count} rows")
    return 0


def _write(handle: object, db: object, table: str, fmt: str) -> int:
    count = 0
    if fmt == "json":
        handle.write("[")  # type: ignore[attr-defined]
        for count, row in enumerate(export_rows(db, table), start=1):  # type: ignore[arg-type]
            handle.write(("," if count > 1 else "") + "\n" + json.dumps(row))  # type: ignore[attr-defined]
        handle.write("\n]\n")  # type: ignore[attr-defined]
        return count
    columns, rows = csv_export(db, table)  # type: ignore[arg-type]
    writer = csv.DictWriter(handle, fieldnames=columns)  # type: ignore[arg-type]
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _files(paths: list[Path]) -> list[Path]:
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.json"))
        elif path.suffix == ".json" and path.exists():
            files.append(path)
        else:
            raise CliError(f"{path} is not a .json file or a folder")
    return files


def run_import(args: argparse.Namespace) -> int:
    db = open_database(args.db)
    tables = table_names(db)
    files = {f.stem: f for f in _files(args.paths)}
    unknown = sorted(set(files) - set(tables))
    if unknown:
        raise CliError(f"no table for {', '.join(unknown)}; tables: {', '.join(tables)}")
    for table in (t for t in tables if t in files):  # schema order: parents before children
        rows = _rows(files[table], set(db.table(table).columns_dict))
        try:
            added = import_rows(db, table, rows)
        except sqlite3.IntegrityError as exc:
            reason = ("a row refers to a row that is in neither the database nor these files"
                      if "FOREIGN KEY" in str(exc) else str(exc))
            raise CliError(f"{files[table]}: nothing imported into {table}: {reason}") from None
        except binascii.Error:
            raise CliError(f"{files[table]}: nothing imported into {table}: a blob is not base64 text") from None
        except sqlite3.Error as exc:
            raise CliError(f"{files[table]}: nothing imported into {table}: {exc}") from None
        print(f"{table}: {added} rows added of {len(rows)}")
    return 0


def _rows(path: Path, columns: set[str]) -> list[dict[str, object]]:
    """The rows of an exported ``<table>.json`` whose keys are all ``columns``."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CliError(f"{path} is not JSON: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CliError(f"{path} must hold a JSON list of rows")
    unknown = sorted({key for row in rows for key in row} - columns)
    if unknown:
        raise CliError(f"{path}: table {path.stem} has no column {', '.join(unknown)}")
    return rows
