"""``liftmind decode``: JSON shapes from the issue, and one-line errors on undecodable packets."""

from __future__ import annotations

import json

import pytest

from service.cli import main


def decode(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    code = main(["decode", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 and "--json" in args else captured.out, captured.err


def test_decode_hr_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = decode(capsys, "hr", "163c1104", "--json")
    assert code == 0 and out == {"bpm": 60, "rr_ms": [1041 * 1000 / 1024], "contact": True, "energy_kj": None}
    code, out, _ = decode(capsys, "hr", "19 4100 0201 3303 6603", "--json")
    assert out == {"bpm": 65, "rr_ms": [819 * 1000 / 1024, 870 * 1000 / 1024], "contact": None, "energy_kj": 258}


def test_decode_pmd_acc_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = decode(capsys, "pmd", "02004a124493435208012100ecffe803", "--json")
    assert code == 0 and isinstance(out, dict)
    assert {k: out[k] for k in ("measurement", "frame_type", "timestamp_ns", "samples")} == {
        "measurement": "acc", "frame_type": 1, "timestamp_ns": 0x0852439344124A00, "samples": [[33, -20, 1000]]
    }


def test_decode_pmd_delta_with_factor_and_sample_times(capsys: pytest.CaptureFixture[str]) -> None:
    frame = "02" + (1000).to_bytes(8, "little").hex() + "81" + "D0FF6501E40F" + "0802" + "FC07FF" + "0C13F2"
    code, out, _ = decode(capsys, "pmd", "--factor", "0.5", "--sample-rate", "100", frame, "--json")
    assert code == 0 and isinstance(out, dict)
    assert out["compressed"] and out["samples"][0] == [-24, 178, 2034]
    assert out["sample_timestamps_ns"] == [1000 - 20_000_000, 1000 - 10_000_000, 1000]


def test_decode_pmd_detects_a_lost_frame_from_the_previous_timestamp(capsys: pytest.CaptureFixture[str]) -> None:
    ts = 10 * 5_000_000
    frame = "02" + ts.to_bytes(8, "little").hex() + "01" + "010002000300" * 2
    _, spread, _ = decode(capsys, "pmd", "--sample-rate", "200", "--previous-timestamp", str(ts - 10_000_000),
                          frame, "--json")
    _, gap, _ = decode(capsys, "pmd", "--sample-rate", "200", "--previous-timestamp", str(ts - 100_000_000),
                       frame, "--json")
    assert isinstance(spread, dict) and isinstance(gap, dict)
    assert spread["lost_samples"] == 0 and spread["sample_timestamps_ns"] == [ts - 5_000_000, ts]
    assert gap["lost_samples"] == 18 and gap["sample_timestamps_ns"] == [ts - 5_000_000, ts]


def test_decode_ecg_samples_are_flat_microvolts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = decode(capsys, "pmd", "00" + "00" * 8 + "00" + "e8ffff2c0100", "--json")
    assert code == 0 and isinstance(out, dict) and out["measurement"] == "ecg" and out["samples"] == [-24, 300]


def test_decode_control_point_messages(capsys: pytest.CaptureFixture[str]) -> None:
    _, refused, _ = decode(capsys, "cp", "f0020208", "--json")
    assert isinstance(refused, dict) and refused["status"] == "invalid_sample_rate" and refused["op"] == "start"
    _, stopped, _ = decode(capsys, "cp", "0102", "--json")
    assert stopped == {"kind": "stopped", "measurements": ["acc"]}
    _, features, _ = decode(capsys, "cp", "0f05000000", "--json")
    assert features == {"kind": "features", "measurements": ["acc", "ecg"]}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["hr", "01"], "too short"),
        (["hr", "0148"], "truncated"),
        (["pmd", "0200"], "too short"),
        (["pmd", "02" + "00" * 8 + "01" + "0100"], "whole number"),
        (["pmd", "zz"], "hexadecimal"),
        (["pmd", "--previous-timestamp", "5", "02" + "00" * 8 + "01" + "010002000300"], "needs --sample-rate"),
        (["cp", "f00102ff"], "unknown status"),
    ],
)
def test_undecodable_packets_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str], reason: str) -> None:
    code, _, err = decode(capsys, *args, "--json")
    assert code == 2 and reason in err and err.count("\n") == 1 and err.startswith("liftmind: error: ")


def test_plain_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = decode(capsys, "hr", "063c")
    assert code == 0 and "bpm: 60" in str(out)
