"""Polar PMD data frames (notifications on ``...5C82``): decode and encode, raw and delta-compressed.

Frame: ``[measurement type][u64 LE timestamp, ns since 2000-01-01, of the LAST sample][frame type, bit 7 =
delta-compressed][payload]``. Layouts (Polar ``AccData.kt``, ``EcgData.kt``, ``BlePMDClient.kt``):

* ACC raw 0x00 / 0x01 / 0x02: int8 / int16 / int24 x, y, z in mG (the H10 sends 0x01);
* ECG raw 0x00: int24 µV (the H10, ~130 Hz);
* ACC delta 0x80 ("in G"): value x factor x 1000 mG; delta 0x81: value x factor mG when factor != 1
  (the Verity Sense). Both truncate toward zero, as Polar's SDK (``toInt()``) does.

A delta payload is a reference sample (``channels`` x ``ceil(bits / 8)`` bytes, LE, signed), then blocks
``[bit width][sample count][ceil(width x count x channels / 8) bytes]`` of two's-complement deltas packed
LSB-first; sample n = sample n-1 + delta.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from sensors.errors import DecodeError
from sensors.polar_pmd import Measurement

FRAME_HEADER_BYTES = 10
DELTA_FLAG = 0x80
MAX_DELTA_WIDTH = 32

Samples = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class DataFrame:
    """One decoded PMD data notification.

    ``samples`` holds one tuple per sample: (x, y, z) in mG for ACC, (µV,) for ECG. ``timestamp_ns`` is the
    device-clock time of the last sample in ns since 2000-01-01. ``frame_type`` is the 7-bit type id;
    ``compressed`` is bit 7 of the frame-type byte.
    """

    measurement: Measurement
    frame_type: int
    compressed: bool
    timestamp_ns: int
    samples: Samples


# (measurement, frame type) -> (bytes per channel, channels) for uncompressed frames
RAW_LAYOUT: dict[tuple[Measurement, int], tuple[int, int]] = {
    (Measurement.ACC, 0x00): (1, 3),
    (Measurement.ACC, 0x01): (2, 3),
    (Measurement.ACC, 0x02): (3, 3),
    (Measurement.ECG, 0x00): (3, 1),
}
# (measurement, frame type) -> (resolution bits, channels, extra scale) for delta frames
DELTA_LAYOUT: dict[tuple[Measurement, int], tuple[int, int, float]] = {
    (Measurement.ACC, 0x00): (16, 3, 1000.0),
    (Measurement.ACC, 0x01): (16, 3, 1.0),
}
_STRUCT_CODE = {1: "b", 2: "h"}


def frame_kind(payload: bytes) -> tuple[int, int, bool]:
    """(measurement type, frame type id, compressed) from a frame header, without decoding the payload."""
    if len(payload) < FRAME_HEADER_BYTES:
        raise DecodeError(f"PMD frame too short: {len(payload)} bytes, the header alone is {FRAME_HEADER_BYTES}")
    return payload[0] & 0x3F, payload[9] & 0x7F, bool(payload[9] & DELTA_FLAG)


def decode_data_frame(payload: bytes, *, factor: float = 1.0) -> DataFrame:
    """Decode a PMD data notification.

    Parameters
    ----------
    payload : bytes
        The notification as received on the PMD data characteristic.
    factor : float
        The FACTOR setting from the START response; delta-compressed values are multiplied by it.

    Raises
    ------
    DecodeError
        If the header is short, the measurement or frame type has no decoder, or the payload is truncated.

    Examples
    --------
    >>> frame = decode_data_frame(bytes.fromhex("02" "0000000000000000" "01" "2100ecffe803"))
    >>> frame.samples
    ((33, -20, 1000),)
    """
    data = bytes(payload)
    kind, frame_type, compressed = frame_kind(data)
    if kind not in Measurement._value2member_map_:
        raise DecodeError(f"PMD frame has unknown measurement type {kind}")
    measurement = Measurement(kind)
    (timestamp_ns,) = struct.unpack_from("<Q", data, 1)
    body = data[FRAME_HEADER_BYTES:]
    key = (measurement, frame_type)
    if compressed:
        if key not in DELTA_LAYOUT:
            raise DecodeError(f"no decoder for compressed {measurement.name} frame type 0x{frame_type | DELTA_FLAG:02x}")
        bits, channels, scale = DELTA_LAYOUT[key]
        samples = _scaled(decode_delta_payload(body, bits, channels), factor * scale)
    else:
        if key not in RAW_LAYOUT:
            raise DecodeError(f"no decoder for {measurement.name} frame type 0x{frame_type:02x}")
        width, channels = RAW_LAYOUT[key]
        samples = decode_raw_payload(body, width, channels)
    if not samples:
        raise DecodeError(f"{measurement.name} frame has no samples")
    return DataFrame(measurement, frame_type, compressed, timestamp_ns, samples)


def decode_raw_payload(body: bytes, width: int, channels: int) -> Samples:
    """Little-endian signed samples of ``width`` bytes per channel."""
    step = width * channels
    if len(body) % step:
        raise DecodeError(f"PMD payload of {len(body)} bytes is not a whole number of {step}-byte samples")
    if width in _STRUCT_CODE:
        values: Sequence[int] = struct.unpack(f"<{len(body) // width}{_STRUCT_CODE[width]}", body)
    else:
        values = [int.from_bytes(body[i : i + width], "little", signed=True) for i in range(0, len(body), width)]
    return tuple(tuple(values[i : i + channels]) for i in range(0, len(values), channels))


def _scaled(samples: Samples, factor: float) -> Samples:
    if factor == 1.0:
        return samples
    return tuple(tuple(int(v * factor) for v in s) for s in samples)


def decode_delta_payload(body: bytes, resolution_bits: int, channels: int) -> Samples:
    """Decode a delta-compressed payload: a reference sample, then blocks of packed deltas.

    Raises
    ------
    DecodeError
        If the reference sample or a block is truncated, or a block's bit width is 0 or above 32.
    """
    ref_bytes = (resolution_bits + 7) // 8
    if len(body) < ref_bytes * channels:
        raise DecodeError(f"delta frame too short for its reference sample: {len(body)} bytes")
    previous = [
        int.from_bytes(body[c * ref_bytes : (c + 1) * ref_bytes], "little", signed=True) for c in range(channels)
    ]
    samples = [tuple(previous)]
    i = ref_bytes * channels
    while i < len(body):
        if i + 2 > len(body):
            raise DecodeError(f"delta block header truncated at byte {i}")
        width, count = body[i], body[i + 1]
        if not 1 <= width <= MAX_DELTA_WIDTH:
            raise DecodeError(f"delta block at byte {i} has bit width {width}, allowed 1..{MAX_DELTA_WIDTH}")
        n_bytes = (width * count * channels + 7) // 8
        block = body[i + 2 : i + 2 + n_bytes]
        if len(block) < n_bytes:
            raise DecodeError(f"delta block at byte {i} truncated: {len(block)} of {n_bytes} bytes")
        packed = int.from_bytes(block, "little")
        mask, sign, span = (1 << width) - 1, 1 << (width - 1), 1 << width
        for k in range(count):
            for c in range(channels):
                raw = (packed >> ((k * channels + c) * width)) & mask
                previous[c] += raw - span if raw & sign else raw
            samples.append(tuple(previous))
        i += 2 + n_bytes
    return tuple(samples)


# ---------------------------------------------------------------- encoders


def _header(measurement: Measurement, timestamp_ns: int, frame_type_byte: int) -> bytes:
    return bytes([measurement]) + struct.pack("<Q", timestamp_ns) + bytes([frame_type_byte])


def _check_channels(samples: Sequence[Sequence[int]], channels: int) -> None:
    for sample in samples:
        if len(sample) != channels:
            raise ValueError(f"sample {tuple(sample)} has {len(sample)} channels, need {channels}")


def encode_raw_frame(
    measurement: Measurement, timestamp_ns: int, samples: Sequence[Sequence[int]], *, frame_type: int | None = None
) -> bytes:
    """Encode an uncompressed frame (default: ACC type 0x01 int16 xyz as the H10, ECG type 0x00 int24)."""
    if frame_type is None:
        frame_type = 0x01 if measurement is Measurement.ACC else 0x00
    width, channels = RAW_LAYOUT[(measurement, frame_type)]
    _check_channels(samples, channels)
    out = bytearray(_header(measurement, timestamp_ns, frame_type))
    for sample in samples:
        for v in sample:
            out += int(v).to_bytes(width, "little", signed=True)
    return bytes(out)


def delta_width(deltas: Sequence[int]) -> int:
    """The fewest bits that hold every value of ``deltas`` in two's complement (at least 1)."""
    width = 1
    for d in deltas:
        width = max(width, (d if d >= 0 else ~d).bit_length() + 1)
    return width


def encode_delta_payload(samples: Sequence[Sequence[int]], resolution_bits: int, *, block_size: int = 255) -> bytes:
    """Reference sample, then blocks of at most ``block_size`` samples, each packed at its smallest width."""
    if not samples:
        raise ValueError("a delta payload needs at least the reference sample")
    if not 1 <= block_size <= 255:
        raise ValueError(f"block_size must be 1..255, got {block_size}")
    ref_bytes = (resolution_bits + 7) // 8
    out = bytearray(b"".join(int(v).to_bytes(ref_bytes, "little", signed=True) for v in samples[0]))
    channels = len(samples[0])
    for start in range(1, len(samples), block_size):
        block = samples[start : start + block_size]
        deltas = [int(s[c]) - int(p[c]) for p, s in zip(samples[start - 1 :], block) for c in range(channels)]
        width = delta_width(deltas)
        if width > MAX_DELTA_WIDTH:
            raise ValueError(f"a delta needs {width} bits, the format allows {MAX_DELTA_WIDTH}")
        packed = 0
        for n, d in enumerate(deltas):
            packed |= (d & ((1 << width) - 1)) << (n * width)
        out += bytes([width, len(block)]) + packed.to_bytes((width * len(deltas) + 7) // 8, "little")
    return bytes(out)


def encode_delta_frame(
    measurement: Measurement,
    timestamp_ns: int,
    samples: Sequence[Sequence[int]],
    *,
    frame_type: int = 0x01,
    block_size: int = 255,
) -> bytes:
    """Encode a delta-compressed frame (default ACC 0x81, as the Verity Sense sends) of raw device values."""
    bits, channels, _ = DELTA_LAYOUT[(measurement, frame_type)]
    _check_channels(samples, channels)
    payload = encode_delta_payload(samples, bits, block_size=block_size)
    return _header(measurement, timestamp_ns, frame_type | DELTA_FLAG) + payload
