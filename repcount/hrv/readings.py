"""Daily HRV readings against a personal baseline (HRV4Training / Plews conventions).

- A reading is ln RMSSD of a 2-5 min recording, of one kind: ``morning``, ``pre`` or
  ``post`` session; only readings of the same kind are compared.
- Baseline: mean ln RMSSD of the last 7 days (today included), with its coefficient of
  variation in % (SD / mean of the 7-day values, ddof=1).
- Normal range: mean of the last 60 days ± 0.5 SD (ddof=1), the smallest-worthwhile-change
  convention; it needs 14 readings, the baseline 3.
- Verdict: ``below`` / ``within`` / ``above`` the normal range, for today's value and for
  the 7-day baseline; ``unknown`` with a reason when the history is too short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

BASELINE_DAYS = 7
NORMAL_DAYS = 60
SWC_SD = 0.5
MIN_BASELINE_READINGS = 3
MIN_NORMAL_READINGS = 14

Verdict = Literal["below", "within", "above", "unknown"]


@dataclass(frozen=True)
class ReadingVerdict:
    """Today's reading against the personal baseline and normal range (ln ms units)."""

    ln_rmssd: float
    baseline_ln_rmssd: float | None
    cv_pct: float | None
    normal_low: float | None
    normal_high: float | None
    verdict: Verdict
    baseline_verdict: Verdict
    reason: str | None

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready mapping."""
        return asdict(self)


def _window(history: Sequence[tuple[date, float]], today: date, days: int) -> np.ndarray:
    start = today - timedelta(days=days - 1)
    return np.asarray([v for d, v in history if start <= d <= today and np.isfinite(v)], dtype=float)


def _classify(value: float | None, low: float | None, high: float | None) -> Verdict:
    if value is None or low is None or high is None:
        return "unknown"
    return "below" if value < low else "above" if value > high else "within"


def reading_verdict(
    history: Sequence[tuple[date, float]], today: date, ln_rmssd: float
) -> ReadingVerdict:
    """Compare today's ln RMSSD with the user's own history of the same kind of reading.

    Parameters
    ----------
    history : sequence of (date, ln_rmssd)
        Earlier readings (one per day is expected; today's may be absent).
    today : date
        Day of the new reading.
    ln_rmssd : float
        Natural log of today's RMSSD in ms.

    Returns
    -------
    ReadingVerdict

    Examples
    --------
    >>> days = [(date(2026, 1, 1) + timedelta(days=i), 4.0 + 0.1 * (i % 3)) for i in range(30)]
    >>> reading_verdict(days, date(2026, 1, 31), 3.5).verdict
    'below'
    """
    past = [(d, v) for d, v in history if d != today] + [(today, ln_rmssd)]
    week = _window(past, today, BASELINE_DAYS)
    months = _window(past, today, NORMAL_DAYS)
    baseline = float(week.mean()) if week.size >= MIN_BASELINE_READINGS else None
    cv = float(100 * week.std(ddof=1) / week.mean()) if baseline is not None else None
    low = high = None
    reason = None
    if months.size >= MIN_NORMAL_READINGS:
        mean, sd = float(months.mean()), float(months.std(ddof=1))
        low, high = mean - SWC_SD * sd, mean + SWC_SD * sd
    else:
        reason = f"the normal range needs {MIN_NORMAL_READINGS} readings in {NORMAL_DAYS} days, have {months.size}"
    return ReadingVerdict(
        ln_rmssd=ln_rmssd, baseline_ln_rmssd=baseline, cv_pct=cv, normal_low=low,
        normal_high=high, verdict=_classify(ln_rmssd, low, high),
        baseline_verdict=_classify(baseline, low, high), reason=reason,
    )
