"""Synthetic accelerometer sessions and sets with exact per-rep truth.

A rigid-body model: the body (or forearm) follows a pose trajectory (vertical and forward displacement, pitch
and roll) and the sensor, mounted at an arbitrary fixed orientation, reads specific force ``a - g`` in g. Reps
follow a minimum-jerk profile with per-rep tempo and range jitter and fatigue; sessions add walking between
stations, standing, set-up and re-rack motion, breathing, fidgeting, sensor noise and 1 mg quantisation.
Everything is simulated at 200 Hz and block-averaged to the requested rate (the sensor's own anti-alias filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

G_M_S2 = 9.80665
SIM_FS_HZ = 200.0
ARM_ONLY_CHEST_SCALE = 0.25


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
EXERCISES: tuple[str, ...] = tuple(sorted({e for e, _ in MOTIONS}))
PLACEMENTS: tuple[str, ...] = ("chest", "wrist", "upper_arm")


@dataclass
class _Track:
    """Pose tracks being written at SIM_FS_HZ: displacement (m) and angles (rad) per sample."""

    up_m: list[np.ndarray]
    fwd_m: list[np.ndarray]
    pitch_rad: list[np.ndarray]
    roll_rad: list[np.ndarray]

    def append(self, up: np.ndarray, fwd: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> None:
        self.up_m.append(up)
        self.fwd_m.append(fwd)
        self.pitch_rad.append(pitch)
        self.roll_rad.append(roll)

    @property
    def n(self) -> int:
        return int(sum(len(a) for a in self.up_m))

    def last_pose(self) -> tuple[float, float]:
        return (float(self.pitch_rad[-1][-1]), float(self.roll_rad[-1][-1])) if self.up_m else (0.0, 0.0)


def _min_jerk(n: int) -> np.ndarray:
    tau = np.linspace(0.0, 1.0, max(n, 2))[:n]
    return 10 * tau**3 - 15 * tau**4 + 6 * tau**5


def _ramp(a: float, b: float, n: int) -> np.ndarray:
    return a + (b - a) * _min_jerk(n)


def _n(seconds: float) -> int:
    return max(int(round(seconds * SIM_FS_HZ)), 1)


def _hold(track: _Track, seconds: float, rng: np.random.Generator, *, sway_deg: float = 0.4) -> None:
    """Stand (or lie) still: breathing and slow postural sway around the current pose."""
    n = _n(seconds)
    t = np.arange(n) / SIM_FS_HZ
    pitch0, roll0 = track.last_pose()
    breath = np.radians(0.6) * np.sin(2 * np.pi * rng.uniform(0.2, 0.3) * t + rng.uniform(0, 6.3))
    sway = np.radians(sway_deg) * np.cumsum(rng.normal(0, 1, n)) / np.sqrt(n)
    zero = np.zeros(n)
    track.append(zero, zero, pitch0 + breath + sway, roll0 + 0.5 * sway)


def _move_to(track: _Track, pitch_deg: float, seconds: float, rng: np.random.Generator) -> None:
    """Change posture (lie down, bend over, stand up) with a small bump in height."""
    n = _n(seconds)
    pitch0, roll0 = track.last_pose()
    bump = 0.05 * np.sin(np.pi * np.arange(n) / n) * rng.uniform(0.5, 1.5)
    track.append(bump, np.zeros(n), _ramp(pitch0, np.radians(pitch_deg), n), _ramp(roll0, 0.0, n))


def _walk(track: _Track, seconds: float, rng: np.random.Generator, placement: str) -> None:
    """Walk: vertical bounce at the step rate, sway at the stride rate, arm swing on the wrist."""
    n = _n(seconds)
    t = np.arange(n) / SIM_FS_HZ
    step_hz = rng.uniform(1.7, 2.1)
    pitch0, _ = track.last_pose()
    env = np.clip(np.minimum(t, t[-1] - t) / 0.8, 0, 1)
    up = env * 0.025 * np.sin(2 * np.pi * step_hz * t)
    for t_step in np.arange(rng.uniform(0, 0.5), t[-1], 1.0 / step_hz):  # heel strikes: sharp, broadband
        up += env * rng.uniform(0.002, 0.004) * np.exp(-0.5 * ((t - t_step) / 0.025) ** 2)
    fwd = env * 0.01 * np.sin(2 * np.pi * step_hz * t + 1.0)
    swing_deg = 25.0 if placement == "wrist" else (12.0 if placement == "upper_arm" else 2.0)
    pitch = _ramp(pitch0, 0.0, n) + env * np.radians(swing_deg) * np.sin(np.pi * step_hz * t)
    roll = env * np.radians(3.0) * np.sin(np.pi * step_hz * t + 0.5)
    track.append(up, fwd, pitch, roll)


def _fidget(track: _Track, rng: np.random.Generator, placement: str, *, chest_scale: float = 1.0) -> None:
    """A short, irregular movement during rest: a sip of water, adjusting a plate, a look around.

    ``chest_scale`` shrinks it on the chest for arm-only moves (handing the bar out of and into the rack
    while lying on the bench moves the arms, hardly the torso).
    """
    n = _n(rng.uniform(0.8, 2.0))
    pitch0, roll0 = track.last_pose()
    scale = chest_scale if placement == "chest" else 3.0
    bump = np.sin(np.pi * np.arange(n) / n)
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
        _hold(track, chunk, rng)
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
    pause = rng.uniform(0.0, 0.25) * speed
    up = _min_jerk(_n(first))
    down = 1.0 - _min_jerk(_n(second))
    q = np.concatenate([up, np.ones(_n(pause)), down])
    return q, len(up) + _n(pause) // 2


def _set_reps(
    track: _Track, m: Motion, n_reps: int, rng: np.random.Generator, *, speed: float, irregular: bool
) -> list[tuple[float, float, float]]:
    """Append ``n_reps`` reps (with pauses between) and return their (start, turn, end) times."""
    times = []
    rom = rng.uniform(0.85, 1.15)
    odd_rep = int(rng.integers(1, max(n_reps, 2))) if irregular else -1
    for i in range(n_reps):
        fatigue = 0.6 * max(0.0, (i - 0.6 * n_reps) / max(n_reps, 1)) * rng.uniform(0, 1.5)
        if i == odd_rep:
            fatigue += 1.2  # a grinder: much slower concentric
        q, turn = _rep_profile(m, speed, rng, fatigue)
        q = q * rom * rng.uniform(0.9, 1.1)
        t0 = track.n / SIM_FS_HZ
        track.append(
            m.up_m * q,
            m.fwd_m * q,
            np.radians(m.base_pitch_deg + m.pitch_deg * q),
            np.radians(m.roll_deg * q * rng.uniform(-1, 1)),
        )
        times.append((t0, t0 + turn / SIM_FS_HZ, t0 + len(q) / SIM_FS_HZ))
        gap_s = rng.uniform(0.1, 0.7) * speed + (rng.uniform(1.5, 3.0) if i == odd_rep - 1 else 0.0)
        _hold(track, gap_s, rng, sway_deg=0.2)
    return times


def _setup(track: _Track, exercise: str, m: Motion, rng: np.random.Generator, placement: str) -> None:
    """Get into position: unrack and step back, lie down, bend to the bar, grip, brace."""
    if exercise in ("squat", "lunge", "overhead_press"):
        _fidget(track, rng, placement)
        _walk(track, rng.uniform(1.5, 2.5), rng, placement)
    _move_to(track, m.base_pitch_deg, rng.uniform(1.0, 2.5), rng)
    if exercise in ("bench_press",):
        _fidget(track, rng, placement, chest_scale=ARM_ONLY_CHEST_SCALE)  # unrack
    _hold(track, rng.uniform(1.2, 2.5), rng, sway_deg=0.2)  # brace before the first rep


def _rerack(track: _Track, exercise: str, rng: np.random.Generator, placement: str) -> None:
    """Finish: re-rack (step forward, bar into the hooks), put the bar down, sit or stand up."""
    _hold(track, rng.uniform(0.3, 1.0), rng, sway_deg=0.2)
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


def _render(track: _Track, fs_hz: float, rng: np.random.Generator, noise_g: float) -> tuple[np.ndarray, np.ndarray]:
    """Pose tracks -> sensor readings at ``fs_hz`` (block mean of the 200 Hz simulation), noise, 1 mg steps."""
    up, fwd = np.concatenate(track.up_m), np.concatenate(track.fwd_m)
    pitch, roll = np.concatenate(track.pitch_rad), np.concatenate(track.roll_rad)
    dt = 1.0 / SIM_FS_HZ
    acc_world = np.stack(
        [np.gradient(np.gradient(fwd, dt), dt), np.zeros_like(up), np.gradient(np.gradient(up, dt), dt)], -1
    ) / G_M_S2
    specific = acc_world + np.array([0.0, 0.0, 1.0])
    body = np.einsum("nji,nj->ni", _rotation(pitch, roll), specific)
    sensor = body @ _random_mount(rng)
    step = max(int(round(SIM_FS_HZ / fs_hz)), 1)
    n_out = len(sensor) // step
    acc = sensor[: n_out * step].reshape(n_out, step, 3).mean(axis=1)
    acc = acc + rng.normal(0.0, noise_g, acc.shape)
    t_s = (np.arange(n_out) * step + (step - 1) / 2) / SIM_FS_HZ
    return t_s, np.round(acc * 1000.0) / 1000.0


def synth_session(
    plan: Sequence[tuple[str, int, float]],
    *,
    placement: str,
    fs_hz: float,
    rng: np.random.Generator,
    speed: float = 1.0,
    irregular: bool = False,
    noise_g: float = 0.004,
) -> SynthSession:
    """Simulate a whole workout: walk to each station, set up, lift, re-rack, rest.

    Parameters
    ----------
    plan : sequence of (exercise, n_reps, rest_after_s)
        Exercises from ``EXERCISES``; a change of exercise adds a walk to the next station.
    placement : {'chest', 'wrist', 'upper_arm'}
        Where the sensor is worn (its orientation on the body is random).
    fs_hz : float
        Output rate, 10-200 Hz (the simulation runs at 200 Hz and is block-averaged).
    rng : numpy.random.Generator
        All randomness (tempo, range, mounting, noise) comes from here.
    speed : float
        Tempo multiplier: 1 is about 3 s per rep, 2 is slow (~6 s), 0.3 is fast (~0.9 s).
    irregular : bool
        Add one grinding rep and one long pause inside each set.
    noise_g : float
        White sensor noise (g, standard deviation) before 1 mg quantisation.

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
    track = _Track([], [], [], [])
    _hold(track, rng.uniform(5.0, 15.0), rng)
    truths, previous = [], None
    for exercise, n_reps, rest_s in plan:
        if (exercise, placement) not in MOTIONS:
            raise ValueError(f"unknown exercise {exercise!r}; known: {EXERCISES}")
        m = MOTIONS[(exercise, placement)]
        if exercise != previous:
            _walk(track, rng.uniform(8.0, 25.0), rng, placement)
            _hold(track, rng.uniform(3.0, 10.0), rng)
        _setup(track, exercise, m, rng, placement)
        reps = _set_reps(track, m, n_reps, rng, speed=speed * rng.uniform(0.85, 1.2), irregular=irregular)
        _rerack(track, exercise, rng, placement)
        _rest(track, rest_s, rng, placement)
        truths.append(SetTruth(exercise, reps[0][0], reps[-1][2], tuple(reps)) if reps else None)
        previous = exercise
    t_s, acc_g = _render(track, fs_hz, rng, noise_g)
    return SynthSession(t_s, acc_g, float(SIM_FS_HZ / max(int(round(SIM_FS_HZ / fs_hz)), 1)),
                        tuple(s for s in truths if s is not None))


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
) -> SynthSession:
    """One set as a short recording: a few seconds of standing, set-up, reps, re-rack, a few seconds of rest.

    Same model and parameters as `synth_session`; the truth has exactly one set.
    """
    return synth_session(
        [(exercise, n_reps, float(rng.uniform(3.0, 6.0)))],
        placement=placement, fs_hz=fs_hz, rng=rng, speed=speed, irregular=irregular, noise_g=noise_g,
    )
