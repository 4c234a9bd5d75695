"""Server-side chart geometry (service.charts): scaling, ticks, envelopes that keep every peak, text alternatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service import charts


def test_frame_maps_the_data_corners_to_the_plot_box() -> None:
    frame = charts.Frame(0.0, 10.0, 50.0, 150.0, width=200, height=100, margin=(10, 10, 20, 30))
    left, top, width, height = frame.box
    assert (frame.x(0.0), frame.x(10.0)) == (left, left + width)
    assert (frame.y(150.0), frame.y(50.0)) == (top, top + height)


@given(st.floats(1e-6, 1e9))
def test_nice_steps_are_1_2_5_times_a_power_of_ten(span: float) -> None:
    step = charts.nice_step(span)
    mantissa = step / 10 ** np.floor(np.log10(step) + 1e-12)
    assert round(mantissa, 6) in (1.0, 2.0, 5.0, 10.0)
    assert span / 10 <= step <= span / 5 * 2.5 + 1e-9


def test_envelope_keeps_a_single_sample_spike() -> None:
    t = np.linspace(0, 100, 20_001)
    y = np.ones_like(t)
    y[12_345] = 3.0
    xs, ys = charts.envelope(t, y, 100.0, 50)
    assert max(ys) == 3.0 and min(ys) == 1.0
    assert len(xs) == len(ys) == 100  # one max and one min per bin, as a closed outline


def test_heart_rate_plot_shades_the_zones_in_range_and_describes_itself() -> None:
    hr = [(float(t), 100.0 + 40.0 * np.sin(t / 30)) for t in range(600)]
    plot = charts.heart_rate_plot(hr, [(60.0, 90.0, "Set 1: squat")], max_hr_bpm=200.0, x_max_s=600.0)
    assert plot is not None
    zones = [r for r in plot.rects if r.css.startswith("zone")]
    assert [r.css for r in zones] == ["zone z1", "zone z2", "zone z3"]  # 60-140 bpm spans 50-70 % of 200
    assert plot.label.startswith("Heart rate from 60 to 140 bpm over 10 minutes")
    assert [t.label for t in plot.x_ticks] == ["0", "2", "4", "6", "8", "10"]  # minutes


def test_motion_plot_marks_every_rep() -> None:
    t = np.arange(0, 60, 0.01)
    acc = np.c_[0 * t, 0 * t, 1 + 0.2 * np.sin(t)]
    reps = [(float(k), f"rep {k}") for k in range(10, 20)]
    plot = charts.motion_plot(t, acc, [(10.0, 20.0, "Set 1")], reps, x_max_s=60.0)
    assert plot is not None and len(plot.marks) == 10 and "10 counted reps" in plot.label


@pytest.mark.parametrize("n", [0, 1])
def test_too_little_data_draws_nothing(n: int) -> None:
    assert charts.heart_rate_plot([(0.0, 80.0)] * n, [], max_hr_bpm=190.0, x_max_s=60.0) is None


def test_weekly_bars_flag_the_weeks_in_the_recommended_range() -> None:
    plot = charts.weekly_bars_plot([("1 Jan", 1), ("8 Jan", 2), ("15 Jan", 3), ("22 Jan", 5)])
    assert plot is not None
    bars = [r.css for r in plot.rects if r.css.startswith("bar")]
    assert bars == ["bar", "bar in-target", "bar in-target", "bar"]
    assert "recommended 2-3" in plot.label and "22 Jan: 5" in plot.label
