"""The one counter: a state, ``step(chunk)`` and ``flush()``; offline analysis is one step plus flush.

Pipeline per chunk: raw samples -> 20 Hz grid (`repcount.grid`) -> rep signal (`repcount.filters`) -> lobes
(`repcount.lobes`) -> bouts of activity -> sets (`repcount.sets`). The filters of a segment (the data start,
or after a gap) start once its first grid samples are in, which set their level and envelope
(`repcount.filters.FilterState.primed`): 2 s at the data start, 0.1 s after a gap, the same for any
chunking. Only finished lobes reach the bout, and a bout is closed once its gap (``BOUT_GAP_S``, longer for a
slow set: `RepCounter._gap_s`) has passed without a lobe (or at a gap in the data, or at flush); its sets are
found from the data up to that moment only, so they depend neither on chunking nor on what follows the bout
(offline, where the next lobe closes it). While a bout is open the counter re-runs `find_sets` on its lobes (a bout holds
a few dozen; a long one, an unbroken jog, only each time it has grown by ``1 / RECOUNT_SHARE``, its count going
on from the last search in between, so that the work per lobe, on average, does not grow with the bout) and
reports the running count; a count that drops (held back for one lobe, as the next one often brings it back) is
reported as a retraction. `repcount.display` adds what the display shows before `find_sets`
confirms it: provisional reps before a set is confirmed (the first once it has gone out and come back) and reps
after a pause; if the bout then closes without a set, the drop to zero is a retraction too, and reps shown
beyond the final count are withdrawn before the set ends. A set stays open to go on after a rest-pause longer than
its gap (a breather at lockout, held still in its pose, `RestPause`): if the next bout begins within ``RESUME_S`` with
reps that move like the set's (`repcount.sets.resumed`), its count goes on from the set's (events marked
``resumed``) and the set in `RepCounter.sets` is replaced by the whole set, the same offline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np

from repcount.filters import PRIME_N, START_N, FilterState, filter_step
from repcount.grid import GRID_FS_HZ, MAX_FILL_S, GridChunk, GridState, grid_flush, grid_step
from repcount.lobes import Lobe, LobeState, lobe_flush, lobe_step, open_lobe
from repcount.results import DetectedSet
from repcount.display import Extension, extended_reps, extension, provisional_reps, rep_pair
from repcount.refine import at_movement_times, reps_before, turn_period_s
from repcount.runs import MIN_REPS, STILL_BAND_FRACTION, Pose, Trace, Wave, held_still, median, merge_lobes
from repcount.sets import BOUT_GAP_S, POSTURE_WINDOW_S, RESUME_TAIL_PERIODS, find_sets, resumed, set_pose, still_from


BATCH_SAMPLES = 3  # grid samples (0.15 s) processed together: per-call overhead vs a little latency
IDLE_TRACE_S = 20.0  # band-passed signal kept while no bout is open (a lobe being formed is shorter)
LONG_BOUT_WAVES = 256  # an open bout of this many waves (lifting bouts hold up to ~170: set-up, a set, re-racking)
#: A dropout in the raw samples this long (up to grid.MAX_FILL_S; longer ones split the data) can hide a rep: the
#: grid interpolates it for the filters, the trace keeps it as missing (NaN) so `refine.complete` counts by rhythm.
#: Twice the sample interval at the slowest supported rate (10 Hz) plus jitter; a rep of 0.8 s or more needs a
#: third of its period missing to be hidden (refine.UNSEEN_SHARE).
MIN_GAP_S = 0.25
RECOUNT_SHARE = 16  # has its running count redone in full only once it has grown by this share (1/16) of its waves
GAP_PERIODS = 1.5  # a bout of slow waves stays open this many of its periods without a lobe (at least BOUT_GAP_S) ...
MAX_GAP_S = 10.0  # ... up to this long
GAP_WAVES = 9  # its period: the median spacing of same-sign waves among its last this many
#: A set goes on after a rest-pause (a breather at lockout, held still in its pose: `runs.held_still`) if the next
#: bout's first lobe begins within this long of its last turnaround and moves like its reps (`sets.resumed`).
#: Rest-pause sets rest 10-20 s (a few deep breaths) and a breath in the rack a few s; sets are a minute or more apart.
RESUME_S = 20.0
RESUME_WAIT_PERIODS = 1.5  # after that lobe begins, reps of a new set are not shown for this many of its periods


def _join(a: GridChunk, b: GridChunk) -> GridChunk:
    if not len(a.t_s):
        return b
    return GridChunk(np.concatenate((a.t_s, b.t_s)), np.concatenate((a.acc_g, b.acc_g)),
                     np.concatenate((a.segment_start, b.segment_start)))


@dataclass(frozen=True)
class CountEvent:
    """The running count of the open set changed at stream time ``t_s`` (the last grid sample seen).

    ``retracted``: the count dropped and reps shown are withdrawn (also when it drops to 0 because the reps
    shown provisionally did not become a set); a drop to 0 without it ends a set whose reps stand.
    """

    t_s: float
    count: int
    retracted: bool
    resumed: bool = False  # the count goes on the last set reported ended: it held a rest-pause (its reps included)


@dataclass(frozen=True)
class RestPause:
    """The last set reported ended, while the next bout may go on it after a rest-pause (`sets.resumed`)."""

    found: DetectedSet  # on the band-passed signal's times (before `refine.at_movement_times`)
    trace: Trace  # the signal from half a period before its first rep until its bout closed
    pose_g: np.ndarray  # the low-passed acceleration over its reps (its pose)
    peak_g: float  # its reps' median wave peak (g)
    pause_s: float  # where the pause began: the sensor became still (`sets.still_from`)
    from_s: float = np.nan  # where the next bout's first lobe begins, once the sensor was held still until then


@dataclass
class RepCounter:
    """Streaming set and rep counter. Feed chunks with `step`, end with `flush`; read `sets` and `events`.

    Examples
    --------
    >>> import numpy as np
    >>> counter = RepCounter()
    >>> t = np.arange(0, 5, 0.01)
    >>> counter.step(t, np.c_[0 * t, 0 * t, 1 + 0 * t])
    >>> counter.flush()
    []
    """

    sets: list[DetectedSet] = field(default_factory=list)
    events: list[CountEvent] = field(default_factory=list)
    _grid: GridState = field(default_factory=GridState)
    _pending: GridChunk = field(default_factory=GridChunk.empty)
    _filters: FilterState | None = None
    _head: GridChunk = field(default_factory=GridChunk.empty)  # a segment's first samples, until enough are in
    _resume: FilterState | None = None  # the filters before a short gap, carried on once the head is in
    _lobes: LobeState = field(default_factory=LobeState)
    _bout: list[Lobe] = field(default_factory=list)
    _waves: list[Wave] = field(default_factory=list)  # the bout's lobes merged, kept as it grows
    _postures_s: list[float] = field(default_factory=list)
    _still: list[Pose] = field(default_factory=list)
    _traces: list[Trace] = field(default_factory=list)  # pieces of the trace, joined when it is read
    _count: int = 0
    _shown: list[DetectedSet] = field(default_factory=list)  # the sets of the open bout's last full running count
    _extension: Extension | None = None  # how its last set would go on
    _recount_n: int = 0  # the open bout's waves at which its running count is next redone in full
    _data_start_s: float = -np.inf  # where the data (after the last long gap) begins
    _data_pose: Pose | None = None  # where it first moved, if it began at rest (briefly still: `START_STILL_N`)
    _held: bool = False  # a drop of the running count is being held back for one lobe
    _rest_pause: RestPause | None = None  # the last set reported, while it may go on after a rest-pause
    _goes_on: bool = False  # the open bout's running count goes on that set
    _early_s: float = -np.inf  # start of the open lobe last looked at before it closed
    _now_s: float = -np.inf
    _last_raw_s: float = -np.inf  # the latest raw sample time seen
    _gaps: list[tuple[float, float]] = field(default_factory=list)  # short dropouts whose bins are not filtered yet

    def step(self, t_s: np.ndarray, acc_g: np.ndarray) -> None:
        """Feed raw samples: times (s, increasing across calls) and accelerations (n, 3) in g."""
        t = np.asarray(t_s, dtype=float)
        acc = np.asarray(acc_g, dtype=float).reshape(-1, 3)
        ok = np.isfinite(t) & np.isfinite(acc).all(axis=1)
        if not ok.all():
            t, acc = t[ok], acc[ok]
        if len(t):
            self._note_gaps(t)
        self._grid, chunk = grid_step(self._grid, t, acc)
        self._pending = _join(self._pending, chunk)
        if len(self._pending.t_s) >= BATCH_SAMPLES:
            self._consume(self._pending)
            self._pending = GridChunk.empty()

    def _note_gaps(self, t_s: np.ndarray) -> None:
        """Remember the short dropouts between raw samples (samples not after the latest are dropped by the grid)."""
        top = np.maximum.accumulate(np.concatenate(([self._last_raw_s], t_s)))
        jump = t_s - top[:-1]
        k = np.flatnonzero((jump > MIN_GAP_S) & (jump <= MAX_FILL_S))
        if len(k):
            self._gaps.extend(zip(top[k].tolist(), t_s[k].tolist(), strict=True))
        self._last_raw_s = float(top[-1])

    def _missing(self, t_s: np.ndarray) -> np.ndarray | None:
        """Which grid samples lie wholly inside a short dropout (None if none); forgets the dropouts now passed."""
        half = 0.5 / GRID_FS_HZ
        inside = np.zeros(len(t_s), bool)
        for a, b in self._gaps:
            inside |= (t_s - half > a) & (t_s + half <= b)
        self._gaps = [g for g in self._gaps if g[1] > t_s[-1]]
        return inside if inside.any() else None

    def flush(self) -> list[DetectedSet]:
        """End of stream: close the open lobe and bout; returns all sets found."""
        self._consume(_join(self._pending, grid_flush(self._grid)))
        self._pending = GridChunk.empty()
        self._grid = GridState()
        self._filter_head()
        self._end_segment()
        self._filters = None
        self._resume = None
        return list(self.sets)

    @property
    def count(self) -> int:
        """Reps counted so far in the set being performed (0 between sets)."""
        return self._count

    def _consume(self, chunk: GridChunk) -> None:
        starts = np.append(np.flatnonzero(chunk.segment_start), len(chunk.t_s))
        if starts[0] != 0 and len(chunk.t_s):
            starts = np.concatenate(([0], starts))
        for a, b in zip(starts[:-1], starts[1:], strict=True):
            if chunk.segment_start[a]:
                self._filter_head()
                before, self._filters = self._filters, None
                resumes = self._end_segment(next_s=float(chunk.t_s[a]))
                self._resume = before if resumes else None
                if not resumes:
                    self._data_start_s = float(chunk.t_s[a])
                    self._data_pose = None
                    self._rest_pause = None  # no set goes on across a gap in the data
            self._head = _join(self._head, GridChunk(chunk.t_s[a:b], chunk.acc_g[a:b], chunk.segment_start[a:b]))
            wait = START_N if self._resume is not None else PRIME_N  # resumed filters keep their envelope
            if self._filters is not None or len(self._head.t_s) >= wait:
                self._filter_head()
        self._maybe_close()
        self._look_early()

    def _filter_head(self) -> None:
        """Filter the grid samples held back; a segment's first ones set its filters' start (`FilterState.primed`)."""
        t, acc = self._head.t_s, self._head.acc_g
        if not len(t):
            return
        self._head = GridChunk.empty()
        if self._filters is None:
            self._filters = FilterState.primed(acc)
            if self._resume is not None:
                self._filters = self._filters.resumed(self._resume)
        self._filters, sig = filter_step(self._filters, acc)
        if sig.restart is not None:
            self._postures_s.extend(t[sig.restart].tolist())
        if sig.still is not None and sig.level_g is not None:
            self._still += [(float(t[k]), tuple(sig.level_g[k].tolist())) for k in np.flatnonzero(sig.still)]
            if self._resume is None and sig.settled is not None and sig.settled.any():
                k = int(np.argmax(sig.settled))
                self._data_pose = (float(t[k]), tuple(sig.level_g[k].tolist()))
        if sig.bp_g is not None and sig.level_g is not None and sig.mag_g is not None:
            missing = self._missing(t) if self._gaps else None
            if missing is None:
                self._traces.append((t, sig.bp_g, sig.level_g, sig.mag_g))
            else:
                gone = missing[:, None]  # the magnitude keeps the interpolation: gait evidence reads a run whole
                self._traces.append((t, np.where(gone, np.nan, sig.bp_g), np.where(gone, np.nan, sig.level_g),
                                     sig.mag_g))
        self._lobes, lobes = lobe_step(self._lobes, t, sig)
        self._now_s = float(t[-1])
        self._add_lobes(lobes)

    def _add_lobes(self, lobes: list[Lobe]) -> None:
        for lobe in lobes:
            if self._bout and lobe.start_s - self._bout[-1].end_s > self._gap_s():
                self._close_bout()
            if not self._bout and self._rest_pause is not None:
                self._rest_pause = self._held_until(self._rest_pause, lobe.start_s)
            self._bout.append(lobe)
            self._waves[-1:] = merge_lobes([lobe], self._waves[-1:])  # a lobe merges into the last wave only
        if lobes:
            count = self._running_count(self._bout, self._waves)
            self._held = count < self._count and not self._held
            if not self._held:  # a drop waits one lobe: the next often brings the count back (no flicker)
                self._update_count(count, withdrawn=True)

    def _running_count(self, bout: list[Lobe], waves: list[Wave]) -> int:
        """The count to show: the sets `find_sets` finds in the open bout, the reps that follow the last one
        (`repcount.display`) or, with no set, the provisional reps. A long bout (``LONG_BOUT_WAVES``: an unbroken
        jog) is searched in full only once it has grown by ``1 / RECOUNT_SHARE``, so that the work per wave stays
        bounded on average; in between, its count goes on from the last full one (the reps that follow its last
        set, or the provisional reps at the bout's end). Two provisional reps come with the reps before them that
        move like them (`repcount.display.rep_pair`). The sets found when the bout closes are not affected."""
        long = len(waves) >= LONG_BOUT_WAVES
        if not long or len(waves) >= self._recount_n:
            self._shown = self._find(bout, waves, rated=False)
            self._goes_on = self._going_on(self._shown)
            # in a long bout the count goes on along a set of hops too (two strokes a rep: `display.Extension`)
            self._extension = extension(waves, self._shown[-1], strokes=long) if self._shown else None
            self._recount_n = len(waves) + len(waves) // RECOUNT_SHARE if long else LONG_BOUT_WAVES
        if self._shown:
            extra = extended_reps(waves, self._extension) if self._extension is not None else 0
            return sum(s.n_reps for s in self._shown) + extra
        p = self._rest_pause
        if p is not None and self._now_s < p.from_s + RESUME_WAIT_PERIODS * turn_period_s(p.found.reps):
            return 0  # its first rep may yet go on the set before the pause
        pair = rep_pair(waves)
        if pair is not None:  # two reps shown: with those before them that move like them
            return MIN_REPS - 1 + reps_before(pair, self._trace(), self._still)
        return provisional_reps(waves, [t for t, _ in self._still], self._postures_s)

    def _look_early(self) -> None:
        """Raise the count as soon as the open lobe has passed its peak, if it adds a rep (live display only)."""
        lobe = open_lobe(self._lobes)
        if lobe is None or lobe.start_s == self._early_s or not self._bout:
            return
        self._early_s = lobe.start_s
        if lobe.start_s - self._bout[-1].end_s <= self._gap_s():
            count = self._running_count([*self._bout, lobe], merge_lobes([lobe], self._waves))
            if count > self._count:
                self._update_count(count)

    def _maybe_close(self) -> None:
        quiet_s = min(self._now_s, self._lobes.t_s[0] if len(self._lobes.t_s) else np.inf)  # no lobe began since
        if not self._bout:
            keep_s = self._now_s - IDLE_TRACE_S
            if (p := self._rest_pause) is not None:
                if quiet_s - p.found.reps[-1].turn_s > RESUME_S:
                    self._rest_pause = None
                else:  # the pause is kept whole, to see that it was held still
                    keep_s = min(keep_s, float(p.trace[0][-1]))
            self._keep_trace(keep_s)
            return
        if quiet_s - self._bout[-1].end_s > self._gap_s():
            self._close_bout()

    def _end_segment(self, next_s: float | None = None) -> bool:
        """End a run of data: close its open lobe, and the bout unless the data resumes (at ``next_s``)
        within ``BOUT_GAP_S``: a set survives a short dropout (the gap is kept in the trace as NaN).
        Returns True if the bout stays open across the gap."""
        self._add_lobes(lobe_flush(self._lobes))
        self._lobes = LobeState()
        if next_s is None or not self._bout or next_s - self._now_s > BOUT_GAP_S:
            self._close_bout()
            return False
        t = np.arange(self._now_s + 1.0 / GRID_FS_HZ, next_s - 0.5 / GRID_FS_HZ, 1.0 / GRID_FS_HZ)
        gap = np.full((len(t), 3), np.nan)
        self._traces.append((t, gap, gap, gap[:, 0]))
        return True

    def _close_bout(self) -> None:
        """End the open bout and report its sets, found from the data up to its gap (`_gap_s`) after its last lobe
        (or the data's end, if sooner): what the live counter has when it closes the bout, whatever follows."""
        until_s = min(self._bout[-1].end_s + self._gap_s(), self._now_s) if self._bout else self._now_s
        found = self._find(self._bout, self._waves, until_s=until_s) if self._bout else []
        self._goes_on = self._going_on(found)
        if found:
            self._update_count(sum(s.n_reps for s in found), withdrawn=True)  # reps shown beyond the final count
        if self._bout:
            moved = [at_movement_times(s, self._data_start_s, until_s) for s in found]
            self.sets[len(self.sets) - self._goes_on:] = moved  # a set that went on replaces its first part
            self._rest_pause = self._paused(found, until_s)
            end = self._bout[-1].end_s
            self._postures_s = [t for t in self._postures_s if t >= end]
            self._still = [p for p in self._still if p[0] <= end][-1:] + [p for p in self._still if p[0] > end]
            self._keep_trace(end)
        self._bout = []
        self._waves = []
        self._shown, self._extension, self._recount_n = [], None, 0
        self._held = False
        self._update_count(0, withdrawn=not found)
        self._goes_on = False

    def _gap_s(self) -> float:
        """How long the open bout stays open without a lobe: ``BOUT_GAP_S``, or ``GAP_PERIODS`` of its rep period
        if that is longer (a slow set's waves can lie a period apart when one phase moves too little for a lobe),
        up to ``MAX_GAP_S``."""
        waves = self._waves[-GAP_WAVES:]
        gaps = [b.peak_s - a.peak_s for sign in (1, -1)
                for a, b in pairwise([w for w in waves if w.sign == sign])]
        return float(np.clip(GAP_PERIODS * median(gaps), BOUT_GAP_S, MAX_GAP_S)) if gaps else BOUT_GAP_S

    def _paused(self, found: list[DetectedSet], until_s: float) -> RestPause | None:
        """The bout's last set, kept while the next bout may go on it (`RestPause`), or None."""
        if not found or found[-1].n_reps < 2:
            return None
        last = found[-1]
        p = self._rest_pause
        trace = self._trace() if p is None or np.isnan(p.from_s) else self._with_pause(p)
        t = trace[0]
        k, c = np.searchsorted(t, (last.reps[0].start_s - turn_period_s(last.reps) / 2.0, until_s), side="right")
        gone_on = self._goes_on and len(found) == 1 and p is not None  # its first part's waves went with its bout
        pose = set_pose(last, self._waves, trace, p.peak_g if gone_on and p is not None else None)
        if pose is None:
            return None
        # where the pause began: where the sensor became still until the bout closed (a stop away from the middle
        # of the motion leaves the band-pass decaying in lobes for seconds)
        end_s = still_from(trace, last.reps[-1].turn_s, until_s, STILL_BAND_FRACTION * pose[1])
        if end_s - last.reps[-1].turn_s > RESUME_TAIL_PERIODS * turn_period_s(last.reps):
            return None
        return RestPause(last, _rows(trace, k, c), *pose, end_s)

    def _held_until(self, p: RestPause, from_s: float) -> RestPause | None:
        """``p`` with the next bout's first lobe starting at ``from_s``, if that is within ``RESUME_S`` of its last
        turnaround and the sensor was held still in its pose over the pause (`runs.held_still`): from the end of
        its bout's last lobe (and half a period after its last turnaround) to half a period before ``from_s`` (where
        the motion that crosses into a lobe there begins)."""
        last_s, half_s = p.found.reps[-1].turn_s, turn_period_s(p.found.reps) / 2.0
        if from_s - last_s > RESUME_S:
            return None
        still = held_still(self._with_pause(p), max(last_s + half_s, p.pause_s), from_s - half_s, p.pose_g, p.peak_g)
        return replace(p, from_s=from_s) if still else None

    def _with_pause(self, p: RestPause) -> Trace:
        """The trace with the paused set's before it (the live trace was cut at its bout's end)."""
        now = self._trace()
        k = int(np.searchsorted(now[0], p.trace[0][-1], side="right")) if len(p.trace[0]) else 0
        t, bp, level, mag = (np.concatenate((a, b[k:])) for a, b in zip(p.trace, now, strict=True))
        return t, bp, level, mag

    def _going_on(self, found: list[DetectedSet]) -> bool:
        """Whether the first of the open bout's sets goes on the paused set (`sets.resumed` took it in)."""
        p = self._rest_pause
        return p is not None and bool(found) and found[0].reps[0] == p.found.reps[0]

    def _trace(self) -> Trace:
        if not self._traces:
            return np.empty(0), np.empty((0, 3)), np.empty((0, 3)), np.empty(0)
        if len(self._traces) > 1:
            t, bp, level, mag = (np.concatenate(part) for part in zip(*self._traces, strict=True))
            self._traces = [(t, bp, level, mag)]
        return self._traces[0]

    def _keep_trace(self, from_s: float) -> None:
        """Forget the band-passed signal before ``from_s`` (no lobe of an open or future bout lies there)."""
        trace = self._trace()
        k = int(np.searchsorted(trace[0], from_s))
        self._traces = [_rows(trace, k)] if k < len(trace[0]) else []

    def _find(self, bout: list[Lobe], waves: list[Wave], *, rated: bool = True,
              until_s: float = np.inf) -> list[DetectedSet]:
        """`find_sets` on the bout, reading the trace, postures and still poses up to ``until_s`` only."""
        first = bout[0].start_s - POSTURE_WINDOW_S
        still = tuple(p for p in self._still if p[0] <= until_s)
        found = find_sets(bout, tuple(p for p in self._postures_s if first <= p <= until_s), still,
                          _until(self._trace(), until_s), self._data_start_s, rated=rated,
                          data_pose=self._data_pose, waves=waves)
        p = self._rest_pause
        if p is None or np.isnan(p.from_s):
            return found
        return resumed(p.found, found, _until(self._with_pause(p), until_s), (p.pause_s, p.from_s), still) or found

    def _update_count(self, count: int, *, withdrawn: bool = False) -> None:
        """Report a new running count; a drop is a retraction unless a set just ended with its reps kept
        (``withdrawn``: a drop to 0 takes reps back too)."""
        if count != self._count:
            retracted = count < self._count and (count > 0 or withdrawn)
            self.events.append(CountEvent(self._now_s, count, retracted, self._goes_on and count > 0))
            self._count = count


def _rows(trace: Trace, a: int, b: int | None = None) -> Trace:
    """The trace's samples ``a`` up to ``b`` (indices; to its end without ``b``)."""
    t, bp, level, mag = trace
    return t[a:b], bp[a:b], level[a:b], mag[a:b]


def _until(trace: Trace, until_s: float) -> Trace:
    """The trace's samples at or before ``until_s``."""
    return _rows(trace, 0, int(np.searchsorted(trace[0], until_s, side="right")))
