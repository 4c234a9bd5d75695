"""The profile drives the heart-rate zones of the analysis; bad values are refused in one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from service.cli import main
from service.db import open_db
from service.replay import replay_trace

from .conftest import h10_events, write_trace


def test_age_sets_max_hr_and_reanalysis_applies_it(tmp_path: Path) -> None:
    db_path = tmp_path / "x.db"
    session_id = asyncio.run(replay_trace(write_trace(tmp_path / "t", h10_events()), open_db(db_path))).session_id

    def summary() -> dict[str, object]:
        row = open_db(db_path).table("sessions").get(session_id)
        return dict(json.loads(row["hr_summary"]))

    assert (summary()["max_hr_bpm"], summary()["max_hr_source"]) == (190.0, "default")
    assert main(["profile", "--db", str(db_path), "--age", "40", "--reanalyse"]) == 0
    assert summary()["max_hr_bpm"] == pytest.approx(208 - 0.7 * 40)
    assert summary()["max_hr_source"] == "age"
    assert main(["profile", "--db", str(db_path), "--max-hr", "187", "--reanalyse"]) == 0
    assert (summary()["max_hr_bpm"], summary()["max_hr_source"]) == (187.0, "measured")


def test_out_of_range_value_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "--db", str(tmp_path / "x.db"), "--max-hr", "300"]) == 2
    assert capsys.readouterr().err.strip() == "liftmind: error: --max-hr must be between 120 and 230, got 300"
