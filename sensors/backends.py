"""Choosing how bleak reaches a radio: the platform's own stack, or Bumble over an HCI transport.

``LIFTMIND_BLE`` (or a command's hidden ``--ble`` option) names it: unset or ``bleak`` is the platform
backend (BlueZ on Linux); ``bumble:<transport>`` is the Bumble host stack over that transport, e.g.
``bumble:tcp-client:127.0.0.1:9000`` (a virtual radio in another process, see ``sensors.virtual.air``)
or ``bumble:usb:0`` (a USB HCI dongle, no BlueZ needed).
"""

from __future__ import annotations

from sensors.ble import Backend
from sensors.errors import AdapterError

ENV_VAR = "LIFTMIND_BLE"


def backend_from_spec(spec: str | None) -> Backend:
    """The backend a ``LIFTMIND_BLE`` value names.

    Raises
    ------
    AdapterError
        If the value is neither ``bleak`` nor ``bumble:<transport>``, or bumble is not installed.
    """
    if not spec or spec == "bleak":
        return Backend()
    kind, _, transport = spec.partition(":")
    if kind != "bumble" or not transport:
        raise AdapterError(f"{ENV_VAR}={spec!r} is not a backend; use 'bleak' or 'bumble:<transport>'")
    try:
        from sensors.bumble_backend import BumbleClient, BumbleRadio, BumbleScanner
    except ImportError:
        raise AdapterError(f"{ENV_VAR}={spec!r} needs the bumble package (pip install 'liftmind[test]')") from None
    radio = BumbleRadio(transport=transport)
    return Backend(client=BumbleClient, scanner=BumbleScanner, kwargs={"radio": radio}, name=f"bumble:{transport}")


async def close_backend(backend: Backend) -> None:
    """Release what the backend opened (a Bumble radio's transport); the platform backend holds nothing."""
    radio = backend.kwargs.get("radio")
    close = getattr(radio, "close", None)
    if close is not None:
        await close()
