"""Tempo and time under tension per set: the computation, and the same numbers in the API, the page and the CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from repcount.synth import SynthSession, synth_session
from sensors.decode import SampleFrame, StreamDecoder
from sensors.polar_pmd import Measurement
from service.analysis import analyse_stored_session
from service.cli import main
from service.db import open_db
from service.ingest import SessionWriter
from service.settings import Settings
from service.tempo import FIELDS, set_tempo

T0_NS = 1_767_000_000_000_000_000
SQUAT_THEN_ROW = [(0.0, 2.0, 3.0), (3.0, 5.0, 6.2)]


def test_lowering_first_reps_are_eccentric_then_concentric() -> None:
    tempo = set_tempo(SQUAT_THEN_ROW, eccentric_first=True)
    assert (tempo.eccentric_s, tempo.concentric_s) == pytest.approx((2.0, 1.1))
    assert tempo.time_under_tension_s == pytest.approx(6.2)
    assert tempo.fields() == {"tempo_eccentric_s": 2.0, "tempo_concentric_s": 1.1, "time_under_tension_s": 6.2,
                              "tempo_first_phase_s": 2.0, "tempo_second_phase_s": 1.1}


def test_lifting_first_reps_swap_the_phases() -> None:
    tempo = set_tempo(SQUAT_THEN_ROW, eccentric_first=False)
    assert (tempo.eccentric_s, tempo.concentric_s) == pytest.approx((1.1, 2.0))
    assert (tempo.first_phase_s, tempo.second_phase_s) == pytest.approx((2.0, 1.1))


def test_an_unknown_exercise_has_phases_but_no_eccentric_or_concentric() -> None:
    fields = set_tempo(SQUAT_THEN_ROW, eccentric_first=None).fields()
    assert fields["tempo_eccentric_s"] is None and fields["tempo_concentric_s"] is None
    assert (fields["tempo_first_phase_s"], fields["time_under_tension_s"]) == (2.0, 6.2)


@pytest.mark.parametrize("reps", [[], [(None, None, None)], [(1.0, None, 2.0)], [(3.0, 2.0, 4.0)],
                                  [(0.0, float("nan"), 2.0)]])
def test_reps_without_usable_times_give_no_numbers(reps: list[tuple[float | None, ...]]) -> None:
    tempo = set_tempo(reps, eccentric_first=True)  # type: ignore[arg-type]
    assert tempo.n_timed_reps == 0
    assert set(tempo.fields().values()) == {None}


def test_a_rep_without_times_is_left_out_of_the_others() -> None:
    tempo = set_tempo([(0.0, 1.0, 3.0), (None, None, None), (5.0, 4.0, 6.0)], eccentric_first=True)
    assert (tempo.n_timed_reps, tempo.eccentric_s, tempo.time_under_tension_s) == (1, 1.0, 3.0)


@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 30), st.floats(0, 30)), min_size=1, max_size=40),
       st.booleans())
def test_the_phases_add_up_to_the_time_under_tension(parts: list[tuple[float, float, float]], first: bool) -> None:
    reps = [(t0, t0 + a, t0 + a + b) for t0, a, b in parts]
    tempo = set_tempo(reps, eccentric_first=first)
    assert tempo.eccentric_s is not None and tempo.concentric_s is not None
    assert (tempo.eccentric_s + tempo.concentric_s) * len(reps) == pytest.approx(tempo.time_under_tension_s,
                                                                                 rel=1e-9, abs=1e-6)


# --- a real ingested session: synthetic squats (lowering first) and curls (lifting first) -----------------


def _ingest(db_path: Path) -> tuple[int, SynthSession]:
    """Accelerometer frames through the ingest path, then the offline analysis labelled with the truth."""
    session = synth_session([("squat", 6, 40.0), ("curl", 8, 20.0)], placement="chest", fs_hz=100.0,
                            rng=np.random.default_rng(11))
    db = open_db(db_path)
    writer = SessionWriter(db, t0_ns=T0_NS, title="tempo", source="test", devices=[{"address": "H10"}])
    device_ns = T0_NS + (session.t_s * 1e9).astype(np.int64)  # a device clock that reads host time
    mg = np.round(session.acc_g * 1000).astype(np.int32)
    for a in range(0, len(device_ns), 36):
        last = int(device_ns[min(a + 35, len(device_ns) - 1)])
        writer.add([SampleFrame("H10", Measurement.ACC, last, device_ns[a:a + 36], mg[a:a + 36], 0, 0)])
    writer.finish(StreamDecoder(), int(device_ns[-1]))
    labels = [{"exercise": s.exercise, "start_s": s.start_s, "end_s": s.end_s} for s in session.sets]
    analyse_stored_session(db, writer.session_id, labels=labels)
    db.conn.close()
    return writer.session_id, session


@pytest.fixture
def ingested(client: TestClient, settings: Settings) -> tuple[int, SynthSession]:
    return _ingest(settings.db_path)


def _stored_reps(settings: Settings, set_id: int) -> np.ndarray:
    db = open_db(settings.db_path)
    try:
        return np.array(db.execute("select start_s, turn_s, end_s from reps where set_id = ? order by idx",
                                   [set_id]).fetchall())
    finally:
        db.conn.close()


def test_the_api_gives_each_set_its_tempo_in_the_exercise_order(client: TestClient, settings: Settings,
                                                               ingested: tuple[int, SynthSession]) -> None:
    session_id, truth = ingested
    sets = client.get(f"/api/sessions/{session_id}").json()["sets"]
    assert [s["exercise"] for s in sets] == ["squat", "curl"]
    for s, true_set in zip(sets, truth.sets, strict=True):
        reps = _stored_reps(settings, s["id"])
        first, second = np.mean(reps[:, 1] - reps[:, 0]), np.mean(reps[:, 2] - reps[:, 1])
        eccentric, concentric = (first, second) if s["exercise"] == "squat" else (second, first)
        assert s["tempo_eccentric_s"] == pytest.approx(eccentric, abs=0.006)
        assert s["tempo_concentric_s"] == pytest.approx(concentric, abs=0.006)
        assert s["time_under_tension_s"] == pytest.approx(np.sum(reps[:, 2] - reps[:, 0]), abs=0.006)
        # Against the simulated lifter: the reps span the set, each as long as the true ones (loose: the counter's
        # accuracy is measured by make bench, not here).
        true_span = true_set.rep_times[-1][2] - true_set.rep_times[0][0]
        assert s["time_under_tension_s"] == pytest.approx(true_span, rel=0.15)
        assert s["tempo_eccentric_s"] + s["tempo_concentric_s"] == pytest.approx(true_span / len(true_set.rep_times),
                                                                                rel=0.15)
        assert client.get(f"/api/sets/{s['id']}").json()["tempo_eccentric_s"] == s["tempo_eccentric_s"]


def test_renaming_a_set_to_an_exercise_of_the_other_order_swaps_its_phases(
        client: TestClient, ingested: tuple[int, SynthSession]) -> None:
    session_id, _ = ingested
    squat = client.get(f"/api/sessions/{session_id}").json()["sets"][0]
    as_deadlift = client.patch(f"/api/sets/{squat['id']}", json={"exercise": "conventional deadlift"}).json()
    assert as_deadlift["exercise"] == "deadlift"
    assert (as_deadlift["tempo_eccentric_s"], as_deadlift["tempo_concentric_s"]) == (
        squat["tempo_concentric_s"], squat["tempo_eccentric_s"])
    unknown = client.patch(f"/api/sets/{squat['id']}", json={"exercise": "Zercher squat"}).json()
    assert unknown["tempo_eccentric_s"] is None and unknown["tempo_concentric_s"] is None
    assert unknown["tempo_first_phase_s"] == squat["tempo_eccentric_s"]
    assert unknown["time_under_tension_s"] == squat["time_under_tension_s"]


def _add_untimed_set(settings: Settings, session_id: int) -> int:
    """A set as an import leaves it: a count, no reps with times."""
    db = open_db(settings.db_path)
    try:
        with db.conn:
            set_id = int(db.execute("insert into sets (session_id, idx, exercise, reps_detected, algorithm) "
                                    "values (?, 9, 'bench_press', 5, 'import')", [session_id]).lastrowid or 0)
            db.execute("insert into reps (set_id, idx) values (?, 1)", [set_id])
        return set_id
    finally:
        db.conn.close()


def test_a_set_without_rep_times_has_null_tempo(client: TestClient, settings: Settings, session_id: int) -> None:
    set_id = _add_untimed_set(settings, session_id)
    body = client.get(f"/api/sets/{set_id}").json()
    assert {k: body[k] for k in FIELDS} == dict.fromkeys(FIELDS)
    listed = client.get(f"/api/sessions/{session_id}").json()["sets"][0]
    assert {k: listed[k] for k in FIELDS} == dict.fromkeys(FIELDS)


def _cells(page: str, set_id: int) -> tuple[str, str]:
    row = re.search(rf'<tr id="set-{set_id}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = {m.group(1): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m.group(2))).strip()
             for m in re.finditer(r'<td class="(tempo|tut)">(.*?)</td>', row.group(1), re.S)}
    return cells["tempo"], cells["tut"]


def test_the_sets_table_shows_tempo_and_time_under_tension(client: TestClient, settings: Settings,
                                                          ingested: tuple[int, SynthSession]) -> None:
    session_id, _ = ingested
    sets = client.get(f"/api/sessions/{session_id}").json()["sets"]
    client.patch(f"/api/sets/{sets[1]['id']}", json={"exercise": "Zercher squat"})
    untimed = _add_untimed_set(settings, session_id)
    page = client.get(f"/sessions/{session_id}").text
    assert "Tempo" in page and ">TUT</abbr>" in page and "eccentric (lowering) / concentric (lifting)" in page
    squat = sets[0]
    assert _cells(page, squat["id"]) == (f"{squat['tempo_eccentric_s']:.1f} / {squat['tempo_concentric_s']:.1f} s",
                                         f"{squat['time_under_tension_s']:.0f} s")
    tempo, _ = _cells(page, sets[1]["id"])
    assert re.fullmatch(r"\d\.\d / \d\.\d s 1st / 2nd phase", tempo)
    assert _cells(page, untimed) == ("–", "–")


def test_the_sets_csv_has_the_tempo_columns_and_the_importable_json_export_not(
        client: TestClient, settings: Settings, ingested: tuple[int, SynthSession], tmp_path: Path) -> None:
    session_id, _ = ingested
    sets = client.get(f"/api/sessions/{session_id}").json()["sets"]
    assert main(["export", "--db", str(settings.db_path), "--out", str(tmp_path / "out"), "--format", "csv",
                 "--table", "sets"]) == 0
    for text in (client.get("/api/export/sets.csv").text, (tmp_path / "out" / "sets.csv").read_text()):
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [float(r["tempo_eccentric_s"]) for r in rows] == [s["tempo_eccentric_s"] for s in sets]
        assert [float(r["time_under_tension_s"]) for r in rows] == [s["time_under_tension_s"] for s in sets]
    exported = json.loads(client.get("/api/export/sets.json").text)
    assert not set(FIELDS) & set(exported[0])
