"""Tier 3: the real reader, through bleak's public API and the Bumble backend, against virtual sensors.

Everything crosses real HCI / LL / L2CAP / ATT / GATT on an in-process Bumble link: MTU exchange, CCCD
writes, indications, notifications, unsolicited disconnects. Device clocks run 20x faster than the loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

from sensors.ble import StreamSettings
from sensors.decode import HeartRateSample
from sensors.errors import DeviceError
from sensors.gatt import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE, PMD_CONTROL_POINT, PMD_DATA
from sensors.heart_rate import decode_heart_rate
from sensors.polar_pmd import H10_DEFAULT_CLOCK_NS, Measurement, Setting
from sensors.virtual.hr_strap import VirtualHeartRateStrap
from sensors.virtual.peripheral import DeviceClock
from sensors.virtual.polar_h10 import H10Faults, VirtualPolarH10

from .air import H10_ADDR, H10_ADDR_2, STRAP_ADDR, Air, Session, indexes_of, read, until

FAST = 20.0


def h10(addr: str = H10_ADDR, *, faults: H10Faults | None = None, max_mtu: int = 232, ppm: float = 0.0,
        start_ns: int = H10_DEFAULT_CLOCK_NS) -> Any:
    clock = DeviceClock(time_scale=FAST, ppm=ppm, start_ns=start_ns)
    return lambda air: VirtualPolarH10(air.link, addr, clock=clock, faults=faults, max_mtu=max_mtu)


def strap(addr: str = STRAP_ADDR) -> Any:
    return lambda air: VirtualHeartRateStrap(air.link, addr, clock=DeviceClock(time_scale=FAST))


def scenario(makers: list[Any], body: Any, *, mtu: int | None = 517) -> Any:
    async def run() -> Any:
        air = Air(mtu=mtu)
        try:
            sensors = [await air.add(make(air)) for make in makers]
            return await body(air, *sensors)
        finally:
            await air.close()

    return asyncio.run(run())


def test_backend_implements_exactly_the_bleak_3_1_abstract_interface() -> None:
    # bleak's backend API is not stable: an upgrade that changes it must fail here, loudly.
    assert BaseBleakClient.__abstractmethods__ == {
        "connect", "disconnect", "pair", "unpair", "is_connected", "mtu_size", "read_gatt_char",
        "read_gatt_descriptor", "write_gatt_char", "write_gatt_descriptor", "start_notify", "stop_notify",
    }
    assert BaseBleakScanner.__abstractmethods__ == {"start", "stop"}


def test_scanner_finds_sensors_by_service_through_bleak() -> None:
    async def body(air: Air, *_: Any) -> set[str]:
        found = await BleakScanner.discover(timeout=0.3, service_uuids=[HEART_RATE_SERVICE],
                                            backend=air.backend.scanner, radio=air.radio)
        device = await BleakScanner.find_device_by_filter(lambda d, ad: d.name == "Polar H10 VIRT0001", timeout=2.0,
                                                          backend=air.backend.scanner, radio=air.radio)
        assert device is not None and device.address == H10_ADDR
        return {d.address for d in found}

    assert scenario([h10(), strap()], body) == {H10_ADDR, STRAP_ADDR}


def test_client_exchanges_mtu_discovers_gatt_and_reports_only_unsolicited_disconnects() -> None:
    async def body(air: Air, sensor: VirtualPolarH10) -> None:
        lost: list[Any] = []
        device = await BleakScanner.find_device_by_address(H10_ADDR, timeout=2.0, backend=air.backend.scanner,
                                                            radio=air.radio)
        assert device is not None
        client = BleakClient(device, disconnected_callback=lost.append, backend=air.backend.client, radio=air.radio)
        await client.connect()
        assert client.mtu_size == 232
        assert "indicate" in client.services.get_characteristic(PMD_CONTROL_POINT).properties
        assert (await client.read_gatt_char(PMD_CONTROL_POINT))[:2] == b"\x0f\x05"
        packets: list[bytes] = []
        await client.start_notify(HEART_RATE_MEASUREMENT, lambda _, data: packets.append(bytes(data)))
        await until(lambda: len(packets) >= 2)
        assert decode_heart_rate(packets[0]).bpm > 0
        await sensor.drop_link()
        await until(lambda: bool(lost))
        assert not client.is_connected
        await client.connect()
        await client.disconnect()
        assert len(lost) == 1  # the disconnect we asked for is not reported

    scenario([h10()], body)


def test_without_an_mtu_exchange_the_h10_refuses_pmd_and_the_reader_says_why() -> None:
    async def body(air: Air, _: Any) -> None:
        with pytest.raises(DeviceError, match="MTU of only 23 bytes.*at least 70"):
            await read(air, [H10_ADDR], lambda s: False)

    scenario([h10()], body, mtu=None)


def test_a_sensor_refusing_a_larger_mtu_is_one_clear_error() -> None:
    async def body(air: Air, _: Any) -> None:
        with pytest.raises(DeviceError, match="MTU"):
            await read(air, [H10_ADDR], lambda s: False)

    scenario([h10(max_mtu=23)], body)


def test_a_refused_setting_names_what_the_sensor_allows() -> None:
    faults = H10Faults(allowed={Measurement.ACC: {Setting.SAMPLE_RATE: (25, 50, 100)}})

    async def body(air: Air, sensor: VirtualPolarH10) -> None:
        with pytest.raises(DeviceError) as exc:
            await read(air, [H10_ADDR], lambda s: False, settings=StreamSettings(strict=True))
        assert "refused ACC sample rate 200 Hz (invalid sample rate); it allows 25 Hz, 50 Hz, 100 Hz" in str(exc.value)
        assert sensor.connections == 1  # a refusal is not retried

    scenario([h10(faults=faults)], body)


def test_h10_and_strap_at_once_every_sample_and_beat_arrives_in_order() -> None:
    async def body(air: Air, sensor: VirtualPolarH10, hrm: VirtualHeartRateStrap) -> Session:
        session = await read(air, [H10_ADDR, STRAP_ADDR],
                             lambda s: len(s.frames(H10_ADDR)) >= 30 and hrm.heart.log.notifications >= 5)
        writes = [e.payload for e in session.events if e.kind == "write"]
        assert writes[0].hex(" ") == "02 02 00 01 c8 00 01 01 10 00 02 01 08 00"
        # indications were enabled before the first command: the START answer came back
        assert sensor.commands[0] == writes[0] and sensor.logs[Measurement.ACC].starts == 1
        return session

    session = scenario([h10(), strap()], body)
    idx = indexes_of(session.values(H10_ADDR))
    assert idx[0] == 0 and np.all(np.diff(idx) == 1)
    assert all(f.gap_ns == 0 for f in session.frames(H10_ADDR))
    t = np.concatenate([f.device_t_ns for f in session.frames(H10_ADDR)])
    assert np.all(np.diff(t) == 5_000_000)
    rr = [r.rr_ms for r in session.records if isinstance(r, HeartRateSample) and r.addr == STRAP_ADDR]
    assert len(rr) >= 5 and all(r for r in rr[1:])
    assert sum(session.decoder.errors.values()) == 0


def test_dropped_frames_every_gap_marked_none_invented() -> None:
    async def body(air: Air, sensor: VirtualPolarH10) -> tuple[Session, int, int]:
        session = await read(air, [H10_ADDR], lambda s: len(s.frames(H10_ADDR)) >= 40)
        log = sensor.logs[Measurement.ACC]
        return session, log.dropped_frames, log.dropped_samples

    session, dropped_frames, dropped_samples = scenario([h10(faults=H10Faults(drop_every_nth_frame=5), ppm=30)], body)
    frames = session.frames(H10_ADDR)
    idx = indexes_of(session.values(H10_ADDR))
    jumps = np.diff(idx) != 1
    assert jumps.sum() == sum(f.gap_ns > 0 for f in frames)
    # every gap the decoder marked is exactly where samples are missing, with the right count
    starts = np.cumsum([len(f.values) for f in frames])[:-1]
    for frame, first in zip(frames[1:], starts):
        assert frame.lost_samples == idx[first] - idx[first - 1] - 1
    received_span = idx[-1] + 1
    assert sum(f.lost_samples for f in frames) == received_span - len(idx) > 0
    assert dropped_frames >= 8 and dropped_samples >= received_span - len(idx)


def test_link_drop_reconnects_restarts_streams_and_marks_the_gap() -> None:
    async def faults(session: Session) -> None:
        sensor: VirtualPolarH10 = faults.sensor  # type: ignore[attr-defined]
        await until(lambda: len(session.frames(H10_ADDR)) >= 10)
        await sensor.drop_link(away_s=0.2)

    async def body(air: Air, sensor: VirtualPolarH10) -> tuple[Session, int, int]:
        faults.sensor = sensor  # type: ignore[attr-defined]
        session = await read(air, [H10_ADDR], lambda s: len(s.frames(H10_ADDR)) >= 30 and sensor.connections == 2,
                             during=faults)
        return session, sensor.connections, sensor.logs[Measurement.ACC].starts

    session, connections, starts = scenario([h10()], body)
    assert connections == 2 and starts == 2
    assert [e.kind for e in session.events if e.kind in ("connected", "disconnected")][:3] == [
        "connected", "disconnected", "connected"]
    frames = session.frames(H10_ADDR)
    gaps = [f for f in frames if f.gap_ns > 0]
    assert len(gaps) == 1 and gaps[0].gap_ns > 0.2 * FAST * 1e9 * 0.5  # away 0.2 s at 20x: seconds of device time
    t = np.concatenate([f.device_t_ns for f in frames])
    assert np.all(np.diff(t) > 0)


def test_power_cycle_resets_the_device_clock_and_the_timeline_stays_continuous() -> None:
    async def faults(session: Session) -> None:
        await until(lambda: len(session.frames(H10_ADDR)) >= 10)
        await faults.sensor.power_cycle(away_s=0.1)  # type: ignore[attr-defined]

    async def body(air: Air, sensor: VirtualPolarH10) -> Session:
        faults.sensor = sensor  # type: ignore[attr-defined]
        return await read(air, [H10_ADDR], lambda s: len(s.frames(H10_ADDR)) >= 25 and sensor.connections == 2,
                          during=faults)

    set_by_phone_ns = 847_000_000_000_000_000  # 2026-11: an H10 whose clock was set, then lost power
    session = scenario([h10(start_ns=set_by_phone_ns)], body)
    frames = session.frames(H10_ADDR)
    resets = [f for f in frames if f.clock_reset]
    assert len(resets) == 1  # (the gap across a reset is measured on host time: see test_decode.py)
    t = np.concatenate([f.device_t_ns for f in frames])
    assert np.all(np.diff(t) > 0)


def test_device_initiated_stop_is_restarted() -> None:
    async def faults(session: Session) -> None:
        await until(lambda: len(session.frames(H10_ADDR)) >= 5)
        await faults.sensor.device_stops(Measurement.ACC)  # type: ignore[attr-defined]

    async def body(air: Air, sensor: VirtualPolarH10) -> tuple[Session, int]:
        faults.sensor = sensor  # type: ignore[attr-defined]
        session = await read(air, [H10_ADDR], lambda s: sensor.logs[Measurement.ACC].starts == 2
                             and len(s.frames(H10_ADDR)) >= 15, during=faults)
        return session, sensor.connections

    session, connections = scenario([h10()], body)
    assert connections == 1
    stops = [e for e in session.events if e.char == PMD_CONTROL_POINT and e.payload[:1] == b"\x01"]
    assert len(stops) == 1


def test_ecg_and_acc_together_and_malformed_packets_are_counted_not_fatal() -> None:
    async def faults(session: Session) -> None:
        await until(lambda: len(session.frames(H10_ADDR)) >= 2)
        sensor: VirtualPolarH10 = faults.sensor  # type: ignore[attr-defined]
        await sensor.notify_raw(sensor.hr_char, b"\x01")
        await sensor.notify_raw(sensor.data_char, b"\x02\x00")

    async def body(air: Air, sensor: VirtualPolarH10) -> Session:
        faults.sensor = sensor  # type: ignore[attr-defined]
        return await read(air, [H10_ADDR], lambda s: len(s.frames(H10_ADDR, Measurement.ECG)) >= 5
                          and sum(s.decoder.errors.values()) == 2, settings=StreamSettings(ecg=True), during=faults)

    session = scenario([h10()], body)
    ecg = session.values(H10_ADDR, Measurement.ECG)[:, 0]
    assert ecg.shape[0] >= 5 * 73
    assert np.all((np.diff(ecg) - 37) % 4001 == 0)  # consecutive samples of the virtual ECG
    assert session.decoder.errors[(H10_ADDR, HEART_RATE_MEASUREMENT)] == 1
    assert session.decoder.errors[(H10_ADDR, PMD_DATA)] == 1


def test_delta_frames_with_a_factor_like_a_verity_sense() -> None:
    faults = H10Faults(compressed=True, factor=2.0)

    async def body(air: Air, _: Any) -> Session:
        return await read(air, [H10_ADDR], lambda s: len(s.frames(H10_ADDR)) >= 5)

    session = scenario([h10(faults=faults)], body)
    values = session.values(H10_ADDR)
    raw = values // 2
    assert np.all(values == raw * 2)
    idx = indexes_of(raw)
    assert np.all(np.diff(idx) == 1)


def test_three_sensors_connect_concurrently() -> None:
    async def body(air: Air, *_: Any) -> Session:
        return await read(air, [H10_ADDR, H10_ADDR_2, STRAP_ADDR],
                          lambda s: all(len(s.frames(a)) >= 5 for a in (H10_ADDR, H10_ADDR_2)))

    session = scenario([h10(), h10(H10_ADDR_2), strap()], body)
    assert [e.kind for e in session.events].count("connected") == 3


def test_a_sensor_still_streaming_from_a_lost_session_is_stopped_and_started_again() -> None:
    faults = H10Faults(keeps_streaming=True)

    async def drop(session: Session) -> None:
        await until(lambda: len(session.frames(H10_ADDR)) >= 5)
        await drop.sensor.drop_link()  # type: ignore[attr-defined]

    async def body(air: Air, sensor: VirtualPolarH10) -> list[bytes]:
        drop.sensor = sensor  # type: ignore[attr-defined]
        await read(air, [H10_ADDR], lambda s: sensor.connections == 2 and len(s.frames(H10_ADDR)) >= 15, during=drop)
        return sensor.commands

    commands = scenario([h10(faults=faults)], body)
    start = "02020001c8000101100002010800"
    assert [c.hex() for c in commands][:4] == [start, start, "0302", start]  # START -> ALREADY_IN_STATE -> STOP, START


def test_a_sensor_away_through_several_failed_attempts_is_found_again() -> None:
    async def away(session: Session) -> None:
        await until(lambda: len(session.frames(H10_ADDR)) >= 5)
        await away.sensor.drop_link(away_s=1.5)  # type: ignore[attr-defined]

    async def body(air: Air, sensor: VirtualPolarH10) -> tuple[Session, int]:
        away.sensor = sensor  # type: ignore[attr-defined]
        session = await read(air, [H10_ADDR], lambda s: sensor.connections == 2 and len(s.frames(H10_ADDR)) >= 10,
                             during=away, timeout_s=15.0, connect_timeout_s=0.3)
        return session, session.links[0].reconnects

    session, reconnects = scenario([h10()], body)
    assert reconnects >= 2  # failed attempts while it was away, then the one that worked
    gaps = [f for f in session.frames(H10_ADDR) if f.gap_ns > 0]
    assert len(gaps) == 1 and gaps[0].gap_ns >= 1.5 * FAST * 1e9 * 0.9


def test_without_strict_settings_each_sensor_streams_the_closest_it_offers() -> None:
    verity = H10Faults(allowed={Measurement.ACC: {Setting.SAMPLE_RATE: (26, 52), Setting.RANGE: (2, 4, 8, 16)}},
                       compressed=True)

    async def body(air: Air, *_: Any) -> Session:
        settings = StreamSettings(acc_rate_hz=200, acc_range_g=8)
        return await read(air, [H10_ADDR, H10_ADDR_2], lambda s: len(s.frames(H10_ADDR_2)) >= 3
                          and len(s.frames(H10_ADDR)) >= 3, settings=settings)

    session = scenario([h10(), h10(H10_ADDR_2, faults=verity)], body)
    h10_t = session.frames(H10_ADDR)[1].device_t_ns
    verity_t = session.frames(H10_ADDR_2)[1].device_t_ns
    assert np.all(np.diff(h10_t) == 5_000_000)
    assert np.all(np.abs(np.diff(verity_t) - 1e9 / 52) <= 1)
    links = {link.device.address: link.info.streams for link in session.links}
    assert links[H10_ADDR]["acc"] == {"sample_rate_hz": 200, "resolution_bits": 16, "range_g": 8}
    assert links[H10_ADDR_2]["acc"]["sample_rate_hz"] == 52


def test_ecg_is_streamed_from_the_sensors_that_offer_it() -> None:
    no_ecg = H10Faults(offers=(Measurement.ACC,))

    async def body(air: Air, *_: Any) -> Session:
        return await read(air, [H10_ADDR, H10_ADDR_2], lambda s: len(s.frames(H10_ADDR, Measurement.ECG)) >= 2
                          and len(s.frames(H10_ADDR_2)) >= 3, settings=StreamSettings(ecg=True))

    session = scenario([h10(), h10(H10_ADDR_2, faults=no_ecg)], body)
    assert not session.frames(H10_ADDR_2, Measurement.ECG)

    async def strict(air: Air, *_: Any) -> None:
        with pytest.raises(DeviceError, match="does not offer ECG; it offers ACC"):
            await read(air, [H10_ADDR_2], lambda s: False, settings=StreamSettings(ecg=True, strict=True))

    scenario([h10(H10_ADDR_2, faults=no_ecg)], strict)
