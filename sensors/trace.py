"""Session traces: every raw GATT event as it arrived, one JSON object per line, plus ``meta.json``.

A trace is a folder::

    trace.jsonl   {"t_ns": <host receive time, ns since the Unix epoch>, "addr": "<device address>",
                   "kind": "notify" | "write" | "connected" | "disconnected",
                   "char": "<128-bit characteristic UUID>", "hex": "<payload>"}
    meta.json     devices, stream settings, placement, what the recording is, known truth

Lines are appended and flushed one at a time, so a recorder killed mid-write leaves every complete line
readable; a torn last line is skipped and counted. ``fixtures/README.md`` documents the format in full.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from sensors.errors import TraceError

TRACE_FORMAT = "liftmind-trace/1"
TRACE_FILE = "trace.jsonl"
META_FILE = "meta.json"

EventKind = Literal["notify", "write", "connected", "disconnected"]
_KINDS = frozenset({"notify", "write", "connected", "disconnected"})


@dataclass(frozen=True)
class TraceEvent:
    """One line of a trace."""

    t_ns: int
    addr: str
    kind: EventKind
    char: str = ""
    payload: bytes = b""

    def to_json(self) -> str:
        obj: dict[str, Any] = {"t_ns": self.t_ns, "addr": self.addr, "kind": self.kind}
        if self.char:
            obj["char"] = self.char
            obj["hex"] = self.payload.hex()
        return json.dumps(obj, separators=(",", ":"))


@dataclass
class TraceStats:
    """What reading a trace skipped, and why (line number -> reason)."""

    lines: int = 0
    skipped: dict[int, str] = field(default_factory=dict)


def parse_line(line: str) -> TraceEvent:
    """Parse one trace line; raises ``TraceError`` naming what is wrong."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise TraceError(f"not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise TraceError("not a JSON object")
    try:
        t_ns, addr = obj["t_ns"], obj["addr"]
        kind = obj.get("kind", "notify")
    except KeyError as exc:
        raise TraceError(f"missing field {exc.args[0]!r}") from None
    if not isinstance(t_ns, int) or not isinstance(addr, str) or kind not in _KINDS:
        raise TraceError("t_ns must be an integer, addr a string and kind one of " + ", ".join(sorted(_KINDS)))
    char = obj.get("char", "")
    try:
        payload = bytes.fromhex(obj.get("hex", ""))
    except (ValueError, TypeError):
        raise TraceError("hex is not a hexadecimal string") from None
    if kind in ("notify", "write") and not char:
        raise TraceError(f"a {kind} line needs a characteristic UUID in 'char'")
    return TraceEvent(t_ns, addr, kind, str(char).lower(), payload)


def read_meta(folder: Path) -> dict[str, Any]:
    """Read and check ``meta.json``."""
    path = Path(folder) / META_FILE
    if not Path(folder).is_dir():
        raise TraceError(f"trace folder {folder} does not exist")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TraceError(f"{path} is missing: a trace folder needs {META_FILE} beside {TRACE_FILE}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("devices"), list):
        raise TraceError(f"{path} must be an object with a 'devices' list")
    return meta


def iter_events(folder: Path, stats: TraceStats | None = None) -> Iterator[TraceEvent]:
    """Yield the trace's events in file order, skipping (and counting in ``stats``) bad lines."""
    path = Path(folder) / TRACE_FILE
    stats = stats if stats is not None else TraceStats()
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise TraceError(f"{path} is missing") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            stats.lines += 1
            if not line.strip():
                continue
            try:
                yield parse_line(line)
            except TraceError as exc:
                stats.skipped[number] = str(exc)


def load_events(folder: Path) -> tuple[list[TraceEvent], TraceStats]:
    """All events of a trace, and what was skipped."""
    stats = TraceStats()
    return list(iter_events(folder, stats)), stats


class TraceWriter:
    """Appends events to ``trace.jsonl``, flushed line by line (a killed process loses no whole line)."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_meta(self.folder, meta)
        self._handle: IO[str] | None = (self.folder / TRACE_FILE).open("a", encoding="utf-8")

    def write(self, event: TraceEvent) -> None:
        if self._handle is None:
            raise TraceError(f"trace {self.folder} is closed")
        self._handle.write(event.to_json() + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` atomically (write a temporary file, then rename)."""
    meta = {"format": TRACE_FORMAT, **meta}
    tmp = Path(folder) / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    tmp.replace(Path(folder) / META_FILE)
