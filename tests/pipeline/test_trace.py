"""The trace format: round trips, and bad lines skipped and counted, never fatal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sensors.errors import TraceError
from sensors.trace import TraceEvent, load_events, read_meta

from .conftest import write_trace


def test_round_trip_keeps_every_event_byte_for_byte(trace: Path, events: list[TraceEvent]) -> None:
    loaded, stats = load_events(trace)
    assert loaded == events
    assert stats.skipped == {}


def test_torn_last_line_is_skipped_and_counted(trace: Path, events: list[TraceEvent]) -> None:
    path = trace / "trace.jsonl"
    path.write_bytes(path.read_bytes() + b'{"t_ns": 17951598, "addr": "A0:9E')  # a recorder killed mid-write
    loaded, stats = load_events(trace)
    assert loaded == events
    assert list(stats.skipped) == [len(events) + 1]
    assert "not valid JSON" in stats.skipped[len(events) + 1]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"addr": "x", "kind": "notify", "char": "c", "hex": "00"}', "missing field 't_ns'"),
        ('{"t_ns": 1, "addr": "x", "kind": "notify", "char": "c", "hex": "zz"}', "hex is not"),
        ('{"t_ns": 1, "addr": "x", "kind": "notify", "hex": "00"}', "needs a characteristic"),
        ('{"t_ns": 1.5, "addr": "x", "kind": "notify", "char": "c", "hex": "00"}', "t_ns must be an integer"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_malformed_line_is_skipped_with_its_reason(tmp_path: Path, events: list[TraceEvent], line: str, reason: str) -> None:
    folder = write_trace(tmp_path / "t", events[:3])
    with (folder / "trace.jsonl").open("a") as handle:
        handle.write(line + "\n")
        handle.write(events[3].to_json() + "\n")
    loaded, stats = load_events(folder)
    assert loaded == events[:4]
    assert reason in stats.skipped[4]


def test_missing_folder_and_meta_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="does not exist"):
        read_meta(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(TraceError, match="meta.json is missing"):
        read_meta(tmp_path / "empty")
    (tmp_path / "empty" / "meta.json").write_text("{not json")
    with pytest.raises(TraceError, match="not valid JSON"):
        read_meta(tmp_path / "empty")
    (tmp_path / "empty" / "meta.json").write_text(json.dumps({"devices": "A0"}))
    with pytest.raises(TraceError, match="'devices' list"):
        read_meta(tmp_path / "empty")


def test_the_demo_generator_is_deterministic(tmp_path: Path) -> None:
    from sensors.demo_trace import write_demo_trace

    first = write_demo_trace(tmp_path / "a", seed=3)
    second = write_demo_trace(tmp_path / "b", seed=3)
    assert first == second
    assert (tmp_path / "a" / "trace.jsonl").read_bytes() == (tmp_path / "b" / "trace.jsonl").read_bytes()
    assert first["synthetic"] is True and sum(s["reps"] for s in first["truth"]["sets"]) > 0
