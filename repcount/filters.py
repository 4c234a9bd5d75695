"""Causal, orientation-free rep signal on the 20 Hz grid: band-pass, principal axis, envelope.

Gravity is removed by the band-pass (its slow changes of direction with posture fall below the pass band);
rotations at the rep rate stay in, because on most lifts the tilt of the sensor is the clearest rep signal.
The 3-axis band-passed signal is projected on the leading axis of its exponentially weighted covariance
(re-estimated every 0.5 s, sign kept continuous), which makes the result independent of how the sensor is worn.
All filters carry their state (``sosfilt``/``lfilter`` with ``zi``), so any chunking gives the same output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from repcount.grid import GRID_FS_HZ

BAND_HZ = (0.12, 1.6)
COV_TAU_S = 3.0
ENV_TAU_S = 2.5
HOP = 10  # grid samples between principal-axis updates

_SOS = signal.butter(2, BAND_HZ, btype="bandpass", fs=GRID_FS_HZ, output="sos")
_SOS_ZI = signal.sosfilt_zi(_SOS)


def _ew(tau_s: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = float(np.exp(-1.0 / (tau_s * GRID_FS_HZ)))
    return np.array([1.0 - alpha]), np.array([1.0, -alpha])


_COV_B, _COV_A = _ew(COV_TAU_S)
_ENV_B, _ENV_A = _ew(ENV_TAU_S)
_PAIRS = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))


@dataclass(frozen=True)
class FilterState:
    """Filter memories of the current segment and the last principal axis (sign-aligned)."""

    bp_zi: np.ndarray
    cov_zi: np.ndarray
    env_zi: np.ndarray
    axis: np.ndarray
    n_seen: int

    @classmethod
    def start(cls, first_g: np.ndarray) -> FilterState:
        """Fresh state for a segment that starts with the reading ``first_g`` (steady state, no transient)."""
        return cls(_SOS_ZI[:, :, None] * first_g[None, None, :], np.zeros((1, 6)), np.zeros(1), np.zeros(3), 0)


@dataclass(frozen=True)
class RepSignal:
    """Projected band-passed acceleration (g) and its running RMS (g) at grid times (s)."""

    t_s: np.ndarray
    x_g: np.ndarray
    rms_g: np.ndarray


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


def filter_step(state: FilterState, acc_g: np.ndarray) -> tuple[FilterState, np.ndarray, np.ndarray]:
    """Filter one run of grid samples of a single segment; returns (state, x_g, rms_g)."""
    bp, bp_zi = signal.sosfilt(_SOS, acc_g, axis=0, zi=state.bp_zi)
    prods = np.stack([bp[:, i] * bp[:, j] for i, j in _PAIRS], axis=1)
    cov, cov_zi = signal.lfilter(_COV_B, _COV_A, prods, axis=0, zi=state.cov_zi)
    k = state.n_seen + np.arange(len(acc_g))
    hops = np.flatnonzero(k % HOP == 0)
    axis = state.axis
    if len(hops):
        hop_axes = _axes(cov[hops], state.axis)
        held = np.searchsorted(hops, np.arange(len(acc_g)), side="right") - 1
        per_sample = np.where((held >= 0)[:, None], hop_axes[np.maximum(held, 0)], state.axis[None, :])
        axis = hop_axes[-1]
    else:
        per_sample = np.broadcast_to(state.axis, acc_g.shape)
    x = np.einsum("ij,ij->i", bp, per_sample)
    ms, env_zi = signal.lfilter(_ENV_B, _ENV_A, x * x, zi=state.env_zi)
    new_state = FilterState(bp_zi, cov_zi, env_zi, axis, state.n_seen + len(acc_g))
    return new_state, x, np.sqrt(np.maximum(ms, 0.0))
