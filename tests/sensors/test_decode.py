"""StreamDecoder: raw events -> records; gaps across lost frames, reconnects and clock resets; bad packets."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.decode import ControlEvent, SampleFrame, StreamDecoder
from sensors.gatt import HEART_RATE_MEASUREMENT, PMD_CONTROL_POINT, PMD_DATA
from sensors.heart_rate import encode_heart_rate
from sensors.pmd_frames import encode_delta_frame, encode_raw_frame
from sensors.polar_pmd import Measurement, Setting, Status, encode_response, encode_settings, start_command
from sensors.trace import TraceEvent

ADDR = "A0:9E:1A:00:00:01"
T0 = 599_616_000_000_000_000
HOST0 = 1_795_000_000_000_000_000
PERIOD = 5_000_000
N = 36


def start(t_ns: int, rate_hz: int = 200) -> TraceEvent:
    command = start_command(Measurement.ACC, {Setting.SAMPLE_RATE: rate_hz, Setting.RESOLUTION: 16, Setting.RANGE: 8})
    return TraceEvent(t_ns, ADDR, "write", PMD_CONTROL_POINT, command)


def frame(k: int, *, device0: int = T0, host0: int = HOST0, first_index: int | None = None) -> TraceEvent:
    """Frame ``k`` of a 200 Hz stream: samples k*36 .. k*36+35, arriving 20 ms after its last sample."""
    first = k * N if first_index is None else first_index
    samples = [(i, -i, 1000) for i in range(first, first + N)]
    last_ns = (k + 1) * N * PERIOD - PERIOD
    return TraceEvent(host0 + last_ns + 20_000_000, ADDR, "notify", PMD_DATA,
                      encode_raw_frame(Measurement.ACC, device0 + last_ns, samples))


def frames_of(decoder: StreamDecoder, events: list[TraceEvent]) -> list[SampleFrame]:
    return [r for e in events for r in decoder.feed(e) if isinstance(r, SampleFrame)]


def test_continuous_stream_has_exact_5ms_spacing_and_no_gaps() -> None:
    got = frames_of(StreamDecoder(), [start(HOST0)] + [frame(k) for k in range(10)])
    t = np.concatenate([f.device_t_ns for f in got])
    assert np.all(np.diff(t) == PERIOD) and all(f.gap_ns == 0 for f in got)


def test_lost_frame_marked_with_its_samples() -> None:
    got = frames_of(StreamDecoder(), [start(HOST0)] + [frame(k) for k in (0, 1, 2, 4, 5)])
    assert [f.lost_samples for f in got] == [0, 0, 0, N, 0]
    assert got[3].gap_ns == N * PERIOD


def test_reconnect_gap_is_marked_from_the_device_clock() -> None:
    events = [start(HOST0)] + [frame(k) for k in range(3)]
    events += [TraceEvent(HOST0 + 10**9, ADDR, "disconnected"), TraceEvent(HOST0 + 5 * 10**9, ADDR, "connected"),
               start(HOST0 + 5 * 10**9)] + [frame(k) for k in range(30, 33)]
    got = frames_of(StreamDecoder(), events)
    assert [f.lost_samples for f in got] == [0, 0, 0, 27 * N, 0, 0]


def test_clock_reset_is_bridged_on_host_time_and_the_timeline_continues() -> None:
    set_clock = 847_000_000_000_000_000
    events = [start(HOST0)] + [frame(k, device0=set_clock) for k in range(3)]
    # 60 s later the strap is back, its clock reset to 2019-01-01
    events += [TraceEvent(HOST0 + 10**9, ADDR, "disconnected"), start(HOST0 + 60 * 10**9)]
    events += [frame(k, device0=T0, host0=HOST0 + 60 * 10**9, first_index=10_000 + k * N) for k in range(3)]
    decoder = StreamDecoder()
    got = frames_of(decoder, events)
    reset = got[3]
    assert reset.clock_reset and [f.clock_reset for f in got].count(True) == 1
    expected_gap_ns = 60 * 10**9 - 3 * N * PERIOD  # host time between the frames, less the stream's own time
    assert abs(reset.gap_ns - expected_gap_ns) < PERIOD and reset.lost_samples == round(reset.gap_ns / PERIOD)
    t = np.concatenate([f.device_t_ns for f in got])
    assert np.all(np.diff(t) > 0)
    assert got[4].gap_ns == 0 and np.all(np.diff(got[4].device_t_ns) == PERIOD)
    assert decoder.device(ADDR).sync.resets == 0  # the continued timeline needs no new clock mapping


def test_start_response_factor_applies_to_delta_frames() -> None:
    samples = [(10, -20, 30), (11, -21, 33)]
    events = [
        start(HOST0),
        TraceEvent(HOST0 + 1, ADDR, "notify", PMD_CONTROL_POINT,
                   encode_response(2, 2, Status.SUCCESS, encode_settings({Setting.FACTOR: (2.0,)}))),
        TraceEvent(HOST0 + 2, ADDR, "notify", PMD_DATA, encode_delta_frame(Measurement.ACC, T0, samples)),
    ]
    decoder = StreamDecoder()
    records = [r for e in events for r in decoder.feed(e)]
    assert isinstance(records[0], ControlEvent)
    got = [r for r in records if isinstance(r, SampleFrame)]
    assert got[0].values.tolist() == [[20, -40, 60], [22, -42, 66]]


def test_sample_rate_comes_from_the_start_command() -> None:
    events = [start(HOST0, rate_hz=50)]
    events += [TraceEvent(HOST0 + k, ADDR, "notify", PMD_DATA,
                          encode_raw_frame(Measurement.ACC, T0 + k * 10 * 20_000_000, [(0, 0, 0)] * 10))
               for k in (1, 2, 4)]
    got = frames_of(StreamDecoder(), events)
    assert np.all(np.diff(got[0].device_t_ns) == 20_000_000)
    assert [f.lost_samples for f in got] == [0, 0, 10]


def test_bad_packets_are_counted_per_characteristic_and_skipped() -> None:
    decoder = StreamDecoder()
    events = [
        TraceEvent(1, ADDR, "notify", HEART_RATE_MEASUREMENT, b"\x01"),
        TraceEvent(2, ADDR, "notify", PMD_DATA, b"\x02\x00"),
        TraceEvent(3, ADDR, "notify", PMD_CONTROL_POINT, b"\x7f"),
        TraceEvent(4, ADDR, "notify", HEART_RATE_MEASUREMENT, encode_heart_rate(61, (1000,))),
        frame(0),
        frame(0),  # the same frame twice: a repeated timestamp
    ]
    records = [r for e in events for r in decoder.feed(e)]
    assert len(records) == 2
    assert decoder.errors[(ADDR, HEART_RATE_MEASUREMENT)] == 1
    assert decoder.errors[(ADDR, PMD_DATA)] == 2
    assert decoder.errors[(ADDR, PMD_CONTROL_POINT)] == 1
    assert "repeats" in decoder.last_error[(ADDR, PMD_DATA)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["notify", "write", "connected", "disconnected"]),
                          st.sampled_from([HEART_RATE_MEASUREMENT, PMD_DATA, PMD_CONTROL_POINT, "0000ffff-0000"]),
                          st.binary(max_size=60)), max_size=30))
def test_any_event_sequence_is_decoded_or_counted_never_raised(events: list[tuple[str, str, bytes]]) -> None:
    decoder = StreamDecoder()
    for t, (kind, char, payload) in enumerate(events):
        decoder.feed(TraceEvent(t, ADDR, kind, char, payload))  # type: ignore[arg-type]
