"""The JSON API: check-ins, set edits, HRV readings, export, live events, and its 4xx answers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from service.db import open_db
from service.settings import Settings


def test_checkin_round_trip_with_session_load(client: TestClient, settings: Settings, session_id: int) -> None:
    db = open_db(settings.db_path)
    db["sessions"].update(session_id, {"ended_at": "2026-01-05T18:15:00+00:00"})
    pre = client.post("/api/checkins", json={"kind": "pre", "session_id": session_id, "feeling": -5, "arousal": 6})
    srpe = client.post("/api/checkins", json={"kind": "srpe", "session_id": session_id, "srpe": 7, "note": "heavy"})
    assert pre.status_code == srpe.status_code == 201
    assert srpe.json()["session_load_au"] == pytest.approx(7 * 75)
    listed = client.get("/api/checkins", params={"session_id": session_id}).json()
    assert {c["kind"] for c in listed} == {"pre", "srpe"}
    assert next(c for c in listed if c["kind"] == "pre")["feeling"] == -5


def test_morning_checkin_sums_the_hooper_items(client: TestClient) -> None:
    body = {"kind": "morning", "sleep": 1, "stress": 7, "fatigue": 3, "soreness": 4, "taken_at": "2026-01-06T07:00"}
    response = client.post("/api/checkins", json=body)
    assert response.status_code == 201
    assert response.json()["hooper_total"] == 15
    assert response.json()["taken_at"] == "2026-01-06T07:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"kind": "pre", "feeling": 7}, 422, "feeling"),
        ({"kind": "pre", "feeling": -6}, 422, "feeling"),
        ({"kind": "post", "arousal": 0}, 422, "arousal"),
        ({"kind": "srpe", "srpe": 11, "session_id": 1}, 422, "srpe"),
        ({"kind": "morning", "sleep": 8}, 422, "sleep"),
        ({"kind": "pre", "srpe": 5}, 422, "takes feeling, arousal"),
        ({"kind": "srpe", "srpe": 5}, 422, "needs session_id"),
        ({"kind": "nap", "feeling": 1}, 422, "kind"),
        ({"kind": "pre"}, 422, "at least one"),
        ({"kind": "pre", "feeling": 1, "mood": 3}, 422, "mood"),
        ({"kind": "pre", "feeling": 1, "session_id": 4242}, 404, "session 4242 does not exist"),
    ],
)
def test_bad_checkins_are_4xx_with_a_message(client: TestClient, body: dict, status: int, words: str) -> None:
    response = client.post("/api/checkins", json=body)
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post("/api/checkins", content=b'{"kind": "pre",', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_oversized_body_is_413(client: TestClient) -> None:
    note = "x" * 600_000
    response = client.post("/api/checkins", json={"kind": "pre", "feeling": 1, "note": note})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    chunked = client.post("/api/checkins", content=iter([b"[" * 300_000, b"[" * 300_000]),
                          headers={"content-type": "application/json"})
    assert chunked.status_code == 413


def test_long_hrv_reading_fits_the_json_limit(client: TestClient) -> None:
    rr = (812.3456 + 30 * np.sin(np.arange(20_000) * 0.7)).tolist()
    assert client.post("/api/hrv-readings", json={"kind": "morning", "rr_ms": rr}).status_code == 201


def test_unknown_route_and_session_are_json_404(client: TestClient) -> None:
    assert client.get("/api/sessions/999").json() == {"detail": "session 999 does not exist"}
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/checkins", params={"session_id": 77}).status_code == 404


def _demo_set(settings: Settings, session_id: int) -> int:
    db = open_db(settings.db_path)
    return int(db["sets"].insert({"session_id": session_id, "idx": 1, "exercise": "squat", "reps_detected": 8,
                                  "algorithm": "repcount-0.1"}).last_pk)


def test_set_patch_keeps_reps_detected(client: TestClient, settings: Settings, session_id: int) -> None:
    set_id = _demo_set(settings, session_id)
    response = client.patch(f"/api/sets/{set_id}", json={"reps_confirmed": 9, "load_kg": 100, "rir": 1.5})
    assert response.status_code == 200
    edited = response.json()
    assert (edited["reps_detected"], edited["reps_confirmed"], edited["rir"]) == (8, 9, 1.5)
    assert edited["load_lb"] == pytest.approx(220.5)
    assert client.patch(f"/api/sets/{set_id}", json={"exercise": "Back Squat"}).json()["exercise"] == "squat"
    assert client.patch(f"/api/sets/{set_id}", json={"exercise": "Zercher"}).json()["exercise"] == "Zercher"
    assert client.patch(f"/api/sets/{set_id}", json={"reps_detected": 3}).status_code == 422
    assert client.patch(f"/api/sets/{set_id}", json={"rpe": 10.5}).status_code == 422
    assert client.patch(f"/api/sets/{set_id}", json={}).status_code == 422
    assert client.patch("/api/sets/9999", json={"rpe": 8}).status_code == 404


def test_exercise_catalogue_lists_aliases(client: TestClient) -> None:
    catalogue = {e["name"]: e for e in client.get("/api/exercises").json()}
    assert "ohp" in catalogue["overhead_press"]["aliases"]
    assert catalogue["squat"]["eccentric_first"] is True


def test_hrv_reading_metrics_from_rr(client: TestClient) -> None:
    rr = (900 + 40 * np.sin(np.arange(240) * 0.9)).tolist()
    response = client.post("/api/hrv-readings", json={"kind": "morning", "posture": "supine", "rr_ms": rr})
    assert response.status_code == 201
    reading = response.json()
    expected = float(np.sqrt(np.mean(np.diff(rr) ** 2)))
    assert reading["rmssd_ms"] == pytest.approx(expected, rel=0.02)
    assert reading["ln_rmssd"] == pytest.approx(np.log(reading["rmssd_ms"]))
    assert reading["algorithm"].startswith("repcount.hrv")
    assert client.get("/api/hrv-readings").json()[0]["id"] == reading["id"]
    assert client.post("/api/hrv-readings", json={"kind": "morning", "rr_ms": [900] * 5}).status_code == 422


def test_export_every_table_as_csv_and_json(client: TestClient, session_id: int) -> None:
    client.post("/api/checkins", json={"kind": "pre", "session_id": session_id, "feeling": 2, "note": 'a,"b"\nc'})
    tables = client.get("/api/export").json()
    assert {"sessions", "checkins", "acc_chunks", "hrv_readings", "live_events"} <= set(tables)
    for table in tables:
        assert client.get(f"/api/export/{table}.csv").status_code == 200
        assert isinstance(json.loads(client.get(f"/api/export/{table}.json").text), list)
    rows = json.loads(client.get("/api/export/checkins.json").text)
    assert rows[0]["note"] == 'a,"b"\nc'
    assert 'a,""b""' in client.get("/api/export/checkins.csv").text
    assert client.get("/api/export/nope.csv").status_code == 404


def test_live_events_json_and_sse(client: TestClient, settings: Settings, session_id: int) -> None:
    db = open_db(settings.db_path)
    with db.conn:
        db.execute("insert into live_events (session_id, t_ns, kind, payload) values (?, 1, 'rep', '{\"count\": 1}')",
                   [session_id])
    events = client.get("/api/live/events.json", params={"after": 0}).json()
    assert [(e["kind"], e["payload"]) for e in events] == [("rep", {"count": 1})]
    with client.stream("GET", "/api/live/events", params={"after": 0, "max_s": 0.2}) as response:
        text = "".join(response.iter_text())
    assert response.headers["content-type"].startswith("text/event-stream")
    data = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]
    assert [d["kind"] for d in data] == ["rep"]


def test_html_error_page_escapes_user_text(client: TestClient) -> None:
    response = client.get("/<script>alert(1)</script>", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;" in response.text


def test_hrv_reading_survives_a_failing_analysis(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import store

    def broken(rr_ms: object, *, correct: bool) -> None:
        raise ValueError("`x` must be strictly increasing sequence.")

    monkeypatch.setattr(store, "hrv_metrics", broken)
    rr = (900 + 40 * np.sin(np.arange(60) * 0.9)).tolist()
    response = client.post("/api/hrv-readings", json={"kind": "pre", "rr_ms": rr})
    assert response.status_code == 201
    assert response.json()["rmssd_ms"] > 0
    assert "time domain only" in response.json()["metrics"]["reasons"]["hrv_metrics"]
