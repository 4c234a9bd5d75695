"""All HRV metrics of one recording, with the reason each missing metric is missing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, TypedDict

import numpy as np
from numpy.typing import ArrayLike

from repcount.hrv.artifacts import correct_artifacts
from repcount.hrv.frequency import frequency_domain, lomb_psd, welch_psd
from repcount.hrv.nonlinear import dfa_alpha1, poincare, sample_entropy, stress_index
from repcount.hrv.time_domain import time_domain

MIN_BEATS = 30
MIN_HF_S = 60.0
MIN_LF_S = 120.0
MIN_DFA_BEATS = 64
MIN_SAMPEN_BEATS = 100
MAX_LOMB_S = 3600.0

_TIME_KEYS = ("mean_nn_ms", "sdnn_ms", "rmssd_ms", "ln_rmssd", "pnn50_pct", "mean_hr_bpm")
_HF_KEYS = ("hf_ms2", "hf_peak_hz", "resp_rate_bpm")
_LF_KEYS = ("lf_ms2", "lf_peak_hz", "lf_hf", "vlf_ms2")


@dataclass(frozen=True)
class HrvMetrics:
    """HRV metrics of one recording; a metric is ``None`` when ``reasons`` says why.

    Units are in the names. ``n_beats`` counts the input intervals, ``n_corrected``
    the intervals the artifact correction changed (0 with ``correct=False``),
    ``n_gaps``/``gap_s`` the intervals removed as gaps. ``reliable`` is ``False`` when
    more than 5 % of the intervals were corrected. ``stress_index`` is Kubios' square
    root of Baevsky's SI; ``resp_rate_bpm`` is the HF peak in breaths per minute.
    """

    n_beats: int
    n_corrected: int
    corrected_pct: float
    n_gaps: int
    gap_s: float
    duration_s: float
    reliable: bool
    mean_nn_ms: float | None = None
    sdnn_ms: float | None = None
    rmssd_ms: float | None = None
    ln_rmssd: float | None = None
    pnn50_pct: float | None = None
    mean_hr_bpm: float | None = None
    vlf_ms2: float | None = None
    lf_ms2: float | None = None
    hf_ms2: float | None = None
    lf_hf: float | None = None
    lf_peak_hz: float | None = None
    hf_peak_hz: float | None = None
    resp_rate_bpm: float | None = None
    sd1_ms: float | None = None
    sd2_ms: float | None = None
    dfa_alpha1: float | None = None
    sampen: float | None = None
    stress_index: float | None = None
    reasons: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready mapping (metrics as float or None, ``reasons`` included)."""
        return asdict(self)


class _Counts(TypedDict):
    """The :class:`HrvMetrics` fields every recording has, whatever its length."""

    n_beats: int
    n_corrected: int
    corrected_pct: float
    n_gaps: int
    gap_s: float
    duration_s: float
    reliable: bool


def _finite_or_none(values: dict[str, float]) -> dict[str, float | None]:
    return {k: (float(v) if np.isfinite(v) else None) for k, v in values.items()}


def _frequency_values(nn: np.ndarray, duration_s: float, spectrum: str) -> dict[str, float]:
    spec = welch_psd(nn) if spectrum == "welch" else lomb_psd(nn)
    fd = asdict(frequency_domain(spec))
    keys = _HF_KEYS + (_LF_KEYS if duration_s >= MIN_LF_S else ())
    return {k: fd[k] for k in keys}


def _frequency_reasons(duration_s: float, spectrum: str) -> dict[str, str]:
    if spectrum == "lomb" and duration_s > MAX_LOMB_S:
        why = f"Lomb-Scargle is limited to {MAX_LOMB_S:.0f} s recordings; use Welch"
        return dict.fromkeys(_HF_KEYS + _LF_KEYS, why)
    reasons = {}
    if duration_s < MIN_HF_S:
        why = f"needs at least {MIN_HF_S:.0f} s of beats, got {duration_s:.0f} s"
        reasons.update(dict.fromkeys(_HF_KEYS, why))
    if duration_s < MIN_LF_S:
        why = f"needs at least {MIN_LF_S:.0f} s of beats, got {duration_s:.0f} s"
        reasons.update(dict.fromkeys(_LF_KEYS, why))
    return reasons


def _length_reasons(n: int) -> dict[str, str]:
    reasons = {}
    if n < MIN_DFA_BEATS:
        reasons["dfa_alpha1"] = f"needs at least {MIN_DFA_BEATS} beats, got {n}"
    if n < MIN_SAMPEN_BEATS:
        reasons["sampen"] = f"needs at least {MIN_SAMPEN_BEATS} beats, got {n}"
    return reasons


def hrv_metrics(
    rr_ms: ArrayLike, *, correct: bool = True, spectrum: Literal["welch", "lomb"] = "welch"
) -> HrvMetrics:
    """Every HRV metric of one recording, after artifact correction by default.

    Parameters
    ----------
    rr_ms : array_like
        Positive, finite RR intervals in ms, in beat order.
    correct : bool
        Apply :func:`~repcount.hrv.artifacts.correct_artifacts` first (Kubios-style
        automatic correction and gap removal). ``False`` uses the intervals as given.
    spectrum : {"welch", "lomb"}
        Kubios' Welch pipeline (default) or Lomb-Scargle on the beat times.

    Returns
    -------
    HrvMetrics
        Time domain needs 30 beats, HF 60 s, LF (and VLF, LF/HF) 120 s, DFA alpha1
        64 beats, sample entropy 100 beats; shorter recordings get ``None`` and a reason.
        Intervals removed as gaps are left out: successive differences across a gap do
        not count (RMSSD, pNN50, SD1/SD2), and the spectrum, DFA and entropy run on the
        segments joined end to end.

    Raises
    ------
    ValueError
        If an interval is not finite or not positive.

    Examples
    --------
    >>> m = hrv_metrics(np.full(20, 800.0))
    >>> m.rmssd_ms is None, m.reasons["rmssd_ms"]
    (True, 'needs at least 30 beats, got 20')
    """
    rr = np.asarray(rr_ms, dtype=float)
    if rr.size and (not np.all(np.isfinite(rr)) or np.any(rr <= 0)):
        raise ValueError("`rr_ms` must hold positive finite intervals")
    res = correct_artifacts(rr) if correct else None
    nn = res.rr_ms if res is not None else rr
    valid = res.valid_diff if res is not None else None
    duration_s = float(nn.sum()) / 1000.0
    head = _Counts(
        n_beats=int(rr.size), n_corrected=res.n_corrected if res else 0,
        corrected_pct=res.corrected_pct if res else 0.0, n_gaps=res.n_gaps if res else 0,
        gap_s=res.gap_s if res else 0.0, duration_s=duration_s,
        reliable=res.reliable if res else True,
    )
    if nn.size < MIN_BEATS:
        why = f"needs at least {MIN_BEATS} beats, got {nn.size}"
        return HrvMetrics(**head, reasons=dict.fromkeys(_ALL_METRICS, why))
    values: dict[str, float] = dict(asdict(time_domain(nn, valid)))
    values.update(asdict(poincare(nn, valid)), stress_index=stress_index(nn))
    reasons = _frequency_reasons(duration_s, spectrum) | _length_reasons(nn.size)
    if not any(k in reasons for k in _HF_KEYS):
        values.update(_frequency_values(nn, duration_s, spectrum))
    if "dfa_alpha1" not in reasons:
        values["dfa_alpha1"] = dfa_alpha1(nn)
    if "sampen" not in reasons:
        values["sampen"] = sample_entropy(nn)
    out = _finite_or_none(values)
    for key, val in out.items():
        if val is None and key not in reasons:
            reasons[key] = "undefined for this recording (e.g. no variability)"
    return HrvMetrics(**head, **out, reasons=reasons)


_ALL_METRICS = tuple(
    f for f in HrvMetrics.__dataclass_fields__ if f not in _Counts.__required_keys__ | {"reasons"}
)
