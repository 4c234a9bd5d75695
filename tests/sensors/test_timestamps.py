"""Sample times: Polar's spreading, lost frames marked (never invented), restarts, clock resets, drift."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.errors import DecodeError
from sensors.timestamps import ClockSync, SampleClock

T0 = 599_616_000_000_000_000  # H10 default clock, ns since 2000 (above 2**53: floats would round)
PERIOD = 5_000_000  # 200 Hz
N = 36


def _frames(n_frames: int, ppm: float = 0.0) -> list[int]:
    """Last-sample timestamps of consecutive 36-sample frames on a clock ``ppm`` off."""
    return [T0 + round(((k + 1) * N - 1) * PERIOD * (1 + ppm * 1e-6)) for k in range(n_frames)]


def test_first_frame_uses_nominal_spacing_ending_at_its_timestamp() -> None:
    placed = SampleClock(200.0).place(T0, N)
    assert placed.t_ns[-1] == T0 and np.all(np.diff(placed.t_ns) == PERIOD)
    assert placed.t_ns.dtype == np.int64 and placed.gap_ns == 0


def test_later_frames_are_spread_from_the_previous_timestamp_exactly_in_integers() -> None:
    clock = SampleClock(200.0)
    stamps = _frames(3, ppm=20)
    placed = [clock.place(ts, N) for ts in stamps]
    assert placed[1].t_ns[0] > placed[0].t_ns[-1] and placed[2].t_ns[-1] == stamps[2]
    assert all(p.gap_ns == 0 and p.lost_samples == 0 for p in placed)


def test_a_lost_frame_is_marked_not_stretched() -> None:
    clock = SampleClock(200.0)
    stamps = _frames(4)
    clock.place(stamps[0], N)
    clock.place(stamps[1], N)
    placed = clock.place(stamps[3], N)  # frame 2 lost
    assert placed.lost_samples == N and placed.gap_ns == N * PERIOD
    assert np.all(np.diff(placed.t_ns) == PERIOD) and placed.t_ns[-1] == stamps[3]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=60), st.floats(-100, 100))
def test_every_gap_detected_and_none_invented(kept: list[bool], ppm: float) -> None:
    kept[0] = True
    stamps = _frames(len(kept), ppm)
    clock = SampleClock(200.0)
    lost = 0
    expected_lost = 0
    missing = 0
    for ts, keep in zip(stamps, kept):
        if not keep:
            missing += N
            continue
        placed = clock.place(ts, N)
        assert (placed.gap_ns > 0) == (missing > 0)
        lost += placed.lost_samples
        expected_lost += missing
        missing = 0
    assert lost == expected_lost


def test_restart_marks_the_time_the_stream_was_off() -> None:
    clock = SampleClock(200.0)
    clock.place(T0, N)
    clock.restart()
    placed = clock.place(T0 + 10 * N * PERIOD, N)
    assert placed.lost_samples == 9 * N and np.all(np.diff(placed.t_ns) == PERIOD)
    clock.restart()
    seamless = clock.place(T0 + 11 * N * PERIOD, N)  # restarted, but nothing missing: no gap
    assert seamless.gap_ns == 0


def test_clock_reset_is_reported_not_an_error() -> None:
    clock = SampleClock(200.0)
    clock.place(T0 + 10**15, N)
    placed = clock.place(T0 + N * PERIOD, N)
    assert placed.clock_reset and placed.t_ns[-1] == T0 + N * PERIOD


def test_repeated_timestamp_and_empty_frame_raise() -> None:
    clock = SampleClock(200.0)
    clock.place(T0, N)
    with pytest.raises(DecodeError, match="repeats"):
        clock.place(T0, N)
    with pytest.raises(DecodeError, match="without samples"):
        clock.place(T0 + 1, 0)
    with pytest.raises(ValueError, match="fs_hz"):
        SampleClock(0.0)


def test_clock_sync_follows_drift_and_takes_the_lower_envelope() -> None:
    rng = np.random.default_rng(3)
    host0 = 1_795_000_000_000_000_000
    sync = ClockSync()
    drift_ppm = 40.0
    for k in range(0, 3000):  # 10 min of frames every 0.2 s
        device = T0 + k * 200_000_000
        true_host = host0 + round(k * 200_000_000 * (1 + drift_ppm * 1e-6))
        sync.observe(device, true_host + int(rng.gamma(2.0, 5e6)) + 2_000_000)
    assert sync.drift_ppm == pytest.approx(drift_ppm, abs=2.0)
    device = T0 + 2999 * 200_000_000
    truth = host0 + round(2999 * 200_000_000 * (1 + drift_ppm * 1e-6))
    assert abs(int(sync.to_host(device)) - truth - 2_000_000) < 3_000_000  # within 3 ms of true + min latency
    assert sync.resets == 0


def test_clock_sync_starts_over_when_the_device_clock_resets() -> None:
    sync = ClockSync()
    host0 = 1_795_000_000_000_000_000
    for k in range(50):
        sync.observe(T0 + 10**15 + k * 10**9, host0 + k * 10**9 + 5_000_000)
    assert sync.observe(T0, host0 + 60 * 10**9 + 5_000_000)
    assert sync.resets == 1 and sync.to_host(T0) == host0 + 60 * 10**9 + 5_000_000
    with pytest.raises(ValueError, match="no frame"):
        ClockSync().to_host(T0)


def test_clock_sync_maps_arrays_with_drift_in_integer_ns() -> None:
    sync = ClockSync(window_s=1.0)
    host0 = 1_795_000_000_000_000_000
    for k in range(20):
        sync.observe(T0 + k * 10**9, host0 + k * (10**9 + 100_000))  # device clock 100 ppm slow
    device = np.array([T0, T0 + 19 * 10**9], dtype=np.int64)
    host = sync.to_host(device)
    assert isinstance(host, np.ndarray) and host.dtype == np.int64
    assert np.all(np.abs(host - np.array([host0, host0 + 19 * (10**9 + 100_000)])) <= 1)
    assert sync.drift_ppm == pytest.approx(100.0, abs=0.01)
