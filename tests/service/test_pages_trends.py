"""Within-person trend statistics (service.trends): known answers, interval coverage, the minimum-data gate."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from service import trends


def test_slope_of_an_exact_line_is_exact_with_a_zero_width_interval() -> None:
    x = np.arange(6.0)
    a, b, (lo, hi) = trends.slope_with_ci(x, 2.0 - 0.5 * x, level=0.95)
    assert (a, b) == pytest.approx((2.0, -0.5))
    assert lo == pytest.approx(-0.5) and hi == pytest.approx(-0.5)


def test_slope_interval_matches_scipy_linregress() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 10, 25)
    y = 1.0 + 0.3 * x + rng.normal(0, 1, 25)
    _, b, (lo, hi) = trends.slope_with_ci(x, y, level=0.95)
    ref = stats.linregress(x, y)
    half = stats.t.ppf(0.975, 23) * ref.stderr
    assert b == pytest.approx(ref.slope)
    assert (lo, hi) == pytest.approx((ref.slope - half, ref.slope + half))


def test_the_95_percent_interval_covers_the_true_slope_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(400):
        x = rng.uniform(0, 5, 12)
        y = 0.5 * x + rng.normal(0, 1, 12)
        _, _, (lo, hi) = trends.slope_with_ci(x, y, level=0.95)
        covered += lo <= 0.5 <= hi
    assert 0.92 <= covered / 400 <= 0.98


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(-5, 5)), min_size=10, max_size=40),
       st.integers(2, 6))
def test_adjusted_interval_contains_the_95_percent_one(pairs: list[tuple[float, float]], n_tests: int) -> None:
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    result = trends.associate("x", xs, ys, n_tests=n_tests)
    if np.ptp(xs) <= 1e-9 * max(1.0, max(abs(v) for v in xs)):
        assert result.verdict == "not_enough"
        return
    assert result.ci is not None and result.ci_adjusted is not None and result.slope is not None
    assert result.ci_adjusted[0] <= result.ci[0] <= result.slope <= result.ci[1] <= result.ci_adjusted[1]


def test_no_claim_below_the_minimum_number_of_sessions() -> None:
    x = list(range(trends.MIN_SESSIONS - 1))
    result = trends.associate("volume_load_kg", x, [2 * v for v in x])
    assert result.verdict == "not_enough" and result.slope is None and result.ci is None
    assert result.n == trends.MIN_SESSIONS - 1


def test_a_clear_relation_is_called_and_noise_is_not() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(2000, 6000, 20)
    clear = trends.associate("volume_load_kg", x, x / 1000 + rng.normal(0, 0.3, 20), per=1000.0, n_tests=3)
    assert clear.verdict == "higher" and clear.slope == pytest.approx(1.0, abs=0.3)
    noise = trends.associate("volume_load_kg", x, rng.normal(0, 1, 20), per=1000.0, n_tests=3)
    assert noise.verdict == "unclear"
    inverse = trends.associate("srpe", x, -x / 1000 + rng.normal(0, 0.3, 20), n_tests=3)
    assert inverse.verdict == "lower"


def test_group_mean_interval_matches_the_t_interval_and_needs_three_values() -> None:
    y = [1.0, 2.0, 4.0, 3.0]
    g = trends.group_mean("morning", y)
    lo, hi = stats.t.interval(0.95, 3, loc=np.mean(y), scale=stats.sem(y))
    assert g.mean == pytest.approx(2.5) and g.ci == pytest.approx((lo, hi))
    assert trends.group_mean("evening", [1.0, 2.0]).mean is None


@pytest.mark.parametrize(("hour", "part"), [(0, "morning"), (11, "morning"), (12, "afternoon"), (16, "afternoon"),
                                            (17, "evening"), (23, "evening")])
def test_day_parts(hour: int, part: str) -> None:
    assert trends.day_part(hour) == part


def test_daily_hrv_averages_a_day_and_draws_baseline_and_band_only_with_enough_days() -> None:
    start = dt.date(2026, 1, 1)
    readings = [(start + dt.timedelta(days=k), 4.0 + 0.1 * (k % 3)) for k in range(20)]
    readings.append((start, 3.8))  # two readings on day 0: their mean counts
    readings.append((start + dt.timedelta(days=1), math.nan))  # ignored
    daily = trends.daily_hrv(readings)
    assert len(daily.days) == 20 and daily.ln_rmssd[0] == pytest.approx(3.9)
    assert daily.baseline[:2] == (None, None)
    assert daily.baseline[6] == pytest.approx(np.mean(daily.ln_rmssd[0:7]))
    assert daily.baseline[19] == pytest.approx(np.mean(daily.ln_rmssd[13:20]))
    assert all(b is None for b in daily.band[:13]) and daily.band[13] is not None
    lo, hi = daily.band[19]  # type: ignore[misc]
    values = np.array(daily.ln_rmssd)
    assert (lo, hi) == pytest.approx((values.mean() - 0.5 * values.std(ddof=1), values.mean() + 0.5 * values.std(ddof=1)))
    assert daily.latest is not None and daily.latest.baseline_verdict in ("below", "within", "above")


def test_daily_hrv_of_nothing_is_empty() -> None:
    daily = trends.daily_hrv([])
    assert daily.days == () and daily.latest is None


def test_session_rows_pair_pre_and_post_and_find_the_hrv_before() -> None:
    sessions = [{"id": 1, "started_at": "2026-01-05T17:00:00+00:00", "volume_load_kg": 4000.0},
                {"id": 2, "started_at": "2026-01-07T07:00:00+00:00", "volume_load_kg": None}]
    checkins = [
        {"id": 1, "kind": "pre", "session_id": 1, "taken_at": "2026-01-05T16:55:00+00:00", "feeling": -1},
        {"id": 2, "kind": "post", "session_id": 1, "taken_at": "2026-01-05T18:00:00+00:00", "feeling": 2},
        {"id": 3, "kind": "post", "session_id": 1, "taken_at": "2026-01-05T18:05:00+00:00", "feeling": 3},
        {"id": 4, "kind": "srpe", "session_id": 1, "taken_at": "2026-01-05T18:30:00+00:00", "srpe": 7},
        {"id": 5, "kind": "pre", "session_id": 2, "taken_at": "2026-01-07T06:55:00+00:00", "feeling": 1},
        {"id": 6, "kind": "morning", "session_id": None, "taken_at": "2026-01-07T06:00:00+00:00", "sleep": 3},
    ]
    readings = [{"kind": "pre", "session_id": 1, "taken_at": "2026-01-05T16:50:00+00:00", "ln_rmssd": 3.5},
                {"kind": "morning", "session_id": None, "taken_at": "2026-01-05T06:30:00+00:00", "ln_rmssd": 4.2},
                {"kind": "morning", "session_id": None, "taken_at": "2026-01-07T06:30:00+00:00", "ln_rmssd": 4.1}]
    first, second = trends.session_mood_rows(sessions, checkins, readings)
    assert (first["pre"], first["post"], first["change"], first["srpe"]) == (-1, 3, 4, 7)
    assert first["pre_ln_rmssd"] == 3.5  # the session's own pre reading beats the morning one
    assert second["change"] is None and second["pre_ln_rmssd"] == 4.1  # that morning's reading


def test_mood_associations_gate_each_predictor_on_its_own_pairs() -> None:
    rows = [{"change": k % 3, "volume_load_kg": 1000.0 * k, "srpe": None, "pre_ln_rmssd": 4.0 + 0.01 * k}
            for k in range(12)]
    volume, srpe, hrv = trends.mood_associations(rows)
    assert volume.n == 12 and volume.verdict != "not_enough"
    assert srpe.n == 0 and srpe.verdict == "not_enough"
    assert hrv.n == 12 and hrv.per == 0.1
