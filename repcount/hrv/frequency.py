"""Frequency-domain HRV the Kubios way (Tarvainen et al. 2014).

Pipeline of :func:`welch_psd`:

1. RR tachogram: each interval is placed at the time of the beat that ends it
   (``t_i = cumsum(rr)``), as Kubios does.
2. Cubic-spline interpolation at ``fs_hz = 4`` Hz (``scipy.interpolate.CubicSpline``,
   not-a-knot ends).
3. Smoothness-priors detrending (Tarvainen, Ranta-aho & Karjalainen 2002) with
   ``lambda = 500``; at 4 Hz this is a high-pass with a -3 dB corner at 0.035 Hz,
   the figure the Kubios guide gives. The banded system is solved in O(N).
4. Welch periodogram: Hann windows of 300 s with 50 % overlap (one window over the
   whole series when it is shorter), one-sided density in ms²/Hz, segment mean removed.

Band powers (ms²) integrate the PSD with the trapezoid rule over ``lo <= f < hi``:
VLF 0.0033-0.04 Hz, LF 0.04-0.15 Hz, HF 0.15-0.40 Hz (Task Force). NeuroKit2's default
differs by design (quadratic interpolation, no detrending, ``nperseg = N/2``, PSD divided
by its maximum), so its LF and HF are not ms² unless ``normalize=False``.

:func:`lomb_psd` is the option without interpolation: the Lomb-Scargle periodogram
of the mean-removed RR at the beat times, scaled to a one-sided density in ms²/Hz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded
from scipy.signal import lombscargle

VLF_HZ = (0.0033, 0.04)
LF_HZ = (0.04, 0.15)
HF_HZ = (0.15, 0.40)


@dataclass(frozen=True)
class Spectrum:
    """One-sided power spectral density of an RR series: ``freq_hz`` and ``psd_ms2_per_hz``."""

    freq_hz: NDArray[np.float64]
    psd_ms2_per_hz: NDArray[np.float64]


@dataclass(frozen=True)
class FrequencyDomain:
    """Band powers in ms², their ratio, peak frequencies in Hz and breathing rate."""

    vlf_ms2: float
    lf_ms2: float
    hf_ms2: float
    lf_hf: float
    lf_peak_hz: float
    hf_peak_hz: float
    resp_rate_bpm: float


def smoothness_priors_detrend(z: ArrayLike, lam: float = 500.0) -> NDArray[np.float64]:
    """Remove the slow trend of an evenly sampled series with smoothness priors.

    Parameters
    ----------
    z : array_like
        Evenly sampled series (at least 3 samples).
    lam : float
        Regularisation ``lambda``; 500 at 4 Hz gives a -3 dB corner near 0.035 Hz.

    Returns
    -------
    ndarray
        ``z - (I + lam**2 D2' D2)^-1 z`` where ``D2`` is the second-difference matrix.

    References
    ----------
    Tarvainen, Ranta-aho & Karjalainen (2002), IEEE Trans Biomed Eng 49:172-175.

    Examples
    --------
    >>> out = smoothness_priors_detrend(np.linspace(0.0, 10.0, 50))
    >>> bool(np.max(np.abs(out)) < 1e-6)
    True
    """
    z = np.asarray(z, dtype=float)
    n = z.size
    # Five diagonals of D2'D2 for the second-difference operator, with its edge rows.
    main = np.full(n, 6.0)
    main[[0, -1]] = 1.0
    main[[1, -2]] = 5.0
    off1 = np.full(n - 1, -4.0)
    off1[[0, -1]] = -2.0
    off2 = np.ones(n - 2)
    lam2 = lam * lam
    ab = np.zeros((5, n))
    ab[0, 2:] = lam2 * off2
    ab[1, 1:] = lam2 * off1
    ab[2] = 1.0 + lam2 * main
    ab[3, :-1] = lam2 * off1
    ab[4, :-2] = lam2 * off2
    trend = solve_banded((2, 2), ab, z)
    return z - trend


def resample_tachogram(
    rr_ms: ArrayLike, fs_hz: float = 4.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cubic-spline RR tachogram on an even grid, from the first to the last beat.

    Parameters
    ----------
    rr_ms : array_like
        NN intervals in ms (at least 4).
    fs_hz : float
        Output sampling rate.

    Returns
    -------
    t_s, rr_even_ms : ndarray
        Grid times in s (from the end of the first interval) and the interpolated RR in ms.
    """
    rr = np.asarray(rr_ms, dtype=float)
    t_beat_s = np.cumsum(rr) / 1000.0
    t_s = np.arange(t_beat_s[0], t_beat_s[-1], 1.0 / fs_hz)
    return t_s, CubicSpline(t_beat_s, rr)(t_s)


def welch_psd(
    rr_ms: ArrayLike, *, fs_hz: float = 4.0, window_s: float = 300.0, lam: float = 500.0
) -> Spectrum:
    """Kubios-style Welch spectrum of an NN series (see the module docstring).

    Parameters
    ----------
    rr_ms : array_like
        NN intervals in ms (at least 4 beats and 2 s of data).
    fs_hz : float
        Interpolation rate.
    window_s : float
        Welch segment length; 50 % overlap; shortened to the series length if longer.
    lam : float
        Smoothness-priors lambda.

    Returns
    -------
    Spectrum
        Density in ms²/Hz; the FFT is zero-padded to at least 2048 points.

    Examples
    --------
    >>> t = np.arange(400)
    >>> spec = welch_psd(1000.0 + 20.0 * np.sin(2 * np.pi * 0.25 * t))
    >>> round(float(spec.freq_hz[np.argmax(spec.psd_ms2_per_hz)]), 2)
    0.25
    """
    _, rr_even = resample_tachogram(rr_ms, fs_hz)
    x = smoothness_priors_detrend(rr_even, lam)
    nperseg = min(x.size, int(round(window_s * fs_hz)))
    nfft = max(2048, 1 << (nperseg - 1).bit_length())
    f, p = _welch_hann(x, fs_hz, nperseg, nfft)
    return Spectrum(freq_hz=f, psd_ms2_per_hz=p)


def _welch_hann(
    x: NDArray[np.float64], fs_hz: float, nperseg: int, nfft: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``scipy.signal.welch`` (Hann, 50 % overlap, constant detrend, density) in one batched FFT."""
    segs = np.lib.stride_tricks.sliding_window_view(x, nperseg)[:: max(nperseg // 2, 1)]
    win = np.hanning(nperseg + 1)[:-1]  # periodic Hann, as scipy's get_window("hann")
    spec = np.fft.rfft((segs - segs.mean(axis=1, keepdims=True)) * win, n=nfft, axis=1)
    psd: NDArray[np.float64] = np.mean(np.abs(spec) ** 2, axis=0) / (fs_hz * np.dot(win, win))
    psd[1 : (nfft + 1) // 2] *= 2.0
    return np.fft.rfftfreq(nfft, 1.0 / fs_hz).astype(np.float64, copy=False), psd


def lomb_psd(rr_ms: ArrayLike, *, f_max_hz: float = 0.5) -> Spectrum:
    """Lomb-Scargle spectrum of the mean-removed NN series at the beat times.

    Parameters
    ----------
    rr_ms : array_like
        NN intervals in ms (at least 4).
    f_max_hz : float
        Highest frequency; the grid step is ``1 / (4 T)`` for a series spanning T
        seconds, so the cost grows as N x T (keep it to short-term recordings).

    Returns
    -------
    Spectrum
        One-sided density in ms²/Hz: ``2 * P * T / N`` for the classical periodogram
        ``P`` of N beats, so a sinusoid of amplitude A integrates to A²/2.

    Examples
    --------
    >>> t = np.arange(300)
    >>> spec = lomb_psd(1000.0 + 20.0 * np.sin(2 * np.pi * 0.25 * t))
    >>> round(band_power_ms2(spec, HF_HZ) / 200.0, 1)
    1.0
    """
    rr = np.asarray(rr_ms, dtype=float)
    t_s = np.cumsum(rr) / 1000.0
    span_s = float(t_s[-1] - t_s[0])
    df_hz = 1.0 / (4.0 * span_s)
    f = np.arange(df_hz, f_max_hz + df_hz / 2, df_hz)
    p = lombscargle(t_s, rr - rr.mean(), 2 * np.pi * f)
    return Spectrum(freq_hz=f, psd_ms2_per_hz=2.0 * p * span_s / rr.size)


def band_power_ms2(spec: Spectrum, band_hz: tuple[float, float]) -> float:
    """Trapezoid integral of the PSD over ``band_hz[0] <= f < band_hz[1]`` in ms²."""
    sel = (spec.freq_hz >= band_hz[0]) & (spec.freq_hz < band_hz[1])
    if np.count_nonzero(sel) < 2:
        return float("nan")
    return float(np.trapezoid(spec.psd_ms2_per_hz[sel], spec.freq_hz[sel]))


def peak_hz(spec: Spectrum, band_hz: tuple[float, float]) -> float:
    """Frequency of the largest PSD value inside the band (``nan`` if the band is empty)."""
    sel = (spec.freq_hz >= band_hz[0]) & (spec.freq_hz < band_hz[1])
    if not np.any(sel):
        return float("nan")
    return float(spec.freq_hz[sel][np.argmax(spec.psd_ms2_per_hz[sel])])


def frequency_domain(spec: Spectrum) -> FrequencyDomain:
    """Band powers, LF/HF, peaks and breathing rate (HF peak x 60) of a spectrum.

    Examples
    --------
    >>> t = np.arange(400)
    >>> fd = frequency_domain(welch_psd(1000.0 + 20.0 * np.sin(2 * np.pi * 0.25 * t)))
    >>> round(fd.resp_rate_bpm)
    15
    """
    lf = band_power_ms2(spec, LF_HZ)
    hf = band_power_ms2(spec, HF_HZ)
    hf_peak = peak_hz(spec, HF_HZ)
    return FrequencyDomain(
        vlf_ms2=band_power_ms2(spec, VLF_HZ),
        lf_ms2=lf,
        hf_ms2=hf,
        lf_hf=lf / hf if hf > 0 else float("nan"),
        lf_peak_hz=peak_hz(spec, LF_HZ),
        hf_peak_hz=hf_peak,
        resp_rate_bpm=60.0 * hf_peak,
    )
