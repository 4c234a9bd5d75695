"""Polar Measurement Data (PMD): control-point messages and data frames, decoded from bytes.

Data frame: ``[measurement type][u64 LE timestamp, ns since 2000-01-01, of the LAST sample][frame type,
bit 7 = delta-compressed][payload]``. Sources: Polar's ``online_measurement.pdf`` and the Android SDK
(``PmdDataFrame.kt``, ``AccData.kt``, ``EcgData.kt``, ``BlePMDClient.kt``); see ``shared/research/ble.md``.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from sensors.errors import DecodeError

FRAME_HEADER_BYTES = 10
#: ns from the Unix epoch to 2000-01-01T00:00:00Z, the PMD epoch.
PMD_EPOCH_UNIX_NS = 946_684_800_000_000_000


class Measurement(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9


class Setting(enum.IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5


_SETTING_SIZE = {
    Setting.SAMPLE_RATE: 2,
    Setting.RESOLUTION: 2,
    Setting.RANGE: 2,
    Setting.RANGE_MILLIUNIT: 4,
    Setting.CHANNELS: 1,
    Setting.FACTOR: 4,
}


class Status(enum.IntEnum):
    SUCCESS = 0
    INVALID_OP_CODE = 1
    INVALID_MEASUREMENT_TYPE = 2
    NOT_SUPPORTED = 3
    INVALID_LENGTH = 4
    INVALID_PARAMETER = 5
    ALREADY_IN_STATE = 6
    INVALID_RESOLUTION = 7
    INVALID_SAMPLE_RATE = 8
    INVALID_RANGE = 9
    INVALID_MTU = 10
    INVALID_NUMBER_OF_CHANNELS = 11
    INVALID_STATE = 12
    DEVICE_IN_CHARGER = 13
    DISK_FULL = 14


class OpCode(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3


# ---------------------------------------------------------------- control point


def start_command(measurement: Measurement, settings: dict[Setting, int]) -> bytes:
    """The START command for ``measurement`` with one value per setting.

    >>> start_command(Measurement.ACC, {Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8}).hex(" ")
    '02 02 00 01 c8 00 01 01 10 00 02 01 08 00'
    """
    out = bytearray([OpCode.START, measurement])
    for setting, value in settings.items():
        size = _SETTING_SIZE[setting]
        out += bytes([setting, 1]) + value.to_bytes(size, "little")
    return bytes(out)


def stop_command(measurement: Measurement) -> bytes:
    return bytes([OpCode.STOP, measurement])


def get_settings_command(measurement: Measurement) -> bytes:
    return bytes([OpCode.GET_SETTINGS, measurement])


@dataclass(frozen=True)
class ControlPointResponse:
    """A ``F0 <op> <type> <status> [<more> <params...>]`` indication."""

    op_code: int
    measurement: int
    status: Status
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS


@dataclass(frozen=True)
class MeasurementStopped:
    """A device-initiated stop: a control-point indication ``01 <types...>``."""

    measurements: tuple[int, ...]


def decode_control_point(payload: bytes) -> ControlPointResponse | MeasurementStopped:
    """Decode a control-point indication: a command response or a device-initiated stop."""
    data = bytes(payload)
    if not data:
        raise DecodeError("control point indication is empty")
    if data[0] == 0xF0:
        if len(data) < 4:
            raise DecodeError(f"control point response too short: {len(data)} bytes, need 4")
        try:
            status = Status(data[3])
        except ValueError:
            raise DecodeError(f"control point response has unknown status {data[3]}") from None
        more = len(data) > 4 and data[4] != 0
        return ControlPointResponse(data[1], data[2], status, more, data[5:] if status is Status.SUCCESS else b"")
    if data[0] == 0x01:
        return MeasurementStopped(tuple(data[1:]))
    raise DecodeError(f"control point indication starts with unknown byte 0x{data[0]:02x}")


def decode_settings(params: bytes) -> dict[Setting, tuple[float, ...]]:
    """Settings from a GET or START response: ``<setting> <count> <values...>`` repeated."""
    out: dict[Setting, tuple[float, ...]] = {}
    i = 0
    while i < len(params):
        if i + 2 > len(params):
            raise DecodeError(f"settings truncated at byte {i}")
        try:
            setting = Setting(params[i])
        except ValueError:
            raise DecodeError(f"unknown setting type {params[i]} at byte {i}") from None
        count, size = params[i + 1], _SETTING_SIZE[setting]
        i += 2
        if i + count * size > len(params):
            raise DecodeError(f"setting {setting.name} truncated: {count} values of {size} bytes")
        if setting is Setting.FACTOR:
            values: tuple[float, ...] = struct.unpack_from(f"<{count}f", params, i)
        else:
            values = tuple(int.from_bytes(params[i + k * size : i + (k + 1) * size], "little") for k in range(count))
        out[setting] = values
        i += count * size
    return out


# ---------------------------------------------------------------- data frames


@dataclass(frozen=True)
class DataFrame:
    """One decoded PMD data notification.

    ``samples`` holds one tuple per sample: (x, y, z) in mG for ACC, (µV,) for ECG. ``timestamp_ns`` is the
    device-clock time of the last sample in ns since 2000-01-01.
    """

    measurement: Measurement
    frame_type: int
    compressed: bool
    timestamp_ns: int
    samples: tuple[tuple[int, ...], ...]


# (measurement, frame type) -> (bytes per channel, channels) for uncompressed frames
_RAW_LAYOUT: dict[tuple[Measurement, int], tuple[int, int]] = {
    (Measurement.ACC, 0x00): (1, 3),
    (Measurement.ACC, 0x01): (2, 3),
    (Measurement.ACC, 0x02): (3, 3),
    (Measurement.ECG, 0x00): (3, 1),
}
# (measurement, frame type) -> (resolution bits, channels) for delta frames
_DELTA_LAYOUT: dict[tuple[Measurement, int], tuple[int, int]] = {
    (Measurement.ACC, 0x00): (16, 3),
    (Measurement.ACC, 0x01): (16, 3),
    (Measurement.GYRO, 0x00): (16, 3),
    (Measurement.GYRO, 0x01): (16, 3),
    (Measurement.MAG, 0x00): (16, 3),
}


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
        If the header is short, the measurement or frame type is unknown, or the payload is truncated.
    """
    data = bytes(payload)
    if len(data) < FRAME_HEADER_BYTES:
        raise DecodeError(f"PMD frame too short: {len(data)} bytes, the header alone is {FRAME_HEADER_BYTES}")
    try:
        measurement = Measurement(data[0] & 0x3F)
    except ValueError:
        raise DecodeError(f"PMD frame has unknown measurement type {data[0] & 0x3F}") from None
    (timestamp_ns,) = struct.unpack_from("<Q", data, 1)
    compressed = bool(data[9] & 0x80)
    frame_type = data[9] & 0x7F
    body = data[FRAME_HEADER_BYTES:]
    key = (measurement, frame_type)
    if compressed:
        if key not in _DELTA_LAYOUT:
            raise DecodeError(f"no decoder for compressed {measurement.name} frame type {frame_type}")
        bits, channels = _DELTA_LAYOUT[key]
        samples = _apply_factor(decode_delta_payload(body, bits, channels), factor)
    else:
        if key not in _RAW_LAYOUT:
            raise DecodeError(f"no decoder for {measurement.name} frame type {frame_type}")
        width, channels = _RAW_LAYOUT[key]
        samples = _decode_raw(body, width, channels)
    return DataFrame(measurement, frame_type, compressed, timestamp_ns, samples)


def _decode_raw(body: bytes, width: int, channels: int) -> tuple[tuple[int, ...], ...]:
    step = width * channels
    if len(body) % step:
        raise DecodeError(f"PMD payload of {len(body)} bytes is not a whole number of {step}-byte samples")
    values = [int.from_bytes(body[i : i + width], "little", signed=True) for i in range(0, len(body), width)]
    return tuple(tuple(values[i : i + channels]) for i in range(0, len(values), channels))


def _apply_factor(samples: tuple[tuple[int, ...], ...], factor: float) -> tuple[tuple[int, ...], ...]:
    if factor == 1.0:
        return samples
    return tuple(tuple(round(v * factor) for v in s) for s in samples)


def decode_delta_payload(body: bytes, resolution_bits: int, channels: int) -> tuple[tuple[int, ...], ...]:
    """Decode a delta-compressed payload: a reference sample, then blocks of packed deltas.

    Each block is ``[bit width][sample count][ceil(width * count * channels / 8) bytes]``, bit-packed
    LSB-first, each delta a two's-complement number of ``width`` bits; sample n = sample n-1 + delta.
    """
    ref_bytes = (resolution_bits + 7) // 8
    if len(body) < ref_bytes * channels:
        raise DecodeError(f"delta frame too short for its reference sample: {len(body)} bytes")
    ref = tuple(
        int.from_bytes(body[c * ref_bytes : (c + 1) * ref_bytes], "little", signed=True) for c in range(channels)
    )
    samples = [ref]
    i = ref_bytes * channels
    while i < len(body):
        if i + 2 > len(body):
            raise DecodeError(f"delta block header truncated at byte {i}")
        width, count = body[i], body[i + 1]
        if width == 0 or width > 32:
            raise DecodeError(f"delta block at byte {i} has bit width {width}, allowed 1..32")
        n_bytes = (width * count * channels + 7) // 8
        block = body[i + 2 : i + 2 + n_bytes]
        if len(block) < n_bytes:
            raise DecodeError(f"delta block at byte {i} truncated: {len(block)} of {n_bytes} bytes")
        packed = int.from_bytes(block, "little")
        mask, sign = (1 << width) - 1, 1 << (width - 1)
        for k in range(count):
            prev = samples[-1]
            sample = []
            for c in range(channels):
                raw = (packed >> ((k * channels + c) * width)) & mask
                sample.append(prev[c] + (raw - (1 << width) if raw & sign else raw))
            samples.append(tuple(sample))
        i += 2 + n_bytes
    return tuple(samples)


def encode_raw_frame(
    measurement: Measurement, timestamp_ns: int, samples: list[tuple[int, ...]] | tuple[tuple[int, ...], ...]
) -> bytes:
    """Encode an uncompressed frame (ACC type 0x01 int16 xyz, ECG type 0x00 int24)."""
    frame_type = 0x01 if measurement is Measurement.ACC else 0x00
    width, channels = _RAW_LAYOUT[(measurement, frame_type)]
    out = bytearray([measurement]) + struct.pack("<Q", timestamp_ns) + bytes([frame_type])
    for sample in samples:
        if len(sample) != channels:
            raise ValueError(f"sample {sample} has {len(sample)} channels, {measurement.name} needs {channels}")
        for v in sample:
            out += int(v).to_bytes(width, "little", signed=True)
    return bytes(out)
