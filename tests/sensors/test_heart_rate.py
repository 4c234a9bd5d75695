"""Heart Rate Measurement 0x2A37: the whole SIG format, against spec and capture vectors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.errors import DecodeError
from sensors.heart_rate import HeartRateMeasurement, decode_heart_rate, encode_heart_rate


@pytest.mark.parametrize(
    ("hex_payload", "expected"),
    [
        # Polar H7 capture (cal-id/Polar-H7-Pi): contact supported + detected, HR 60, one RR 0x0411
        ("163c1104", HeartRateMeasurement(60, True, None, (1041,))),
        # no RR flag, contact supported + detected
        ("063c", HeartRateMeasurement(60, True, None, ())),
        # RR flag set, no RR bytes (straps right after reset)
        ("1046", HeartRateMeasurement(70, None, None, ())),
        # contact supported, NOT detected
        ("0450", HeartRateMeasurement(80, False, None, ())),
        # bit 1 alone (detected without supported) means nothing
        ("0250", HeartRateMeasurement(80, None, None, ())),
        # uint16 HR
        ("012c01", HeartRateMeasurement(300, None, None, ())),
        # uint16 HR + energy 0x0102 kJ + three RR, oldest first
        ("19" "4100" "0201" "3303" "6603" "9903", HeartRateMeasurement(65, None, 258, (0x333, 0x366, 0x399))),
        # reserved bits 5-7 set: ignored
        ("e03c", HeartRateMeasurement(60, None, None, ())),
    ],
)
def test_spec_vectors(hex_payload: str, expected: HeartRateMeasurement) -> None:
    got = decode_heart_rate(bytes.fromhex(hex_payload))
    assert (got.bpm, got.contact, got.energy_kj, got.rr_1024) == (
        expected.bpm, expected.contact, expected.energy_kj, expected.rr_1024
    )


def test_several_rr_oldest_first_and_ms() -> None:
    got = decode_heart_rate(bytes.fromhex("10" "41" "3303" "6603" "9903"))
    assert got.rr_1024 == (0x0333, 0x0366, 0x0399)
    assert got.rr_ms[0] == pytest.approx(819 * 1000 / 1024)


def test_energy_then_rr() -> None:
    got = decode_heart_rate(bytes.fromhex("18" "48" "e803" "0004"))
    assert (got.bpm, got.energy_kj, got.rr_1024) == (72, 1000, (1024,))
    assert got.rr_ms == (1000.0,)


def test_odd_trailing_byte_is_ignored_and_flagged() -> None:
    got = decode_heart_rate(bytes.fromhex("10" "48" "0004" "07"))
    assert got.rr_1024 == (1024,) and got.trailing_byte


@pytest.mark.parametrize(
    ("hex_payload", "reason"),
    [("", "too short"), ("10", "too short"), ("01", "too short"), ("0148", "uint16"), ("0848", "energy"),
     ("084801", "energy"), ("0948e8", "energy")],
)
def test_short_or_truncated_packets_raise(hex_payload: str, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_heart_rate(bytes.fromhex(hex_payload))


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(st.binary(max_size=40))
def test_random_bytes_only_ever_raise_decode_error(payload: bytes) -> None:
    try:
        decode_heart_rate(payload)
    except DecodeError:
        pass


@settings(deadline=None)  # timing-free: a loaded CI box must not fail these
@given(
    bpm=st.integers(0, 0xFFFF),
    rr=st.lists(st.integers(0, 0xFFFF), max_size=9).map(tuple),
    contact=st.sampled_from([None, True, False]),
    energy=st.one_of(st.none(), st.integers(0, 0xFFFF)),
)
def test_encode_decode_round_trip(bpm: int, rr: tuple[int, ...], contact: bool | None, energy: int | None) -> None:
    got = decode_heart_rate(encode_heart_rate(bpm, rr, contact=contact, energy_kj=energy))
    assert (got.bpm, got.rr_1024, got.contact, got.energy_kj, got.trailing_byte) == (bpm, rr, contact, energy, False)
