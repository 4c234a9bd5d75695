"""Bad requests a browser or a script can make: each a 4xx with a message naming what was wrong, and the
same answer from a page and its JSON twin."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from service.db import open_db
from service.settings import Settings

HUGE = "99999999999999999999999"  # larger than any SQLite INTEGER


@pytest.fixture
def set_id(settings: Settings, session_id: int) -> int:
    db = open_db(settings.db_path)
    with db.conn:
        row = db["sets"].insert({"session_id": session_id, "idx": 1, "exercise": "squat", "reps_detected": 8,
                                 "load_kg": 100.0, "algorithm": "repcount-0.1"})
    return int(row.last_pk)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["load_kg", "rpe", "rir"])
def test_a_set_edit_with_a_number_that_is_not_finite_is_422_naming_the_field(
        client: TestClient, set_id: int, field: str, literal: str) -> None:
    response = client.patch(f"/api/sets/{set_id}", content=f'{{"{field}": {literal}}}',
                            headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"detail": f"{field}: Input should be a finite number"}
    assert client.get(f"/api/sets/{set_id}").json()["load_kg"] == 100.0


def test_the_set_form_refuses_nan_with_the_same_message(client: TestClient, session_id: int, set_id: int) -> None:
    response = client.post(f"/sessions/{session_id}/sets/{set_id}", data={"load_kg": "nan"})
    assert response.status_code == 422
    assert "finite number" in response.text
    assert client.get(f"/api/sets/{set_id}").json()["load_kg"] == 100.0


def test_an_hrv_reading_with_nan_beats_is_422_naming_the_beat(client: TestClient) -> None:
    body = '{"kind": "morning", "rr_ms": [800, NaN' + ", 800" * 20 + "]}"
    response = client.post("/api/hrv-readings", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json() == {"detail": "rr_ms.1: Input should be a finite number"}


@pytest.mark.parametrize("max_s", ["nan", "inf"])
def test_a_live_stream_length_that_is_not_finite_is_422(client: TestClient, max_s: str) -> None:
    response = client.get("/api/live/events", params={"max_s": max_s})
    assert response.status_code == 422
    assert response.json() == {"detail": "query.max_s: Input should be a finite number"}


@pytest.mark.parametrize("bad_id", ["-1", "0", HUGE])
def test_an_id_no_session_can_have_is_404_on_the_page_and_in_the_api(client: TestClient, bad_id: str) -> None:
    page, api = client.get(f"/sessions/{bad_id}"), client.get(f"/api/sessions/{bad_id}")
    assert page.status_code == api.status_code == 404
    assert api.json() == {"detail": f"session {bad_id} does not exist"}
    assert f"<p>session {bad_id} does not exist</p>" in page.text and "<h1>Not found</h1>" in page.text


@pytest.mark.parametrize("bad_id", ["-1", "0", HUGE])
def test_an_id_no_set_can_have_is_404_everywhere(client: TestClient, session_id: int, bad_id: str) -> None:
    assert client.get(f"/api/sets/{bad_id}").json() == {"detail": f"set {bad_id} does not exist"}
    response = client.patch(f"/api/sets/{bad_id}", json={"rpe": 8})
    assert (response.status_code, response.json()) == (404, {"detail": f"set {bad_id} does not exist"})
    page = client.post(f"/sessions/{session_id}/sets/{bad_id}", data={"rpe": "8"})
    assert page.status_code == 404 and f"set {bad_id} does not exist" in page.text
    end = client.post(f"/api/sessions/{bad_id}/end", json={})
    assert (end.status_code, end.json()) == (404, {"detail": f"session {bad_id} does not exist"})


def test_an_id_that_is_not_a_number_is_still_422(client: TestClient) -> None:
    assert client.get("/api/sessions/abc").status_code == client.get("/sessions/abc").status_code == 422


def test_favicon_is_served_and_linked_from_every_page(client: TestClient, session_id: int) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg ")
    for path in ("/", f"/sessions/{session_id}", "/live", "/checkin", "/trends", "/nowhere"):
        links = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', client.get(path).text)
        assert len(links) == 1, path
        assert client.get(links[0]).content == icon.content


def test_a_set_without_times_still_shows_on_its_session_page(client: TestClient, session_id: int,
                                                             set_id: int) -> None:
    """Rows brought in by ``liftmind import`` may lack start/end times: the page lists them, charts the rest."""
    page = client.get(f"/sessions/{session_id}")
    assert page.status_code == 200 and f'id="set-{set_id}"' in page.text


@pytest.mark.parametrize("last_event_id", [HUGE, "-1", "1.5", "abc"])
def test_a_last_event_id_we_never_sent_resumes_from_after(client: TestClient, settings: Settings, session_id: int,
                                                          last_event_id: str) -> None:
    db = open_db(settings.db_path)
    with db.conn:
        db.execute("insert into live_events (session_id, t_ns, kind, payload) values (?, 1, 'hr', '{}')", [session_id])
    with client.stream("GET", "/api/live/events", params={"after": 0, "max_s": 0.2},
                       headers={"last-event-id": last_event_id}) as response:
        text = "".join(response.iter_text())
    assert response.status_code == 200
    assert [line for line in text.splitlines() if line.startswith("event: ")] == ["event: hr"]


@pytest.mark.parametrize(("exercise", "detail"), [
    ("   ", "exercise: Value error, must not be blank (null clears it)"),
    ("squat\u0000", "exercise: Value error, must not hold control characters"),
])
def test_a_blank_or_garbled_exercise_name_is_422(client: TestClient, set_id: int, exercise: str, detail: str) -> None:
    response = client.patch(f"/api/sets/{set_id}", json={"exercise": exercise})
    assert (response.status_code, response.json()) == (422, {"detail": detail})
    assert client.patch(f"/api/sets/{set_id}", json={"exercise": "  ohp "}).json()["exercise"] == "overhead_press"
    assert client.patch(f"/api/sets/{set_id}", json={"exercise": None}).json()["exercise"] is None


def test_a_session_cannot_end_before_it_started(client: TestClient, session_id: int) -> None:
    response = client.post(f"/api/sessions/{session_id}/end", json={"ended_at": "2026-01-05T16:59:00Z"})
    assert response.status_code == 422
    assert response.json() == {"detail": "ended_at: 2026-01-05T16:59:00+00:00 is before the session's start, "
                                         "2026-01-05T17:00:00+00:00"}
    assert client.get(f"/api/sessions/{session_id}").json()["ended_at"] is None
    assert client.post(f"/api/sessions/{session_id}/end", json={"ended_at": "2026-01-05T17:00:00Z"}).status_code == 200
