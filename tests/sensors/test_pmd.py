"""Polar PMD: control point messages and data frames, against Polar's documented bytes, plus properties."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.errors import DecodeError
from sensors.pmd_commands import closest_setting
from sensors.pmd_frames import (
    decode_data_frame,
    decode_delta_payload,
    delta_width,
    encode_delta_frame,
    encode_delta_payload,
    encode_raw_frame,
)
from sensors.polar_pmd import (
    ControlPointResponse,
    Measurement,
    MeasurementStopped,
    Setting,
    Status,
    decode_control_point,
    decode_features,
    decode_settings,
    encode_features,
    encode_response,
    encode_settings,
    join_responses,
    start_command,
    stop_command,
)

H10_TS = 599_616_000_000_000_000  # the H10's clock after power loss, ns since 2000


# ---------------------------------------------------------------- control point


def test_start_and_stop_commands_match_the_documented_bytes() -> None:
    acc = start_command(Measurement.ACC, {Setting.SAMPLE_RATE: 200, Setting.RESOLUTION: 16, Setting.RANGE: 8})
    assert acc.hex(" ") == "02 02 00 01 c8 00 01 01 10 00 02 01 08 00"
    ecg = start_command(Measurement.ECG, {Setting.SAMPLE_RATE: 130, Setting.RESOLUTION: 14})
    assert ecg.hex(" ") == "02 00 00 01 82 00 01 01 0e 00"
    assert stop_command(Measurement.ACC) == b"\x03\x02"


def test_get_settings_response_of_an_h10() -> None:
    raw = bytes.fromhex("F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00")
    response = decode_control_point(raw)
    assert isinstance(response, ControlPointResponse) and response.ok and not response.more
    assert decode_settings(response.params) == {
        Setting.SAMPLE_RATE: (25, 50, 100, 200), Setting.RESOLUTION: (16,), Setting.RANGE: (2, 4, 8)
    }


@pytest.mark.parametrize(
    ("hex_payload", "status"),
    [("f0020208", Status.INVALID_SAMPLE_RATE), ("f002020a00", Status.INVALID_MTU),
     ("f0020206", Status.ALREADY_IN_STATE), ("f0020209", Status.INVALID_RANGE), ("f003020c", Status.INVALID_STATE)],
)
def test_error_responses(hex_payload: str, status: Status) -> None:
    response = decode_control_point(bytes.fromhex(hex_payload))
    assert isinstance(response, ControlPointResponse)
    assert response.status is status and not response.ok and response.params == b"" and not response.more


def test_start_response_with_factor_and_multi_part_join() -> None:
    params = encode_settings({Setting.FACTOR: (0.5,)})
    first = decode_control_point(encode_response(2, 2, Status.SUCCESS, params[:3], more=True))
    last = decode_control_point(encode_response(2, 2, Status.SUCCESS, params[3:]))
    assert isinstance(first, ControlPointResponse) and first.more
    assert isinstance(last, ControlPointResponse)
    joined = join_responses([first, last])
    assert decode_settings(joined.params) == {Setting.FACTOR: (0.5,)}


def test_device_initiated_stop() -> None:
    assert decode_control_point(b"\x01\x02") == MeasurementStopped((2,))


@pytest.mark.parametrize(
    ("hex_payload", "reason"),
    [("", "empty"), ("f00102", "too short"), ("f00102ff", "unknown status"), ("7f", "unknown byte")],
)
def test_bad_control_point_indications(hex_payload: str, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_control_point(bytes.fromhex(hex_payload))


def test_feature_read_of_a_real_h10() -> None:
    blob = bytes.fromhex("0f050000000000000000000000000000" "00")  # polar-ble-sdk#360: ECG + ACC
    assert decode_features(blob) == {Measurement.ECG, Measurement.ACC}
    assert encode_features({Measurement.ECG, Measurement.ACC}) == blob
    with pytest.raises(DecodeError, match="feature"):
        decode_features(b"\xf0\x01")


@pytest.mark.parametrize("hex_params", ["00", "0001c8", "0702", "050101"])
def test_truncated_or_unknown_settings_raise(hex_params: str) -> None:
    with pytest.raises(DecodeError):
        decode_settings(bytes.fromhex(hex_params))


# ---------------------------------------------------------------- data frames


def test_h10_acc_raw_frame() -> None:
    frame = decode_data_frame(bytes.fromhex("02" "004a124493435208" "01" "2100ecffe803" "2200ebffe903"))
    assert frame.measurement is Measurement.ACC and frame.frame_type == 1 and not frame.compressed
    assert frame.timestamp_ns == 0x0852439344124A00
    assert frame.samples == ((33, -20, 1000), (34, -21, 1001))


def test_acc_int8_and_int24_raw_frames() -> None:
    int8 = decode_data_frame(bytes.fromhex("02" + "00" * 8 + "00" + "01ff7f"))
    assert int8.samples == ((1, -1, 127),)
    int24 = decode_data_frame(bytes.fromhex("02" + "00" * 8 + "02" + "010000" "ffffff" "000080"))
    assert int24.samples == ((1, -1, -(1 << 23)),)


def test_ecg_24_bit_microvolts() -> None:
    frame = decode_data_frame(bytes.fromhex("00" + "00" * 8 + "00" + "e8ffff" "2c0100" "000000"))
    assert frame.measurement is Measurement.ECG and frame.samples == ((-24,), (300,), (0,))


def test_measurement_byte_is_masked() -> None:
    assert decode_data_frame(bytes.fromhex("42" + "00" * 8 + "01" + "010002000300")).measurement is Measurement.ACC


def test_polar_spec_delta_example() -> None:
    """Polar's online_measurement.pdf delta example (Verity Sense ACC), first block cut to two samples."""
    body = bytes.fromhex("D0FF6501E40F" "0802" "FC07FF" "0C13F2")
    assert decode_delta_payload(body, 16, 3) == ((-48, 357, 4068), (-52, 364, 4067), (-40, 383, 4053))
    frame = decode_data_frame(bytes([2]) + struct.pack("<Q", H10_TS) + b"\x81" + body)
    assert frame.compressed and frame.frame_type == 1 and frame.samples[2] == (-40, 383, 4053)


def test_delta_factor_truncates_like_polar() -> None:
    body = bytes.fromhex("D0FF6501E40F" "0801" "FC07FF")
    header = bytes([2]) + struct.pack("<Q", H10_TS)
    assert decode_data_frame(header + b"\x81" + body, factor=0.5).samples == ((-24, 178, 2034), (-26, 182, 2033))
    # type 0x80 is in G: x factor x 1000
    assert decode_data_frame(header + b"\x80" + body, factor=0.001).samples[0] == (-48, 357, 4068)


@pytest.mark.parametrize(
    ("hex_payload", "reason"),
    [
        ("02" + "00" * 8, "too short"),
        ("04" + "00" * 8 + "01" + "00", "unknown measurement"),
        ("02" + "00" * 8 + "07" + "00", "no decoder"),
        ("02" + "00" * 8 + "85" + "00", "no decoder for compressed"),
        ("02" + "00" * 8 + "01" + "0100020003", "whole number"),
        ("02" + "00" * 8 + "01", "no samples"),
        ("02" + "00" * 8 + "81" + "d0ff6501e4", "reference"),
        ("02" + "00" * 8 + "81" + "d0ff6501e40f08", "header truncated"),
        ("02" + "00" * 8 + "81" + "d0ff6501e40f0802fc07", "truncated"),
        ("02" + "00" * 8 + "81" + "d0ff6501e40f0001", "bit width 0"),
        ("02" + "00" * 8 + "81" + "d0ff6501e40f2101", "bit width 33"),
    ],
)
def test_bad_frames_raise_with_a_reason(hex_payload: str, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_data_frame(bytes.fromhex(hex_payload))


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.binary(max_size=300), st.sampled_from([1.0, 0.5, 2.0, 1e-3]))
def test_random_bytes_only_ever_raise_decode_error(payload: bytes, factor: float) -> None:
    try:
        decode_data_frame(payload, factor=factor)
    except DecodeError:
        pass


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.binary(max_size=80))
def test_random_control_point_bytes_only_ever_raise_decode_error(payload: bytes) -> None:
    try:
        message = decode_control_point(payload)
        if isinstance(message, ControlPointResponse):
            decode_settings(message.params)
    except DecodeError:
        pass


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.binary(max_size=120), st.data())
def test_random_frames_with_a_valid_header_only_ever_raise_decode_error(body: bytes, data: st.DataObject) -> None:
    header = bytes([data.draw(st.sampled_from([0, 2]))]) + bytes(8) + bytes([data.draw(st.sampled_from([0, 1, 2, 0x80, 0x81]))])
    try:
        decode_data_frame(header + body)
    except DecodeError:
        pass


int16 = st.integers(-(1 << 15), (1 << 15) - 1)
xyz = st.tuples(int16, int16, int16)


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.lists(xyz, min_size=1, max_size=60), st.integers(0, (1 << 64) - 1), st.sampled_from([0, 1, 2]))
def test_raw_acc_round_trip(samples: list[tuple[int, int, int]], timestamp_ns: int, frame_type: int) -> None:
    if frame_type == 0:
        samples = [tuple(max(-128, min(127, v)) for v in s) for s in samples]  # type: ignore[misc]
    frame = decode_data_frame(encode_raw_frame(Measurement.ACC, timestamp_ns, samples, frame_type=frame_type))
    assert frame.samples == tuple(samples) and frame.timestamp_ns == timestamp_ns and frame.frame_type == frame_type


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.lists(st.tuples(st.integers(-(1 << 23), (1 << 23) - 1)), min_size=1, max_size=73))
def test_raw_ecg_round_trip(samples: list[tuple[int]]) -> None:
    assert decode_data_frame(encode_raw_frame(Measurement.ECG, H10_TS, samples)).samples == tuple(samples)


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.lists(xyz, min_size=1, max_size=120), st.integers(1, 255))
def test_delta_acc_round_trip(samples: list[tuple[int, int, int]], block_size: int) -> None:
    encoded = encode_delta_frame(Measurement.ACC, H10_TS, samples, block_size=block_size)
    frame = decode_data_frame(encoded)
    assert frame.compressed and frame.samples == tuple(samples)


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(
    st.integers(1, 4),
    st.integers(2, 24),
    st.lists(st.integers(-300, 300), min_size=0, max_size=40),
)
def test_delta_payload_round_trip_any_channels_and_resolution(channels: int, bits: int, steps: list[int]) -> None:
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    samples = [tuple(max(lo, min(hi, (i * 37 + c * 11) % (hi + 1))) for c in range(channels)) for i in range(1)]
    for step in steps:
        samples.append(tuple(max(lo, min(hi, v + step * (c + 1))) for c, v in enumerate(samples[-1])))
    assert decode_delta_payload(encode_delta_payload(samples, bits), bits, channels) == tuple(samples)


@pytest.mark.parametrize(("deltas", "width"), [([0], 1), ([-1], 1), ([1], 2), ([-2, 1], 2), ([127], 8),
                                                ([-128], 8), ([128], 9)])
def test_delta_width_is_the_smallest_twos_complement(deltas: list[int], width: int) -> None:
    assert delta_width(deltas) == width


@pytest.mark.parametrize(
    ("setting", "wanted", "allowed", "chosen"),
    [(Setting.SAMPLE_RATE, 200, (26, 52, 104), 104), (Setting.SAMPLE_RATE, 200, (416, 832), 416),
     (Setting.RANGE, 8, (2, 4, 16), 16), (Setting.RANGE, 8, (2, 4), 4), (Setting.RESOLUTION, 16, (14,), 14)],
)
def test_closest_offered_setting(setting: Setting, wanted: int, allowed: tuple[int, ...], chosen: int) -> None:
    assert closest_setting(setting, wanted, allowed) == chosen
