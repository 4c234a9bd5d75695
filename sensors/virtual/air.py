"""A virtual radio in its own process: virtual sensors on a local link, plus a controller on a TCP port.

    python -m sensors.virtual.air --port 9000 --h10 2 --strap 1 --time-scale 1

Then ``LIFTMIND_BLE=bumble:tcp-client:127.0.0.1:9000 liftmind record --db x.db`` records from them with
the production reader. On SIGTERM / SIGINT it writes what each sensor sent (``--stats FILE``, JSON) and
exits. Prints ``ready`` on stdout once the port listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from pathlib import Path
from typing import Any

from bumble.link import LocalLink
from bumble.transport import open_transport

from sensors.bumble_backend import cancellable_controller_class
from sensors.virtual.hr_strap import VirtualHeartRateStrap
from sensors.virtual.peripheral import DeviceClock, VirtualPeripheral
from sensors.virtual.polar_h10 import H10Faults, VirtualPolarH10


def h10_address(index: int) -> str:
    return f"A0:9E:1A:00:00:{index + 1:02X}"


def strap_address(index: int) -> str:
    return f"C4:7C:8D:00:00:{index + 1:02X}"


def build(link: LocalLink, args: argparse.Namespace) -> list[VirtualPeripheral]:
    sensors: list[VirtualPeripheral] = []
    for i in range(args.h10):
        clock = DeviceClock(time_scale=args.time_scale, ppm=args.ppm * (i + 1))
        faults = H10Faults(drop_every_nth_frame=args.drop_every)
        sensors.append(VirtualPolarH10(link, h10_address(i), f"Polar H10 VIRT{i + 1:04d}", clock=clock, faults=faults))
    for i in range(args.strap):
        clock = DeviceClock(time_scale=args.time_scale)
        sensors.append(VirtualHeartRateStrap(link, strap_address(i), f"HRM VIRT{i + 1:04d}", clock=clock))
    return sensors


def stats(sensors: list[VirtualPeripheral]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sensor in sensors:
        entry: dict[str, Any] = {"connections": sensor.connections}
        if isinstance(sensor, VirtualHeartRateStrap):
            entry["hr_notifications"] = sensor.heart.log.notifications
            entry["rr_count"] = len(sensor.heart.log.rr_1024)
        if isinstance(sensor, VirtualPolarH10):
            entry["streams"] = {m.name: vars(log) for m, log in sensor.logs.items()}
        out[sensor.address] = entry
    return out


async def serve(args: argparse.Namespace) -> None:
    link = LocalLink()  # type: ignore[no-untyped-call]  # unannotated in bumble 0.0.236
    transport = await open_transport(f"tcp-server:127.0.0.1:{args.port}")
    cancellable_controller_class()("air-central", host_source=transport.source, host_sink=transport.sink, link=link)
    sensors = build(link, args)
    for sensor in sensors:
        await sensor.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print("ready", flush=True)
    await stop.wait()
    if args.stats is not None:
        args.stats.write_text(json.dumps(stats(sensors)))
    for sensor in sensors:
        await sensor.stop()
    await transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sensors.virtual.air", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--h10", type=int, default=1, help="virtual Polar H10s")
    parser.add_argument("--strap", type=int, default=0, help="virtual standard HR straps")
    parser.add_argument("--time-scale", type=float, default=1.0, help="device seconds per real second")
    parser.add_argument("--ppm", type=float, default=20.0, help="clock drift of the first H10 (the n-th: n times)")
    parser.add_argument("--drop-every", type=int, default=0, help="drop every n-th PMD frame (0: none)")
    parser.add_argument("--stats", type=Path, default=None, help="write what was sent here (JSON) on exit")
    # the virtual controllers warn about packets in flight on a link that just closed: noise, not news
    logging.getLogger("bumble").setLevel(logging.ERROR)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
