"""``liftmind profile``: the person's age, max and resting heart rate, used for zones and TRIMP."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import sqlite_utils

from service.analysis import analyse_stored_session
from service.cli import CliError, open_database

#: profile column -> (option, lowest, highest accepted value)
BOUNDS: dict[str, tuple[str, float, float]] = {
    "age_years": ("--age", 10, 100),
    "max_hr_bpm": ("--max-hr", 120, 230),
    "rest_hr_bpm": ("--rest-hr", 30, 110),
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "profile",
        help="set age, max and resting heart rate (for HR zones and TRIMP)",
        description="Show or set the person's age, max HR, resting HR and sex. Zones use max HR if given, "
        "else 208 - 0.7 x age; TRIMP (Banister) also needs resting HR and sex. --reanalyse recomputes every "
        "stored session with the new values (what you entered about sets is kept).",
    )
    parser.add_argument("--db", type=Path, required=True, metavar="FILE", help="SQLite database")
    parser.add_argument("--age", type=float, dest="age_years", metavar="YEARS")
    parser.add_argument("--max-hr", type=float, dest="max_hr_bpm", metavar="BPM")
    parser.add_argument("--rest-hr", type=float, dest="rest_hr_bpm", metavar="BPM")
    parser.add_argument("--sex", choices=("male", "female"))
    parser.add_argument("--reanalyse", action="store_true", help="recompute every stored session afterwards")
    parser.set_defaults(func=run)


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for field, (option, low, high) in BOUNDS.items():
        value = getattr(args, field)
        if value is not None and not low <= value <= high:
            raise CliError(f"{option} must be between {low:g} and {high:g}, got {value:g}")
        if value is not None:
            changes[field] = value
    if args.sex is not None:
        changes["sex"] = args.sex
    return changes


def _show(db: sqlite_utils.Database) -> str:
    rows = list(db.query("select age_years, max_hr_bpm, rest_hr_bpm, sex from profile where id = 1"))
    if not rows:
        return "no profile yet: zones assume a max HR of 190 bpm"
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in rows[0].items() if v is not None)


def run(args: argparse.Namespace) -> int:
    changes = _changes(args)
    db = open_database(args.db)
    if changes:
        with db.conn:
            db.table("profile").upsert({"id": 1, **changes}, pk="id")
    print(_show(db))
    if args.reanalyse:
        ids = [r[0] for r in db.execute("select id from sessions order by id").fetchall()]
        for session_id in ids:
            analyse_stored_session(db, session_id)
        print(f"re-analysed {len(ids)} session(s)")
    return 0
