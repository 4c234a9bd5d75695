import json

import numpy as np
import pytest

from repcount.hrv import max_hr_from_age, session_hr_summary


def _session() -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """Rest 60 bpm, two 40-s sets at 150 bpm with a 150-s rest, HR falling back linearly."""
    t, rr, out_t = 0.0, [], []
    sets = [(120.0, 160.0), (310.0, 350.0)]
    rng = np.random.default_rng(3)
    while t < 600.0:
        hr = 60.0
        for s, e in sets:
            if s <= t <= e:
                hr = 150.0
            elif e < t < e + 90.0:
                hr = max(hr, 150.0 - (t - e))
        beat = 60000.0 / hr + rng.normal(0.0, 10.0)
        t += beat / 1000.0
        rr.append(beat)
        out_t.append(t)
    return np.asarray(out_t), np.asarray(rr), sets


def test_session_summary_known_answers() -> None:
    t, rr, sets = _session()
    s = session_hr_summary(t, rr, sets, age_years=40)
    assert s.max_hr_bpm == max_hr_from_age(40) == 180.0
    assert s.sets[0].peak_hr_bpm == pytest.approx(150.0, abs=5.0)
    assert s.sets[0].hrr60_bpm == pytest.approx(60.0, abs=6.0)
    assert s.sets[0].rest_rmssd_ms is not None
    assert s.sets[1].hrr60_bpm == pytest.approx(60.0, abs=6.0)
    assert sum(s.zone_time_s) == pytest.approx(sum(rr[60000.0 / rr >= 90.0]) / 1000.0, rel=0.1)
    assert s.zone_time_s[4] == 0.0  # 150 bpm is 83 % of 180: zone 4
    assert s.trimp_edwards > 0 and s.trimp_banister is None
    assert len(s.dfa_windows) == int((t[-1] - t[0] - 120.0) // 20.0) + 1


def test_recovery_cut_short_by_next_set_has_reason() -> None:
    t, rr, _ = _session()
    s = session_hr_summary(t, rr, [(120.0, 160.0), (190.0, 230.0)], max_hr_bpm=190.0,
                           rest_hr_bpm=60.0, sex="female")
    assert s.sets[0].hrr60_bpm is None and "next set" in s.sets[0].reasons["hrr60_bpm"]
    assert s.trimp_banister is not None and s.trimp_banister > 0


def test_needs_max_hr_or_age() -> None:
    t, rr, sets = _session()
    with pytest.raises(ValueError, match="age_years"):
        session_hr_summary(t, rr, sets)


def test_summary_is_json_ready() -> None:
    t, rr, sets = _session()
    d = session_hr_summary(t, rr, sets, max_hr_bpm=185.0).to_dict()
    assert json.loads(json.dumps(d))["sets"][0]["start_s"] == 120.0
