"""Within-person trends: morning ln RMSSD against its baseline, and the mood change of each session against
what the session was like (volume load, effort, time of day, HRV before it).

Pure functions over rows and arrays: no database, no clock. The statistics are deliberately plain (a least-squares
slope with a t-based confidence interval, Bonferroni-adjusted across the predictors shown together) and gated on a
minimum number of sessions, because a person's own history is small and noisy. Every result is an
association within one person's data, never evidence of cause.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from repcount.hrv import ReadingVerdict, reading_verdict

#: Sessions with both ratings and the predictor needed before any association is reported.
MIN_SESSIONS = 10
#: Local hours that split morning / afternoon / evening sessions.
DAY_PARTS = (("morning", 0, 12), ("afternoon", 12, 17), ("evening", 17, 24))


@dataclass(frozen=True)
class Association:
    """The slope of mood change on one predictor within one person's sessions.

    ``slope`` is in mood-change points per ``per`` units of the predictor; ``ci`` is its 95 % interval and
    ``ci_adjusted`` the Bonferroni-adjusted one used for any claim. Both are None below `MIN_SESSIONS`.
    """

    predictor: str
    n: int
    per: float
    slope: float | None
    ci: tuple[float, float] | None
    ci_adjusted: tuple[float, float] | None
    intercept: float | None
    x_mean: float | None
    verdict: str  # "not_enough" | "unclear" | "higher" | "lower"


def slope_with_ci(x: np.ndarray, y: np.ndarray, *, level: float) -> tuple[float, float, tuple[float, float]]:
    """Ordinary least squares ``y = a + b x``: returns ``(a, b, (b_low, b_high))`` at confidence ``level``.

    Parameters
    ----------
    x, y : numpy.ndarray
        Paired observations, at least 3, ``x`` not constant.
    level : float
        Two-sided confidence level in (0, 1), e.g. 0.95.

    Returns
    -------
    tuple
        Intercept, slope and the slope's t-based confidence interval (n - 2 degrees of freedom).

    Examples
    --------
    >>> import numpy as np
    >>> a, b, (lo, hi) = slope_with_ci(np.arange(5.0), 1 + 2 * np.arange(5.0), level=0.95)
    >>> round(a, 6), round(b, 6), round(hi - lo, 6)
    (1.0, 2.0, 0.0)
    """
    n = len(x)
    x_c = x - x.mean()
    sxx = float(x_c @ x_c)
    b = float(x_c @ (y - y.mean())) / sxx
    a = float(y.mean() - b * x.mean())
    resid = y - (a + b * x)
    se = math.sqrt(float(resid @ resid) / (n - 2) / sxx)
    half = float(stats.t.ppf(0.5 + level / 2, n - 2)) * se
    return a, b, (b - half, b + half)


def associate(
    predictor: str, x: Sequence[float], y: Sequence[float], *, per: float = 1.0, n_tests: int = 1,
    min_n: int = MIN_SESSIONS,
) -> Association:
    """Mood change ``y`` against ``x`` (paired, None-free), slope per ``per`` units, gated on ``min_n``."""
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = len(xa)
    if n < max(min_n, 3) or float(np.ptp(xa)) <= 1e-9 * max(1.0, float(np.abs(xa).max())):  # x (nearly) constant
        return Association(predictor, n, per, None, None, None, None, None, "not_enough")
    a, b, ci = slope_with_ci(xa, ya, level=0.95)
    _, _, ci_adj = slope_with_ci(xa, ya, level=1 - 0.05 / n_tests)
    verdict = "higher" if ci_adj[0] > 0 else "lower" if ci_adj[1] < 0 else "unclear"
    return Association(predictor, n, per, b * per, (ci[0] * per, ci[1] * per), (ci_adj[0] * per, ci_adj[1] * per),
                       a, float(xa.mean()), verdict)


@dataclass(frozen=True)
class GroupMean:
    name: str
    n: int
    mean: float | None
    ci: tuple[float, float] | None


def group_mean(name: str, y: Sequence[float], *, min_n: int = 3) -> GroupMean:
    """Mean of ``y`` with a t-based 95 % interval, or None below ``min_n`` values."""
    ya = np.asarray(y, dtype=float)
    if len(ya) < min_n:
        return GroupMean(name, len(ya), None, None)
    mean = float(ya.mean())
    half = float(stats.t.ppf(0.975, len(ya) - 1)) * float(ya.std(ddof=1)) / math.sqrt(len(ya))
    return GroupMean(name, len(ya), mean, (mean - half, mean + half))


def day_part(hour: int) -> str:
    """``morning`` (before 12:00), ``afternoon`` (12-17) or ``evening`` (17:00 on), local time."""
    return next(name for name, lo, hi in DAY_PARTS if lo <= hour < hi)


@dataclass(frozen=True)
class DailyHrv:
    """Morning ln RMSSD per day with its 7-day baseline and 60-day normal band (None where too few readings),
    and the latest day's `repcount.hrv.ReadingVerdict`."""

    days: tuple[dt.date, ...]
    ln_rmssd: tuple[float, ...]
    baseline: tuple[float | None, ...]
    band: tuple[tuple[float, float] | None, ...]
    latest: ReadingVerdict | None


def daily_hrv(readings: Sequence[tuple[dt.date, float | None]]) -> DailyHrv:
    """Fold (day, ln RMSSD) readings to one value per day (their mean), then `repcount.hrv.reading_verdict`
    for each day over the days up to it (its 7-day baseline and 60-day mean ± 0.5 SD normal range)."""
    by_day: dict[dt.date, list[float]] = {}
    for day, value in readings:
        if value is not None and math.isfinite(value):
            by_day.setdefault(day, []).append(value)
    days = sorted(by_day)
    values = [float(np.mean(by_day[d])) for d in days]
    verdicts = [reading_verdict(list(zip(days[:i], values[:i], strict=True)), day, value)
                for i, (day, value) in enumerate(zip(days, values, strict=True))]
    band = tuple(None if v.normal_low is None or v.normal_high is None else (v.normal_low, v.normal_high)
                 for v in verdicts)
    return DailyHrv(tuple(days), tuple(values), tuple(v.baseline_ln_rmssd for v in verdicts), band,
                    verdicts[-1] if verdicts else None)


def local_time(iso: str) -> dt.datetime:
    """An ISO timestamp (naive = UTC) in this computer's time zone."""
    moment = dt.datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone()


def session_mood_rows(
    sessions: Sequence[dict[str, Any]], checkins: Sequence[dict[str, Any]], readings: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per session: pre and post Feeling Scale, their change, volume load, session RPE, local hour and
    the ln RMSSD before it (the session's own pre reading, else that day's morning reading)."""
    pre: dict[int, float] = {}
    post: dict[int, float] = {}
    srpe: dict[int, float] = {}
    for c in sorted(checkins, key=lambda c: (c.get("taken_at") or "", c.get("id") or 0)):
        sid = c.get("session_id")
        if sid is None:
            continue
        if c.get("kind") == "pre" and c.get("feeling") is not None:
            pre.setdefault(sid, c["feeling"])
        elif c.get("kind") == "post" and c.get("feeling") is not None:
            post[sid] = c["feeling"]
        elif c.get("kind") == "srpe" and c.get("srpe") is not None:
            srpe[sid] = c["srpe"]
    pre_hrv = {r["session_id"]: r["ln_rmssd"] for r in readings
               if r.get("kind") == "pre" and r.get("session_id") is not None and r.get("ln_rmssd") is not None}
    morning = {local_time(r["taken_at"]).date(): r["ln_rmssd"] for r in readings
               if r.get("kind") == "morning" and r.get("ln_rmssd") is not None}
    rows = []
    for s in sessions:
        start = local_time(s["started_at"])
        sid = s["id"]
        change = post[sid] - pre[sid] if sid in pre and sid in post else None
        rows.append({"id": sid, "started_at": s["started_at"], "day": start.date(), "hour": start.hour,
                     "day_part": day_part(start.hour), "pre": pre.get(sid), "post": post.get(sid), "change": change,
                     "volume_load_kg": s.get("volume_load_kg"), "srpe": srpe.get(sid),
                     "pre_ln_rmssd": pre_hrv.get(sid, morning.get(start.date()))})
    return rows


#: The predictors of mood change shown on the trends page: key, label, unit, the step a slope is given per.
PREDICTORS = (
    ("volume_load_kg", "Volume load", "kg", 1000.0),
    ("srpe", "Session effort (sRPE)", "CR-10 point", 1.0),
    ("pre_ln_rmssd", "HRV before the session", "ln RMSSD", 0.1),
)


def mood_associations(rows: Sequence[dict[str, Any]], *, min_n: int = MIN_SESSIONS) -> list[Association]:
    """`associate` mood change with each of `PREDICTORS`, Bonferroni-adjusted across them."""
    result = []
    for key, _, _, per in PREDICTORS:
        pairs = [(r[key], r["change"]) for r in rows if r.get(key) is not None and r.get("change") is not None]
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        result.append(associate(key, xs, ys, per=per, n_tests=len(PREDICTORS), min_n=min_n))
    return result


def mood_by_day_part(rows: Sequence[dict[str, Any]], *, min_n: int = 3) -> list[GroupMean]:
    """Mean mood change of morning, afternoon and evening sessions, with 95 % intervals."""
    return [group_mean(name, [r["change"] for r in rows if r["day_part"] == name and r.get("change") is not None],
                       min_n=min_n) for name, _, _ in DAY_PARTS]
