"""How many reps the live display shows beyond what `find_sets` has confirmed (live display only).

`find_sets` needs three rep waves to confirm a set and takes a rep after a long pause in only once the next
one follows; on its own the display would show the first rep with the third and a paused rep with the next.
So the display also shows:

- before a set is confirmed (`provisional_reps`): two reps once two same-sign waves follow each other spaced
  like reps and alike in size, and with them the reps before them that move like them (`rep_pair`; their
  waves may be lost under the threshold the set-up raised); one rep once a first rep has gone out and come
  back, starting from a still pose (a set starts from a brace): two opposite waves alike in size (the way out
  and the way back), or, soon after set-up motion (walking, which also raises the lobe threshold so that the
  way out may not show, or a new posture: lying down on the bench, bending over the bar), one long wave. The
  first rep stays shown while its waves are recent;
- after (`extension`, `extended_reps`): each later wave of the set's sign that follows its last rep within a
  few rep periods and is alike in size to its reps. Between the searches of a long bout
  (`repcount.live.LONG_BOUT_WAVES`) the count goes on this way from the last search, along a set of hops too.

Nothing here changes the sets: a count shown that the sets do not confirm is withdrawn as a retraction.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from repcount.results import DetectedSet
from repcount.runs import MIN_REPS, PERIOD_S, Wave, median, spacings

PROVISIONAL_PEAK_G = 0.02  # a wave this tall may be shown as a rep before the set is confirmed
PROVISIONAL_SPREAD = 1.6  # two same-sign waves shown as two reps must be this alike in peak and area
PAIR_SPACING_S = (0.25, 4.5)  # peak to peak, the way out and the way back of a first rep
PAIR_SPREAD = 2.5  # and this alike in peak and area
LONG_WAVE_S = 0.8  # one wave alone must last this long
LONG_WAVE_RISE_S = 2.5  # and peak this soon after it starts
AFTER_SETUP_S = 7.0  # and start this soon after walking or a new posture
AFTER_STILL_S = 5.0  # a first rep starts this soon after a still pose was confirmed
RECENT_S = 4.5  # and stays shown while its waves peaked this recently (before the bout's last wave)
EXTEND_PERIODS = (0.65, 2.0)  # a wave of a confirmed set's sign this many rep periods after its last rep
EXTEND_SPREAD = 2.0  # and this alike in peak and area to its median rep wave is shown as one more rep


def _near(x: float, y: float, spread: float) -> bool:
    return max(x, y) <= spread * min(x, y)


def _alike(a: Wave, b: Wave, spread: float) -> bool:
    return _near(a.peak_g, b.peak_g, spread) and _near(a.area_gs, b.area_gs, spread)


def _usable(w: Wave) -> bool:
    return not w.walking and w.peak_g >= PROVISIONAL_PEAK_G


def _same_sign_run(waves: Sequence[Wave]) -> list[Wave]:
    """The trailing run of same-sign waves spaced like reps and alike in size (the longer sign), in time order:
    from the last wave of each sign back, while each is usable and fits the one after it."""
    best: list[Wave] = []
    for sign in (1, -1):
        run: list[Wave] = []
        for w in (w for w in reversed(waves) if w.sign == sign):
            fits = not run or PERIOD_S[0] <= run[-1].peak_s - w.peak_s <= PERIOD_S[1] and _alike(
                run[-1], w, PROVISIONAL_SPREAD)
            if not (fits and _usable(w)):
                break
            run.append(w)
        if len(run) > len(best):
            best = run
    return best[::-1]


def _out_and_back(a: Wave, b: Wave) -> bool:
    """Two opposite waves that look like the two halves of one rep."""
    return (_usable(a) and _usable(b) and PAIR_SPACING_S[0] <= b.peak_s - a.peak_s <= PAIR_SPACING_S[1]
            and _alike(a, b, PAIR_SPREAD))


def _long_wave(w: Wave) -> bool:
    """One wave long enough to be a whole rep on its own."""
    return _usable(w) and w.covered_s >= LONG_WAVE_S and w.peak_s - w.start_s <= LONG_WAVE_RISE_S


def _after_still(start_s: float, still_s: Sequence[float]) -> bool:
    return any(0.0 <= start_s - t <= AFTER_STILL_S for t in still_s)


def _recent_from(waves: Sequence[Wave], end: int, t_s: float, window_s: float) -> int:
    """First index of the waves before ``end`` that peak at most ``window_s`` before ``t_s`` (waves peak in
    time order, so they are the last ones)."""
    first = end
    while first > 0 and t_s - waves[first - 1].peak_s <= window_s:
        first -= 1
    return first


def _after_setup(i: int, waves: Sequence[Wave], postures_s: Sequence[float]) -> bool:
    """Wave ``i`` starts at most ``AFTER_SETUP_S`` after walking or after a new posture was confirmed."""
    start_s = waves[i].start_s
    walked = any(w.walking for w in waves[_recent_from(waves, i, start_s, AFTER_SETUP_S) : i])
    return walked or any(0.0 <= start_s - t <= AFTER_SETUP_S for t in postures_s)


def _first_rep(waves: Sequence[Wave], still_s: Sequence[float], postures_s: Sequence[float]) -> bool:
    first = _recent_from(waves, len(waves), waves[-1].peak_s, RECENT_S)
    return any(
        (_long_wave(waves[i]) and _after_still(waves[i].start_s, still_s) and _after_setup(i, waves, postures_s))
        or (i > 0 and _out_and_back(waves[i - 1], waves[i]) and _after_still(waves[i - 1].start_s, still_s))
        for i in range(first, len(waves))
    )


def provisional_reps(waves: Sequence[Wave], still_s: Sequence[float] = (), postures_s: Sequence[float] = ()) -> int:
    """Reps to show live before a set is confirmed: 0, 1 or 2 (``MIN_REPS - 1``).

    Parameters
    ----------
    waves : sequence of Wave
        The open bout's lobes merged (`repcount.runs.merge_lobes`; the last lobe may still be open, seen once
        past its peak).
    still_s : sequence of float
        Times (s) at which the sensor was confirmed held still.
    postures_s : sequence of float
        Times (s) at which a new posture was confirmed (see `repcount.filters.FilterState`).

    Returns
    -------
    int
        The provisional count; it is withdrawn (a retraction) if no set follows.

    Examples
    --------
    >>> provisional_reps([])
    0
    """
    run = len(_same_sign_run(waves))
    if run >= 2:
        return min(run, MIN_REPS - 1)
    return int(bool(waves) and _first_rep(waves, still_s, postures_s))


def rep_pair(waves: Sequence[Wave]) -> tuple[float, float] | None:
    """The turnarounds (s) of the last two reps of the same-sign run `provisional_reps` shows.

    Reps before them whose waves were lost (under the lobe threshold, still raised by the set-up, or merged into
    its motion; or a run `repcount.sets.find_sets` does not take yet) still move like them:
    `repcount.refine.reps_before` finds them as `repcount.refine.complete` does once the set is confirmed.

    Parameters
    ----------
    waves : sequence of Wave
        The open bout's lobes merged (`repcount.runs.merge_lobes`).

    Returns
    -------
    tuple of float or None
        The peak times of the run's last two waves, or None if it has fewer.

    Examples
    --------
    >>> rep_pair([]) is None
    True
    """
    run = _same_sign_run(waves)
    return (run[-2].peak_s, run[-1].peak_s) if len(run) >= 2 else None


def _is_turn(t_s: float, turns_s: list[float]) -> bool:
    """Whether a turnaround lies within 1e-9 s of ``t_s`` (only its neighbours in the sorted turns can)."""
    k = bisect_left(turns_s, t_s)
    return any(abs(t_s - turns_s[j]) < 1e-9 for j in (k - 1, k) if 0 <= j < len(turns_s))


@dataclass(frozen=True)
class Extension:
    """What a later wave must be like to show as one more rep of a confirmed set while it goes on (a rep after a
    long pause, a slow grinder), before `find_sets` takes it in: its sign, a spacing of ``EXTEND_PERIODS`` rep
    periods (s) after the set's last turnaround (s), and ``EXTEND_SPREAD`` alike in peak (g) and area (g s) to
    its median rep wave. With ``strokes`` the set's reps were each two waves
    of its sign (hops: `repcount.runs` keeps one a rep), and a wave sooner than a rep period on is the rep's other
    stroke, passed over."""

    sign: int
    last_turn_s: float
    period_s: float
    peak_g: float
    area_gs: float
    strokes: bool = False


def extension(waves: Sequence[Wave], last: DetectedSet, *, strokes: bool = False) -> Extension | None:
    """How a confirmed set would go on (see `Extension`).

    Parameters
    ----------
    waves : sequence of Wave
        The open bout's lobes merged (`repcount.runs.merge_lobes`).
    last : DetectedSet
        The last set `find_sets` confirmed in the bout.
    strokes : bool
        Check whether its reps took two waves of its sign each (most of them), so that the other is passed over.

    Returns
    -------
    Extension or None
        None if fewer than two of its turnarounds are waves.

    Examples
    --------
    >>> from repcount.results import Rep
    >>> extension([], DetectedSet(0.0, 3.0, (Rep(0.0, 1.0, 2.0, 1.0), Rep(1.0, 2.0, 3.0, 1.0)), 1.0)) is None
    True
    """
    turns = [r.turn_s for r in last.reps]  # in time order, >= PERIOD_S[0] apart
    first = bisect_left(waves, turns[0] - 1e-9, key=lambda w: w.peak_s)  # waves peak in time order
    end = bisect_right(waves, turns[-1] + 1e-9, key=lambda w: w.peak_s)
    run = [w for w in waves[first:end] if _is_turn(w.peak_s, turns)]
    if len(run) < 2:
        return None
    sign = run[0].sign
    two = strokes and sum(w.sign == sign for w in waves[first:end]) >= 1.5 * len(run)  # most reps took two
    return Extension(sign, turns[-1], median(spacings(turns)), median([w.peak_g for w in run]),
                     median([w.area_gs for w in run]), two)


def extended_reps(waves: Sequence[Wave], ext: Extension) -> int:
    """Reps to show beyond a confirmed set: its later waves that follow its last rep like reps (see
    `Extension`), up to the first that does not.

    Parameters
    ----------
    waves : sequence of Wave
        The open bout's lobes merged (`repcount.runs.merge_lobes`), which may have grown since ``ext`` was made.
    ext : Extension
        How the set would go on (`extension`).

    Returns
    -------
    int
        Reps to add to the confirmed count.

    Examples
    --------
    >>> extended_reps([], Extension(1, 10.0, 2.0, 0.2, 0.1))
    0
    """
    prev_s, extra = ext.last_turn_s, 0
    first = bisect_right(waves, ext.last_turn_s, key=lambda w: w.peak_s)
    for w in (waves[i] for i in range(first, len(waves)) if waves[i].sign == ext.sign):  # no copy of the rest
        spacing = (w.peak_s - prev_s) / ext.period_s
        if ext.strokes and spacing < EXTEND_PERIODS[0]:
            continue
        fits = EXTEND_PERIODS[0] <= spacing <= EXTEND_PERIODS[1]
        alike = _near(w.peak_g, ext.peak_g, EXTEND_SPREAD) and _near(w.area_gs, ext.area_gs, EXTEND_SPREAD)
        if not (fits and alike and not w.walking):
            break
        prev_s, extra = w.peak_s, extra + 1
    return extra

