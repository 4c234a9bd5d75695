"""The LMB1 batch format and the batch writer: round trips, hostile bytes, idempotency, live events."""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from service.db import open_db
from service.remote_ingest import BatchError, decode_batches, encode_batch
from service.settings import Settings


@given(n=st.integers(0, 400), seq=st.integers(0, 2**63 - 1), address=st.text(min_size=1, max_size=16),
       seed=st.integers(0, 2**32 - 1))
def test_acc_batches_round_trip(n: int, seq: int, address: str, seed: int) -> None:
    acc = np.random.default_rng(seed).integers(-32768, 32767, size=(n, 3), dtype=np.int16)
    body = encode_batch("acc", 7, address, seq, acc, t0_ns=-5, t1_ns=10**18)
    if len(address.encode()) > 64:
        return
    (batch,) = decode_batches(body + b"")
    assert (batch.kind, batch.session_id, batch.address, batch.seq, batch.t0_ns, batch.t1_ns) == (
        "acc", 7, address, seq, -5, 10**18)
    assert np.array_equal(np.stack([batch.records[c] for c in "xyz"], axis=1).reshape(-1, 3), acc)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_decoder(body: bytes) -> None:
    try:
        decode_batches(body)
    except BatchError:
        pass


@given(st.binary(min_size=1, max_size=64), st.integers(0, 200))
def test_corrupted_valid_batches_raise_batch_error_or_decode(noise: bytes, at: int) -> None:
    body = bytearray(encode_batch("hr", 1, "strap", 3, np.array([(10, 60)], dtype=[("t_ns", "<i8"), ("bpm", "<u2")])))
    at = at % len(body)
    body[at:at + len(noise)] = noise
    try:
        decode_batches(bytes(body))
    except BatchError:
        pass


def test_retried_batches_are_stored_once(client: TestClient, settings: Settings, session_id: int) -> None:
    hr = np.array([(1_000_000_000, 61), (2_000_000_000, 62)], dtype=[("t_ns", "<i8"), ("bpm", "<u2")])
    rr = np.array([(1_000_000_000, 980.0)], dtype=[("t_ns", "<i8"), ("rr_ms", "<f4")])
    body = encode_batch("hr", session_id, "strap", 1, hr) + encode_batch("rr", session_id, "strap", 2, rr)
    first = client.post("/api/ingest/batches", content=body).json()
    again = client.post("/api/ingest/batches", content=body).json()
    assert [a["duplicate"] for a in first + again] == [False, False, True, True]
    db = open_db(settings.db_path)
    assert db.execute("select bpm from hr_samples order by t_ns").fetchall() == [(61,), (62,)]
    assert db.execute("select rr_ms from rr_intervals").fetchall() == [(980.0,)]


def test_batch_for_an_unknown_session_is_404(client: TestClient) -> None:
    body = encode_batch("ecg", 999, "h10", 1, np.zeros(10, dtype=np.int32))
    response = client.post("/api/ingest/batches", content=body)
    assert response.status_code == 404
    assert "session 999" in response.json()["detail"]


def test_websocket_acks_after_commit_and_reports_bad_batches(client: TestClient, settings: Settings,
                                                             session_id: int) -> None:
    acc = np.zeros((200, 3), dtype=np.int16)
    with client.websocket_connect("/api/ingest/ws") as ws:
        ws.send_bytes(encode_batch("acc", session_id, "pi", 1, acc, t0_ns=0, t1_ns=995_000_000))
        ack = ws.receive_json()
        stored = open_db(settings.db_path).execute("select count(*) from ingest_batches").fetchone()[0]
        ws.send_bytes(b"LMB1 nonsense")
        error = ws.receive_json()
        ws.send_text("hello")
        text = ws.receive_json()
        ws.send_bytes(encode_batch("acc", 4242, "pi", 1, acc))
        unknown = ws.receive_json()
    assert ack["duplicate"] is False and stored == 1
    assert "header" in error["error"] and "binary" in text["error"] and "4242" in unknown["error"]


def _squats(fs_hz: float, seconds: float) -> np.ndarray:
    t = np.arange(0, seconds, 1 / fs_hz)
    active = (t > 5) & (t < 5 + 8 * 2.5)
    z = 1000 + np.where(active, 350 * np.sin(2 * np.pi * t / 2.5), 0)
    return np.c_[0 * t, 0 * t, z].astype(np.int16)


def test_live_batches_produce_rep_events(client: TestClient, settings: Settings, session_id: int) -> None:
    acc = _squats(200.0, 40.0)
    now = time.time_ns()
    for k in range(40):
        body = encode_batch("acc", session_id, "pi", k + 1, acc[k * 200:(k + 1) * 200], t0_ns=k * 10**9,
                            t1_ns=k * 10**9 + 995_000_000, arrival_ns=now - (40 - k) * 10**8)
        assert client.post("/api/ingest/batches", content=body).status_code == 200
    kinds = [e["kind"] for e in client.get("/api/live/events.json").json()]
    assert kinds[0] == "set_started"
    assert kinds.count("rep") >= 5
    assert "set_ended" in kinds


@pytest.mark.parametrize("arrival_ns", [0])
def test_catch_up_batches_make_no_live_events(client: TestClient, session_id: int, arrival_ns: int) -> None:
    acc = _squats(200.0, 40.0)
    for k in range(40):
        body = encode_batch("acc", session_id, "pi", k + 1, acc[k * 200:(k + 1) * 200], t0_ns=k * 10**9,
                            t1_ns=k * 10**9 + 995_000_000, arrival_ns=arrival_ns)
        client.post("/api/ingest/batches", content=body)
    assert client.get("/api/live/events.json").json() == []


def test_a_remote_session_ends_with_its_sets_computed(client: TestClient, settings: Settings,
                                                      session_id: int) -> None:
    acc = _squats(200.0, 40.0)
    for k in range(40):
        body = encode_batch("acc", session_id, "pi", k + 1, acc[k * 200:(k + 1) * 200], t0_ns=k * 10**9,
                            t1_ns=k * 10**9 + 995_000_000)
        client.post("/api/ingest/batches", content=body)
    ended = client.post(f"/api/sessions/{session_id}/end", json={"ended_at": "2026-01-05T17:40:00Z"})
    assert ended.status_code == 200
    assert len(ended.json()["set_ids"]) == 1
    (only,) = client.get(f"/api/sessions/{session_id}").json()["sets"]
    assert only["reps_detected"] == 8
    assert client.post("/api/sessions/999/end", json={}).status_code == 404


def test_websocket_pipelined_batches_are_acked_in_order(client: TestClient, settings: Settings,
                                                        session_id: int) -> None:
    acc = np.ones((200, 3), dtype=np.int16)
    with client.websocket_connect("/api/ingest/ws") as ws:
        for seq in range(1, 11):
            ws.send_bytes(encode_batch("acc", session_id, "pi", seq, acc))
        acks = [ws.receive_json() for _ in range(10)]
    assert [a["seq"] for a in acks] == list(range(1, 11))
    assert open_db(settings.db_path).execute("select count(*) from acc_chunks").fetchone()[0] == 10


def test_a_failed_commit_is_a_503_and_the_retry_stores_it_once(
    client: TestClient, settings: Settings, session_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from service import remote_ingest

    real = remote_ingest._insert_samples

    def disk_full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    body = encode_batch("acc", session_id, "pi", 1, np.ones((200, 3), dtype=np.int16))
    monkeypatch.setattr(remote_ingest, "_insert_samples", disk_full)
    failed = client.post("/api/ingest/batches", content=body)
    monkeypatch.setattr(remote_ingest, "_insert_samples", real)
    retried = client.post("/api/ingest/batches", content=body)
    assert failed.status_code == 503 and "retry" in failed.json()["detail"]
    assert retried.json()[0]["duplicate"] is False
    assert open_db(settings.db_path).execute("select count(*) from acc_chunks").fetchone()[0] == 1
