"""Heart Rate Measurement (0x2A37) decoder and encoder, the whole Bluetooth SIG format.

Layout (little-endian): flags; HR as uint8 or uint16 (flag bit 0); optional energy expended, uint16 kJ
(bit 3); RR intervals, uint16 in 1/1024 s, oldest first, filling the rest of the packet (bit 4). Bits 1-2
are the sensor-contact status: bit 2 set means contact detection is supported, bit 1 then says contact.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from sensors.errors import DecodeError

_HR_UINT16 = 0x01
_CONTACT_DETECTED = 0x02
_CONTACT_SUPPORTED = 0x04
_ENERGY_PRESENT = 0x08
_RR_PRESENT = 0x10

RR_UNITS_PER_S = 1024


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One decoded 0x2A37 notification.

    ``rr_1024`` holds the RR intervals as sent (1/1024 s units), oldest first; ``rr_ms`` converts them.
    ``contact`` is None when the sensor does not report contact. ``trailing_byte`` is True when an odd
    byte followed the RR list (malformed, ignored).
    """

    bpm: int
    contact: bool | None
    energy_kj: int | None
    rr_1024: tuple[int, ...]
    trailing_byte: bool = False

    @property
    def rr_ms(self) -> tuple[float, ...]:
        return tuple(rr * 1000.0 / RR_UNITS_PER_S for rr in self.rr_1024)


def decode_heart_rate(payload: bytes) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement payload.

    Raises
    ------
    DecodeError
        If the packet is shorter than its flags say.
    """
    data = bytes(payload)
    if len(data) < 2:
        raise DecodeError(f"heart rate packet too short: {len(data)} byte(s), need at least 2")
    flags = data[0]
    offset = 1
    if flags & _HR_UINT16:
        if len(data) < 3:
            raise DecodeError("heart rate packet truncated: flags say uint16 HR but only 1 byte follows")
        (bpm,) = struct.unpack_from("<H", data, offset)
        offset += 2
    else:
        bpm = data[offset]
        offset += 1
    contact = bool(flags & _CONTACT_DETECTED) if flags & _CONTACT_SUPPORTED else None
    energy: int | None = None
    if flags & _ENERGY_PRESENT:
        if len(data) < offset + 2:
            raise DecodeError("heart rate packet truncated: flags say energy expended but it is missing")
        (energy,) = struct.unpack_from("<H", data, offset)
        offset += 2
    rr: tuple[int, ...] = ()
    trailing = False
    if flags & _RR_PRESENT:
        n_rr, rest = divmod(len(data) - offset, 2)
        rr = struct.unpack_from(f"<{n_rr}H", data, offset)
        trailing = rest == 1
    return HeartRateMeasurement(bpm=bpm, contact=contact, energy_kj=energy, rr_1024=rr, trailing_byte=trailing)


def encode_heart_rate(
    bpm: int,
    rr_1024: tuple[int, ...] = (),
    *,
    contact: bool | None = None,
    energy_kj: int | None = None,
) -> bytes:
    """Encode a Heart Rate Measurement as a strap would send it (uint16 HR only when it must)."""
    flags = 0
    body = b""
    if bpm > 0xFF:
        flags |= _HR_UINT16
        body += struct.pack("<H", bpm)
    else:
        body += struct.pack("<B", bpm)
    if contact is not None:
        flags |= _CONTACT_SUPPORTED | (_CONTACT_DETECTED if contact else 0)
    if energy_kj is not None:
        flags |= _ENERGY_PRESENT
        body += struct.pack("<H", energy_kj)
    if rr_1024:
        flags |= _RR_PRESENT
        body += struct.pack(f"<{len(rr_1024)}H", *rr_1024)
    return bytes([flags]) + body
