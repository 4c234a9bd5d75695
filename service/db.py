"""Opening the liftmind database: one SQLite file, its schema brought up to date by numbered migrations.

Migrations are plain functions applied in order; the ``migrations`` table records which ran, so opening
an older file upgrades it in place and opening a current one does nothing. A migration only adds (tables,
columns, indexes, triggers): a newer liftmind never drops what an older one stored.

Durability: WAL journal, so readers (web view, Datasette) never block the writer; ``synchronous=NORMAL``
for ordinary connections (a commit survives a crash of the process, the last commits may be lost on
power loss) and ``synchronous=FULL`` for the remote-ingest writer (`open_db(..., durable=True)`), whose
acknowledgements promise that a batch survives power loss too; grouping many batches into one commit
pays for the extra fsync. See ``service/README.md``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

RAW_TABLES = ("acc_chunks", "hr_samples", "rr_intervals", "ecg_chunks")

INITIAL: dict[str, tuple[dict[str, type], dict[str, object]]] = {
    "sessions": (
        {"id": int, "title": str, "started_at": str, "ended_at": str, "t0_ns": int, "source": str,
         "trace_path": str, "synthetic": int, "rmssd_ms": float, "notes": str},
        {"pk": "id"},
    ),
    "devices": (
        {"id": int, "session_id": int, "address": str, "name": str, "kind": str, "placement": str,
         "clock_offset_ns": int, "decode_errors": int},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")]},
    ),
    "acc_chunks": (
        {"id": int, "session_id": int, "device_id": int, "device_t0_ns": int, "device_t1_ns": int, "n": int,
         "gap_before_ns": int, "lost_samples": int, "data": bytes},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "hr_samples": (
        {"id": int, "session_id": int, "device_id": int, "t_ns": int, "bpm": int, "contact": int, "energy_kj": int},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "rr_intervals": (
        {"id": int, "session_id": int, "device_id": int, "t_ns": int, "rr_ms": float},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id"), ("device_id", "devices", "id")]},
    ),
    "sets": (
        {"id": int, "session_id": int, "idx": int, "exercise": str, "start_s": float, "end_s": float,
         "reps_detected": int, "reps_confirmed": int, "confidence": float, "load_kg": float,
         "rest_before_s": float, "algorithm": str},
        {"pk": "id", "foreign_keys": [("session_id", "sessions", "id")]},
    ),
    "reps": (
        {"id": int, "set_id": int, "idx": int, "start_s": float, "turn_s": float, "end_s": float,
         "confidence": float},
        {"pk": "id", "foreign_keys": [("set_id", "sets", "id")]},
    ),
}
INITIAL_INDEXES = {
    "acc_chunks": ["session_id", "device_id"],
    "hr_samples": ["session_id", "t_ns"],
    "rr_intervals": ["session_id", "t_ns"],
    "sets": ["session_id"],
    "reps": ["set_id"],
}


def _m001_initial(db: sqlite_utils.Database) -> None:
    for name, (columns, options) in INITIAL.items():
        table = db.table(name)
        if not table.exists():
            table.create(columns, **options)  # type: ignore[arg-type]
        for column in INITIAL_INDEXES.get(name, []):
            table.create_index([column], if_not_exists=True)


def _m002_store(db: sqlite_utils.Database) -> None:
    sets = db.table("sets")
    for column, kind in (("rpe", float), ("rir", float), ("load_display_unit", str), ("set_type", str),
                         ("updated_at", str)):
        if column not in sets.columns_dict:
            sets.add_column(column, kind)
    if "hrv_algorithm" not in db.table("sessions").columns_dict:
        db.table("sessions").add_column("hrv_algorithm", str)
    db.executescript(_M002_SQL)


_M002_SQL = """
create unique index if not exists devices_session_address on devices(session_id, address);
create index if not exists acc_chunks_device_t on acc_chunks(device_id, device_t1_ns);
create table if not exists ecg_chunks (
    id integer primary key, session_id integer not null references sessions(id),
    device_id integer not null references devices(id), device_t0_ns integer, device_t1_ns integer,
    n integer not null, data blob not null
);
create index if not exists ecg_chunks_device on ecg_chunks(device_id, device_t1_ns);
create table if not exists exercises (
    id integer primary key, name text not null unique, category text, eccentric_first integer
);
create table if not exists exercise_aliases (
    alias text primary key collate nocase, exercise_id integer not null references exercises(id), source text
);
create table if not exists checkins (
    id integer primary key,
    kind text not null check (kind in ('pre', 'post', 'srpe', 'morning')),
    session_id integer references sessions(id),
    taken_at text not null,
    feeling integer check (feeling between -5 and 5),
    arousal integer check (arousal between 1 and 6),
    srpe integer check (srpe between 0 and 10),
    sleep integer check (sleep between 1 and 7),
    stress integer check (stress between 1 and 7),
    fatigue integer check (fatigue between 1 and 7),
    soreness integer check (soreness between 1 and 7),
    note text,
    created_at text not null
);
create index if not exists checkins_session on checkins(session_id);
create index if not exists checkins_taken on checkins(taken_at);
create table if not exists hrv_readings (
    id integer primary key,
    kind text not null check (kind in ('morning', 'pre', 'post', 'in_session')),
    session_id integer references sessions(id),
    taken_at text not null,
    posture text,
    device text,
    window_s real,
    n_beats integer,
    artifact_pct real,
    mean_rr_ms real, mean_hr_bpm real, rmssd_ms real, ln_rmssd real, sdnn_ms real, pnn50_pct real,
    metrics text,
    rr_ms blob,
    algorithm text not null,
    created_at text not null
);
create index if not exists hrv_readings_session on hrv_readings(session_id);
create index if not exists hrv_readings_taken on hrv_readings(taken_at);
create table if not exists live_events (
    id integer primary key autoincrement,
    session_id integer not null references sessions(id),
    t_ns integer not null,
    kind text not null check (kind in ('set_started', 'rep', 'set_ended', 'hr', 'rep_retracted')),
    payload text not null
);
create table if not exists ingest_batches (
    device_id integer not null references devices(id),
    seq integer not null,
    session_id integer not null,
    kind text not null,
    n integer not null,
    received_at_ns integer not null,
    primary key (device_id, seq)
) without rowid;
"""

EXERCISES: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("squat", "legs", True, ("back squat", "barbell squat", "squat (barbell)", "front squat")),
    ("bench_press", "chest", True, ("bench", "bench press", "bench press (barbell)", "flat bench")),
    ("deadlift", "back", False, ("deadlift (barbell)", "conventional deadlift", "dl")),
    ("overhead_press", "shoulders", False, ("ohp", "overhead press", "military press", "strict press")),
    ("barbell_row", "back", False, ("row", "bent over row", "bent over row (barbell)", "barbell row")),
    ("curl", "arms", False, ("bicep curl", "biceps curl", "bicep curl (dumbbell)", "dumbbell curl")),
    ("lunge", "legs", True, ("lunges", "walking lunge", "lunge (dumbbell)")),
    ("push_up", "chest", True, ("push up", "push-up", "pushup", "press-up")),
)


def _m003_exercises(db: sqlite_utils.Database) -> None:
    for name, category, eccentric_first, aliases in EXERCISES:
        db.execute(
            "insert or ignore into exercises (name, category, eccentric_first) values (?, ?, ?)",
            [name, category, int(eccentric_first)],
        )
        exercise_id = db.execute("select id from exercises where name = ?", [name]).fetchone()[0]
        for alias in (name, name.replace("_", " "), *aliases):
            db.execute(
                "insert or ignore into exercise_aliases (alias, exercise_id, source) values (?, ?, 'builtin')",
                [alias, exercise_id],
            )


def _m004_append_only(db: sqlite_utils.Database) -> None:
    for table in RAW_TABLES:
        for action in ("update", "delete"):
            db.execute(
                f"create trigger if not exists {table}_no_{action} before {action} on {table} "
                f"begin select raise(abort, '{table} is append-only'); end"
            )
    db.execute(
        "create trigger if not exists live_events_no_update before update on live_events "
        "begin select raise(abort, 'live_events is append-only'); end"
    )


def _m005_session_heart_rate(db: sqlite_utils.Database) -> None:
    """Per-set heart rate (peak, 60-s recovery, rest RMSSD) and the session's HR summary from analysis."""
    sets = db.table("sets")
    for column in ("peak_hr_bpm", "hrr60_bpm", "rest_rmssd_ms"):
        if column not in sets.columns_dict:
            sets.add_column(column, float)
    sessions = db.table("sessions")
    for column, kind in (("hr_summary", str), ("analysis_algorithm", str)):
        if column not in sessions.columns_dict:
            sessions.add_column(column, kind)
    db.execute(
        "create table if not exists profile (id integer primary key check (id = 1), max_hr_bpm real, "
        "age_years real, rest_hr_bpm real, sex text check (sex in ('male', 'female')))"
    )


def _m006_read_indexes(db: sqlite_utils.Database) -> None:
    """Time-ordered reads of one session's streams use one index, no sort."""
    db.executescript(
        """
        create index if not exists hr_samples_session_t on hr_samples(session_id, t_ns);
        create index if not exists rr_intervals_session_t on rr_intervals(session_id, t_ns);
        create index if not exists live_events_session on live_events(session_id, id);
        """
    )


def _m006_clock_drift(db: sqlite_utils.Database) -> None:
    """The device clock's drift against the host (ppm), beside its offset at the end of the stream."""
    devices = db.table("devices")
    if "clock_drift_ppm" not in devices.columns_dict:
        devices.add_column("clock_drift_ppm", float)


def _m007_reps_alternative(db: sqlite_utils.Database) -> None:
    """The other count an unsure set allows ("probably 9 or 10")."""
    sets = db.table("sets")
    if "reps_alternative" not in sets.columns_dict:
        sets.add_column("reps_alternative", int)


MIGRATIONS: tuple[tuple[str, Callable[[sqlite_utils.Database], None]], ...] = (
    ("001_initial", _m001_initial),
    ("002_store", _m002_store),
    ("003_exercises", _m003_exercises),
    ("004_append_only", _m004_append_only),
    ("005_session_heart_rate", _m005_session_heart_rate),
    ("006_clock_drift", _m006_clock_drift),
    ("006_read_indexes", _m006_read_indexes),
    ("007_reps_alternative", _m007_reps_alternative),
)


def connect(path: Path | str, *, durable: bool = False) -> sqlite_utils.Database:
    """A connection in WAL mode with foreign keys on; no schema work (see `open_db`)."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30.0)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    return db


def open_db(path: Path | str, *, durable: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) the database at ``path``, in WAL mode, migrated to the current schema."""
    db = connect(path, durable=durable)
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet recorded in ``migrations``; returns the names applied."""
    db.execute("create table if not exists migrations (name text primary key, applied_at text not null)")
    done = {row[0] for row in db.execute("select name from migrations").fetchall()}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            step(db)
            db.execute(
                "insert or ignore into migrations (name, applied_at) values (?, ?)",
                [name, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
            )
        applied.append(name)
    return applied
