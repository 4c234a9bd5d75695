"""Export and import of whole tables: rows as plain JSON-ready dicts, blobs as base64 text."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from typing import Any

import sqlite_utils

from service import tempo

#: Tables that belong to SQLite or to the migration bookkeeping, never exported.
INTERNAL = ("sqlite_sequence", "migrations")


def table_names(db: sqlite_utils.Database) -> list[str]:
    return [name for name in db.table_names() if name not in INTERNAL and not name.startswith("sqlite_")]


def _plain(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


def export_rows(db: sqlite_utils.Database, table: str) -> Iterator[dict[str, Any]]:
    """Every row of ``table`` in primary-key order, blobs base64-encoded."""
    order = ", ".join(f"[{pk}]" for pk in db.table(table).pks)
    cursor = db.execute(f"select * from [{table}] order by {order}")
    columns = [d[0] for d in cursor.description]
    for row in cursor:
        yield {c: _plain(v) for c, v in zip(columns, row, strict=True)}


def csv_export(db: sqlite_utils.Database, table: str) -> tuple[list[str], Iterable[dict[str, Any]]]:
    """The columns and rows of ``table`` as CSV: `export_rows`, and for ``sets`` each set's tempo and time
    under tension too (derived from its reps, so the CSV is for reading; JSON is the format to import)."""
    columns = list(db.table(table).columns_dict)
    if table != "sets":
        return columns, export_rows(db, table)
    return [*columns, *tempo.FIELDS], tempo.with_tempo(db, list(export_rows(db, table)))


def import_rows(db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]]) -> int:
    """Insert exported rows into ``table`` (existing primary keys are kept, not replaced); returns rows added."""
    target = db.table(table)
    blobs = [name for name, kind in target.columns_dict.items() if kind is bytes]
    before = target.count
    prepared = ({k: (base64.b64decode(v) if k in blobs and isinstance(v, str) else v) for k, v in row.items()}
                for row in rows)
    with db.conn:
        target.insert_all(prepared, ignore=True, batch_size=500)
    return target.count - before
