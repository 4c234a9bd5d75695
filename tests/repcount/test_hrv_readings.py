from datetime import date, timedelta

import numpy as np
import pytest

from repcount.hrv import reading_verdict

DAY0 = date(2026, 1, 1)


def _history(n_days: int, seed: int = 0) -> list[tuple[date, float]]:
    rng = np.random.default_rng(seed)
    return [(DAY0 + timedelta(days=i), 4.0 + rng.normal(0.0, 0.1)) for i in range(n_days)]


def test_normal_range_is_60_day_mean_plus_minus_half_sd() -> None:
    hist = _history(90)
    today = DAY0 + timedelta(days=90)
    v = reading_verdict(hist, today, 4.0)
    last60 = np.array([x for d, x in hist if d > today - timedelta(days=60)] + [4.0])
    assert v.normal_low == pytest.approx(last60.mean() - 0.5 * last60.std(ddof=1))
    assert v.normal_high == pytest.approx(last60.mean() + 0.5 * last60.std(ddof=1))
    last7 = np.array([x for d, x in hist if d > today - timedelta(days=7)] + [4.0])
    assert v.baseline_ln_rmssd == pytest.approx(last7.mean())
    assert v.cv_pct == pytest.approx(100 * last7.std(ddof=1) / last7.mean())


@pytest.mark.parametrize(("value", "verdict"), [(3.0, "below"), (4.0, "within"), (5.0, "above")])
def test_verdict(value: float, verdict: str) -> None:
    assert reading_verdict(_history(30), DAY0 + timedelta(days=30), value).verdict == verdict


def test_short_history_is_unknown_with_reason() -> None:
    v = reading_verdict(_history(5), DAY0 + timedelta(days=5), 4.0)
    assert v.verdict == "unknown" and v.reason is not None and "14 readings" in v.reason
    assert v.baseline_ln_rmssd is not None
