"""``live_events`` stays bounded: when a session ends, the live events of sessions that are over are deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils
from fastapi.testclient import TestClient

from sensors.decode import HeartRateSample, StreamDecoder
from service.cli import main
from service.db import open_db
from service.ingest import SessionWriter
from service.live import insert_events
from service.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
T0_NS = 1_767_000_000_000_000_000


def _events(db: sqlite_utils.Database) -> dict[int, int]:
    """Live events per session."""
    return dict(db.execute("select session_id, count(*) from live_events group by session_id").fetchall())


def _beats(writer: SessionWriter, n: int) -> None:
    """``n`` heart-rate samples, committed: one live event each."""
    writer.add([HeartRateSample("HR", writer.t0_ns + k * 10**9, 80, True, None, ()) for k in range(n)])
    writer.flush()


def test_ending_a_session_deletes_the_events_of_sessions_that_are_over(tmp_path: Path) -> None:
    db = open_db(tmp_path / "l.db")

    def writer(title: str) -> SessionWriter:
        return SessionWriter(db, t0_ns=T0_NS, title=title, source="test", devices=[{"address": "HR"}])

    ended, killed = writer("ended earlier"), writer("recorder killed")
    _beats(ended, 4)
    ended.finish(StreamDecoder(), T0_NS + 60 * 10**9)
    _beats(killed, 3)  # never finished: its recorder died
    ending = writer("ending now")
    _beats(ending, 5)
    still_live = writer("still live")  # a second recorder, running beside the ending session
    _beats(still_live, 2)
    assert _events(db) == {ended.session_id: 4, killed.session_id: 3, ending.session_id: 5,
                           still_live.session_id: 2}
    last_id = db.execute("select max(id) from live_events").fetchone()[0]

    ending.finish(StreamDecoder(), T0_NS + 120 * 10**9)

    assert _events(db) == {ending.session_id: 5, still_live.session_id: 2}
    _beats(still_live, 1)  # ids go on from the highest ever given: a client tailing after=ID misses nothing
    assert db.execute("select max(id) from live_events").fetchone()[0] == last_id + 1
    assert db.execute("select count(*) from hr_samples").fetchone()[0] == 4 + 3 + 5 + 3  # stored data untouched


def test_ending_a_session_through_the_api_prunes_too(client: TestClient, settings: Settings) -> None:
    db = open_db(settings.db_path)
    first, second = (client.post("/api/sessions", json={"title": t}).json()["id"] for t in ("first", "second"))
    with db.conn:
        insert_events(db, [{"session_id": sid, "t_ns": k, "kind": "hr", "payload": '{"bpm": 80}'}
                           for k in range(3) for sid in (first, second)])
    assert client.post(f"/api/sessions/{first}/end", json={}).status_code == 200
    assert _events(db) == {first: 3, second: 3}  # the ending session's events stay; the other is still live
    assert client.post(f"/api/sessions/{second}/end", json={}).status_code == 200
    assert _events(db) == {second: 3}
    events = client.get("/api/live/events.json", params={"after": 0}).json()
    assert {e["session_id"] for e in events} == {second}
    assert 'data-ended-session="%d"' % second in client.get("/live").text


def test_replaying_again_keeps_only_the_latest_sessions_live_events(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "r.db"
    for _ in range(2):
        assert main(["replay", str(FIXTURES / "sensors" / "virtual_h10_faults"), "--db", str(db_path)]) == 0
    capsys.readouterr()
    db = open_db(db_path)
    counts = _events(db)
    assert list(counts) == [2] and counts[2] > 0
    assert db.execute("select count(*) from hr_samples where session_id = 1").fetchone()[0] > 0
