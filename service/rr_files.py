"""Read RR-interval files: plain one-per-line and the common app exports.

Formats recognised (by content, not by file name):

- plain: one RR interval per line (Elite HRV "Export Data", Polar Flow RR export), in ms
  or in seconds (detected: a median below 10 means seconds, converted and said);
- HRV Logger / FatMaxxer CSV: a header naming an ``rr`` column (``timestamp,rr,since_start``);
- Polar Sensor Logger: ``Phone timestamp;RR-interval [ms]``;
- Polar ``.hrm``: the numbers under ``[HRData]`` (first column, ms).

Zero, negative and non-finite intervals are dropped and counted; a few non-numeric lines
are skipped and named; a file that is mostly not numbers is refused.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

GAP_MS = 3000.0
MAX_BAD_LINE_SHARE = 0.1
_SEP = re.compile(r"[,;\t]")
_RR_COLUMN = re.compile(r"^(rr|rr[-_ ]?interval.*|rri|ibi|nn)(\s*\[ms\])?$", re.IGNORECASE)


class RrFileError(ValueError):
    """An RR file that cannot be read as RR intervals (message names the file's problem)."""


@dataclass(frozen=True)
class RrFile:
    """RR intervals read from a file, with what was done to them on the way."""

    rr_ms: NDArray[np.float64]
    fmt: str
    notes: list[str] = field(default_factory=list)


def _rr_column(header: str) -> int | None:
    fields = [f.strip().strip('"').strip() for f in _SEP.split(header)]
    for i, name in enumerate(fields):
        if _RR_COLUMN.match(name):
            return i
    return None


def _split_format(lines: list[str]) -> tuple[str, list[tuple[int, str]]]:
    """Name the format and return the (line number, value text) pairs to parse."""
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(lines)]
    body = [(n, ln) for n, ln in numbered if ln]
    if any(ln.lower() == "[hrdata]" for _, ln in body):
        start = next(k for k, (_, ln) in enumerate(body) if ln.lower() == "[hrdata]")
        rows = [(n, ln.split()[0]) for n, ln in body[start + 1 :] if not ln.startswith("[")]
        return "polar-hrm", rows
    col = _rr_column(body[0][1]) if body else None
    if col is not None:
        header = body[0][1]
        fmt = "polar-sensor-logger" if ";" in header else "hrv-logger-csv"
        rows = []
        for n, ln in body[1:]:
            parts = _SEP.split(ln)
            rows.append((n, parts[col].strip() if col < len(parts) else ln))
        return fmt, rows
    return "plain", body


def _parse_numbers(rows: list[tuple[int, str]]) -> tuple[NDArray[np.float64], list[int]]:
    values: list[float] = []
    bad: list[int] = []
    for n, text in rows:
        try:
            values.append(float(text))
        except ValueError:
            bad.append(n)
    return np.asarray(values, dtype=float), bad


def _bad_line_note(bad: list[int], n_rows: int, first_is_header: bool) -> str | None:
    skipped = bad[1:] if first_is_header else bad
    if not skipped:
        return None
    if len(skipped) > MAX_BAD_LINE_SHARE * max(n_rows, 1):
        raise RrFileError(
            f"{len(skipped)} of {n_rows} lines are not numbers (first: line {skipped[0]}); "
            "expected one RR interval per line or an app export"
        )
    shown = ", ".join(str(n) for n in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
    return f"skipped {len(skipped)} non-numeric line(s): {shown}"


def _clean_values(rr: NDArray[np.float64], notes: list[str]) -> NDArray[np.float64]:
    keep = np.isfinite(rr) & (rr > 0)
    if not np.all(keep):
        notes.append(f"dropped {int(np.count_nonzero(~keep))} zero, negative or non-finite interval(s)")
        rr = rr[keep]
    if rr.size and float(np.median(rr)) < 10.0:
        notes.append("RR intervals look like seconds (median below 10); converted to ms")
        rr = rr * 1000.0
    gaps = np.flatnonzero(rr >= GAP_MS)
    if gaps.size:
        t_s = (np.cumsum(rr) - rr)[gaps[np.argmax(rr[gaps])]] / 1000.0
        notes.append(
            f"{gaps.size} gap(s) of {GAP_MS / 1000:.0f} s or more (longest {rr[gaps].max() / 1000:.1f} s "
            f"at {t_s:.0f} s): strap off the skin or signal lost"
        )
    return rr


def parse_rr_text(text: str) -> RrFile:
    """Parse the text of an RR file (see the module docstring for the formats).

    Raises
    ------
    RrFileError
        If the text is empty, holds no number, or is mostly not numbers.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not any(ln.strip() for ln in lines):
        raise RrFileError("the file is empty")
    fmt, rows = _split_format(lines)
    values, bad = _parse_numbers(rows)
    first_is_header = fmt == "plain" and bool(bad) and bad[0] == rows[0][0]
    notes = [n for n in [_bad_line_note(bad, len(rows), first_is_header)] if n]
    if values.size == 0:
        raise RrFileError("no RR interval found in the file")
    rr = _clean_values(values, notes)
    if rr.size == 0:
        raise RrFileError("no positive RR interval in the file")
    return RrFile(rr_ms=rr, fmt=fmt, notes=notes)


def read_rr_file(path: Path) -> RrFile:
    """Read one RR file from disk.

    Raises
    ------
    RrFileError
        If the file cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise RrFileError(f"cannot read the file ({exc.strerror or type(exc).__name__})") from exc
    rr_file = parse_rr_text(text)
    log.info("%s: %d intervals, format %s", path, rr_file.rr_ms.size, rr_file.fmt)
    return rr_file
