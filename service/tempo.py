"""Tempo and time under tension of a set, from its stored reps: the one place page, API and CSV export get them.

A rep is stored as ``start_s``, ``turn_s`` (where the lift reverses) and ``end_s``. Which of its two phases is
the eccentric (lowering) one depends on the exercise: the exercise catalogue (``exercises.eccentric_first``)
says which it is, and `SetTempo` applies that order to the set's mean phases. A set whose exercise is not in the
catalogue (or unlabelled) still has its first and second phase, but no eccentric or concentric time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from repcount.results import Rep
from service import queries

#: One stored rep's (start_s, turn_s, end_s); any of them may be None (imported rows).
RepTimes = tuple[float | None, float | None, float | None]
#: The fields every set gets in the JSON API and the sets CSV export, in this order.
FIELDS = ("tempo_eccentric_s", "tempo_concentric_s", "time_under_tension_s", "tempo_first_phase_s",
          "tempo_second_phase_s")


@dataclass(frozen=True)
class SetTempo:
    """Mean phase durations of a set's timed reps (s), their summed duration (s), and the phase order.

    Every duration is None when no rep of the set has usable times; ``eccentric_first`` is None when the
    exercise's order is unknown, and then so are ``eccentric_s`` and ``concentric_s``.
    """

    first_phase_s: float | None
    second_phase_s: float | None
    time_under_tension_s: float | None
    eccentric_first: bool | None
    n_timed_reps: int

    @property
    def eccentric_s(self) -> float | None:
        if self.eccentric_first is None:
            return None
        return self.first_phase_s if self.eccentric_first else self.second_phase_s

    @property
    def concentric_s(self) -> float | None:
        if self.eccentric_first is None:
            return None
        return self.second_phase_s if self.eccentric_first else self.first_phase_s

    def fields(self) -> dict[str, float | None]:
        """The API / export fields (`FIELDS`), seconds rounded to 0.01."""
        values = (self.eccentric_s, self.concentric_s, self.time_under_tension_s, self.first_phase_s,
                  self.second_phase_s)
        return {name: None if v is None else round(v, 2) for name, v in zip(FIELDS, values, strict=True)}


def _timed(times: RepTimes) -> Rep | None:
    """The rep if its three times are finite and in order, else None."""
    start_s, turn_s, end_s = times
    if start_s is None or turn_s is None or end_s is None:
        return None
    if not all(math.isfinite(t) for t in (start_s, turn_s, end_s)) or not start_s <= turn_s <= end_s:
        return None
    return Rep(start_s, turn_s, end_s, confidence=1.0)


def set_tempo(reps: Iterable[RepTimes], *, eccentric_first: bool | None) -> SetTempo:
    """Mean first and second phase and time under tension (sum of rep durations) of a set's reps.

    Parameters
    ----------
    reps : iterable of (start_s, turn_s, end_s)
        The set's reps, seconds on any one clock. Reps with a missing, non-finite or out-of-order time are
        left out of every number.
    eccentric_first : bool or None
        True when the lift starts by lowering (squat, bench press), False when it starts by lifting
        (deadlift, row), None when unknown.

    Returns
    -------
    SetTempo
        All durations None when no rep is usable.

    Examples
    --------
    >>> t = set_tempo([(0.0, 2.0, 3.0), (3.0, 5.5, 6.5)], eccentric_first=False)
    >>> (t.eccentric_s, t.concentric_s, t.time_under_tension_s)
    (1.0, 2.25, 6.5)
    """
    timed = [rep for rep in map(_timed, reps) if rep is not None]
    if not timed:
        return SetTempo(None, None, None, eccentric_first, 0)
    return SetTempo(
        first_phase_s=sum(r.first_phase_s for r in timed) / len(timed),
        second_phase_s=sum(r.second_phase_s for r in timed) / len(timed),
        time_under_tension_s=sum(r.duration_s for r in timed),
        eccentric_first=eccentric_first,
        n_timed_reps=len(timed),
    )


def with_tempo(db: sqlite_utils.Database, sets: Sequence[dict[str, Any]], *, session_id: int | None = None,
               set_id: int | None = None) -> list[dict[str, Any]]:
    """``sets`` (rows with ``id`` and ``exercise``), each with the `FIELDS` of its `SetTempo` added.

    The reps read are those of ``session_id``, or of ``set_id``, or of every set when both are None.
    """
    reps = queries.set_rep_times(db, session_id=session_id, set_id=set_id)
    orders = queries.eccentric_first_by_name(db)
    out = []
    for row in sets:
        exercise = row.get("exercise")
        tempo = set_tempo(reps.get(row["id"], []),
                          eccentric_first=orders.get(exercise.casefold()) if exercise else None)
        out.append({**row, **tempo.fields()})
    return out
