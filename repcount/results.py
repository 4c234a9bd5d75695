"""What the counter reports: reps with their phases, and sets of reps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rep:
    """One repetition, times in seconds on the input clock.

    ``start_s`` -> ``turn_s`` is the first phase, ``turn_s`` -> ``end_s`` the second. For lowering-first lifts
    (squat, bench press, push-up, lunge) the first phase is eccentric; for lifting-first ones (deadlift, row,
    curl, overhead press) it is concentric: `phases` takes the exercise's order into account, the
    ``eccentric_s``/``concentric_s`` properties assume lowering first. ``confidence`` is in [0, 1].
    """

    start_s: float
    turn_s: float
    end_s: float
    confidence: float

    @property
    def first_phase_s(self) -> float:
        return self.turn_s - self.start_s

    @property
    def second_phase_s(self) -> float:
        return self.end_s - self.turn_s

    @property
    def eccentric_s(self) -> float:
        """Lowering time, assuming the rep starts by lowering (squat, bench press)."""
        return self.first_phase_s

    @property
    def concentric_s(self) -> float:
        """Lifting time, assuming the rep starts by lowering (squat, bench press)."""
        return self.second_phase_s

    @property
    def duration_s(self) -> float:
        """Time under tension of this rep."""
        return self.end_s - self.start_s

    def phases(self, *, eccentric_first: bool) -> tuple[float, float]:
        """``(eccentric_s, concentric_s)`` for a lift whose first phase is (or is not) the lowering one."""
        if eccentric_first:
            return self.first_phase_s, self.second_phase_s
        return self.second_phase_s, self.first_phase_s


@dataclass(frozen=True)
class DetectedSet:
    """A set found in a stream: its bounds (s), reps, and a set-level confidence in [0, 1].

    ``alternative`` is the other count the evidence allows (one more or one fewer: a rep-like wave just
    outside the set, an edge rep found only by its likeness to the others, a last rep taken for a re-rack),
    so that an unsure set can be shown as "probably 9 or 10"; None when nothing points elsewhere.
    """

    start_s: float
    end_s: float
    reps: tuple[Rep, ...]
    confidence: float
    alternative: int | None = None

    @property
    def n_reps(self) -> int:
        return len(self.reps)

    @property
    def time_under_tension_s(self) -> float:
        return float(sum(r.duration_s for r in self.reps))
