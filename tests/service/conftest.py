"""Fixtures for the service tests: a real SQLite file and the app through a test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "t.db")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def session_id(client: TestClient) -> int:
    response = client.post("/api/sessions", json={"title": "bench day", "started_at": "2026-01-05T17:00:00Z"})
    assert response.status_code == 201
    return int(response.json()["id"])
