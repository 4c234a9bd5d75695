"""One error tree for the sensor layer, in the spirit of bleak's ``BleakError``."""

from __future__ import annotations


class SensorError(Exception):
    """Base class of every error raised by ``sensors``."""


class DecodeError(SensorError, ValueError):
    """A packet that cannot be decoded; the message says which field and why."""


class TraceError(SensorError):
    """A trace folder or line that cannot be read."""


class DeviceError(SensorError):
    """A device refused a command or could not be reached."""


class AdapterError(SensorError):
    """No Bluetooth adapter, Bluetooth off, or the system's Bluetooth service unreachable."""
