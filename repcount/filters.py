"""Causal, orientation-free rep signal on the 20 Hz grid: band-pass, principal axis, envelope.

Gravity is removed by the band-pass (its slow changes of direction with posture fall below the pass band);
rotations at the rep rate stay in, because on most lifts the tilt of the sensor is the clearest rep signal.
The 3-axis band-passed signal is projected on the leading axis of its exponentially weighted covariance
(re-estimated every 0.5 s, sign kept continuous), which makes the result independent of how the sensor is worn.
All filters carry their state (``sosfilt``/``lfilter`` with ``zi``, called through their kernels:
`_sos_filter`), so any chunking gives the same output.
A segment's filters start from its first grid samples as if the data had been going on before
(`FilterState.primed`): a recording trimmed to a set starts in the middle of the motion.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import signal
from scipy.signal._sigtools import _linear_filter
from scipy.signal._sosfilt import _sosfilt

from repcount.grid import GRID_FS_HZ

BAND_HZ = (0.12, 1.6)
STEP_BAND_HZ = (1.5, 2.6)  # footsteps: the magnitude bounces twice per stride (arm swing, torso sway)
STRIDE_BAND_HZ = (0.4, 1.4)
COV_TAU_S = 3.0
ENV_TAU_S = 2.5
GAIT_TAU_S = 1.5
STILL_TAU_S = 0.15
STILL_G = 0.025  # RMS deviation below which the sensor is held still
STILL_N = 14  # grid samples of stillness that confirm a pose
START_STILL_N = 4  # a segment that begins with this many still samples (0.2 s) begins at rest: where it first moves,
# its pose is the data's start pose (shorter than STILL_N: how long it was still before the data began is unknown)
POSE_CHANGE_DEG = 25.0
ORIGIN_BACK_DEG = POSE_CHANGE_DEG / 2.0  # motion that comes back this close to the data's first pose repeats: reps
POSE_MEMORY_S = 60.0  # poses held longer ago than this are forgotten
HOP = 10  # grid samples between principal-axis updates
START_N = 2  # grid samples (0.1 s) whose mean is a segment's starting level
PRIME_N = 40  # grid samples (2 s, about a rep) whose motion sets a new segment's starting envelope

_SOS = signal.butter(2, BAND_HZ, btype="bandpass", fs=GRID_FS_HZ, output="sos")
_SOS_ZI = signal.sosfilt_zi(_SOS)
LEVEL_HZ = 1.6
_SOS_LEVEL = signal.butter(2, LEVEL_HZ, fs=GRID_FS_HZ, output="sos")
_SOS_LEVEL_ZI = signal.sosfilt_zi(_SOS_LEVEL)
SOS_STEP = signal.butter(2, STEP_BAND_HZ, btype="bandpass", fs=GRID_FS_HZ, output="sos")
SOS_STRIDE = signal.butter(2, STRIDE_BAND_HZ, btype="bandpass", fs=GRID_FS_HZ, output="sos")
_SOS_GAIT = np.vstack([SOS_STEP, SOS_STRIDE])
_SOS_GAIT_ZI = signal.sosfilt_zi(SOS_STEP)  # the stride band-pass has as many sections


def _sos_filter(sos: np.ndarray, x_g: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``signal.sosfilt(sos, x_g, axis=0, zi=zi)`` for float64 ``x_g`` (n,) or (n, c): the kernel it calls, on the
    arrays it would pass (same numbers, same memory layout out), without its checks and axis moves, which
    cost ~40 us a call: the live counter filters 0.15 s of the grid at a time, through four of these."""
    y = np.array(x_g.T if x_g.ndim == 2 else x_g[None, :], order="C")
    z = np.array(zi.transpose(2, 0, 1) if zi.ndim == 3 else zi[None, :, :], order="C")
    _sosfilt(sos, y, z)
    return (y.T, z.transpose(1, 2, 0)) if x_g.ndim == 2 else (y[0], z[0])


def _ew_filter(b: np.ndarray, a: np.ndarray, x_g: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``signal.lfilter(b, a, x_g, axis=0, zi=zi)``: the kernel it calls, without its checks (see `_sos_filter`)."""
    y, zf = _linear_filter(b, a, x_g, 0, zi)
    return y, zf


def phase_delay_s(period_s: float) -> float:
    """How much later (s) the band-pass shows a rep's turnaround than it happened, for reps this long.

    Parameters
    ----------
    period_s : float
        Rep period in seconds.

    Returns
    -------
    float
        The band-pass phase delay at ``1 / period_s``: positive for fast reps (about 0.13 s at 1-s reps),
        negative for slow ones, whose peaks the high-pass edge brings forward (-0.33 s at 4 s, -1.4 s at 7 s).
    """
    f_hz = 1.0 / period_s
    h = _sos_response(_SOS, f_hz)
    return float(-np.angle(h[0]) / (2.0 * np.pi * f_hz))


def _sos_response(sos: np.ndarray, f_hz: float) -> np.ndarray:
    """``signal.sosfreqz(sos, worN=[f_hz], fs=GRID_FS_HZ)[1]``, computed by the same operations (the same numbers)
    without its checks (~0.4 ms a call; a set found calls it once)."""
    z = np.exp(-1j * (2 * np.pi * np.array([f_hz]) / GRID_FS_HZ))
    rows = [_polyval(z, row[:3]) / _polyval(z, row[3:]) for row in sos]
    h: np.ndarray = 1.0 * rows[0]
    for row_h in rows[1:]:
        h *= row_h  # in place, as sosfreqz does (a product in place may round otherwise)
    return h


def _polyval(z: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """The polynomial ``coef[0] + coef[1] z + ...`` at ``z`` by Horner's rule, as ``signal.freqz`` evaluates it."""
    out = np.full(z.shape, coef[-1], dtype=complex)
    for c in coef[-2::-1]:
        out = c + out * z
    return out


def _ew(tau_s: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = float(np.exp(-1.0 / (tau_s * GRID_FS_HZ)))
    return np.array([1.0 - alpha]), np.array([1.0, -alpha])


_COV_B, _COV_A = _ew(COV_TAU_S)
_ENV_B, _ENV_A = _ew(ENV_TAU_S)
_GAIT_B, _GAIT_A = _ew(GAIT_TAU_S)
_STILL_B, _STILL_A = _ew(STILL_TAU_S)
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
_PAIR_I, _PAIR_J = (list(k) for k in zip(*_PAIRS, strict=True))
_POSE_COS = float(np.cos(np.radians(POSE_CHANGE_DEG)))
_BACK_COS = float(np.cos(np.radians(ORIGIN_BACK_DEG)))
_POSE_MEMORY_N = POSE_MEMORY_S * GRID_FS_HZ


@dataclass(frozen=True)
class Origin:
    """The data's first gravity direction (unit), kept while no still pose is known; whether the motion has since
    gone ``POSE_CHANGE_DEG`` from it (``far``) and then come back within ``ORIGIN_BACK_DEG`` (``back``)."""

    direction: tuple[float, float, float]
    far: bool = False
    back: bool = False

    def track(self, level_g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per sample of ``level_g`` (n, 3), ``far`` and ``back`` as they stand after it."""
        cos = level_g @ np.asarray(self.direction) / np.maximum(np.linalg.norm(level_g, axis=1), 1e-9)
        far = np.logical_or.accumulate((cos < _POSE_COS) | self.far)
        return far, np.logical_or.accumulate((far & (cos > _BACK_COS)) | self.back)


@dataclass(frozen=True)
class FilterState:
    """Filter memories of the current segment, the principal axis, and the recent still poses.

    ``poses`` holds (grid index, unit gravity direction) of the last three still periods confirmed within
    ``POSE_MEMORY_S``: a still period
    whose direction differs from all of them by more than ``POSE_CHANGE_DEG`` is a new posture (lying down on
    the bench, bending over for a row) and the band-pass restarts from it, instead of ringing for seconds.
    Reps move between two poses at most, so they never restart it.

    ``origin`` is the data's first direction while no pose is known yet (`Origin`; None once one is). A recording that
    begins with the lifter getting into position has no earlier pose to tell the set's from: its first still
    pose, away from where the data began, restarts the band-pass unless the motion came back to that start
    (a recording cut mid-set starts on the reps' path, and the reps pass through it again).
    """

    bp_zi: np.ndarray
    cov_zi: np.ndarray
    env_zi: np.ndarray
    gait_zi: np.ndarray
    gait_env_zi: np.ndarray
    still_zi: np.ndarray
    still_run: int
    poses: tuple[tuple[float, ...], ...]
    axis: np.ndarray
    n_seen: int
    level_zi: np.ndarray
    origin: Origin | None = None

    @classmethod
    def primed(cls, head_g: np.ndarray) -> FilterState:
        """Fresh state for a segment whose first grid samples are ``head_g`` (n, 3) in g (up to ``PRIME_N``).

        The band-pass starts steady at the mean of the first ``START_N``: it sees any distance between its
        rest level and the data as motion, and a 1-2 sample spike of 2 g at the start of a recording made a
        transient that took three reps' waves with it. The envelope starts at the mean square of the
        band-passed head along its main axis, as if that motion had been going on: from zero, the lobe
        threshold lets the first seconds' wiggles and transient through as waves. A head at rest changes
        nothing.
        """
        first = np.mean(head_g[:START_N], axis=0)
        state = cls.start(first)
        bp = _sos_filter(_SOS, head_g[:PRIME_N], state.bp_zi)[0]
        ms = float(np.linalg.eigvalsh(bp.T @ bp / len(bp))[-1])
        x, y, z = (float(v) for v in first / max(float(np.linalg.norm(first)), 1e-9))
        return replace(state, env_zi=np.array([ms * -_ENV_A[1]]), origin=Origin((x, y, z)))

    @classmethod
    def start(cls, first_g: np.ndarray) -> FilterState:
        """Fresh state for a segment that starts with the reading ``first_g`` (steady state, no transient)."""
        still_zi = np.r_[first_g, first_g * first_g][None, :] * _STILL_A[1] * -1.0
        return cls(
            _SOS_ZI[:, :, None] * first_g[None, None, :], np.zeros((1, 6)), np.zeros(1),
            _SOS_GAIT_ZI[:, :, None] * np.array([1.0, 0.0])[None, None, :] * float(np.linalg.norm(first_g)),
            np.zeros((1, 2)), still_zi, 0, (), np.zeros(3), 0, _SOS_LEVEL_ZI[:, :, None] * first_g[None, None, :],
        )


    def resumed(self, before: FilterState) -> FilterState:
        """This fresh state, carrying on the principal axis, its covariance, the envelope and the poses of
        ``before`` (the data paused briefly): the rep signal keeps its sign across the gap."""
        return replace(self, cov_zi=before.cov_zi, env_zi=before.env_zi, axis=before.axis, poses=before.poses,
                       origin=before.origin)


@dataclass(frozen=True)
class RepSignal:
    """Projected band-passed acceleration and its running RMS; running RMS of the magnitude in the step
    and stride bands (all g)."""

    x_g: np.ndarray
    rms_g: np.ndarray
    step_g: np.ndarray
    stride_g: np.ndarray
    bp_g: np.ndarray | None = None  # the band-passed 3-axis acceleration (n, 3)
    level_g: np.ndarray | None = None  # the low-passed 3-axis acceleration, gravity included (n, 3)
    restart: np.ndarray | None = None  # True where a new posture restarted the band-pass
    still: np.ndarray | None = None  # True where the sensor has just been held still long enough
    settled: np.ndarray | None = None  # True where a segment that began at rest (`START_STILL_N`) first moves
    mag_g: np.ndarray | None = None  # magnitude of the acceleration (near 0: in free fall, off the floor)


def _pose_resets(state: FilterState, acc_g: np.ndarray) -> tuple[FilterState, list[int], np.ndarray, np.ndarray]:
    """Indices where a new posture is confirmed, where any still pose is, and where a segment that began with
    ``START_STILL_N`` to ``STILL_N`` still samples first moves; updates the stillness memory."""
    moments, still_zi = _ew_filter(_STILL_B, _STILL_A, np.concatenate((acc_g, acc_g * acc_g), axis=1), state.still_zi)
    var = np.sum(moments[:, 3:] - moments[:, :3] ** 2, axis=1)
    still = var < STILL_G**2
    last_moving = np.maximum.accumulate(np.where(~still, np.arange(len(still)), -1))
    run = np.where(last_moving >= 0, np.arange(len(still)) - last_moving, np.arange(len(still)) + 1 + state.still_run)
    poses, resets, origin = list(state.poses), [], state.origin
    far, back = origin.track(moments[:, :3]) if origin is not None else (None, np.zeros(len(moments), dtype=bool))
    refresh = int(_POSE_MEMORY_N) // 2
    for k in np.flatnonzero((run == STILL_N) | ((run > STILL_N) & (run % refresh == 0))):
        now = state.n_seen + int(k)
        pose = moments[k, :3] / max(float(np.linalg.norm(moments[k, :3])), 1e-9)
        poses = [p for p in poses if now - p[0] <= _POSE_MEMORY_N]
        known = poses or ([(0.0, *origin.direction)] if origin is not None and not back[k] else [])
        if known and all(float(np.dot(pose, p[1:])) < _POSE_COS for p in known):
            resets.append(int(k))
        poses, origin = [*poses[-2:], (float(now), *(float(v) for v in pose))], None
    if origin is not None and far is not None and len(far):
        origin = replace(origin, far=bool(far[-1]), back=bool(back[-1]))
    new = replace(state, still_zi=still_zi, still_run=int(run[-1]) if len(run) else state.still_run,
                  poses=tuple(poses), origin=origin)
    moving = np.flatnonzero(~still)[:1]
    begun_still = state.still_run == state.n_seen and bool(len(moving)) and (
        START_STILL_N <= state.n_seen + int(moving[0]) < STILL_N)
    return new, resets, np.flatnonzero(run == STILL_N), moving if begun_still else moving[:0]


def _axes(cov6: np.ndarray, prev_axis: np.ndarray) -> np.ndarray:
    """Leading eigenvectors of packed covariances, signs chained to ``prev_axis``."""
    c = np.empty((len(cov6), 3, 3))
    for k, (i, j) in enumerate(_PAIRS):
        c[:, i, j] = c[:, j, i] = cov6[:, k]
    vecs = np.linalg.eigh(c)[1][:, :, -1]
    prev = np.vstack([prev_axis[None, :], vecs[:-1]])
    dots = np.einsum("ij,ij->i", vecs, prev)
    flips = np.where(dots < 0, -1.0, 1.0)
    flips[0] = 1.0 if np.dot(vecs[0], prev_axis) >= 0 else -1.0
    return vecs * np.cumprod(flips)[:, None]


def _filter_run(state: FilterState, acc_g: np.ndarray) -> tuple[FilterState, RepSignal]:
    bp, bp_zi = _sos_filter(_SOS, acc_g, state.bp_zi)
    prods = bp[:, _PAIR_I] * bp[:, _PAIR_J]
    cov, cov_zi = _ew_filter(_COV_B, _COV_A, prods, state.cov_zi)
    k = state.n_seen + np.arange(len(acc_g))
    hops = np.flatnonzero(k % HOP == 0)
    axis = state.axis
    if len(hops):
        hop_axes = _axes(cov[hops], state.axis)
        held = np.searchsorted(hops, np.arange(len(acc_g)), side="right") - 1
        per_sample = np.where((held >= 0)[:, None], hop_axes[np.maximum(held, 0)], state.axis[None, :])
        axis = hop_axes[-1]
    else:
        per_sample = np.repeat(state.axis[None, :], len(acc_g), axis=0)
    x = np.einsum("ij,ij->i", bp, per_sample)
    ms, env_zi = _ew_filter(_ENV_B, _ENV_A, x * x, state.env_zi)
    mag = np.linalg.norm(acc_g, axis=1)
    gait, gait_ms, gait_zi, gait_env_zi = _gait(state, mag)
    level, level_zi = _sos_filter(_SOS_LEVEL, acc_g, state.level_zi)
    new_state = replace(state, bp_zi=bp_zi, cov_zi=cov_zi, env_zi=env_zi, gait_zi=gait_zi, gait_env_zi=gait_env_zi,
                        axis=axis, n_seen=state.n_seen + len(acc_g), level_zi=level_zi)
    rms = np.sqrt(np.maximum(np.column_stack((ms, gait_ms)), 0.0))
    return new_state, RepSignal(x, rms[:, 0], rms[:, 1], rms[:, 2], bp, level, mag_g=mag)


def _gait(state: FilterState, mag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step-band and stride-band content of the acceleration magnitude ``mag`` (g), and their running mean squares."""
    step, step_zi = _sos_filter(_SOS_GAIT[:2], mag, state.gait_zi[:, :, 0])
    stride, stride_zi = _sos_filter(_SOS_GAIT[2:], mag, state.gait_zi[:, :, 1])
    both = np.column_stack((step, stride))
    ms, env_zi = _ew_filter(_GAIT_B, _GAIT_A, both * both, state.gait_env_zi)
    return both, ms, np.stack([step_zi, stride_zi], axis=-1), env_zi


def _mask(n: int, at: list[int] | np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[at] = True
    return out


def filter_step(state: FilterState, acc_g: np.ndarray) -> tuple[FilterState, RepSignal]:
    """Filter one run of grid samples (g) of a single segment into the rep signal.

    Walking is tracked separately so that its arm swing or torso sway, which can look like fast reps, can be
    told apart from lifting: footsteps make the magnitude bounce at twice the swing rate.
    """
    state, resets, confirmed, settled = _pose_resets(state, acc_g)
    restart, still, first_move = (_mask(len(acc_g), at) for at in (resets, confirmed, settled))
    if not resets:  # the usual case: one run, nothing to join
        state, sig = _filter_run(state, acc_g)
        return state, replace(sig, restart=restart, still=still, settled=first_move)
    parts = []
    bounds = sorted({0, *resets, len(acc_g)})
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if a in resets:
            start = FilterState.start(acc_g[a])
            state = replace(state, bp_zi=start.bp_zi, cov_zi=start.cov_zi, env_zi=start.env_zi)
        state, part = _filter_run(state, acc_g[a:b])
        parts.append(part)
    joined = {f: np.concatenate([getattr(p, f) for p in parts]) for f in ("x_g", "rms_g", "step_g", "stride_g")}
    bp = np.concatenate([p.bp_g for p in parts if p.bp_g is not None])
    level = np.concatenate([p.level_g for p in parts if p.level_g is not None])
    mag = np.concatenate([p.mag_g for p in parts if p.mag_g is not None])
    return state, RepSignal(**joined, bp_g=bp, level_g=level, restart=restart, still=still, settled=first_move,
                            mag_g=mag)
