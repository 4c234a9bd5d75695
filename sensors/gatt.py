"""GATT UUIDs the product speaks, normalised as bleak normalises them (128-bit, lowercase)."""

from __future__ import annotations


def sig_uuid(short: int) -> str:
    """The full 128-bit form of a Bluetooth SIG 16-bit UUID."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


HEART_RATE_SERVICE = sig_uuid(0x180D)
HEART_RATE_MEASUREMENT = sig_uuid(0x2A37)
BODY_SENSOR_LOCATION = sig_uuid(0x2A38)
DEVICE_NAME = sig_uuid(0x2A00)

PMD_SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

CHARACTERISTIC_NAMES: dict[str, str] = {
    HEART_RATE_MEASUREMENT: "heart_rate_measurement",
    PMD_CONTROL_POINT: "pmd_control_point",
    PMD_DATA: "pmd_data",
}
