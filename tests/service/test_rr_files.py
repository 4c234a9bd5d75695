import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from service.cli import hrv as hrv_cli
from service.rr_files import RrFileError, parse_rr_text, read_rr_file

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "hrv" / "pyhrv_sample_short.txt"
RR = [812, 798, 840, 861, 830, 805]


def test_plain_ms_one_per_line() -> None:
    f = parse_rr_text("\n".join(map(str, RR)) + "\n")
    assert f.fmt == "plain" and f.notes == []
    np.testing.assert_array_equal(f.rr_ms, RR)


def test_seconds_are_detected_and_said() -> None:
    f = parse_rr_text("\n".join(str(v / 1000) for v in RR))
    np.testing.assert_allclose(f.rr_ms, RR)
    assert any("seconds" in n for n in f.notes)


def test_hrv_logger_csv_with_blank_line_after_header() -> None:
    rows = [f"{1622988659000 + i * 800},{v},{sum(RR[: i + 1])}" for i, v in enumerate(RR)]
    f = parse_rr_text("timestamp,rr,since_start\n\n" + "\n".join(rows))
    assert f.fmt == "hrv-logger-csv"
    np.testing.assert_array_equal(f.rr_ms, RR)


def test_polar_sensor_logger() -> None:
    rows = [f"2021-06-06T16:10:{i:02d}.000;{v}" for i, v in enumerate(RR)]
    f = parse_rr_text("Phone timestamp;RR-interval [ms]\n" + "\n".join(rows))
    assert f.fmt == "polar-sensor-logger"
    np.testing.assert_array_equal(f.rr_ms, RR)


def test_polar_hrm_section() -> None:
    f = parse_rr_text("[Params]\nVersion=106\n[HRData]\n" + "\n".join(map(str, RR)))
    assert f.fmt == "polar-hrm"
    np.testing.assert_array_equal(f.rr_ms, RR)


def test_bad_values_are_dropped_and_counted() -> None:
    f = parse_rr_text("RR\n812\nabc\n0\n-5\n798\n" + "\n".join(map(str, RR * 5)))
    assert f.rr_ms.size == 32
    assert any("non-numeric line(s): 3" in n for n in f.notes)
    assert any("dropped 2 zero, negative" in n for n in f.notes)


def test_huge_gap_is_said() -> None:
    f = parse_rr_text("\n".join(map(str, RR + [37000] + RR)))
    assert any("strap off" in n and "37.0 s" in n for n in f.notes)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"), ("  \n\n", "empty"), ("hello\nworld\nfoo\nbar\n", "not numbers"),
    ("0\n-1\n0\n", "no positive"),
])
def test_unusable_files_raise_clear_errors(text: str, message: str) -> None:
    with pytest.raises(RrFileError, match=message):
        parse_rr_text(text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RrFileError, match="cannot read"):
        read_rr_file(tmp_path / "nope.txt")


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="liftmind")
    hrv_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_cli_json_line_per_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = tmp_path / "short.txt"
    short.write_text("800\n810\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    status = _run(["hrv", "--json", str(FIXTURE), str(short), str(empty)])
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 2 and "empty.txt: the file is empty" in err
    assert list(lines[0])[1:18] == list(hrv_cli.JSON_KEYS)
    assert lines[0]["n_beats"] == 337 and lines[0]["rmssd_ms"] == pytest.approx(101.301, rel=1e-4)
    assert lines[1]["rmssd_ms"] is None and "30 beats" in lines[1]["reasons"]["rmssd_ms"]
    assert lines[2] == {"file": str(empty), "error": "the file is empty"}


def test_cli_text_and_no_correct(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["hrv", "--no-correct", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "337 beats, 0 corrected" in out and "rmssd_ms" in out
