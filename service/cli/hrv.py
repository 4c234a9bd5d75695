"""``liftmind hrv``: HRV metrics of RR-interval files (plain ms per line or app exports)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from repcount.hrv import HrvMetrics, hrv_metrics
from service.rr_files import RrFile, RrFileError, read_rr_file

#: Keys of each JSON line, in this order (the issue's contract), before the extras.
JSON_KEYS = (
    "n_beats", "n_corrected", "mean_nn_ms", "sdnn_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct",
    "mean_hr_bpm", "lf_ms2", "hf_ms2", "lf_hf", "sd1_ms", "sd2_ms", "dfa_alpha1", "sampen",
    "stress_index", "resp_rate_bpm",
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "hrv",
        help="HRV metrics of RR-interval files",
        description=(
            "Compute HRV metrics (time, frequency, nonlinear) of RR-interval files: one RR in ms "
            "per line (seconds are detected), or Polar Sensor Logger, Elite HRV, HRV Logger exports. "
            "Artifacts are corrected Kubios-style unless --no-correct."
        ),
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="RR-interval file(s)")
    parser.add_argument("--no-correct", action="store_true", help="use the intervals as given")
    parser.add_argument("--lomb", action="store_true", help="Lomb-Scargle spectrum instead of Welch")
    parser.add_argument("--json", action="store_true", help="one JSON object per line per file")
    parser.set_defaults(func=run)


def _record(path: Path, rr_file: RrFile, m: HrvMetrics) -> dict[str, object]:
    d = m.to_dict()
    out: dict[str, object] = {"file": str(path)}
    out.update({k: d[k] for k in JSON_KEYS})
    out.update({k: v for k, v in d.items() if k not in out and k != "reasons"})
    out["format"] = rr_file.fmt
    out["notes"] = rr_file.notes + ([] if m.reliable else [
        f"{m.corrected_pct:.1f} % of the intervals were corrected (over 5 %): treat the metrics as unreliable"
    ])
    out["reasons"] = d["reasons"]
    return out


def _text(rec: dict[str, object]) -> str:
    lines = [f"{rec['file']} ({rec['format']}): {rec['n_beats']} beats, {rec['n_corrected']} corrected"]
    reasons = rec["reasons"]
    assert isinstance(reasons, dict)
    for key in JSON_KEYS[2:]:
        val = rec[key]
        shown = f"{val:.3f}" if isinstance(val, float) else f"n/a ({reasons.get(key, 'undefined')})"
        lines.append(f"  {key:<14} {shown}")
    notes = rec["notes"]
    assert isinstance(notes, list)
    lines += [f"  note: {n}" for n in notes]
    return "\n".join(lines)


def _one(path: Path, args: argparse.Namespace) -> dict[str, object]:
    rr_file = read_rr_file(path)
    metrics = hrv_metrics(rr_file.rr_ms, correct=not args.no_correct,
                          spectrum="lomb" if args.lomb else "welch")
    return _record(path, rr_file, metrics)


def run(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            rec = _one(path, args)
        except RrFileError as exc:
            print(f"liftmind: error: {path}: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": str(path), "error": str(exc)}))
            status = 2
            continue
        print(json.dumps(rec) if args.json else _text(rec))
    return status
