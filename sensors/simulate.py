"""A simulated Polar H10: motion and a beating heart in, the exact GATT events it would send out.

Used to write the bundled demo trace and by tests. The heart is a first-order HR response to effort with
respiratory sinus arrhythmia; the accelerometer stream is sampled on a device clock that drifts against
the host, framed 36 samples per notification (MTU 232) and delivered with BLE latency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.gatt import HEART_RATE_MEASUREMENT, PMD_CONTROL_POINT, PMD_DATA
from sensors.heart_rate import RR_UNITS_PER_S, encode_heart_rate
from sensors.pmd_frames import encode_raw_frame
from sensors.polar_pmd import H10_DEFAULT_CLOCK_NS, Measurement, Setting, start_command
from sensors.trace import TraceEvent

ACC_SAMPLES_PER_FRAME = 36
ACC_RANGE_MG = 8000


@dataclass(frozen=True)
class HeartModel:
    """Heart rate response to effort (0 = rest, 1 = a hard set), in bpm, with time constants in s."""

    rest_bpm: float = 64.0
    work_bpm: float = 138.0
    rise_tau_s: float = 18.0
    recovery_tau_s: float = 45.0
    rsa_ms: float = 45.0
    breath_hz: float = 0.25


def heart_beats(effort: np.ndarray, fs_hz: float, model: HeartModel, rng: np.random.Generator) -> np.ndarray:
    """RR intervals (ms) of a heart following ``effort`` sampled at ``fs_hz``; beats fill the duration."""
    dt = 1.0 / fs_hz
    target = model.rest_bpm + (model.work_bpm - model.rest_bpm) * np.clip(effort, 0.0, 1.5)
    bpm = np.empty_like(target)
    level = model.rest_bpm
    for i, goal in enumerate(target):
        tau = model.rise_tau_s if goal > level else model.recovery_tau_s
        level += (goal - level) * (1.0 - np.exp(-dt / tau))
        bpm[i] = level
    duration_s = len(effort) / fs_hz
    rr: list[float] = []
    t = 0.0
    while t < duration_s:
        hr = bpm[min(int(t * fs_hz), len(bpm) - 1)]
        vagal = np.clip((110.0 - hr) / 46.0, 0.15, 1.0)
        rr_ms = 60000.0 / hr + model.rsa_ms * vagal * np.sin(2 * np.pi * model.breath_hz * t) + rng.normal(0, 6)
        rr.append(float(rr_ms))
        t += rr_ms / 1000.0
    return np.asarray(rr)


def heart_rate_events(addr: str, host_t0_ns: int, rr_ms: np.ndarray, rng: np.random.Generator) -> list[TraceEvent]:
    """0x2A37 notifications once a second, each carrying the RR intervals that ended since the last."""
    beat_end_s = np.cumsum(rr_ms) / 1000.0
    events = []
    sent = 0
    second = 1
    while sent < len(rr_ms):
        due = int(np.searchsorted(beat_end_s, second, side="right"))
        window = rr_ms[max(0, due - 4) : due] if due else rr_ms[:1]
        bpm = int(round(60000.0 / float(np.mean(window))))
        rr_1024 = tuple(int(round(v * RR_UNITS_PER_S / 1000.0)) for v in rr_ms[sent:due])
        latency_ns = int(rng.uniform(5e6, 30e6))
        events.append(
            TraceEvent(host_t0_ns + second * 1_000_000_000 + latency_ns, addr, "notify",
                       HEART_RATE_MEASUREMENT, encode_heart_rate(bpm, rr_1024))
        )
        sent = due
        second += 1
    return events


def acc_events(
    addr: str,
    host_t0_ns: int,
    acc_g: np.ndarray,
    fs_hz: float,
    rng: np.random.Generator,
    *,
    device_t0_ns: int = H10_DEFAULT_CLOCK_NS,
    drift_ppm: float = 20.0,
) -> list[TraceEvent]:
    """PMD ACC frames (raw type 0x01, int16 mG) as an H10 at MTU 232 sends them."""
    mg = np.clip(np.round(acc_g * 1000.0), -ACC_RANGE_MG, ACC_RANGE_MG).astype(np.int64)
    period_device_ns = 1e9 / fs_hz * (1.0 + drift_ppm * 1e-6)
    events = []
    for start in range(0, len(mg) - ACC_SAMPLES_PER_FRAME + 1, ACC_SAMPLES_PER_FRAME):
        last = start + ACC_SAMPLES_PER_FRAME - 1
        device_ns = device_t0_ns + int(round(last * period_device_ns))
        host_ns = host_t0_ns + int(round(last * 1e9 / fs_hz)) + int(rng.gamma(2.0, 6e6)) + 7_500_000
        samples = [tuple(int(v) for v in row) for row in mg[start : last + 1]]
        events.append(TraceEvent(host_ns, addr, "notify", PMD_DATA, encode_raw_frame(Measurement.ACC, device_ns, samples)))
    return events


def h10_session_events(
    addr: str,
    host_t0_ns: int,
    acc_g: np.ndarray,
    fs_hz: float,
    effort: np.ndarray,
    rng: np.random.Generator,
    *,
    heart: HeartModel = HeartModel(),
) -> list[TraceEvent]:
    """Every event of an H10 session in arrival order: connect, START exchange, HR and ACC streams."""
    start = start_command(Measurement.ACC, {Setting.SAMPLE_RATE: int(fs_hz), Setting.RESOLUTION: 16, Setting.RANGE: 8})
    preamble = [
        TraceEvent(host_t0_ns - 300_000_000, addr, "connected"),
        TraceEvent(host_t0_ns - 200_000_000, addr, "write", PMD_CONTROL_POINT, start),
        TraceEvent(host_t0_ns - 150_000_000, addr, "notify", PMD_CONTROL_POINT, bytes([0xF0, 0x02, 0x02, 0x00, 0x00])),
    ]
    rr_ms = heart_beats(effort, fs_hz, heart, rng)
    stream = heart_rate_events(addr, host_t0_ns, rr_ms, rng) + acc_events(addr, host_t0_ns, acc_g, fs_hz, rng)
    stream.sort(key=lambda e: e.t_ns)
    end_ns = stream[-1].t_ns if stream else host_t0_ns
    return preamble + stream + [TraceEvent(end_ns + 50_000_000, addr, "disconnected")]
