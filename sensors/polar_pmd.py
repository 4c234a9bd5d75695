"""Polar Measurement Data (PMD) control point: commands, responses, settings and the feature read.

Commands are written to the control point (``...5C81``) with response; answers come back as
indications ``F0 <op> <type> <status> [<more> <params...>]``; a device-initiated stop is an indication
``01 <type...>``; a plain read returns the feature blob ``0F <b1> <b2> ...``. Sources: Polar's
``online_measurement.pdf`` and the Android SDK (``PmdControlPointCommand.kt``,
``PmdControlPointResponse.kt``, ``PmdSetting.kt``, ``BlePMDClient.kt``); see ``shared/research/ble.md``.
Data frames are in ``sensors.pmd_frames``.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from sensors.errors import DecodeError

#: ns from the Unix epoch to 2000-01-01T00:00:00Z, the PMD epoch.
PMD_EPOCH_UNIX_NS = 946_684_800_000_000_000
#: An H10's clock after it lost power: 2019-01-01T00:00Z, in ns since 2000-01-01.
H10_DEFAULT_CLOCK_NS = 599_616_000_000_000_000
#: The smallest ATT MTU an H10 accepts a START at (smaller: status INVALID_MTU).
PMD_MIN_MTU = 70
RESPONSE_CODE = 0xF0
FEATURES_CODE = 0x0F
STOPPED_CODE = 0x01


class Measurement(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_RECORDING = 13
    OFFLINE_HR = 14


class Setting(enum.IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


SETTING_SIZE = {
    Setting.SAMPLE_RATE: 2,
    Setting.RESOLUTION: 2,
    Setting.RANGE: 2,
    Setting.RANGE_MILLIUNIT: 4,
    Setting.CHANNELS: 1,
    Setting.FACTOR: 4,
    Setting.SECURITY: 16,
}
SETTING_UNITS = {Setting.SAMPLE_RATE: "Hz", Setting.RESOLUTION: "bit", Setting.RANGE: "G"}


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

    @property
    def text(self) -> str:
        return self.name.lower().replace("_", " ")


class OpCode(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3


#: The setting a refusal status is about.
STATUS_SETTING = {
    Status.INVALID_SAMPLE_RATE: Setting.SAMPLE_RATE,
    Status.INVALID_RESOLUTION: Setting.RESOLUTION,
    Status.INVALID_RANGE: Setting.RANGE,
    Status.INVALID_NUMBER_OF_CHANNELS: Setting.CHANNELS,
}

# feature blob: (byte index, bit) -> measurement
_FEATURE_BITS: dict[tuple[int, int], Measurement] = {
    (1, 0x01): Measurement.ECG,
    (1, 0x02): Measurement.PPG,
    (1, 0x04): Measurement.ACC,
    (1, 0x08): Measurement.PPI,
    (1, 0x20): Measurement.GYRO,
    (1, 0x40): Measurement.MAG,
    (1, 0x80): Measurement.SKIN_TEMP,
    (2, 0x02): Measurement.SDK_MODE,
    (2, 0x04): Measurement.LOCATION,
    (2, 0x08): Measurement.PRESSURE,
    (2, 0x10): Measurement.TEMPERATURE,
    (2, 0x20): Measurement.OFFLINE_RECORDING,
    (2, 0x40): Measurement.OFFLINE_HR,
}


def measurement_name(value: int) -> str:
    """``ACC`` for 2, ``type 4`` for a value with no name."""
    return Measurement(value).name if value in Measurement._value2member_map_ else f"type {value}"


# ---------------------------------------------------------------- commands


def start_command(measurement: Measurement, settings: dict[Setting, int]) -> bytes:
    """The START command for ``measurement`` with one value per setting.

    >>> start_command(Measurement.ACC, {Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8}).hex(" ")
    '02 02 00 01 c8 00 01 01 10 00 02 01 08 00'
    """
    return bytes([OpCode.START, measurement]) + encode_settings({s: (v,) for s, v in settings.items()})


def stop_command(measurement: Measurement) -> bytes:
    return bytes([OpCode.STOP, measurement])


def get_settings_command(measurement: Measurement) -> bytes:
    return bytes([OpCode.GET_SETTINGS, measurement])


def encode_settings(settings: dict[Setting, tuple[float, ...]]) -> bytes:
    """``<setting> <count> <values...>`` for each setting (FACTOR as float32, the rest as integers)."""
    out = bytearray()
    for setting, values in settings.items():
        out += bytes([setting, len(values)])
        for value in values:
            if setting is Setting.FACTOR:
                out += struct.pack("<f", value)
            else:
                out += int(value).to_bytes(SETTING_SIZE[setting], "little")
    return bytes(out)


# ---------------------------------------------------------------- responses


@dataclass(frozen=True)
class ControlPointResponse:
    """A ``F0 <op> <type> <status> [<more> <params...>]`` indication (``more``: another part follows)."""

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
    """Decode a control-point indication: a command response or a device-initiated stop.

    Raises
    ------
    DecodeError
        If the indication is empty, too short, has an unknown status or an unknown first byte.
    """
    data = bytes(payload)
    if not data:
        raise DecodeError("control point indication is empty")
    if data[0] == RESPONSE_CODE:
        if len(data) < 4:
            raise DecodeError(f"control point response too short: {len(data)} bytes, need 4")
        try:
            status = Status(data[3])
        except ValueError:
            raise DecodeError(f"control point response has unknown status {data[3]}") from None
        ok = status is Status.SUCCESS
        more = ok and len(data) > 4 and data[4] != 0
        return ControlPointResponse(data[1], data[2], status, more, data[5:] if ok else b"")
    if data[0] == STOPPED_CODE:
        return MeasurementStopped(tuple(data[1:]))
    raise DecodeError(f"control point indication starts with unknown byte 0x{data[0]:02x}")


def join_responses(parts: Iterable[ControlPointResponse]) -> ControlPointResponse:
    """One response from a multi-part answer (every part but the last has ``more``)."""
    parts = list(parts)
    if not parts:
        raise DecodeError("no control point response to join")
    first = parts[0]
    return ControlPointResponse(
        first.op_code, first.measurement, first.status, False, b"".join(p.params for p in parts)
    )


def decode_settings(params: bytes) -> dict[Setting, tuple[float, ...]]:
    """Settings from a GET or START response: ``<setting> <count> <values...>`` repeated.

    Raises
    ------
    DecodeError
        If a setting type is unknown or its values are truncated.
    """
    out: dict[Setting, tuple[float, ...]] = {}
    i = 0
    while i < len(params):
        if i + 2 > len(params):
            raise DecodeError(f"settings truncated at byte {i}")
        try:
            setting = Setting(params[i])
        except ValueError:
            raise DecodeError(f"unknown setting type {params[i]} at byte {i}") from None
        count, size = params[i + 1], SETTING_SIZE[setting]
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


def decode_features(payload: bytes) -> frozenset[Measurement]:
    """The measurements a sensor offers, from a read of the control point (``0F <b1> <b2> ...``).

    >>> sorted(m.name for m in decode_features(bytes.fromhex("0f05000000")))
    ['ACC', 'ECG']
    """
    data = bytes(payload)
    if len(data) < 2 or data[0] != FEATURES_CODE:
        raise DecodeError(f"not a PMD feature read: {data[:4].hex(' ') or 'empty'} (expected 0f ...)")
    return frozenset(m for (index, bit), m in _FEATURE_BITS.items() if index < len(data) and data[index] & bit)


def encode_features(measurements: Iterable[Measurement], *, size: int = 17) -> bytes:
    """The feature blob a sensor offering ``measurements`` returns (17 bytes, as an H10)."""
    out = bytearray(size)
    out[0] = FEATURES_CODE
    wanted = set(measurements)
    for (index, bit), measurement in _FEATURE_BITS.items():
        if measurement in wanted:
            out[index] |= bit
    return bytes(out)


def encode_response(
    op_code: int, measurement: int, status: Status, params: bytes = b"", *, more: bool = False
) -> bytes:
    """A control-point response indication, as a sensor sends it."""
    out = bytes([RESPONSE_CODE, op_code, measurement, status])
    if status is Status.SUCCESS:
        out += bytes([1 if more else 0]) + params
    return out
