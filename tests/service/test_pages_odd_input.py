"""Odd input a user can type into the pages' URLs and forms: always a clear 4xx page, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

HUGE = "99999999999999999999999"  # larger than any SQLite INTEGER


@pytest.mark.parametrize("path", [f"/sessions/{HUGE}", f"/checkin?session_id={HUGE}"])
def test_an_id_too_large_for_sqlite_is_a_4xx_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert "Internal" not in response.text and "internal error" not in response.text


def test_editing_a_set_id_too_large_for_sqlite_is_a_4xx_page(client: TestClient, session_id: int) -> None:
    response = client.post(f"/sessions/{session_id}/sets/{HUGE}", data={"reps_confirmed": "3"})
    assert 400 <= response.status_code < 500
    assert "internal error" not in response.text


def test_a_reading_from_a_recording_id_too_large_for_sqlite_is_refused(client: TestClient) -> None:
    response = client.post("/checkin/reading", data={"kind": "morning", "posture": "supine", "recording": HUGE})
    assert response.status_code == 422
    assert f"session {HUGE} does not exist" in response.text


@pytest.mark.parametrize(("path", "heading"), [("/sessions/abc", "Invalid request"), ("/nowhere", "Not found")])
def test_the_error_page_is_titled_for_its_status(client: TestClient, path: str, heading: str) -> None:
    response = client.get(path)
    assert f"<h1>{heading}</h1>" in response.text
    assert f"<title>{heading} – liftmind</title>" in response.text
