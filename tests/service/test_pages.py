"""The HTML pages through the app (TestClient, real SQLite): rendering, form posts, validation, escaping."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from fastapi.testclient import TestClient

from service import pages, queries
from service.db import open_db
from service.live import insert_events
from service.settings import Settings


@pytest.fixture
def set_id(settings: Settings, client: TestClient, session_id: int) -> int:
    db = open_db(settings.db_path)
    rows = [{"session_id": session_id, "idx": i, "exercise": "bench_press", "start_s": 60.0 * i, "end_s": 60.0 * i + 30,
             "reps_detected": 8, "confidence": 0.9, "algorithm": "test"} for i in (1, 2)]
    db["sets"].insert_all(rows)
    first = int(db.execute("select min(id) from sets where session_id = ?", [session_id]).fetchone()[0])
    db.conn.close()
    return first


@pytest.mark.parametrize("path", ["/", "/live", "/checkin", "/trends"])
def test_every_page_renders_on_an_empty_database(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<main id="main"' in response.text and 'aria-label="Main"' in response.text
    assert 'aria-current="page"' in response.text


def test_empty_pages_say_what_to_do_next(client: TestClient) -> None:
    assert "No sessions yet" in client.get("/").text
    assert "No morning HRV readings yet" in client.get("/trends").text
    assert "Not enough data yet: 0 of 10 sessions with both ratings" in client.get("/trends").text


def test_unknown_session_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/sessions/4242")
    assert response.status_code == 404
    assert "session 4242 does not exist" in response.text and "<html" in response.text


def test_session_page_lists_its_sets_with_editable_counts(client: TestClient, session_id: int, set_id: int) -> None:
    text = client.get(f"/sessions/{session_id}").text
    assert text.count('name="reps_confirmed"') == 2
    assert f'action="/sessions/{session_id}/sets/{set_id}"' in text
    assert "No heart-rate data in this session." in text


def test_a_set_edit_persists_and_maps_an_exercise_alias(client: TestClient, settings: Settings, session_id: int,
                                                        set_id: int) -> None:
    response = client.post(f"/sessions/{session_id}/sets/{set_id}", follow_redirects=False,
                           data={"reps_confirmed": "7", "rpe": "8.5", "rir": "", "exercise": " Military Press "})
    assert response.status_code == 303 and response.headers["location"] == f"/sessions/{session_id}#set-{set_id}"
    db = open_db(settings.db_path)
    row = queries.get_set(db, set_id)
    assert (row["reps_confirmed"], row["rpe"], row["rir"], row["exercise"]) == (7, 8.5, None, "overhead_press")
    assert row["reps_detected"] == 8
    assert 'value="7"' in client.get(f"/sessions/{session_id}").text


def test_a_set_of_another_session_is_not_found(client: TestClient, session_id: int, set_id: int) -> None:
    other = client.post("/api/sessions", json={"title": "other"}).json()["id"]
    assert client.post(f"/sessions/{other}/sets/{set_id}", data={"reps_confirmed": "3"}).status_code == 404


def test_an_invalid_set_edit_is_refused_with_a_message(client: TestClient, session_id: int, set_id: int) -> None:
    response = client.post(f"/sessions/{session_id}/sets/{set_id}", data={"rpe": "11"})
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "rpe" in response.text


def test_a_check_in_round_trips_and_its_note_is_escaped(client: TestClient, session_id: int) -> None:
    note = '<img src=x onerror="alert(1)"> good'
    response = client.post("/checkin", follow_redirects=False,
                           data={"kind": "pre", "feeling": "-2", "arousal": "5", "session_id": str(session_id),
                                 "note": note, "srpe": "4"})  # srpe does not belong to a pre check-in: ignored
    assert response.status_code == 303 and response.headers["location"] == "/checkin?saved=pre"
    page = client.get("/checkin?saved=pre").text
    assert "Saved your pre-session check-in." in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; good" in page and note not in page
    stored = client.get("/api/checkins").json()[0]
    assert (stored["kind"], stored["feeling"], stored["arousal"], stored["srpe"]) == ("pre", -2, 5, None)
    client.post("/checkin", data={"kind": "post", "feeling": "3", "session_id": str(session_id)})
    session_page = client.get(f"/sessions/{session_id}").text
    assert re.search(r"Change <strong>\+5</strong>", session_page)


@pytest.mark.parametrize(("form", "message"), [
    ({"kind": "pre", "feeling": "9"}, "feeling: Input should be less than or equal to 5"),
    ({"kind": "srpe", "srpe": "5"}, "a session RPE check-in needs session_id"),
    ({"kind": "morning"}, "needs at least one of sleep, stress, fatigue, soreness"),
    ({"kind": "evening", "feeling": "1"}, "kind: Input should be"),
    ({"kind": "post", "feeling": "1", "session_id": "999"}, "session 999 does not exist"),
])
def test_bad_check_ins_are_refused_with_a_message(client: TestClient, form: dict[str, str], message: str) -> None:
    response = client.post("/checkin", data=form)
    assert response.status_code == 422
    assert 'role="alert"' in response.text and message in response.text


def test_check_in_forms_carry_the_instruments_anchors(client: TestClient) -> None:
    text = client.get("/checkin").text
    for anchor in ("Very good", "Fairly good", "Neutral", "Fairly bad", "Very bad", "Low arousal", "High arousal",
                   "Very, very easy", "Somewhat hard", "Maximal", "Very, very good", "Very, very high"):
        assert anchor in text, anchor
    assert text.count('name="feeling"') == 22 and text.count('name="srpe"') == 11
    assert all(text.count(f'name="{item}"') == 7 for item in ("sleep", "stress", "fatigue", "soreness"))


def test_a_morning_reading_file_is_stored(client: TestClient) -> None:
    rr = "\n".join(str(900 + (40 if i % 2 else -40)) for i in range(200))
    response = client.post("/checkin/reading", data={"kind": "morning", "posture": "seated"}, follow_redirects=False,
                           files={"rr_file": ("rr.txt", rr.encode(), "text/plain")})
    assert response.status_code == 303
    reading = client.get("/api/hrv-readings").json()[0]
    assert reading["kind"] == "morning" and reading["posture"] == "seated" and reading["n_beats"] == 200
    assert "ln RMSSD" in client.get("/").text


def test_a_pre_session_reading_shows_on_its_session(client: TestClient, session_id: int) -> None:
    rr = "\n".join(str(800 + (30 if i % 2 else -30)) for i in range(120))
    response = client.post("/checkin/reading", data={"kind": "pre", "session_id": str(session_id)},
                           files={"rr_file": ("rr.txt", rr.encode(), "text/plain")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/sessions/{session_id}"
    assert re.search(r"Before: <strong>\d+ ms</strong> RMSSD", client.get(f"/sessions/{session_id}").text)


def test_an_unreadable_reading_file_is_refused_with_a_message(client: TestClient) -> None:
    response = client.post("/checkin/reading", files={"rr_file": ("rr.txt", b"", "text/plain")})
    assert response.status_code == 422 and "the file is empty" in response.text
    response = client.post("/checkin/reading", data={"kind": "morning"})
    assert response.status_code == 422 and "choose an RR file to upload or a recording" in response.text


def test_a_recorded_session_becomes_a_morning_reading(client: TestClient, settings: Settings, session_id: int) -> None:
    db = open_db(settings.db_path)
    t0 = int(db.execute("select t0_ns from sessions where id = ?", [session_id]).fetchone()[0])
    device = int(db["devices"].insert({"session_id": session_id, "address": "A0:9E:1A:00:00:01"}).last_pk)
    beats = [{"session_id": session_id, "device_id": device, "t_ns": t0 + int(1e9 * k), "rr_ms": 1000.0 + 20 * (k % 2)}
             for k in range(1, 181)]
    db["rr_intervals"].insert_all(beats)
    db.conn.close()
    response = client.post("/checkin/reading", data={"kind": "morning", "recording": str(session_id)},
                           follow_redirects=False)
    assert response.status_code == 303
    reading = client.get("/api/hrv-readings").json()[0]
    assert reading["n_beats"] == 180 and reading["taken_at"].startswith("2026-01-05T17:00")


def test_weekly_counts_bin_sessions_by_monday_weeks() -> None:
    weeks = pages.weekly_counts(["2026-11-16T08:00:00+00:00", "2026-11-18T20:00:00+00:00",
                                 "2026-11-09T12:00:00+00:00", "2026-01-01T12:00:00+00:00"],
                                dt.date(2026, 11, 19), weeks=3)
    assert [n for _, n in weeks] == [0, 1, 2]
    assert weeks[-1][0] == "16 Nov"


def test_set_heart_rate_shows_what_the_analysis_stored_and_why_a_value_is_missing() -> None:
    sets = [{"idx": 1, "peak_hr_bpm": 140.0, "hrr60_bpm": None}, {"idx": 2, "peak_hr_bpm": 120.0, "hrr60_bpm": 31.0}]
    summary = {"sets": [{"reasons": {"hrr60_bpm": "the next set starts 20 s after this one ends"}}, {"reasons": {}}]}
    first, second = pages.set_heart_rate(sets, summary)
    assert (first["peak_hr"], first["hr_recovery"]) == (140.0, None)
    assert "next set starts" in first["hr_reasons"]["hrr60_bpm"]
    assert (second["peak_hr"], second["hr_recovery"], second["hr_reasons"]) == (120.0, 31.0, {})
    assert pages.set_heart_rate(sets, None)[1]["hr_reasons"] == {}


def test_live_page_resumes_the_latest_session_from_its_first_event(settings: Settings, client: TestClient,
                                                                   session_id: int) -> None:
    db = open_db(settings.db_path)
    other = client.post("/api/sessions", json={"title": "later"}).json()["id"]
    with db.conn:
        insert_events(db, [{"session_id": sid, "t_ns": k, "kind": "hr", "payload": json.dumps({"bpm": 80})}
                           for sid in (session_id, other) for k in range(3)])
    first_of_latest = int(db.execute("select min(id) from live_events where session_id = ?", [other]).fetchone()[0])
    assert f'data-after="{first_of_latest - 1}"' in client.get("/live").text


def test_an_unsure_set_says_which_two_counts_it_may_be(settings: Settings, client: TestClient, session_id: int) -> None:
    db = open_db(settings.db_path)
    db["sets"].insert({"session_id": session_id, "idx": 1, "exercise": "squat", "start_s": 10.0, "end_s": 40.0,
                       "reps_detected": 10, "reps_alternative": 9, "confidence": 0.3, "algorithm": "test"})
    db.conn.close()
    page = client.get(f"/sessions/{session_id}").text
    assert "probably 9 or 10" in page
    assert client.get(f"/api/sessions/{session_id}").json()["sets"][0]["reps_alternative"] == 9
