"""``liftmind reps``: JSON lines per file, --live delays, bad files never give a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from repcount.synth import synth_set
from service.cli import main

SPAR = Path(__file__).resolve().parents[2] / "fixtures" / "reps" / "spar_S2_abduction_R.csv"


def _write(path: Path, t: np.ndarray, acc: np.ndarray, header: str = "t,ax,ay,az") -> Path:
    np.savetxt(path, np.c_[t, acc], delimiter=",", header=header, comments="", fmt="%.5f")
    return path


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_json_line_per_file_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = synth_set("squat", 8, placement="chest", fs_hz=50.0, rng=np.random.default_rng(1))
    squat = _write(tmp_path / "squat.csv", s.t_s, s.acc_g)
    assert main(["reps", "--json", str(SPAR), str(squat)]) == 0
    first, second = _lines(capsys)
    assert [first["file"], second["file"]] == [str(SPAR), str(squat)]
    for rec in (first, second):
        assert {"file", "reps", "rep_times_s", "set_start_s", "set_end_s", "confidence"} <= set(rec)
    assert abs(int(first["reps"]) - 20) <= 1  # type: ignore[call-overload]
    assert second["reps"] == 8
    assert len(second["rep_times_s"]) == 8  # type: ignore[arg-type]


def test_live_adds_a_delay_per_rep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reps", "--live", "--json", str(SPAR)]) == 0
    (rec,) = _lines(capsys)
    delays = rec["rep_delay_s"]
    assert isinstance(delays, list) and len(delays) == rec["reps"]


def test_m_s2_is_converted_and_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = np.loadtxt(SPAR, delimiter=",", skiprows=1)
    path = _write(tmp_path / "ms2.csv", data[:, 0], data[:, 1:] * 9.80665)
    assert main(["reps", "--json", str(path)]) == 0
    (rec,) = _lines(capsys)
    assert abs(int(rec["reps"]) - 20) <= 1  # type: ignore[call-overload]
    assert any("m/s^2" in n for n in rec["notes"])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "expect"),
    [("t,ax,ay,az\n", "usable"), ("t,ax,ay,az\n0,0,0,1\n", "usable"), ("t,ax,ay,az\n0,nan,0,1\n1,0,0,1\n", "usable")],
)
def test_empty_and_tiny_files_give_zero_reps(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: str, expect: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(content)
    assert main(["reps", "--json", str(path)]) == 0
    (rec,) = _lines(capsys)
    assert rec["reps"] == 0 and rec["confidence"] == 0.0
    assert any(expect in n for n in rec["notes"])  # type: ignore[union-attr]


@pytest.mark.parametrize("row", ["0,0,0", "0,0,1", "0,0,9.81"])
def test_a_constant_signal_gives_zero_reps_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       row: str) -> None:
    path = tmp_path / "flat.csv"
    path.write_text("t,ax,ay,az\n" + "".join(f"{k / 50},{row}\n" for k in range(500)))
    assert main(["reps", "--json", str(path)]) == 0
    (rec,) = _lines(capsys)
    assert rec["reps"] == 0 and rec["confidence"] == 0.0
    assert any("constant signal" in n for n in rec["notes"])  # type: ignore[union-attr]
    assert not any("gravity" in n for n in rec["notes"])  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "empty"), ("t,ax,ay\n0,0,0\n", "missing column(s) az"), ("a,b\n1,2\n", "missing column(s) t, ax")],
)
def test_unreadable_files_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["reps", "--json", str(path), str(SPAR)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert message in lines[0]["error"] and lines[1]["reps"] > 0


def test_unsorted_duplicate_rows_are_repaired(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = np.loadtxt(SPAR, delimiter=",", skiprows=1)
    messy = np.vstack([data[::-1], data[:30]])
    path = _write(tmp_path / "messy.csv", messy[:, 0], messy[:, 1:4])
    assert main(["reps", "--json", str(path)]) == 0
    (rec,) = _lines(capsys)
    assert abs(int(rec["reps"]) - 20) <= 1  # type: ignore[call-overload]
    assert len(rec["notes"]) == 2  # type: ignore[arg-type]


def test_missing_file_and_no_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["reps", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["reps"]) == 2
    assert "give at least one FILE" in capsys.readouterr().err


def test_session_needs_a_database(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["reps", "--session", "1", "--db", str(tmp_path / "missing.db")]) == 2
    assert "--session needs --db" in capsys.readouterr().err
