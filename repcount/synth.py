"""Synthetic accelerometer sessions and sets with exact per-rep truth.

A rigid-body model: the body (or forearm) follows a pose trajectory (vertical and forward displacement, pitch
and roll) and the sensor, mounted at an arbitrary fixed orientation, reads specific force ``a - g`` in g. Reps
follow a minimum-jerk profile with per-rep tempo and range jitter and fatigue; sessions add walking between
stations, standing, set-up and re-rack motion, fidgeting, sensor noise and 1 mg quantisation. Breathing and slow
postural sway run on through the whole recording, sets included, as one continuous motion; every other movement
starts from the pose and the velocity the last one left, so the body never jumps.
Everything is simulated at 200 Hz and block-averaged to the requested rate (the sensor's own anti-alias filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

G_M_S2 = 9.80665
SIM_FS_HZ = 200.0
ARM_ONLY_CHEST_SCALE = 0.25
RANGE_G = 8.0  # full scale of a wearable's accelerometer (a flung arm can exceed it)
BREATH_DEG = 0.6  # the trunk's tilt with each breath (amplitude)
BREATH_HZ = (0.2, 0.3)  # breaths a second at rest, drifting by ~10 % around a value drawn per recording
BREATH_MIN_S = 2.0  # in a set, one breath a rep, or every few reps when they are quicker than this
BREATH_ENTRY_S = 2.0  # the breathing falls into step with the reps over this long before the first
SWAY_DEG = 0.3  # slow postural sway (standard deviation), half of it in roll
SWAY_TAU_S = 2.0  # its correlation time
REP_LEAN_JITTER = 0.2  # share of a rep's roll that changes from rep to rep (the rest is the lifter's own lean)


@dataclass(frozen=True)
class SetTruth:
    """One set's truth: exercise, bounds and ``(start, turn, end)`` seconds per rep."""

    exercise: str
    start_s: float
    end_s: float
    rep_times: tuple[tuple[float, float, float], ...]


@dataclass(frozen=True)
class SynthSession:
    """A synthetic recording: time stamps (s), acceleration (N, 3) in g, its rate and the truth."""

    t_s: np.ndarray
    acc_g: np.ndarray
    fs_hz: float
    sets: tuple[SetTruth, ...]


@dataclass(frozen=True)
class Motion:
    """Pose excursion at the turn of a rep (``q = 1``) for one exercise and placement."""

    base_pitch_deg: float
    pitch_deg: float
    roll_deg: float
    up_m: float
    fwd_m: float
    first_s: float  # nominal duration of the phase from start to turn
    second_s: float  # nominal duration of the phase from turn to end
    eccentric_first: bool
    lever_m: float = 0.0  # sensor this far along the segment from a pivot: it moves on an arc as the segment turns
    abduct_deg: float = 0.0  # roll at the turn, same sign every rep (frontal-plane swing of an arm or a leg)
    hop_m: float = 0.0  # a jump off the floor in each phase, this high, with a landing
    gap_scale: float = 1.0  # pause between reps relative to a lift's (< 1: continuous, swung or jumped; no grinder)
    pause_scale: float = 1.0  # pause at the turn relative to a lift's


#: (exercise, placement) -> motion. Pitch 0 = upright; -90 = lying on the back; 90 = face down.
MOTIONS: dict[tuple[str, str], Motion] = {
    ("squat", "chest"): Motion(0, 30, 0, -0.42, 0.05, 1.8, 1.2, True),
    ("squat", "wrist"): Motion(-60, 12, 4, -0.42, 0.05, 1.8, 1.2, True),
    ("squat", "upper_arm"): Motion(-30, 20, 3, -0.42, 0.05, 1.8, 1.2, True),
    ("bench_press", "chest"): Motion(-90, 3, 1, 0.025, 0.0, 1.6, 1.0, True),
    ("bench_press", "wrist"): Motion(-80, 8, 3, -0.40, 0.03, 1.6, 1.0, True),
    ("bench_press", "upper_arm"): Motion(-90, 35, 5, -0.20, 0.0, 1.6, 1.0, True),
    ("deadlift", "chest"): Motion(55, -55, 0, 0.35, -0.05, 1.4, 1.6, False),
    ("deadlift", "wrist"): Motion(10, -15, 3, 0.50, -0.03, 1.4, 1.6, False),
    ("deadlift", "upper_arm"): Motion(40, -40, 2, 0.45, 0.0, 1.4, 1.6, False),
    ("barbell_row", "chest"): Motion(45, -7, 1, 0.03, 0.0, 0.9, 1.4, False),
    ("barbell_row", "wrist"): Motion(30, 40, 5, 0.30, 0.05, 0.9, 1.4, False),
    ("barbell_row", "upper_arm"): Motion(45, -70, 5, 0.20, 0.0, 0.9, 1.4, False),
    ("curl", "chest"): Motion(0, -4, 1, 0.01, 0.0, 1.0, 1.5, False),
    ("curl", "wrist"): Motion(0, -120, 5, 0.30, 0.15, 1.0, 1.5, False),
    ("curl", "upper_arm"): Motion(0, -15, 3, 0.02, 0.03, 1.0, 1.5, False),
    ("overhead_press", "chest"): Motion(0, -5, 1, 0.03, -0.01, 1.2, 1.6, False),
    ("overhead_press", "wrist"): Motion(-70, 20, 5, 0.45, 0.0, 1.2, 1.6, False),
    ("overhead_press", "upper_arm"): Motion(-10, -80, 5, 0.30, 0.0, 1.2, 1.6, False),
    ("push_up", "chest"): Motion(80, 8, 1, -0.28, 0.02, 1.2, 0.9, True),
    ("push_up", "wrist"): Motion(60, 35, 3, -0.02, 0.02, 1.2, 0.9, True),
    ("push_up", "upper_arm"): Motion(80, 45, 3, -0.20, 0.0, 1.2, 0.9, True),
    ("lunge", "chest"): Motion(5, 8, 4, -0.35, 0.08, 1.4, 1.2, True),
    ("lunge", "wrist"): Motion(-5, 10, 6, -0.35, 0.08, 1.4, 1.2, True),
    ("lunge", "upper_arm"): Motion(0, 8, 5, -0.35, 0.08, 1.4, 1.2, True),
}
#: The exercises and placements above are the ones the counter was developed on.
TUNED_EXERCISES: tuple[str, ...] = tuple(sorted({e for e, _ in MOTIONS}))
TUNED_PLACEMENTS: tuple[str, ...] = ("chest", "wrist", "upper_arm")

#: Movements and a placement the counter was not developed on (public exercise datasets: a watch, a phone in
#: the trouser pocket, an arm band, a chest strap). A segment's pitch is that of its hanging end: -90 points it
#: forward (arm raised to the front, thigh of a deep squat), 180 straight up. ``lever_m`` puts the sensor that far
#: from the pivot (shoulder, elbow, hip), which is where ``up_m``/``fwd_m`` then apply. On the thigh the sensor
#: is a phone in the front pocket, 0.2 m below the hip; movements that leave the thigh still are not listed there.
UNSEEN_MOTIONS: dict[tuple[str, str], Motion] = {
    # arms swing out and up in the frontal plane to ~155 deg while the body jumps out and in (two hops a rep)
    ("jumping_jack", "wrist"): Motion(0, 8, 6, 0.0, 0.0, 0.45, 0.45, False, 0.58, 150, 0.05, 0.05, 0.2),
    ("jumping_jack", "upper_arm"): Motion(0, 6, 5, 0.0, 0.0, 0.45, 0.45, False, 0.15, 150, 0.05, 0.05, 0.2),
    ("jumping_jack", "chest"): Motion(0, -4, 2, 0.0, 0.0, 0.45, 0.45, False, 0.0, 0, 0.05, 0.05, 0.2),
    ("jumping_jack", "thigh"): Motion(0, -3, 2, 0.0, 0.0, 0.45, 0.45, False, 0.2, 20, 0.05, 0.05, 0.2),
    # lying with knees bent, the trunk curls up ~55 deg and back; the thigh stays still
    ("sit_up", "chest"): Motion(-90, 55, 3, 0.15, 0.20, 1.0, 1.2, False),
    ("sit_up", "wrist"): Motion(-90, 55, 8, 0.25, 0.25, 1.0, 1.2, False),
    ("sit_up", "upper_arm"): Motion(-80, 55, 5, 0.22, 0.20, 1.0, 1.2, False),
    # straight arm abducted to shoulder height in the frontal plane
    ("lateral_raise", "wrist"): Motion(0, 10, 5, 0.0, 0.0, 1.0, 1.4, False, 0.6, 85),
    ("lateral_raise", "upper_arm"): Motion(0, 8, 4, 0.0, 0.0, 1.0, 1.4, False, 0.15, 85),
    ("lateral_raise", "chest"): Motion(0, 2, 2, 0.01, 0.0, 1.0, 1.4, False),
    # elbow held overhead, the forearm lowers ~120 deg behind the head and back up
    ("triceps_extension", "wrist"): Motion(180, -120, 6, 0.0, 0.0, 1.4, 1.0, True, 0.3),
    ("triceps_extension", "upper_arm"): Motion(180, -10, 4, 0.02, 0.0, 1.4, 1.0, True, 0.15),
    ("triceps_extension", "chest"): Motion(0, -3, 1, 0.005, 0.0, 1.4, 1.0, True),
    # one arm, the other hand and knee on a bench: trunk near horizontal and twisting toward the rowing arm
    ("dumbbell_row", "wrist"): Motion(5, 25, 10, 0.30, -0.05, 0.9, 1.3, False),
    ("dumbbell_row", "upper_arm"): Motion(0, 75, 5, 0.0, 0.0, 0.9, 1.3, False, 0.15),
    ("dumbbell_row", "chest"): Motion(75, -3, 2, 0.02, 0.0, 0.9, 1.3, False, 0.0, 10),
    # two-hand swing, continuous: from the top (arms forward, standing) down to the backswing (hinged, bell
    # between the legs) and up again
    ("kettlebell_swing", "wrist"): Motion(-90, 120, 5, -0.25, 0.10, 0.55, 0.6, True, 0.62, 0, 0.0, 0.0, 0.3),
    ("kettlebell_swing", "upper_arm"): Motion(-90, 110, 4, -0.25, 0.10, 0.55, 0.6, True, 0.15, 0, 0.0, 0.0, 0.3),
    ("kettlebell_swing", "chest"): Motion(0, 55, 2, -0.20, 0.05, 0.55, 0.6, True, 0.0, 0, 0.0, 0.0, 0.3),
    ("kettlebell_swing", "thigh"): Motion(0, -30, 2, -0.10, -0.20, 0.55, 0.6, True, 0.2, 0, 0.0, 0.0, 0.3),
    # 45-degree sled: the thigh turns from pointing up the sled to against the chest; hip fixed in the seat
    ("leg_press", "thigh"): Motion(-135, -65, 3, 0.0, 0.0, 1.5, 1.2, True, 0.2),
    # the developed-on lower-body moves, phone in the pocket
    ("squat", "thigh"): Motion(0, -85, 3, -0.37, -0.30, 1.8, 1.2, True, 0.2),
    ("deadlift", "thigh"): Motion(-60, 60, 3, 0.35, 0.15, 1.4, 1.6, False, 0.2),
    ("lunge", "thigh"): Motion(-25, -60, 4, -0.35, 0.05, 1.4, 1.2, True, 0.2),
    ("push_up", "thigh"): Motion(80, 6, 1, -0.14, 0.0, 1.2, 0.9, True),
}
MOTIONS.update(UNSEEN_MOTIONS)
UNSEEN_EXERCISES: tuple[str, ...] = tuple(sorted({e for e, _ in UNSEEN_MOTIONS} - set(TUNED_EXERCISES)))
EXERCISES: tuple[str, ...] = TUNED_EXERCISES + UNSEEN_EXERCISES
PLACEMENTS: tuple[str, ...] = (*TUNED_PLACEMENTS, "thigh")


@dataclass(frozen=True)
class Gait:
    """Steady locomotion between sets: steps per second, the fraction of a step spent on the ground (under 0.5
    there is a flight phase), how much of the stance push the trunk feels (soft tissue, bent knees), the trunk's
    forward lean, and per placement the segment's pitch and its swing (degrees) once per stride."""

    step_hz: tuple[float, float]
    stance: tuple[float, float]
    bounce: tuple[float, float]
    lean_deg: float
    pose_deg: dict[str, tuple[float, float]]  # placement -> (mean pitch, swing amplitude)


#: Plan entries ``(gait, seconds, rest_after_s)`` add locomotion to a session and no set: a treadmill warm-up,
#: jogging between stations, a run to the water fountain, walking briskly or climbing stairs. Running at 150-180
#: steps a minute bounces the trunk by 1-2.5 g at the step rate; the forearm is bent and swings once per stride.
GAITS: dict[str, Gait] = {
    "brisk_walk": Gait((2.0, 2.3), (0.9, 1.0), (0.3, 0.45), 3.0,
                       {"wrist": (0.0, 30.0), "upper_arm": (0.0, 18.0), "thigh": (-10.0, 25.0), "chest": (3.0, 2.0)}),
    "jog": Gait((2.3, 2.6), (0.45, 0.55), (0.45, 0.7), 6.0,
                {"wrist": (-60.0, 28.0), "upper_arm": (0.0, 22.0), "thigh": (-15.0, 28.0), "chest": (6.0, 2.5)}),
    "run": Gait((2.5, 3.0), (0.35, 0.45), (0.5, 0.75), 9.0,
                {"wrist": (-65.0, 38.0), "upper_arm": (5.0, 30.0), "thigh": (-20.0, 35.0), "chest": (9.0, 3.0)}),
    "stairs": Gait((1.5, 1.9), (0.9, 1.0), (0.35, 0.55), 12.0,
                   {"wrist": (0.0, 12.0), "upper_arm": (0.0, 8.0), "thigh": (-30.0, 30.0), "chest": (12.0, 3.0)}),
}


@dataclass
class _Track:
    """Pose tracks being written at SIM_FS_HZ: displacement (m) and angles (rad) per sample."""

    up_m: list[np.ndarray]
    fwd_m: list[np.ndarray]
    pitch_rad: list[np.ndarray]
    roll_rad: list[np.ndarray]
    side_m: list[np.ndarray]

    def append(
        self, up: np.ndarray, fwd: np.ndarray, pitch: np.ndarray, roll: np.ndarray, side: np.ndarray | None = None
    ) -> None:
        self.up_m.append(up)
        self.fwd_m.append(fwd)
        self.pitch_rad.append(pitch)
        self.roll_rad.append(roll)
        self.side_m.append(np.zeros(len(up)) if side is None else side)

    @property
    def n(self) -> int:
        return int(sum(len(a) for a in self.up_m))

    def last_pose(self) -> tuple[float, float]:
        return (float(self.pitch_rad[-1][-1]), float(self.roll_rad[-1][-1])) if self.up_m else (0.0, 0.0)


def _min_jerk_at(u: np.ndarray) -> np.ndarray:
    """The minimum-jerk profile (0 -> 1, at rest at both ends) at fractions ``u`` of the move."""
    out: np.ndarray = 10 * u**3 - 15 * u**4 + 6 * u**5
    return out


def _min_jerk(n: int) -> np.ndarray:
    return _min_jerk_at(np.linspace(0.0, 1.0, max(n, 2))[:n])


def _ramp(a: float, b: float, n: int) -> np.ndarray:
    return a + (b - a) * _min_jerk(n)


def _n(seconds: float) -> int:
    return max(int(round(seconds * SIM_FS_HZ)), 1)


def _fade(t: np.ndarray, ramp_s: float) -> np.ndarray:
    """Envelope rising smoothly (minimum jerk) from 0 to 1 over ``ramp_s`` at the start and back at the end."""
    return _min_jerk_at(np.clip(np.minimum(t, t[-1] - t) / ramp_s, 0.0, 1.0))


def _bump(n: int) -> np.ndarray:
    """0 -> 1 -> 0 over ``n`` samples, starting and ending at rest (zero value and slope)."""
    out: np.ndarray = np.sin(np.pi * np.arange(n) / max(n - 1, 1)) ** 2
    return out


def _hold(track: _Track, seconds: float) -> None:
    """Stand (or lie) still at the current pose (breathing and sway are added over the whole recording)."""
    n = _n(seconds)
    pitch0, roll0 = track.last_pose()
    zero = np.zeros(n)
    track.append(zero, zero, pitch0 + zero, roll0 + zero)


def _slow_noise(n: int, tau_s: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance Gaussian noise low-passed twice with time constant ``tau_s`` (smooth, stationary)."""
    a = np.exp(-1.0 / (tau_s * SIM_FS_HZ))
    warm = int(10 * tau_s * SIM_FS_HZ)
    x = lfilter([1 - a], [1, -a], lfilter([1 - a], [1, -a], rng.normal(0.0, 1.0, n + warm)))[warm:]
    out: np.ndarray = x / np.sqrt((1 - a) ** 4 * (1 + a * a) / (1 - a * a) ** 3)
    return out


def _breath_phase(n: int, sets: Sequence[Sequence[tuple[float, float, float]]], rng: np.random.Generator) -> np.ndarray:
    """Breathing phase (rad) per sample: free at a slowly drifting rate at rest; in a set in step with the reps
    (a lifter breathes out through each lift: one breath a rep, or every few quick reps) at a phase of the
    lifter's own, falling into step over `BREATH_ENTRY_S` before the first rep (``sets``: rep times)."""
    rate_hz = rng.uniform(*BREATH_HZ) * (1 + 0.1 * np.tanh(_slow_noise(n, 20.0, rng)))
    start_rad = rng.uniform(0, 2 * np.pi)
    for reps in sets:
        bounds_s = np.array([r[0] for r in reps] + [reps[-1][2]])
        per = int(np.ceil(BREATH_MIN_S / np.mean(np.diff(bounds_s))))
        at = np.minimum(np.round(bounds_s[::per] * SIM_FS_HZ).astype(int), n - 1)
        entry = max(at[0] - _n(BREATH_ENTRY_S), 0)
        phase_entry = start_rad + 2 * np.pi * np.sum(rate_hz[:entry]) / SIM_FS_HZ
        lock = rng.uniform(0, 2 * np.pi)
        first = lock + 2 * np.pi * np.ceil((phase_entry + np.pi / 2 - lock) / (2 * np.pi))  # a quarter breath or more
        turns = np.concatenate([[(first - phase_entry) / (2 * np.pi)], np.ones(len(at) - 1)])
        for a, b, k in zip(np.concatenate([[entry], at[:-1]]), at, turns, strict=True):
            rate_hz[a:b] = k * SIM_FS_HZ / max(b - a, 1)
    out: np.ndarray = start_rad + 2 * np.pi * np.cumsum(rate_hz) / SIM_FS_HZ
    return out


def _body_sway(
    n: int, sets: Sequence[Sequence[tuple[float, float, float]]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Breathing and postural sway for a whole recording: pitch and roll (rad) to add to the pose tracks.

    One breathing oscillation runs through rest and sets alike (`_breath_phase`), and the body sways slowly
    about its pose, so a rep's start and return pose vary smoothly from rep to rep.
    """
    phase = _breath_phase(n, sets, rng)
    depth = 1 + 0.2 * np.tanh(_slow_noise(n, 10.0, rng))
    sway = np.radians(SWAY_DEG) * _slow_noise(n, SWAY_TAU_S, rng)
    return np.radians(BREATH_DEG) * depth * np.sin(phase) + sway, 0.5 * sway


def _move_to(track: _Track, pitch_deg: float, seconds: float, rng: np.random.Generator) -> None:
    """Change posture (lie down, bend over, stand up) with a small bump in height."""
    n = _n(seconds)
    pitch0, roll0 = track.last_pose()
    bump = 0.05 * _bump(n) * rng.uniform(0.5, 1.5)
    track.append(bump, np.zeros(n), _ramp(pitch0, np.radians(pitch_deg), n), _ramp(roll0, 0.0, n))


def _walk(track: _Track, seconds: float, rng: np.random.Generator, placement: str) -> None:
    """Walk: vertical bounce at the step rate, sway at the stride rate, arm swing on the wrist."""
    n = _n(seconds)
    t = np.arange(n) / SIM_FS_HZ
    step_hz = rng.uniform(1.7, 2.1)
    pitch0, _ = track.last_pose()
    env = _fade(t, 0.8)
    up = env * 0.025 * np.sin(2 * np.pi * step_hz * t)
    for t_step in np.arange(rng.uniform(0, 0.5), t[-1], 1.0 / step_hz):  # heel strikes: sharp, broadband
        up += env * rng.uniform(0.002, 0.004) * np.exp(-0.5 * ((t - t_step) / 0.025) ** 2)
    fwd = env * 0.01 * np.sin(2 * np.pi * step_hz * t + 1.0)
    swing_deg = {"wrist": 25.0, "thigh": 22.0, "upper_arm": 12.0}.get(placement, 2.0)
    pitch = _ramp(pitch0, 0.0, n) + env * np.radians(swing_deg) * np.sin(np.pi * step_hz * t)
    roll = env * np.radians(3.0) * np.sin(np.pi * step_hz * t + 0.5)
    track.append(up, fwd, pitch, roll)


def _footfalls(phase: np.ndarray, stance: float, bounce: float) -> np.ndarray:
    """Height (m) whose acceleration is the trunk's at ``phase`` (radians, one step per 2 pi): a half sine of
    push over the stance fraction of each step, averaging 1 g, felt at ``bounce`` of its size (8 harmonics)."""
    u = np.arange(256) / 256
    push = np.where(u < stance, np.pi / (2 * stance) * np.sin(np.pi * np.minimum(u / stance, 1.0)), 0.0)
    coef = np.fft.rfft(bounce * (push - push.mean())) / 128  # specific force about 1 g, per harmonic
    step_hz = np.gradient(phase) * SIM_FS_HZ / (2 * np.pi)
    return -sum(
        (np.abs(coef[k]) * np.cos(k * phase + np.angle(coef[k])) * G_M_S2 / (2 * np.pi * k * step_hz) ** 2
         for k in range(1, 9)),
        np.zeros(len(phase)),
    )


def _locomote(track: _Track, seconds: float, rng: np.random.Generator, placement: str, gait: Gait) -> None:
    """Jog, run, walk briskly or climb stairs: the trunk bounces at the step rate (with a flight phase when
    running), a limb swings once per stride, the trunk leans forward and sways; cadence drifts by ~2 %."""
    n = _n(seconds)
    t = np.arange(n) / SIM_FS_HZ
    drift = np.cumsum(rng.normal(0, 1, n)) / np.sqrt(SIM_FS_HZ * 30.0)
    step_hz = rng.uniform(*gait.step_hz) * (1 + 0.02 * np.tanh(drift))
    phase = 2 * np.pi * np.cumsum(step_hz) / SIM_FS_HZ + rng.uniform(0, 2 * np.pi)
    env = _fade(t, 1.5)  # speeding up and slowing down
    up = env * _footfalls(phase, rng.uniform(*gait.stance), rng.uniform(*gait.bounce))
    mean_deg, swing_deg = gait.pose_deg[placement]
    swing = np.cos(phase / 2)  # limbs at their extremes at each footfall
    lever = {"wrist": 0.3, "thigh": 0.2}.get(placement, 0.0)
    fwd = env * lever * np.sin(np.radians(swing_deg)) * swing + env * 0.01 * np.sin(phase + 1.0)
    pitch0, _ = track.last_pose()
    lean = gait.lean_deg if placement == "chest" else 0.0
    # a limb swings once a stride; the trunk nods once a step (left and right steps alike in its sagittal plane)
    nod = np.sin(phase) if placement == "chest" else swing
    pitch = _ramp(pitch0, 0.0, n) + env * np.radians(mean_deg + lean + swing_deg * nod)
    roll = env * np.radians(4.0) * np.sin(phase / 2 + 0.5)
    track.append(up, fwd, pitch, roll)


def _fidget(track: _Track, rng: np.random.Generator, placement: str, *, chest_scale: float = 1.0) -> None:
    """A short, irregular movement during rest: a sip of water, adjusting a plate, a look around.

    ``chest_scale`` shrinks it on the chest for arm-only moves (handing the bar out of and into the rack
    while lying on the bench moves the arms, hardly the torso).
    """
    n = _n(rng.uniform(0.8, 2.0))
    pitch0, roll0 = track.last_pose()
    scale = chest_scale if placement == "chest" else 3.0
    bump = _bump(n)
    track.append(
        0.03 * scale * rng.uniform(-1, 1) * bump,
        0.02 * scale * rng.uniform(-1, 1) * bump,
        pitch0 + np.radians(8 * scale) * rng.uniform(-1, 1) * bump,
        roll0 + np.radians(5 * scale) * rng.uniform(-1, 1) * bump,
    )


def _rest(track: _Track, seconds: float, rng: np.random.Generator, placement: str) -> None:
    """Rest between sets: mostly still, with a few fidgets and maybe a short walk around."""
    remaining = seconds
    while remaining > 0:
        chunk = min(remaining, rng.uniform(6.0, 25.0))
        _hold(track, chunk)
        remaining -= chunk
        if remaining > 4 and rng.random() < 0.5:
            _fidget(track, rng, placement)
            remaining -= 2.0
        if remaining > 15 and rng.random() < 0.2:
            _walk(track, 4.0, rng, placement)
            remaining -= 4.0


def _rep_profile(m: Motion, speed: float, rng: np.random.Generator, fatigue: float) -> tuple[np.ndarray, int]:
    """One rep of q in [0, 1] (0 = start pose, 1 = turn): returns q and the turn index."""
    first = m.first_s * speed * rng.uniform(0.85, 1.15)
    second = m.second_s * speed * rng.uniform(0.85, 1.15)
    concentric_scale = 1.0 + fatigue
    if m.eccentric_first:
        second *= concentric_scale
    else:
        first *= concentric_scale
    pause = rng.uniform(0.0, 0.25) * speed * m.pause_scale
    up = _min_jerk(_n(first))
    down = 1.0 - _min_jerk(_n(second))
    q = np.concatenate([up, np.ones(_n(pause)), down])
    return q, len(up) + _n(pause) // 2


def _append_rep(track: _Track, m: Motion, q: np.ndarray, turn: int, lean: float) -> None:
    """Write one rep's pose tracks for the excursion ``q`` (turn at index ``turn``), rolling ``lean`` (-1..1) of
    the motion's roll at the turn."""
    up, fwd = m.up_m * q, m.fwd_m * q
    pitch = np.radians(m.base_pitch_deg + m.pitch_deg * q)
    roll = np.radians(m.roll_deg * lean) * q
    if not (m.lever_m or m.abduct_deg or m.hop_m):
        track.append(up, fwd, pitch, roll)
        return
    roll = roll + np.radians(m.abduct_deg) * q
    lever = m.lever_m * np.stack([-np.sin(pitch) * np.cos(roll), np.sin(roll), -np.cos(pitch) * np.cos(roll)])
    fwd_lever, side, up_lever = lever - lever[:, :1]  # the sensor's arc about the pivot, from the start pose
    track.append(up + up_lever + _hops(m.hop_m, len(q), turn), fwd + fwd_lever, pitch, roll, side)


def _hops(height_m: float, n: int, turn: int) -> np.ndarray:
    """Height of the body for two jumps, one per phase (0 to ``turn``, ``turn`` to ``n``): free fall
    (specific force 0) rising ``height_m`` and back, and a ground contact around each phase boundary whose
    push peaks at 1.5-2.5 g (what a worn sensor feels on landing)."""
    hop = np.zeros(n)
    if not height_m:
        return hop
    for a, b in ((0, turn), (turn, n)):
        period_s = (b - a) / SIM_FS_HZ
        flight_s = min(np.sqrt(8.0 * height_m / G_M_S2), 0.6 * period_s)
        contact_s = (period_s - flight_s) / 2  # half a ground contact at each end of the phase
        v0 = G_M_S2 * flight_s / 2
        peak = np.pi * v0 / (2 * contact_s)  # a half cosine of push that turns -v0 into v0
        s = np.minimum(np.arange(b - a), np.arange(b - a)[::-1]) / SIM_FS_HZ  # time to the nearer contact
        y_contact = peak * (2 * contact_s / np.pi) ** 2
        fly = s - contact_s
        hop[a:b] = np.where(fly <= 0, y_contact * (1 - np.cos(np.pi * s / (2 * contact_s))),
                            y_contact + v0 * fly - G_M_S2 / 2 * fly**2)
    return hop


def _set_reps(
    track: _Track, m: Motion, n_reps: int, rng: np.random.Generator, *, speed: float, irregular: bool
) -> list[tuple[float, float, float]]:
    """Append ``n_reps`` reps (with pauses between) and return their (start, turn, end) times."""
    times = []
    rom = rng.uniform(0.85, 1.15)
    lean = rng.uniform(-1, 1)  # the lifter's own sideways lean at the turn, much the same every rep
    odd_rep = int(rng.integers(1, max(n_reps, 2))) if irregular else -1
    for i in range(n_reps):
        fatigue = 0.6 * max(0.0, (i - 0.6 * n_reps) / max(n_reps, 1)) * rng.uniform(0, 1.5)
        if i == odd_rep and m.gap_scale == 1.0:
            fatigue += 1.2  # a grinder: much slower concentric (a swung or jumped rep cannot grind: pause only)
        q, turn = _rep_profile(m, speed, rng, fatigue)
        q = q * rom * rng.uniform(0.9, 1.1)
        t0 = track.n / SIM_FS_HZ
        jitter = REP_LEAN_JITTER * rng.uniform(-1, 1)
        _append_rep(track, m, q, turn, (1 - REP_LEAN_JITTER) * lean + jitter)
        times.append((t0, t0 + turn / SIM_FS_HZ, t0 + len(q) / SIM_FS_HZ))
        gap_s = rng.uniform(0.1, 0.7) * speed * m.gap_scale + (rng.uniform(1.5, 3.0) if i == odd_rep - 1 else 0.0)
        _hold(track, gap_s)
    return times


def _setup(track: _Track, exercise: str, m: Motion, rng: np.random.Generator, placement: str) -> None:
    """Get into position: unrack and step back, lie down, bend to the bar, grip, brace."""
    if exercise in ("squat", "lunge", "overhead_press"):
        _fidget(track, rng, placement)
        _walk(track, rng.uniform(1.5, 2.5), rng, placement)
    _move_to(track, m.base_pitch_deg, rng.uniform(1.0, 2.5), rng)
    if exercise in ("bench_press",):
        _fidget(track, rng, placement, chest_scale=ARM_ONLY_CHEST_SCALE)  # unrack
    _hold(track, rng.uniform(1.2, 2.5))  # brace before the first rep


def _rerack(track: _Track, exercise: str, rng: np.random.Generator, placement: str) -> None:
    """Finish: re-rack (step forward, bar into the hooks), put the bar down, sit or stand up."""
    _hold(track, rng.uniform(0.3, 1.0))
    if exercise in ("squat", "lunge", "overhead_press"):
        _walk(track, rng.uniform(1.5, 2.5), rng, placement)
    _fidget(track, rng, placement, chest_scale=ARM_ONLY_CHEST_SCALE if exercise == "bench_press" else 1.0)
    _move_to(track, 0.0, rng.uniform(1.0, 2.0), rng)


def _rotation(pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """World-from-body rotations (N, 3, 3) for pitch about the body y axis then roll about x."""
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    one, zero = np.ones_like(pitch), np.zeros_like(pitch)
    ry = np.stack([np.stack([cp, zero, sp], -1), np.stack([zero, one, zero], -1), np.stack([-sp, zero, cp], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, cr, -sr], -1), np.stack([zero, sr, cr], -1)], -2)
    out: np.ndarray = ry @ rx
    return out


def _random_mount(rng: np.random.Generator) -> np.ndarray:
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def _render(
    track: _Track, sets: Sequence[SetTruth], fs_hz: float, rng: np.random.Generator, noise_g: float,
    gravity: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Pose tracks plus breathing and sway -> sensor readings at ``fs_hz`` (block mean of the 200 Hz
    simulation), noise, the sensor's range, 1 mg steps. Without ``gravity``: the linear acceleration only."""
    up, fwd = np.concatenate(track.up_m), np.concatenate(track.fwd_m)
    sway_pitch, sway_roll = _body_sway(len(up), [s.rep_times for s in sets], rng)
    pitch, roll = np.concatenate(track.pitch_rad) + sway_pitch, np.concatenate(track.roll_rad) + sway_roll
    dt = 1.0 / SIM_FS_HZ
    side = np.concatenate(track.side_m)
    acc_world = np.stack(
        [np.gradient(np.gradient(fwd, dt), dt), np.gradient(np.gradient(side, dt), dt),
         np.gradient(np.gradient(up, dt), dt)], -1
    ) / G_M_S2
    specific = acc_world + np.array([0.0, 0.0, 1.0 if gravity else 0.0])
    body = np.einsum("nji,nj->ni", _rotation(pitch, roll), specific)
    sensor = body @ _random_mount(rng)
    step = max(int(round(SIM_FS_HZ / fs_hz)), 1)
    n_out = len(sensor) // step
    acc = sensor[: n_out * step].reshape(n_out, step, 3).mean(axis=1)
    acc = acc + rng.normal(0.0, noise_g, acc.shape)
    t_s = (np.arange(n_out) * step + (step - 1) / 2) / SIM_FS_HZ
    return t_s, np.round(np.clip(acc, -RANGE_G, RANGE_G) * 1000.0) / 1000.0


def synth_session(
    plan: Sequence[tuple[str, int, float]],
    *,
    placement: str,
    fs_hz: float,
    rng: np.random.Generator,
    speed: float = 1.0,
    irregular: bool = False,
    noise_g: float = 0.004,
    gravity: bool = True,
) -> SynthSession:
    """Simulate a whole workout: walk to each station, set up, lift, re-rack, rest.

    Parameters
    ----------
    plan : sequence of (exercise, n_reps, rest_after_s)
        Exercises from ``EXERCISES``; a change of exercise adds a walk to the next station. An entry whose
        name is in ``GAITS`` is locomotion instead, ``(gait, seconds, rest_after_s)``, and has no set.
    placement : {'chest', 'wrist', 'upper_arm', 'thigh'}
        Where the sensor is worn (its orientation on the body is random); the thigh (a phone in the trouser
        pocket) only for the movements that move it (see ``UNSEEN_MOTIONS``).
    fs_hz : float
        Output rate, 10-200 Hz (the simulation runs at 200 Hz and is block-averaged).
    rng : numpy.random.Generator
        All randomness (tempo, range, mounting, noise) comes from here.
    speed : float
        Tempo multiplier: 1 is about 3 s per rep, 2 is slow (~6 s), 0.3 is fast (~0.9 s).
    irregular : bool
        Add one long pause inside each set, and make the rep after it a grinder (not for continuous moves).
    noise_g : float
        White sensor noise (g, standard deviation) before 1 mg quantisation.
    gravity : bool
        False: readings without gravity, as phones and watches export linear acceleration (the same motion).

    Returns
    -------
    SynthSession
        Readings in g and the truth per set (start of the first rep to end of the last).

    Examples
    --------
    >>> s = synth_session([("squat", 5, 30.0)], placement="chest", fs_hz=50.0, rng=np.random.default_rng(0))
    >>> len(s.sets[0].rep_times)
    5
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"`placement` must be one of {PLACEMENTS}, got {placement!r}")
    if not 1.0 <= fs_hz <= SIM_FS_HZ:
        raise ValueError(f"`fs_hz` must be in [1, {SIM_FS_HZ}], got {fs_hz}")
    track = _Track([], [], [], [], [])
    _hold(track, rng.uniform(5.0, 15.0))
    truths, previous = [], None
    for exercise, n_reps, rest_s in plan:
        if exercise in GAITS:
            _locomote(track, float(n_reps), rng, placement, GAITS[exercise])
            _rest(track, rest_s, rng, placement)
            previous = exercise
            continue
        if (exercise, placement) not in MOTIONS:
            known = tuple(e for e, p in MOTIONS if p == placement)
            raise ValueError(f"unknown exercise {exercise!r} on the {placement}; known there: {known}")
        m = MOTIONS[(exercise, placement)]
        if exercise != previous:
            _walk(track, rng.uniform(8.0, 25.0), rng, placement)
            _hold(track, rng.uniform(3.0, 10.0))
        _setup(track, exercise, m, rng, placement)
        reps = _set_reps(track, m, n_reps, rng, speed=speed * rng.uniform(0.85, 1.2), irregular=irregular)
        _rerack(track, exercise, rng, placement)
        _rest(track, rest_s, rng, placement)
        truths.append(SetTruth(exercise, reps[0][0], reps[-1][2], tuple(reps)) if reps else None)
        previous = exercise
    sets = tuple(s for s in truths if s is not None)
    t_s, acc_g = _render(track, sets, fs_hz, rng, noise_g, gravity)
    return SynthSession(t_s, acc_g, float(SIM_FS_HZ / max(int(round(SIM_FS_HZ / fs_hz)), 1)), sets)


def synth_set(
    exercise: str,
    n_reps: int,
    *,
    placement: str,
    fs_hz: float,
    rng: np.random.Generator,
    speed: float = 1.0,
    irregular: bool = False,
    noise_g: float = 0.004,
    gravity: bool = True,
) -> SynthSession:
    """One set as a short recording: a few seconds of standing, set-up, reps, re-rack, a few seconds of rest.

    Same model and parameters as `synth_session`; the truth has exactly one set.
    """
    return synth_session(
        [(exercise, n_reps, float(rng.uniform(3.0, 6.0)))],
        placement=placement, fs_hz=fs_hz, rng=rng, speed=speed, irregular=irregular, noise_g=noise_g, gravity=gravity,
    )
