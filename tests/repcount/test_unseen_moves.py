"""Movements and a placement the counter was not developed on (`repcount.synth.UNSEEN_MOTIONS`): the generator
gives them exact truth and plausible physics, and the counter counts them.

Not asserted, because not yet counted (see the bench's table of these movements): a few slow jumping jacks on
the chest or thigh (two alike hops per rep, 0.6 s or more apart) whose landings alternate between the open and
closed pose too little beside their jitter, or a set of them split by a pause, still count twice; a lateral
raise seen from the chest (the torso hardly moves), a triceps extension seen from the chest (the re-rack after
it moves the trunk as much as a rep), and a kettlebell swing on the wrist (the arc's centripetal pull peaks twice
a rep: a run of waves at half the rep period, or on the swing's tops, is off by one or more).
"""

from __future__ import annotations

import numpy as np
import pytest

from repcount.live import RepCounter
from repcount.session import analyse_session
from repcount.synth import RANGE_G, UNSEEN_MOTIONS, synth_set

from .chunks import feed

NOT_YET = {("lateral_raise", "chest"), ("triceps_extension", "chest"), ("kettlebell_swing", "wrist")}
REP_S = {"jumping_jack": (0.6, 1.25), "kettlebell_swing": (0.8, 1.6)}  # continuous moves; lifts: 1.5-4 s


def _count(exercise: str, placement: str, n: int, fs_hz: float, seed: int, *, irregular: bool = False) -> int:
    s = synth_set(exercise, n, placement=placement, fs_hz=fs_hz, rng=np.random.default_rng(seed), irregular=irregular)
    return sum(d.n_reps for d in analyse_session(s.t_s, s.acc_g))


@pytest.mark.parametrize(("exercise", "placement"), list(UNSEEN_MOTIONS))
def test_unseen_motion_has_exact_truth(exercise: str, placement: str) -> None:
    s = synth_set(exercise, 6, placement=placement, fs_hz=50.0, rng=np.random.default_rng(0))
    (truth,) = s.sets
    times = np.array(truth.rep_times)
    assert truth.exercise == exercise and times.shape == (6, 3)
    assert np.all(times[:, 0] < times[:, 1]) and np.all(times[:, 1] < times[:, 2])
    assert np.all(times[1:, 0] >= times[:-1, 2])  # reps follow each other
    lo, hi = REP_S.get(exercise, (1.5, 5.0))  # a tired last rep of a slow draw can take ~4.5 s
    assert np.all((times[:, 2] - times[:, 0] >= lo) & (times[:, 2] - times[:, 0] <= hi))
    assert np.all(np.abs(s.acc_g) <= RANGE_G)
    moving = np.std(s.acc_g[(s.t_s > truth.start_s) & (s.t_s < truth.end_s)], axis=0).sum()
    still = np.std(s.acc_g[s.t_s < 3.0], axis=0).sum()  # standing before the set
    # the chest for arm-only moves moves least: a lateral raise tilts it ~2 deg, one breath ~0.6 deg
    assert moving > (1.25 if placement == "chest" else 2) * still


def test_jumping_jack_flies_and_lands() -> None:
    """Each hop is free fall (about 0 g) and a landing of 1.5-3 g; the arms swing through 150 degrees."""
    chest = synth_set("jumping_jack", 10, placement="chest", fs_hz=100.0, rng=np.random.default_rng(1))
    (truth,) = chest.sets
    during = (chest.t_s > truth.start_s) & (chest.t_s < truth.end_s)
    norm = np.linalg.norm(chest.acc_g[during], axis=1)
    assert norm.min() < 0.2 and 1.5 < norm.max() < 3.5
    wrist = synth_set("jumping_jack", 10, placement="wrist", fs_hz=100.0, rng=np.random.default_rng(1))
    level = wrist.acc_g[(wrist.t_s > truth.start_s - 3) & (wrist.t_s < truth.start_s - 1)].mean(axis=0)
    up = np.array([wrist.acc_g[np.searchsorted(wrist.t_s, turn)] for _, turn, _ in wrist.sets[0].rep_times])
    cos = up @ level / np.linalg.norm(up, axis=1) / np.linalg.norm(level)
    assert np.median(cos) < -0.3  # at the turn the forearm points up: gravity reverses in the sensor


@pytest.mark.parametrize(("exercise", "placement"), [k for k in UNSEEN_MOTIONS if k not in NOT_YET])
def test_unseen_motion_counted_within_one(exercise: str, placement: str) -> None:
    errors = [_count(exercise, placement, 8, 50.0, seed) - 8 for seed in range(3)]
    assert all(abs(e) <= 1 for e in errors), errors


@pytest.mark.parametrize(("exercise", "seeds"), [("jumping_jack", (0, 1, 3, 4, 6)), ("kettlebell_swing", (5, 18))])
def test_jumping_and_swinging_are_not_walking(exercise: str, seeds: tuple[int, ...]) -> None:
    """The wrist's magnitude bounces twice a rep by 1-2 g RMS (landings, the swing's centripetal pull), in the
    band of footsteps; walking shakes a worn sensor by ~0.3 g. These sets were lost whole as walking."""
    n = 12 if exercise == "jumping_jack" else 10
    assert [_count(exercise, "wrist", n, 50.0, seed) for seed in seeds] == [n] * len(seeds)


@pytest.mark.parametrize("seed", [0, 1, 3, 5, 8])
def test_first_swing_after_rest_is_counted(seed: int) -> None:
    """Eight kettlebell swings on the upper arm, from the top held still: the first swing's band-passed window
    holds the band-pass settling from the held pose to the set's mean one (it matched the others' mean by
    r 0.3-0.5, by 0.9 with each window's mean taken out), and the low-passed acceleration between swings is
    centripetal pull and float, no pose to check the edge reps against. The first swing was lost (7 of 8)."""
    assert _count("kettlebell_swing", "upper_arm", 8, 50.0, seed) == 8


@pytest.mark.parametrize("seed", [0, 4])
def test_a_short_run_is_not_halved_by_a_weak_doubled_period(seed: int) -> None:
    """A 12-rep lunge with a pause, phone in the pocket: the motion's correlation at two rep spacings beat
    that at one by ~0.06 over 16 spacings, too little to say that two waves make one rep (was 7 of 12)."""
    assert _count("lunge", "thigh", 12, 25.0, seed, irregular=True) == 12


@pytest.mark.parametrize("placement", ["chest", "thigh"])
def test_two_hops_are_one_jumping_jack(placement: str) -> None:
    """On the chest or in the pocket a jumping jack is two alike hops ~0.45 s apart, quicker than any rep:
    one rep per two waves (these sets were dropped whole)."""
    assert [_count("jumping_jack", placement, 12, 50.0, seed) for seed in range(4)] == [12] * 4


@pytest.mark.parametrize("placement", ["chest", "thigh"])
def test_four_jumping_jacks_are_four(placement: str) -> None:
    """Four reps are eight hops, of which the edges keep five or so in a run: five waves quicker than any rep are
    thinned to three (one a rep) like longer runs, and the edges add the fourth. These draws counted every hop or
    lost the set (8, 0, 5, 0, 7, 7 on the chest; 8, 0, 4, 0, 7, 8 on the thigh)."""
    assert [_count("jumping_jack", placement, 4, 50.0, seed) for seed in range(6)] == [4] * 6


@pytest.mark.parametrize("fs_hz", [25.0, 100.0])
def test_slow_hops_that_fly_are_one_jumping_jack(fs_hz: float) -> None:
    """Hops 0.6-0.8 s apart on the chest: as slow as a quick rep, but each leaves the floor (the magnitude falls
    to ~0 g), so two make one rep; and a run of hops landing once a rep is not stairs (no flight). These two
    draws counted every hop (29 and 30 for 15)."""
    assert [_count_slow_hops(seed, fs_hz) for seed in (0, 4)] == [15, 15]


def _count_slow_hops(seed: int, fs_hz: float, placement: str = "chest") -> int:
    s = synth_set("jumping_jack", 15, placement=placement, fs_hz=fs_hz, rng=np.random.default_rng(seed), speed=1.25)
    return sum(d.n_reps for d in analyse_session(s.t_s, s.acc_g))


@pytest.mark.parametrize(("placement", "fs_hz", "seeds"), [("chest", 10.0, (0, 4, 5, 8)), ("thigh", 50.0, (6,)),
                                                          ("thigh", 100.0, (6,))])
def test_slow_hops_landing_open_then_closed_are_one_jumping_jack(placement: str, fs_hz: float,
                                                                  seeds: tuple[int, ...]) -> None:
    """Hops 0.6-0.8 s apart whose free fall the samples miss (10-Hz block means blur it; on the thigh the leg
    swings in the air): the pose at the landings alternates, open then closed, by ~4 deg on the chest and ~10 deg
    on the thigh, several times the jitter from rep to rep, so two hops make one rep. These draws counted every
    hop (30, 30, 29, 30; 29; 30 for 15)."""
    assert [_count_slow_hops(seed, fs_hz, placement) for seed in seeds] == [15] * len(seeds)


@pytest.mark.parametrize(("fs_hz", "seeds"), [(10.0, (0, 7, 9)), (50.0, (0,)), (100.0, (0,))])
def test_slow_jumping_jacks_in_the_pocket_are_not_a_jog(fs_hz: float, seeds: tuple[int, ...]) -> None:
    """Kept between its reps, a jumping jack's hops come 0.6-0.7 s apart, as slowly as a jog's strides, but each
    is one hard landing (the magnitude lands and flies within a wave) where a stride holds two alike footfalls.
    These sets were dropped whole as jogging."""
    assert [_count_slow_hops(seed, fs_hz, "thigh") for seed in seeds] == [15] * len(seeds)


def test_live_equals_offline_on_slow_jumping_jacks_in_the_pocket() -> None:
    s = synth_set("jumping_jack", 15, placement="thigh", fs_hz=100.0, rng=np.random.default_rng(0), speed=1.25)
    offline = analyse_session(s.t_s, s.acc_g)
    for sizes in ([1], [7, 30, 3], [250]):
        live = feed(s.t_s, s.acc_g, sizes).sets
        assert [[r.turn_s for r in d.reps] for d in live] == [[r.turn_s for r in d.reps] for d in offline]


@pytest.mark.parametrize(
    ("exercise", "placement"), [("jumping_jack", "wrist"), ("jumping_jack", "chest"), ("kettlebell_swing", "thigh")]
)
def test_live_equals_offline_on_unseen_moves(exercise: str, placement: str) -> None:
    s = synth_set(exercise, 12, placement=placement, fs_hz=50.0, rng=np.random.default_rng(7), irregular=True)
    counter = RepCounter()
    for k in range(0, len(s.t_s), 17):
        counter.step(s.t_s[k : k + 17], s.acc_g[k : k + 17])
    live = counter.flush()
    offline = analyse_session(s.t_s, s.acc_g)
    assert [d.n_reps for d in live] == [d.n_reps for d in offline]
    assert [r.turn_s for d in live for r in d.reps] == [r.turn_s for d in offline for r in d.reps]


@pytest.mark.parametrize("seed", [5, 6, 12, 16])
def test_standing_up_does_not_set_the_size_of_three_reps(seed: int) -> None:
    """Three one-arm rows seen from the chest (the trunk tilts ~3 deg a rep) end with standing up from the
    bench, a single wave over ten times higher. Among the few waves of that sign it set the size a rep must reach
    (30 % of the 75th percentile), so the three reps were dropped whole (0 counted at each of these seeds)."""
    assert _count("dumbbell_row", "chest", 3, 50.0, seed) == 3
