"""``liftmind decode``: decode one BLE packet (heart rate, PMD data frame, PMD control point) from hex."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from typing import Any

from sensors.errors import DecodeError
from sensors.heart_rate import decode_heart_rate
from sensors.pmd_frames import decode_data_frame
from sensors.polar_pmd import (
    FEATURES_CODE,
    PMD_EPOCH_UNIX_NS,
    ControlPointResponse,
    OpCode,
    decode_control_point,
    decode_features,
    decode_settings,
    measurement_name,
)
from sensors.timestamps import SampleClock
from service.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "decode",
        help="decode one BLE packet given in hex",
        description="Decode one packet as liftmind does: a Heart Rate Measurement (0x2A37), a Polar PMD data "
        "frame, or a PMD control-point message. Exits 2 with the reason if the packet cannot be decoded.",
    )
    kinds = parser.add_subparsers(dest="packet", metavar="KIND", required=True)
    hr = kinds.add_parser(
        "hr", help="Heart Rate Measurement (0x2A37)",
        description="Decode a Heart Rate Measurement notification: prints bpm, rr_ms (oldest first), contact "
        "(null: not supported) and energy_kj. Example: liftmind decode hr 163c1104 --json",
    )
    _common(hr)
    pmd = kinds.add_parser(
        "pmd", help="Polar PMD data frame",
        description="Decode a Polar PMD data notification (ACC raw 0x00/0x01/0x02, delta 0x80/0x81, ECG): prints "
        "measurement, frame_type, timestamp_ns (last sample, ns since 2000-01-01) and samples ([x, y, z] mG or "
        "µV). Example (Polar's delta example): liftmind decode pmd 02000000000000000081d0ff6501e40f0802fc07ff0c13f2",
    )
    pmd.add_argument("--factor", type=float, default=1.0, metavar="F",
                     help="FACTOR from the START response, applied to delta-compressed frames (default 1)")
    pmd.add_argument("--sample-rate", type=float, metavar="HZ",
                     help="stream sample rate: adds the time of every sample")
    pmd.add_argument("--previous-timestamp", type=int, metavar="NS",
                     help="the previous frame's timestamp (ns since 2000): spread samples from it, detect lost frames")
    _common(pmd)
    cp = kinds.add_parser(
        "cp", help="Polar PMD control point (response, stop notice or feature read)",
        description="Decode a PMD control-point message: a response (F0 ...: op, measurement, status, settings), a "
        "device-initiated stop (01 ...) or the feature read (0F ...). Example: liftmind decode cp f0020208",
    )
    _common(cp)
    parser.set_defaults(func=run)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hex", nargs="+", metavar="HEX", help="the packet, e.g. 163c1104 or '16 3c 11 04'")
    parser.add_argument("--json", action="store_true", help="print JSON")


def parse_hex(parts: list[str]) -> bytes:
    """Bytes from hex written with or without spaces, colons or a 0x prefix."""
    text = re.sub(r"[\s:,-]", "", "".join(p.removeprefix("0x").removeprefix("0X") for p in parts))
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CliError(f"HEX must be pairs of hexadecimal digits, got {' '.join(parts)!r}") from None


def decode_hr(payload: bytes) -> dict[str, Any]:
    m = decode_heart_rate(payload)
    return {"bpm": m.bpm, "rr_ms": list(m.rr_ms), "contact": m.contact, "energy_kj": m.energy_kj}


def decode_pmd(payload: bytes, factor: float, fs_hz: float | None, previous_ns: int | None) -> dict[str, Any]:
    frame = decode_data_frame(payload, factor=factor)
    shape = (lambda s: s[0]) if len(frame.samples[0]) == 1 else list
    out: dict[str, Any] = {
        "measurement": frame.measurement.name.lower(),
        "frame_type": frame.frame_type,
        "compressed": frame.compressed,
        "timestamp_ns": frame.timestamp_ns,
        "timestamp_utc": _utc(frame.timestamp_ns),
        "samples": [shape(s) for s in frame.samples],
    }
    if fs_hz is not None:
        clock = SampleClock(fs_hz)
        clock.previous_ns = previous_ns
        placed = clock.place(frame.timestamp_ns, len(frame.samples))
        out["sample_timestamps_ns"] = [int(t) for t in placed.t_ns]
        out.update(gap_ns=placed.gap_ns, lost_samples=placed.lost_samples, clock_reset=placed.clock_reset)
    return out


def decode_cp(payload: bytes) -> dict[str, Any]:
    if payload[:1] == bytes([FEATURES_CODE]):
        return {"kind": "features", "measurements": sorted(m.name.lower() for m in decode_features(payload))}
    message = decode_control_point(payload)
    if not isinstance(message, ControlPointResponse):
        return {"kind": "stopped", "measurements": [measurement_name(m).lower() for m in message.measurements]}
    op = OpCode(message.op_code).name.lower() if message.op_code in OpCode._value2member_map_ else message.op_code
    settings = {s.name.lower(): list(v) for s, v in decode_settings(message.params).items()}
    return {"kind": "response", "op": op, "measurement": measurement_name(message.measurement).lower(),
            "status": message.status.name.lower(), "more": message.more, "settings": settings}


def _utc(timestamp_ns: int) -> str:
    seconds = (PMD_EPOCH_UNIX_NS + timestamp_ns) // 1_000_000_000
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()
    except (OverflowError, ValueError, OSError):
        return "out of range"


def _text(result: dict[str, Any]) -> str:
    return "\n".join(f"{key}: {json.dumps(value)}" for key, value in result.items())


def run(args: argparse.Namespace) -> int:
    payload = parse_hex(args.hex)
    if args.packet == "pmd" and args.previous_timestamp is not None and args.sample_rate is None:
        raise CliError("--previous-timestamp needs --sample-rate (the nominal rate tells a lost frame from jitter)")
    if args.packet == "pmd" and args.sample_rate is not None and not args.sample_rate > 0:
        raise CliError(f"--sample-rate must be > 0, got {args.sample_rate:g}")
    try:
        if args.packet == "hr":
            result = decode_hr(payload)
        elif args.packet == "pmd":
            result = decode_pmd(payload, args.factor, args.sample_rate, args.previous_timestamp)
        else:
            result = decode_cp(payload)
    except DecodeError as exc:
        raise CliError(f"cannot decode {args.packet} packet {payload.hex() or '(empty)'}: {exc}") from None
    print(json.dumps(result) if args.json else _text(result))
    return 0
