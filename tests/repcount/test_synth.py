"""The synthetic generator: truth consistent with the signal, every exercise and placement, rates."""

from __future__ import annotations

import numpy as np
import pytest

from repcount.synth import MOTIONS, PLACEMENTS, TUNED_EXERCISES, TUNED_PLACEMENTS, synth_session, synth_set


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_every_exercise_renders_with_truth(placement: str) -> None:
    rng = np.random.default_rng(0)
    exercises = [e for e, p in MOTIONS if p == placement]
    assert placement not in TUNED_PLACEMENTS or set(TUNED_EXERCISES) <= set(exercises)
    for exercise in exercises:
        s = synth_set(exercise, 4, placement=placement, fs_hz=25.0, rng=rng)
        (truth,) = s.sets
        assert truth.exercise == exercise and len(truth.rep_times) == 4
        assert all(a < b < c for a, b, c in truth.rep_times)
        assert s.acc_g.shape == (len(s.t_s), 3) and np.all(np.diff(s.t_s) > 0)


def test_sensor_reads_about_one_g_at_rest_in_any_orientation() -> None:
    s = synth_session([("squat", 3, 20.0)], placement="chest", fs_hz=50.0, rng=np.random.default_rng(1))
    still = s.t_s < 3.0
    assert np.median(np.linalg.norm(s.acc_g[still], axis=1)) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("fs_hz", [10.0, 50.0, 200.0])
def test_rate(fs_hz: float) -> None:
    s = synth_set("curl", 3, placement="wrist", fs_hz=fs_hz, rng=np.random.default_rng(2))
    assert np.median(np.diff(s.t_s)) == pytest.approx(1.0 / fs_hz, rel=0.05)
    assert s.fs_hz == pytest.approx(fs_hz, rel=0.05)


def test_plan_order_rest_and_tempo() -> None:
    plan = [("squat", 5, 60.0), ("bench_press", 6, 30.0)]
    s = synth_session(plan, placement="chest", fs_hz=50.0, rng=np.random.default_rng(3), speed=2.0)
    assert [(t.exercise, len(t.rep_times)) for t in s.sets] == [("squat", 5), ("bench_press", 6)]
    assert s.sets[1].start_s - s.sets[0].end_s > 60.0
    durations = [c - a for t in s.sets for a, _, c in t.rep_times]
    assert np.median(durations) > 4.0  # slow reps


def test_same_seed_same_session() -> None:
    a = synth_set("barbell_row", 3, placement="wrist", fs_hz=50.0, rng=np.random.default_rng(4))
    b = synth_set("barbell_row", 3, placement="wrist", fs_hz=50.0, rng=np.random.default_rng(4))
    assert np.array_equal(a.acc_g, b.acc_g)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"placement": "ankle", "fs_hz": 50.0}, "placement"), ({"placement": "chest", "fs_hz": 500.0}, "fs_hz")],
)
def test_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        synth_session([("squat", 3, 10.0)], rng=np.random.default_rng(0), **kwargs)  # type: ignore[arg-type]


def test_unknown_exercise() -> None:
    with pytest.raises(ValueError, match="unknown exercise"):
        synth_session([("zumba", 3, 10.0)], placement="chest", fs_hz=50.0, rng=np.random.default_rng(0))
