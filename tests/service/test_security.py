"""Security rules: the token on every request, loopback-only without one, host and origin checks."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.cli import CliError
from service.cli.serve import settings_from_args
from service.settings import TOKEN_ENV, Settings

TOKEN = "s3cret-token-of-some-length"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db_path=tmp_path / "g.db", host="0.0.0.0", token=TOKEN)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def test_token_is_required_on_every_request(guarded: TestClient) -> None:
    for path in ("/api/sessions", "/openapi.json", "/healthz", "/static/style.css", "/"):
        response = guarded.get(path)
        assert response.status_code == 401, path
        assert "access token" in response.json()["detail"]
    assert guarded.get("/api/sessions", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert guarded.get("/api/sessions", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_token_in_the_url_becomes_a_cookie_and_leaves_the_url(guarded: TestClient) -> None:
    response = guarded.get("/api/sessions", params={"token": TOKEN, "x": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/api/sessions?x=1"
    assert "HttpOnly" in response.headers["set-cookie"]
    assert guarded.get("/api/sessions").status_code == 200


def test_websocket_needs_the_token_too(guarded: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), guarded.websocket_connect("/api/ingest/ws") as ws:
        ws.receive_text()


def test_without_token_only_loopback_hosts_and_same_origin_writes(client: TestClient) -> None:
    assert client.get("/api/sessions", headers={"host": "evil.example"}).status_code == 421
    cross = client.post("/api/checkins", json={"kind": "pre", "feeling": 1}, headers={"origin": "http://evil.example"})
    assert cross.status_code == 403
    same = client.post("/api/checkins", json={"kind": "pre", "feeling": 1}, headers={"origin": "http://testserver"})
    assert same.status_code == 201
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect), client.websocket_connect(
        "/api/ingest/ws", headers={"origin": "http://evil.example"}
    ) as ws:
        ws.receive_text()


def _args(host: str, token: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(host=host, port=8000, token=token)


def test_serve_refuses_a_public_bind_without_a_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(CliError, match="needs an access token"):
        settings_from_args(_args("0.0.0.0"), tmp_path / "x.db")
    with pytest.raises(CliError, match="at least 16"):
        settings_from_args(_args("0.0.0.0", "short"), tmp_path / "x.db")
    assert settings_from_args(_args("127.0.0.1"), tmp_path / "x.db").token is None
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    settings = settings_from_args(_args("0.0.0.0"), tmp_path / "x.db")
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)
