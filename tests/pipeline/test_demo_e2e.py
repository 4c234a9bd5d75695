"""The demo end to end: bundled trace -> replay through bleak -> SQLite -> uvicorn -> HTML."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.cli import main
from service.cli.demo import DEMO_TRACE
from service.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["demo", "--no-serve", "--db", str(db)]) == 0
    return db


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(Settings(db_path=demo_db)), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _truth() -> list[dict[str, object]]:
    return json.loads((DEMO_TRACE / "meta.json").read_text())["truth"]["sets"]


def test_home_links_the_demo_session(server: str) -> None:
    page = httpx.get(server + "/")
    assert page.status_code == 200
    assert re.search(r'href="/sessions/\d+"', page.text)


def test_session_page_shows_every_set_with_the_true_rep_count(server: str) -> None:
    home = httpx.get(server + "/").text
    link = re.search(r'href="(/sessions/\d+)"', home)
    assert link is not None
    page = httpx.get(server + link.group(1))
    assert page.status_code == 200
    assert "<svg" in page.text and "polyline" in page.text  # the heart-rate chart
    data = httpx.get(server + "/api" + link.group(1)).json()
    truth = _truth()
    assert [(s["exercise"], s["reps_detected"]) for s in data["sets"]] == [(t["exercise"], t["reps"]) for t in truth]
    for s, t in zip(data["sets"], truth, strict=True):
        assert abs(s["start_s"] - t["start_s"]) < 3.0 and abs(s["end_s"] - t["end_s"]) < 3.0


def test_unknown_session_is_a_404_with_a_message(server: str) -> None:
    assert httpx.get(server + "/sessions/999").status_code == 404
    response = httpx.get(server + "/api/sessions/999")
    assert response.status_code == 404
    assert "999" in response.json()["detail"]


def test_every_set_has_its_heart_rate_from_the_analysis(server: str) -> None:
    data = httpx.get(server + "/api/sessions/1").json()
    assert all(100 < s["peak_hr_bpm"] < 160 for s in data["sets"])  # the simulated heart peaks near 120-130
    assert any(s["hrr60_bpm"] is not None and 10 < s["hrr60_bpm"] < 60 for s in data["sets"])
    page = httpx.get(server + "/sessions/1").text
    assert "Time in zones" in page and "assumed: no age or max HR set" in page
