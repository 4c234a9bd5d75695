"""The HTML pages: home, session review, live set, check-ins and trends. Server-rendered; forms post back
here (they work without JavaScript) and write through `service.store`, like the JSON API."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import sqlite_utils
from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from repcount.hrv import correct_artifacts, rmssd_ms
from service import charts, queries, store, tempo, trends
from service.analysis import DEFAULT_MAX_HR_BPM, load_acc
from service.models import CHECKIN_FIELDS, CheckinIn, HrvReadingIn, SetPatch
from service.rr_files import RrFileError, parse_rr_text

TEMPLATES = Path(__file__).parent / "templates"
#: Quiet rest needed at the session's start or end to report RMSSD "before" or "after" from its own beats.
MIN_HRV_WINDOW_S = 60.0
RECENT_SESSIONS = 10
WEEKS_SHOWN = 8
MAX_RR_FILE_BYTES = 2_000_000
#: Largest row id a URL may name (as in the JSON API): bigger ones do not fit SQLite's INTEGER.
MAX_ROW_ID = 2**62
RowId = Annotated[int, PathParam(ge=1, le=MAX_ROW_ID)]


def build_router(db: sqlite_utils.Database) -> APIRouter:
    """Every HTML route, over one database connection (used from the event loop only: all ``async def``)."""
    router = APIRouter(include_in_schema=False)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["signed"] = lambda v, fmt="{:+d}": "–" if v is None else fmt.format(v)
    templates.env.filters["when"] = lambda iso: f"{trends.local_time(iso):%a %d %b %Y, %H:%M}" if iso else "–"

    def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return render(request, "index.html", home_context(db, dt.date.today()))

    @router.get("/sessions/{session_id}", response_class=HTMLResponse)
    async def session_page(request: Request, session_id: RowId) -> Response:
        return render(request, "session.html", session_context(db, session_id))

    @router.post("/sessions/{session_id}/sets/{set_id}", response_class=HTMLResponse)
    async def edit_set(request: Request, session_id: RowId, set_id: RowId) -> Response:
        if queries.get_set(db, set_id)["session_id"] != session_id:
            raise queries.NotFound(f"set {set_id} is not in session {session_id}")
        form = await request.form()
        # Blank fields change nothing; an exercise shown as "bench press" maps back to "bench_press" as an alias.
        fields = {k: str(v).strip() for k, v in form.items() if k in SetPatch.model_fields and str(v).strip() != ""}
        try:
            store.update_set(db, set_id, SetPatch.model_validate(fields))
        except ValidationError as exc:
            context = session_context(db, session_id)
            context["set_error"] = (set_id, _messages(exc))
            return render(request, "session.html", context, status_code=422)
        return RedirectResponse(f"/sessions/{session_id}#set-{set_id}", status_code=303)

    @router.get("/live", response_class=HTMLResponse)
    async def live_page(request: Request) -> Response:
        return render(request, "live.html", {"after_id": queries.live_resume_id(db), "nav": "live",
                                             "ended_session": queries.ended_live_session(db)})

    @router.get("/checkin", response_class=HTMLResponse)
    async def checkin_page(request: Request, saved: str | None = None,
                           session_id: Annotated[int | None, Query(le=MAX_ROW_ID)] = None) -> Response:
        return render(request, "checkin.html", checkin_context(db, saved=saved, session_id=session_id))

    @router.post("/checkin", response_class=HTMLResponse)
    async def checkin_post(request: Request) -> Response:
        form = await request.form()
        kind = str(form.get("kind", ""))
        allowed = {"kind", "session_id", "note", *CHECKIN_FIELDS.get(kind, ())}
        fields = {k: v for k, v in form.items() if k in allowed and str(v).strip() != ""}
        try:
            store.add_checkin(db, CheckinIn.model_validate(fields))
        except (ValidationError, queries.NotFound) as exc:
            context = checkin_context(db, saved=None, session_id=None)
            context["error"] = (kind, _messages(exc) if isinstance(exc, ValidationError) else [str(exc)])
            return render(request, "checkin.html", context, status_code=422)
        return RedirectResponse(f"/checkin?saved={kind}", status_code=303)

    @router.post("/checkin/reading", response_class=HTMLResponse)
    async def reading_post(request: Request) -> Response:
        async with request.form() as form:
            fields: dict[str, Any] = {k: form.get(k) or None for k in ("kind", "posture", "session_id")}
            try:
                rr_ms, taken_at = await _reading_beats(db, form.get("rr_file"), form.get("recording"))
                if fields["kind"] == "morning":
                    fields["session_id"] = None
                store.add_hrv_reading(db, HrvReadingIn.model_validate({**fields, "rr_ms": rr_ms, "taken_at": taken_at}))
            except (RrFileError, ValidationError, queries.NotFound) as exc:
                context = checkin_context(db, saved=None, session_id=None)
                context["error"] = ("reading", _messages(exc) if isinstance(exc, ValidationError) else [str(exc)])
                return render(request, "checkin.html", context, status_code=422)
        if fields["kind"] == "morning":
            return RedirectResponse("/#hrv-h", status_code=303)
        return RedirectResponse(f"/sessions/{fields['session_id']}", status_code=303)

    @router.get("/trends", response_class=HTMLResponse)
    async def trends_page(request: Request) -> Response:
        return render(request, "trends.html", trends_context(db))

    return router


async def _reading_beats(db: sqlite_utils.Database, upload: object, recording: object) -> tuple[list[float], str | None]:
    """A reading's RR intervals (ms) and start: from an uploaded RR file, else from a recorded session's beats
    (e.g. ``liftmind record --duration 180``), which also gives the reading its time."""
    if isinstance(upload, UploadFile) and upload.filename:
        parsed = parse_rr_text((await upload.read(MAX_RR_FILE_BYTES)).decode("utf-8", errors="replace"))
        return [float(v) for v in parsed.rr_ms], None
    if isinstance(recording, str) and recording.isdigit():
        if int(recording) > MAX_ROW_ID:
            raise queries.NotFound(f"session {recording} does not exist")
        session = queries.get_session_row(db, int(recording))
        rr = [v for _, v in queries.rr_series(db, int(recording))]
        if not rr:
            raise RrFileError(f"session {recording} has no heartbeats recorded")
        return rr, str(session["started_at"])
    raise RrFileError("choose an RR file to upload or a recording to use")


def _messages(exc: ValidationError) -> list[str]:
    """Pydantic's errors as short sentences naming the field (never the raw exception text)."""
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p != "__root__")
        out.append(f"{where}: {err['msg']}" if where else str(err["msg"]).removeprefix("Value error, "))
    return out


# --- home -----------------------------------------------------------------------------------------------


def weekly_counts(started: list[str], today: dt.date, weeks: int = WEEKS_SHOWN) -> list[tuple[str, int]]:
    """Sessions per ISO week (Monday start) for the last ``weeks`` weeks, oldest first, labelled 'd Mon'."""
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    counts = dict.fromkeys(starts, 0)
    for iso in started:
        day = trends.local_time(iso).date()
        week = day - dt.timedelta(days=day.weekday())
        if week in counts:
            counts[week] += 1
    return [(f"{w.day} {w:%b}", n) for w, n in counts.items()]


def morning_hrv(readings: list[dict[str, Any]]) -> trends.DailyHrv:
    return trends.daily_hrv([(trends.local_time(r["taken_at"]).date(), r["ln_rmssd"])
                             for r in readings if r["kind"] == "morning" and r.get("ln_rmssd") is not None])


def hrv_plot(daily: trends.DailyHrv, label: str, *, size: tuple[int, int] = (720, 200), n_labels: int = 6,
             last_days: int | None = None) -> charts.Plot | None:
    """The morning ln RMSSD chart (of the last ``last_days`` readings only, if given)."""
    if not daily.days:
        return None
    keep = slice(-last_days if last_days else None, None)
    days, values, baseline, band = daily.days[keep], daily.ln_rmssd[keep], daily.baseline[keep], daily.band[keep]
    ordinals = [float(d.toordinal()) for d in days]
    step = max(1, len(ordinals) // n_labels)
    day_labels = [(o, f"{d.day} {d:%b}") for o, d in list(zip(ordinals, days, strict=True))[::step]]
    return charts.day_series_plot(ordinals, values, baseline=baseline, band=band, day_labels=day_labels,
                                  y_unit="ln ms", label=label, fmt="{:.2f}", size=size)


def home_context(db: sqlite_utils.Database, today: dt.date) -> dict[str, Any]:
    sessions = queries.list_sessions(db)
    weeks = weekly_counts([s["started_at"] for s in sessions], today)
    daily = morning_hrv(queries.hrv_readings(db))
    mood_rows = [r for r in trends.session_mood_rows(queries.session_volume(db), queries.checkins(db), [])
                 if r["change"] is not None][-12:]
    mood_plot = charts.day_series_plot(
        [float(i) for i in range(len(mood_rows))], [float(r["change"]) for r in mood_rows], y_unit="points",
        day_labels=[(float(i), f"{r['day'].day} {r['day']:%b}") for i, r in enumerate(mood_rows)][:: max(1, len(mood_rows) // 3)],
        size=(360, 170),
        label="Change in Feeling Scale from before to after each of the last "
              f"{len(mood_rows)} sessions: " + ", ".join(f"{r['change']:+d}" for r in mood_rows) + ".",
    ) if mood_rows else None
    return {
        "nav": "home", "sessions": sessions[:RECENT_SESSIONS], "n_sessions": len(sessions),
        "weeks": weeks, "weeks_plot": charts.weekly_bars_plot(weeks), "this_week": weeks[-1][1],
        "hrv": daily, "hrv_plot": hrv_plot(daily, _hrv_label(daily), size=(360, 170), n_labels=3, last_days=28),
        "mood_rows": mood_rows, "mood_plot": mood_plot,
        "mood_mean": float(np.mean([r["change"] for r in mood_rows])) if mood_rows else None,
    }


def _hrv_label(daily: trends.DailyHrv) -> str:
    if not daily.days:
        return "No morning HRV readings."
    text = f"Morning ln RMSSD on {len(daily.days)} days, latest {daily.ln_rmssd[-1]:.2f}"
    if daily.baseline[-1] is not None:
        text += f", 7-day baseline {daily.baseline[-1]:.2f}"
    if daily.band[-1] is not None:
        text += f", normal range {daily.band[-1][0]:.2f} to {daily.band[-1][1]:.2f}"
    return text + "."


# --- session --------------------------------------------------------------------------------------------


def heart_rate_summary(session: dict[str, Any]) -> dict[str, Any] | None:
    """The in-session heart-rate summary the analysis stored (`repcount.hrv.session_hr_summary`), if any."""
    text = session.get("hr_summary")
    return json.loads(text) if text else None


def set_heart_rate(sets: list[dict[str, Any]], summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each set with its peak heart rate and 60-s recovery as the analysis stored them, and why one is missing."""
    per_set = summary["sets"] if summary and len(summary["sets"]) == len(sets) else [{} for _ in sets]
    return [{**s, "peak_hr": s.get("peak_hr_bpm"), "hr_recovery": s.get("hrr60_bpm"), "hr_reasons": h.get("reasons", {})}
            for s, h in zip(sets, per_set, strict=True)]


def hr_stats(summary: dict[str, Any] | None, sets: list[dict[str, Any]]) -> dict[str, float | None] | None:
    """Mean and peak heart rate of the session, and the mean 60-s recovery over the sets that have one."""
    if summary is None:
        return None
    recoveries = [s["hr_recovery"] for s in sets if s["hr_recovery"] is not None]
    return {"mean": summary["mean_hr_bpm"], "peak": summary["peak_hr_bpm"],
            "recovery": float(np.mean(recoveries)) if recoveries else None}


def rest_rmssd(rr: list[tuple[float, float]], t0_s: float, t1_s: float) -> dict[str, float] | None:
    """RMSSD of the beats between ``t0_s`` and ``t1_s`` if that window is long enough."""
    window = np.array([v for t, v in rr if t0_s <= t <= t1_s])
    if t1_s - t0_s < MIN_HRV_WINDOW_S or len(window) < 30:
        return None
    corrected = correct_artifacts(window)
    if not corrected.reliable:
        return None
    value = float(rmssd_ms(corrected.rr_ms, corrected.valid_diff))
    return {"rmssd_ms": value, "ln_rmssd": math.log(value), "window_s": t1_s - t0_s} if value > 0 else None


def hrv_before_after(
    readings: list[dict[str, Any]], rr: list[tuple[float, float]], sets: list[dict[str, Any]], end_s: float
) -> dict[str, dict[str, Any] | None]:
    """The session's pre and post readings; else RMSSD of its own quiet start and end (labelled as such)."""
    out: dict[str, dict[str, Any] | None] = {}
    for kind in ("pre", "post"):
        found = [r for r in readings if r["kind"] == kind]
        out[kind] = {**found[-1], "source": "reading"} if found else None
    if sets and rr:
        if out["pre"] is None and (value := rest_rmssd(rr, 0.0, sets[0]["start_s"])):
            out["pre"] = {**value, "source": "session"}
        if out["post"] is None and (value := rest_rmssd(rr, sets[-1]["end_s"] + 10, end_s)):
            out["post"] = {**value, "source": "session"}
    return out


def session_context(db: sqlite_utils.Database, session_id: int) -> dict[str, Any]:
    session = queries.get_session(db, session_id)
    hr = queries.heart_rate_series(db, session_id)
    acc = load_acc(db, session_id)
    reps = queries.session_reps(db, session_id)
    rr = queries.rr_series(db, session_id)
    summary = heart_rate_summary(session)
    max_hr = summary["max_hr_bpm"] if summary else DEFAULT_MAX_HR_BPM
    sets = set_heart_rate(tempo.with_tempo(db, queries.session_sets(db, session_id), session_id=session_id), summary)
    timed = [s for s in sets if s["start_s"] is not None and s["end_s"] is not None]  # imported rows may have no times
    x_max = max([hr[-1][0] if hr else 0.0, float(acc.t_s[-1]) if acc is not None else 0.0,
                 *[s["end_s"] for s in timed]] or [1.0])
    spans = [(s["start_s"], s["end_s"], f"Set {s['idx']}: {(s['exercise'] or 'unlabelled').replace('_', ' ')}")
             for s in timed]
    idx_of = {s["id"]: s["idx"] for s in sets}
    rep_marks = [(r["turn_s"], f"Set {idx_of.get(r['set_id'])}, rep {r['idx']}") for r in reps
                 if r["turn_s"] is not None]  # an imported rep may have no times
    checkins = queries.checkins(db, session_id=session_id)  # newest first
    mood = {kind: next((c for c in checkins if c["kind"] == kind), None) for kind in ("pre", "post", "srpe")}
    readings = queries.hrv_readings(db, session_id=session_id)
    return {
        "nav": "sessions", "session": session, "sets": sets, "n_reps": len(reps),
        "hr_plot": charts.heart_rate_plot(hr, spans, max_hr_bpm=max_hr, x_max_s=x_max),
        "acc_plot": None if acc is None else charts.motion_plot(acc.t_s, acc.acc_g, spans, rep_marks, x_max_s=x_max),
        "max_hr": max_hr, "mood": mood,
        "max_hr_note": {"measured": "your own", "age": "208 - 0.7 x age"}.get(
            summary.get("max_hr_source", "") if summary else "", "assumed: no age or max HR set"),
        "mood_change": {k: mood["post"][k] - mood["pre"][k] for k in ("feeling", "arousal")
                        if mood["pre"] and mood["post"] and mood["pre"][k] is not None and mood["post"][k] is not None},
        "hrv": hrv_before_after(readings, rr, timed, x_max), "zone_minutes": [t / 60 for t in summary["zone_time_s"]] if summary else [],
        "hr_stats": hr_stats(summary, sets),
        "duration_min": x_max / 60, "export_links": export_links(session_id),
        "exercise_names": [e["name"].replace("_", " ") for e in queries.exercises(db)],
    }


def export_links(session_id: int) -> list[tuple[str, str]]:
    """Download links: this session as JSON, then every table of the history as CSV."""
    tables = (("Sessions", "sessions"), ("Sets", "sets"), ("Reps", "reps"), ("Check-ins", "checkins"),
              ("HRV readings", "hrv_readings"))
    return [("This session (JSON)", f"/api/sessions/{session_id}"),
            *((f"All {name.lower()} (CSV)", f"/api/export/{table}.csv") for name, table in tables)]


# --- check-ins and trends -------------------------------------------------------------------------------


def checkin_context(db: sqlite_utils.Database, *, saved: str | None, session_id: int | None) -> dict[str, Any]:
    sessions = queries.list_sessions(db)[:RECENT_SESSIONS]
    default = session_id if session_id is not None else (sessions[0]["id"] if sessions else None)
    return {"nav": "checkin", "sessions": sessions, "default_session": default, "scales": INSTRUMENTS,
            "saved": saved if saved in CHECKIN_FIELDS else None, "recent": queries.checkins(db)[:8]}


def trends_context(db: sqlite_utils.Database) -> dict[str, Any]:
    readings = queries.hrv_readings(db)
    daily = morning_hrv(readings)
    rows = trends.session_mood_rows(queries.session_volume(db), queries.checkins(db), readings)
    rated = [r for r in rows if r["change"] is not None]
    associations = []
    for assoc, (key, name, unit, per) in zip(trends.mood_associations(rows), trends.PREDICTORS, strict=True):
        pairs = [(r[key], r["change"]) for r in rated if r.get(key) is not None]
        scale = 1000.0 if key == "volume_load_kg" else 1.0  # volume is drawn in tonnes
        fit = None if assoc.slope is None or assoc.intercept is None else (assoc.intercept, assoc.slope / per * scale)
        x_unit = "t" if scale == 1000.0 else unit
        associations.append({
            "a": assoc, "name": name, "unit": unit, "per": per,
            "plot": charts.scatter_plot([p[0] / scale for p in pairs], [float(p[1]) for p in pairs], fit=fit, x_unit=x_unit,
                                        y_unit="points", label=f"Mood change against {name}, "
                                        f"{len(pairs)} sessions."),
        })
    return {"nav": "trends", "hrv": daily, "hrv_plot": hrv_plot(daily, _hrv_label(daily)), "rows": rows,
            "n_rated": len(rated), "associations": associations, "day_parts": trends.mood_by_day_part(rows),
            "min_n": trends.MIN_SESSIONS, "n_tests": len(trends.PREDICTORS),
            "synthetic": any(s["synthetic"] for s in queries.list_sessions(db))}


# --- instruments (anchors as published; see shared research, section 5) ---------------------------------

#: Feeling Scale (Hardy & Rejeski 1989), -5..+5: "How do you feel right now?"
FEELING_SCALE = ((5, "Very good"), (4, ""), (3, "Good"), (2, ""), (1, "Fairly good"), (0, "Neutral"),
                 (-1, "Fairly bad"), (-2, ""), (-3, "Bad"), (-4, ""), (-5, "Very bad"))
#: Felt Arousal Scale (Svebak & Murgatroyd 1985), 1..6.
FELT_AROUSAL = ((1, "Low arousal"), (2, ""), (3, ""), (4, ""), (5, ""), (6, "High arousal"))
#: Session RPE on Foster's CR-10, 0..10: "How was your workout?", about 30 minutes after.
CR10 = ((0, "Rest"), (1, "Very, very easy"), (2, "Easy"), (3, "Moderate"), (4, "Somewhat hard"), (5, "Hard"),
        (6, ""), (7, "Very hard"), (8, ""), (9, ""), (10, "Maximal"))
#: Hooper index items (Hooper & Mackinnon 1995), 1..7 each, on waking: (field, question, anchor 1, anchor 7).
HOOPER_ITEMS = (("sleep", "Sleep quality last night", "Very, very good", "Very, very bad"),
                ("stress", "Stress", "Very, very low", "Very, very high"),
                ("fatigue", "Fatigue", "Very, very low", "Very, very high"),
                ("soreness", "Muscle soreness", "Very, very low", "Very, very high"))
INSTRUMENTS = {"feeling": FEELING_SCALE, "arousal": FELT_AROUSAL, "srpe": CR10, "hooper": HOOPER_ITEMS}
