"""The in-process ingest path writes raw chunks and the live events a server in another process streams."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from repcount.synth import synth_session
from sensors.decode import SampleFrame, StreamDecoder
from sensors.polar_pmd import Measurement
from service.cli import serve as serve_cli
from service.db import open_db
from service.ingest import SessionWriter

T0_NS = 1_767_000_000_000_000_000


def test_a_recorded_set_becomes_live_events(tmp_path: Path) -> None:
    session = synth_session([("squat", 6, 30.0)], placement="chest", fs_hz=200.0, rng=np.random.default_rng(4))
    db = open_db(tmp_path / "r.db")
    writer = SessionWriter(db, t0_ns=T0_NS, title="t", source="test", devices=[{"address": "H10"}])
    device_ns = (session.t_s * 1e9).astype(np.int64)
    mg = np.round(session.acc_g * 1000).astype(np.int32)
    for a in range(0, len(device_ns), 36):
        frame = SampleFrame("H10", Measurement.ACC, T0_NS + int(device_ns[min(a + 35, len(device_ns) - 1)]),
                            device_ns[a:a + 36], mg[a:a + 36], 0, 0)
        writer.add([frame])
    writer.finish(StreamDecoder(), T0_NS + int(device_ns[-1]))
    kinds = [k for (k,) in db.execute("select kind from live_events order by id")]
    assert kinds[0] == "set_started" and kinds[-1] == "set_ended"
    ended = json.loads(db.execute("select payload from live_events where kind = 'set_ended'").fetchone()[0])
    assert ended["reps"] == 6
    assert db.execute("select sum(n) from acc_chunks").fetchone()[0] == len(device_ns)


def test_serve_keeps_tokens_out_of_the_access_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    seen: dict[str, object] = {}
    monkeypatch.setattr(serve_cli.uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    args = argparse.Namespace(db=tmp_path / "s.db", host="0.0.0.0", port=0, token="a-long-enough-token-1234")
    assert serve_cli.run(args) == 0
    assert seen["access_log"] is False and seen["host"] == "0.0.0.0"
    out = capsys.readouterr().out
    assert "access token required" in out and "a-long-enough-token-1234" not in out


def test_provisional_reps_withdrawn_to_zero_are_a_retraction_not_a_set() -> None:
    from repcount.live import CountEvent
    from service.live import DeviceCounter, LiveEmitter

    emitter = LiveEmitter(session_id=1, t0_ns=0)
    state = emitter.devices[7] = DeviceCounter(offset_ns=0)
    state.counter.events.extend([CountEvent(1.0, 1, False), CountEvent(2.0, 2, False), CountEvent(3.0, 0, True)])
    kinds = [row["kind"] for row in emitter._drain(7, state)]
    assert kinds == ["set_started", "rep", "rep", "rep_retracted"]


def test_a_set_that_goes_on_after_a_rest_pause_is_one_set_in_the_live_events() -> None:
    # 10 bench presses on the chest with a 12-s breather after rep 6: the counter ends the set at 6 during the
    # pause, then the reps after it go on it (7, 8, ...): no second set_started, and the last set_ended gives the
    # whole set again, marked resumed, so the view shows "Last set: 10 reps" and keeps the set's number
    from service.live import LiveEmitter

    s = synth_session([("bench_press", 10, 8.0)], placement="chest", fs_hz=50.0, rng=np.random.default_rng(1))
    k = int(np.searchsorted(s.t_s, s.sets[0].rep_times[5][2] + 0.2))
    dt = float(s.t_s[1] - s.t_s[0])
    n = int(round(12.0 / dt))
    held = s.acc_g[k] + np.random.default_rng(6).normal(0.0, 0.004, (n, 3))
    t = np.concatenate((s.t_s[:k], s.t_s[k - 1] + dt * np.arange(1, n + 1), s.t_s[k:] + n * dt))
    acc = np.concatenate((s.acc_g[:k], held, s.acc_g[k:]))
    emitter = LiveEmitter(session_id=1, t0_ns=0)
    rows = []
    for a in range(0, len(t), 25):
        rows += emitter.acc(3, (t[a:a + 25] * 1e9).astype(np.int64), acc[a:a + 25] * 1000.0, int(t[a] * 1e9))
    rows += emitter.flush()
    payloads = [(row["kind"], json.loads(row["payload"])) for row in rows]
    assert [k for k, _ in payloads].count("set_started") == 1
    ended = [p for k, p in payloads if k == "set_ended"]
    assert [p["reps"] for p in ended] == [6, 10]
    assert ended[-1]["resumed"] and len(ended[-1]["sets"]) == 1
    assert any(p.get("resumed") for k, p in payloads if k == "rep")
    assert emitter.devices[3].counter.sets[-1].n_reps == 10
