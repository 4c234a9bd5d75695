"""Writes ``fixtures/sensors/virtual_h10_faults``: a trace the real reader recorded from the virtual radio.

    .venv/bin/python -m tests.sensors.make_fixtures

A virtual Polar H10 (ACC 200 Hz + ECG + HR, every 10th PMD frame dropped, link lost for 1 s) and a
virtual HR strap (one malformed notification), in real time for 6 s, read by ``sensors.ble`` over the
Bumble backend and written with ``TraceWriter``. What the sensors really sent goes into ``truth``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sensors.ble import StreamSettings
from sensors.polar_pmd import Measurement
from sensors.trace import TraceWriter
from sensors.virtual.hr_strap import VirtualHeartRateStrap
from sensors.virtual.peripheral import DeviceClock
from sensors.virtual.polar_h10 import H10Faults, VirtualPolarH10
from tests.sensors.air import H10_ADDR, STRAP_ADDR, Air, Session, read, until

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "fixtures" / "sensors" / "virtual_h10_faults"
SECONDS = 6.0


async def record() -> tuple[Session, dict[str, Any]]:
    air = Air()
    h10 = await air.add(VirtualPolarH10(air.link, H10_ADDR, clock=DeviceClock(ppm=25.0),
                                        faults=H10Faults(drop_every_nth_frame=10)))
    strap = await air.add(VirtualHeartRateStrap(air.link, STRAP_ADDR, clock=DeviceClock()))

    async def faults(session: Session) -> None:
        await until(lambda: h10.heart.log.notifications >= 2)
        await h10.drop_link(away_s=1.0)
        await until(lambda: strap.heart.log.notifications >= 4)
        await strap.notify_raw(strap.hr_char, b"\x11")

    loop = asyncio.get_running_loop()
    end = loop.time() + SECONDS
    try:
        session = await read(air, [H10_ADDR, STRAP_ADDR], lambda s: loop.time() > end,
                             settings=StreamSettings(ecg=True), timeout_s=SECONDS + 5, during=faults)
        truth = {
            H10_ADDR: {"connections": h10.connections,
                       **{m.name.lower(): vars(h10.logs[m]) for m in (Measurement.ACC, Measurement.ECG)}},
            STRAP_ADDR: {"hr_notifications": strap.heart.log.notifications, "rr_1024": strap.heart.log.rr_1024,
                         "malformed_notifications": 1},
        }
        return session, truth
    finally:
        await air.close()


def main() -> None:
    session, truth = asyncio.run(record())
    devices = [_device(link) for link in session.links]
    meta = {
        "description": "Virtual H10 (ACC + ECG + HR) and HR strap with faults, recorded by the real reader",
        "synthetic": True,
        "provenance": "SYNTHETIC: recorded by tests/sensors/make_fixtures.py from sensors.virtual peripherals over "
        "the Bumble backend (sensors.bumble_backend); not a person, not real hardware.",
        "devices": devices,
        "truth": truth,
    }
    (FOLDER / "trace.jsonl").unlink(missing_ok=True)
    with TraceWriter(FOLDER, meta) as writer:
        for event in session.events:
            writer.write(event)
    print(f"wrote {FOLDER}: {len(session.events)} events")


def _device(link: Any) -> dict[str, Any]:
    return {"address": link.device.address, "name": link.device.name, "kind": link.info.kind, "mtu": link.info.mtu,
            "gatt": link.info.gatt, "reads": link.info.reads}


if __name__ == "__main__":
    main()
