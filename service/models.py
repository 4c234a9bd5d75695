"""Pydantic models of the JSON API: what a client may send, with the instruments' exact bounds.

Instruments (see ``shared/research/product.md`` section 5): Feeling Scale (Hardy & Rejeski 1989) -5..+5;
Felt Arousal Scale (Svebak & Murgatroyd 1985) 1..6; session RPE on Foster's CR-10, 0..10, about 30 min after
the session (load = sRPE x minutes); Hooper index items (Hooper & Mackinnon 1995) 1..7 each, every morning.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Feeling = Annotated[int, Field(ge=-5, le=5, description="Feeling Scale: -5 very bad .. 0 neutral .. +5 very good")]
Arousal = Annotated[int, Field(ge=1, le=6, description="Felt Arousal Scale: 1 low arousal .. 6 high arousal")]
Srpe = Annotated[int, Field(ge=0, le=10, description="Session RPE, CR-10: 0 rest .. 10 maximal")]
Hooper = Annotated[int, Field(ge=1, le=7, description="Hooper item: 1 very, very good/low .. 7 very, very bad/high")]
Note = Annotated[str, Field(max_length=2000)]


def _name(value: str) -> str:
    """A name as typed, trimmed; blank or holding control characters refused."""
    name = value.strip()
    if not name:
        raise ValueError("must not be blank (null clears it)")
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ValueError("must not hold control characters")
    return name


ExerciseName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_name)]


def _plausible(value: dt.datetime) -> dt.datetime:
    """Times in 1970..2200 (naive ones taken as UTC), so nanoseconds since the epoch fit in 64 bits."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if not dt.datetime(1970, 1, 1, tzinfo=dt.UTC) <= aware <= dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
        raise ValueError("must be between 1970 and 2200")
    return aware


Moment = Annotated[dt.datetime, AfterValidator(_plausible)]

#: Which fields each kind of check-in may carry.
CHECKIN_FIELDS: dict[str, tuple[str, ...]] = {
    "pre": ("feeling", "arousal"),
    "post": ("feeling", "arousal"),
    "srpe": ("srpe",),
    "morning": ("sleep", "stress", "fatigue", "soreness"),
}


class Strict(BaseModel):
    """What a client sends: no unknown fields, and numbers finite (JSON's NaN / Infinity literals refused)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CheckinIn(Strict):
    """A mood or wellness check-in: pre/post (FS + FAS), srpe (CR-10), or morning (Hooper items)."""

    kind: Literal["pre", "post", "srpe", "morning"]
    session_id: int | None = Field(default=None, ge=1, le=2**62)
    taken_at: Moment | None = None
    feeling: Feeling | None = None
    arousal: Arousal | None = None
    srpe: Srpe | None = None
    sleep: Hooper | None = None
    stress: Hooper | None = None
    fatigue: Hooper | None = None
    soreness: Hooper | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> CheckinIn:
        allowed = CHECKIN_FIELDS[self.kind]
        given = [f for fields in CHECKIN_FIELDS.values() for f in fields if getattr(self, f) is not None]
        stray = sorted({f for f in given if f not in allowed})
        if stray:
            raise ValueError(f"a '{self.kind}' check-in takes {', '.join(allowed)}; got {', '.join(stray)}")
        if not given and not self.note:
            raise ValueError(f"a '{self.kind}' check-in needs at least one of {', '.join(allowed)} or a note")
        if self.kind == "srpe" and self.session_id is None:
            raise ValueError("a session RPE check-in needs session_id")
        return self


class Checkin(BaseModel):
    id: int
    kind: str
    session_id: int | None
    taken_at: str
    feeling: int | None
    arousal: int | None
    srpe: int | None
    sleep: int | None
    stress: int | None
    fatigue: int | None
    soreness: int | None
    note: str | None
    created_at: str
    hooper_total: int | None = Field(description="sum of the four Hooper items (4..28) when all are given")
    session_load_au: float | None = Field(description="sRPE x session minutes, for srpe check-ins of ended sessions")


class SetPatch(Strict):
    """User edits of a set; ``reps_detected`` is never editable."""

    reps_confirmed: int | None = Field(default=None, ge=0, le=1000)
    load_kg: float | None = Field(default=None, ge=0, le=1000)
    load_display_unit: Literal["kg", "lb"] | None = None
    rpe: float | None = Field(default=None, ge=1, le=10, multiple_of=0.5, description="RPE 1..10 in half steps")
    rir: float | None = Field(default=None, ge=0, le=10, multiple_of=0.5, description="reps in reserve")
    exercise: ExerciseName | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> SetPatch:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one of " + ", ".join(type(self).model_fields))
        return self


class SetOut(BaseModel):
    id: int
    session_id: int
    idx: int | None
    exercise: str | None
    start_s: float | None
    end_s: float | None
    reps_detected: int | None
    reps_confirmed: int | None
    reps_alternative: int | None = None
    confidence: float | None
    load_kg: float | None
    load_display_unit: str | None
    load_lb: float | None
    rpe: float | None
    rir: float | None
    rest_before_s: float | None
    algorithm: str | None
    peak_hr_bpm: float | None = None
    hrr60_bpm: float | None = None
    rest_rmssd_ms: float | None = None
    tempo_eccentric_s: float | None = Field(None, description="mean eccentric (lowering) time per rep, s; "
                                            "null when the reps have no times or the exercise's order is unknown")
    tempo_concentric_s: float | None = Field(None, description="mean concentric (lifting) time per rep, s")
    time_under_tension_s: float | None = Field(None, description="sum of the detected reps' durations, s")
    tempo_first_phase_s: float | None = Field(None, description="mean time from rep start to turnaround, s")
    tempo_second_phase_s: float | None = Field(None, description="mean time from turnaround to rep end, s")


class Exercise(BaseModel):
    id: int
    name: str
    category: str | None
    eccentric_first: bool
    aliases: list[str]


class HrvReadingIn(Strict):
    """RR intervals of one reading; the server computes the metrics."""

    kind: Literal["morning", "pre", "post", "in_session"]
    session_id: int | None = Field(default=None, ge=1, le=2**62)
    taken_at: Moment | None = None
    posture: Literal["supine", "seated", "standing"] | None = None
    device: str | None = Field(default=None, max_length=100)
    rr_ms: list[Annotated[float, Field(gt=200, lt=3000)]] = Field(min_length=10, max_length=20000)


class HrvReading(BaseModel):
    id: int
    kind: str
    session_id: int | None
    taken_at: str
    posture: str | None
    device: str | None
    window_s: float | None
    n_beats: int | None
    artifact_pct: float | None
    mean_rr_ms: float | None
    mean_hr_bpm: float | None
    rmssd_ms: float | None
    ln_rmssd: float | None
    sdnn_ms: float | None
    pnn50_pct: float | None
    metrics: dict[str, Any]
    algorithm: str
    created_at: str


class SessionIn(Strict):
    """A session opened by a remote recorder before it sends batches."""

    title: str = Field(default="remote session", max_length=200)
    started_at: Moment | None = None
    source: str = Field(default="remote", max_length=50)


class SessionCreated(BaseModel):
    id: int


class SessionEnd(Strict):
    """End a session (default: now); its sets and reps are then computed from the stored streams."""

    ended_at: Moment | None = None


class SessionEnded(BaseModel):
    id: int
    ended_at: str
    set_ids: list[int]


class BatchAck(BaseModel):
    session_id: int
    device_id: int
    seq: int
    duplicate: bool = Field(description="true when this (device, seq) was already stored: nothing was added")


class LiveEvent(BaseModel):
    id: int
    session_id: int
    t_ns: int
    kind: str
    payload: dict[str, Any]


class Message(BaseModel):
    detail: str
