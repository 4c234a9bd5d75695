"""The synthetic generator's locomotion between sets (repcount.synth.GAITS): realistic footfalls, no set truth."""

import numpy as np
import pytest

from repcount.synth import GAITS, synth_session


@pytest.mark.parametrize("placement", ["chest", "thigh", "wrist", "upper_arm"])
def test_running_bounces_at_the_step_rate_by_one_to_three_g(placement: str) -> None:
    s = synth_session([("run", 40, 0.0)], placement=placement, fs_hz=100.0, rng=np.random.default_rng(4))
    assert s.sets == ()
    mag = np.linalg.norm(s.acc_g, axis=1)[(s.t_s > 10) & (s.t_s < 40)]
    assert 2.0 < np.percentile(mag, 99) < 4.5 and np.percentile(mag, 1) < 0.7  # push and flight
    spectrum = np.abs(np.fft.rfft(mag - mag.mean()))
    peak_hz = np.fft.rfftfreq(len(mag), 0.01)[np.argmax(spectrum)]
    assert GAITS["run"].step_hz[0] * 0.97 <= peak_hz <= GAITS["run"].step_hz[1] * 1.03


def test_a_jog_between_sets_adds_no_truth_and_keeps_the_lifted_sets() -> None:
    plan = [("jog", 30, 10.0), ("squat", 8, 30.0), ("stairs", 20, 5.0), ("squat", 6, 20.0)]
    s = synth_session(plan, placement="chest", fs_hz=50.0, rng=np.random.default_rng(1))
    assert [len(t.rep_times) for t in s.sets] == [8, 6]
    assert s.sets[0].start_s > 30.0 + 5.0  # after the standing start and the jog
