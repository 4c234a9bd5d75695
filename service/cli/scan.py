"""``liftmind scan``: the heart-rate and Polar sensors around, with their services and signal strength."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from typing import Any

from bleak.backends.device import BLEDevice
from bleak.exc import BleakError
from bleak.backends.scanner import AdvertisementData

from sensors.backends import ENV_VAR, backend_from_spec, close_backend
from sensors.ble import Backend, discover
from sensors.errors import SensorError
from sensors.gatt import CHARACTERISTIC_NAMES, HEART_RATE_SERVICE, PMD_SERVICE
from service.cli import CliError

SERVICE_NAMES = {HEART_RATE_SERVICE: "heart rate", PMD_SERVICE: "polar pmd"}


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """The hidden ``--ble`` option (default ``$LIFTMIND_BLE``): which radio stack bleak uses."""
    parser.add_argument("--ble", default=os.environ.get(ENV_VAR), help=argparse.SUPPRESS)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "scan",
        help="list the heart-rate and Polar sensors around",
        description="Scan for sensors advertising the Heart Rate service or Polar's PMD service and list them, "
        "strongest signal first, with their address (for liftmind record --device), services and RSSI.",
    )
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to scan (default 5)")
    parser.add_argument("--all", action="store_true", help="list every advertising device, not only sensors")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_backend_option(parser)
    parser.set_defaults(func=run)


def describe(device: BLEDevice, adv: AdvertisementData) -> dict[str, Any]:
    names = {**SERVICE_NAMES, **CHARACTERISTIC_NAMES}
    return {
        "address": device.address,
        "name": device.name or adv.local_name,
        "rssi": adv.rssi,
        "services": [names.get(u, u) for u in adv.service_uuids],
    }


async def scan(backend: Backend, timeout_s: float, any_service: bool) -> list[dict[str, Any]]:
    try:
        return [describe(d, a) for d, a in await discover(backend, timeout_s, any_service=any_service)]
    finally:
        await close_backend(backend)


def run(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise CliError(f"--timeout must be > 0, got {args.timeout:g}")
    try:
        found = asyncio.run(scan(backend_from_spec(args.ble), args.timeout, args.all))
    except SensorError as exc:
        raise CliError(str(exc)) from None
    except BleakError as exc:
        raise CliError(f"Bluetooth error while scanning: {exc}") from None
    if args.json:
        print(json.dumps(found))
        return 0
    if not found:
        print(f"no sensors found in {args.timeout:g} s (is the strap worn? an H10 sleeps until it touches skin)")
        return 0
    print(f"{'ADDRESS':<18} {'RSSI':>5}  {'NAME':<24} SERVICES")
    for d in found:
        print(f"{d['address']:<18} {d['rssi'] if d['rssi'] is not None else '':>5}  {d['name'] or '':<24} "
              f"{', '.join(d['services'])}")
    return 0
