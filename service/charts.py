"""Server-side SVG charts: coordinates computed here, drawn by ``templates/_chart.html``; no JavaScript.

Every chart is a `Plot`: plain shapes in pixel coordinates plus a text alternative (``label``, read by screen
readers as the SVG's title). Pages pass data in; nothing here touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Heart-rate zones as fractions of maximum heart rate (the usual five-zone model).
HR_ZONES = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0))


@dataclass(frozen=True)
class Tick:
    px: float
    label: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class Line:
    points: str
    css: str


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    css: str
    title: str = ""


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    css: str = ""


@dataclass(frozen=True)
class Plot:
    """One chart: its box, axes, and shapes drawn back to front (rects, areas, lines, marks, labels)."""

    width: int
    height: int
    label: str
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    y_unit: str
    x_unit: str
    plot_box: tuple[float, float, float, float]
    rects: tuple[Rect, ...] = ()
    areas: tuple[Line, ...] = ()
    lines: tuple[Line, ...] = ()
    marks: tuple[Mark, ...] = ()
    labels: tuple[Label, ...] = ()
    legend: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Frame:
    """Maps data (x, y) into a ``width`` x ``height`` box with margins for the axis labels."""

    x_lo: float
    x_hi: float
    y_lo: float
    y_hi: float
    width: int = 720
    height: int = 180
    margin: tuple[int, int, int, int] = (8, 12, 24, 54)  # top, right, bottom, left
    _span: tuple[float, float] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_span", (self.x_hi - self.x_lo or 1.0, self.y_hi - self.y_lo or 1.0))

    def x(self, v: float) -> float:
        left = self.margin[3]
        return left + (v - self.x_lo) / self._span[0] * (self.width - left - self.margin[1])

    def y(self, v: float) -> float:
        top, bottom = self.margin[0], self.height - self.margin[2]
        return bottom - (v - self.y_lo) / self._span[1] * (bottom - top)

    @property
    def box(self) -> tuple[float, float, float, float]:
        top, right, bottom, left = self.margin
        return (left, top, self.width - left - right, self.height - top - bottom)

    def polyline(self, xs: Sequence[float], ys: Sequence[float]) -> str:
        return " ".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in zip(xs, ys, strict=True))


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step that cuts ``span`` into about ``target`` intervals."""
    raw = max(span, 1e-9) / target
    base = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * base for m in (1, 2, 5, 10) if m * base >= raw))


def ticks(lo: float, hi: float, to_px: object, fmt: str = "{:g}", target: int = 5) -> tuple[Tick, ...]:
    step = nice_step(hi - lo, target)
    first = math.ceil(lo / step - 1e-9) * step
    values = np.arange(first, hi + step * 1e-6, step)
    return tuple(Tick(to_px(float(v)), fmt.format(round(float(v), 6))) for v in values)  # type: ignore[operator]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"


def _time_ticks(frame: Frame, x_max_s: float) -> tuple[Tick, ...]:
    step_min = nice_step(x_max_s / 60, 8)
    values = np.arange(0.0, x_max_s + 1e-6, step_min * 60)
    return tuple(Tick(frame.x(float(v)), _minutes(float(v))) for v in values)


def _padded(lo: float, hi: float, frac: float = 0.08) -> tuple[float, float]:
    pad = (hi - lo) * frac or 1.0
    return lo - pad, hi + pad


def heart_rate_plot(
    hr: Sequence[tuple[float, float]],
    set_spans: Sequence[tuple[float, float, str]],
    *,
    max_hr_bpm: float,
    x_max_s: float,
) -> Plot | None:
    """Heart rate over the session with the five %HRmax zones shaded and the sets marked along the top."""
    if len(hr) < 2:
        return None
    t = [a for a, _ in hr]
    bpm = [b for _, b in hr]
    lo, hi = _padded(min(bpm), max(bpm))
    frame = Frame(0.0, x_max_s, lo, hi)
    rects = []
    for i, (a, b) in enumerate(HR_ZONES, start=1):
        y0, y1 = max(a * max_hr_bpm, lo), min(b * max_hr_bpm, hi)
        if y1 > y0:
            rects.append(Rect(frame.box[0], frame.y(y1), frame.box[2], frame.y(y0) - frame.y(y1), f"zone z{i}",
                              f"Zone {i}: {a * max_hr_bpm:.0f}-{b * max_hr_bpm:.0f} bpm"))
    rects += _set_strips(frame, set_spans)
    label = (f"Heart rate from {min(bpm):.0f} to {max(bpm):.0f} bpm over {x_max_s / 60:.0f} minutes, "
             f"shaded by zone (percent of a maximum of {max_hr_bpm:.0f} bpm); {len(set_spans)} sets marked.")
    return Plot(frame.width, frame.height, label, _time_ticks(frame, x_max_s), ticks(lo, hi, frame.y),
                "bpm", "min", frame.box, rects=tuple(rects), lines=(Line(frame.polyline(t, bpm), "hr"),),
                legend=tuple((f"z{i}", f"Z{i} {int(a * 100)}-{int(b * 100)}%") for i, (a, b) in enumerate(HR_ZONES, 1)))


def _set_strips(frame: Frame, set_spans: Sequence[tuple[float, float, str]]) -> list[Rect]:
    top = frame.box[1]
    return [Rect(frame.x(a), top, max(frame.x(b) - frame.x(a), 1.0), frame.box[3], "set-band", title)
            for a, b, title in set_spans]


def envelope(t_s: np.ndarray, y: np.ndarray, t_max_s: float, n_bins: int) -> tuple[list[float], list[float]]:
    """Min/max of ``y`` per time bin as a closed outline (maxima forward, minima back): keeps every peak."""
    if len(t_s) == 0:
        return [], []
    bins = np.clip((t_s / t_max_s * n_bins).astype(int), 0, n_bins - 1)
    order = np.argsort(bins, kind="stable")
    bins, y = bins[order], y[order]
    starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    lows, highs = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
    xs = (bins[starts] + 0.5) / n_bins * t_max_s
    return list(np.r_[xs, xs[::-1]]), list(np.r_[highs, lows[::-1]])


def motion_plot(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    set_spans: Sequence[tuple[float, float, str]],
    rep_turns_s: Sequence[tuple[float, str]],
    *,
    x_max_s: float,
) -> Plot | None:
    """Acceleration magnitude (g) over the session, sets shaded and every counted rep marked by a tick."""
    if len(t_s) < 2:
        return None
    magnitude = np.linalg.norm(acc_g, axis=1)
    lo, hi = (float(v) for v in np.percentile(magnitude, [0.2, 99.8]))
    lo, hi = _padded(lo, hi)
    frame = Frame(0.0, x_max_s, lo, hi, height=160, margin=(16, 12, 24, 54))
    xs, ys = envelope(t_s, np.clip(magnitude, lo, hi), x_max_s, 600)
    rects = _set_strips(frame, set_spans)
    marks = tuple(Mark(frame.x(t), frame.box[1], "rep", title) for t, title in rep_turns_s)
    label = (f"Accelerometer magnitude over {x_max_s / 60:.0f} minutes with {len(set_spans)} sets shaded and "
             f"{len(rep_turns_s)} counted reps marked.")
    return Plot(frame.width, frame.height, label, _time_ticks(frame, x_max_s), ticks(lo, hi, frame.y, "{:.1f}", 5),
                "g", "min", frame.box, rects=tuple(rects), areas=(Line(frame.polyline(xs, ys), "acc"),), marks=marks)


def day_series_plot(
    days: Sequence[float],
    values: Sequence[float],
    *,
    baseline: Sequence[float | None] = (),
    band: Sequence[tuple[float, float] | None] = (),
    day_labels: Sequence[tuple[float, str]] = (),
    y_unit: str,
    label: str,
    fmt: str = "{:g}",
    size: tuple[int, int] = (720, 200),
) -> Plot | None:
    """A daily value (dots joined by a line), an optional baseline line and an optional normal band."""
    if len(values) < 1:
        return None
    y_all = list(values) + [v for v in baseline if v is not None] + [v for b in band if b for v in b]
    lo, hi = _padded(min(y_all), max(y_all))
    x_lo, x_hi = min(days) - 0.5, max(days) + 0.5
    frame = Frame(x_lo, x_hi, lo, hi, width=size[0], height=size[1])
    areas = tuple(Line(p, "normal-band") for p in _band_polygons(frame, days, band))
    lines = [Line(frame.polyline(days, values), "value")]
    lines += [Line(frame.polyline(*zip(*run, strict=True)), "baseline") for run in _runs(days, baseline) if len(run) > 1]
    marks = tuple(Mark(frame.x(d), frame.y(v), "dot", f"{fmt.format(v)} {y_unit}") for d, v in zip(days, values, strict=True))
    x_ticks = tuple(Tick(frame.x(d), text) for d, text in day_labels)
    return Plot(frame.width, frame.height, label, x_ticks, ticks(lo, hi, frame.y, fmt, 4), y_unit, "", frame.box,
                areas=areas, lines=tuple(lines), marks=marks)


def _runs(days: Sequence[float], values: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for d, v in zip(days, values, strict=False):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((d, v))
    return [r for r in runs if r]


def _band_polygons(frame: Frame, days: Sequence[float], band: Sequence[tuple[float, float] | None]) -> list[str]:
    polygons = []
    for run in _runs(days, [None if b is None else 0.0 for b in band]):
        idx = [days.index(d) for d, _ in run]
        upper = [(frame.x(days[i]), frame.y(band[i][1])) for i in idx]  # type: ignore[index]
        lower = [(frame.x(days[i]), frame.y(band[i][0])) for i in reversed(idx)]  # type: ignore[index]
        if len(idx) == 1:
            x, _ = upper[0]
            upper = [(x - 3, upper[0][1]), (x + 3, upper[0][1])]
            lower = [(x + 3, lower[0][1]), (x - 3, lower[0][1])]
        polygons.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in upper + lower))
    return polygons


def scatter_plot(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    fit: tuple[float, float] | None,
    x_unit: str,
    y_unit: str,
    label: str,
) -> Plot | None:
    """Points with an optional fitted line ``y = a + b x`` (``fit = (a, b)``), zero line drawn when in range."""
    if len(xs) < 1:
        return None
    x_lo, x_hi = _padded(min(xs), max(xs))
    y_lo, y_hi = _padded(min([*ys, 0.0]), max([*ys, 0.0]))
    frame = Frame(x_lo, x_hi, y_lo, y_hi, width=360, height=220, margin=(8, 10, 34, 42))
    lines = [Line(frame.polyline([x_lo, x_hi], [0.0, 0.0]), "zero")]
    if fit is not None:
        a, b = fit
        lines.append(Line(frame.polyline([x_lo, x_hi], [a + b * x_lo, a + b * x_hi]), "fit"))
    marks = tuple(Mark(frame.x(x), frame.y(y), "dot", f"{x:g} {x_unit}: {y:+g}") for x, y in zip(xs, ys, strict=True))
    return Plot(frame.width, frame.height, label, ticks(x_lo, x_hi, frame.x, target=4),
                ticks(y_lo, y_hi, frame.y, "{:+g}", 4), y_unit, x_unit, frame.box, lines=tuple(lines), marks=marks)


def weekly_bars_plot(weeks: Sequence[tuple[str, int]], *, target: tuple[int, int] = (2, 3)) -> Plot | None:
    """Sessions per week as bars, with the recommended range (``target``) shaded."""
    if not weeks:
        return None
    hi = max(max(n for _, n in weeks), target[1]) + 1
    frame = Frame(-0.5, len(weeks) - 0.5, 0.0, float(hi), width=360, height=170, margin=(8, 8, 22, 28))
    band = Rect(frame.box[0], frame.y(target[1]), frame.box[2], frame.y(target[0]) - frame.y(target[1]), "target",
                f"Recommended: {target[0]}-{target[1]} sessions a week")
    bar_w = frame.box[2] / len(weeks) * 0.6
    bars = tuple(Rect(frame.x(i) - bar_w / 2, frame.y(n), bar_w, frame.y(0) - frame.y(n),
                      "bar" + (" in-target" if target[0] <= n <= target[1] else ""), f"Week of {w}: {n}")
                 for i, (w, n) in enumerate(weeks))
    labels = tuple(Label(frame.x(i), frame.y(n) - 3, str(n), "bar-value") for i, (_, n) in enumerate(weeks))
    summary = ", ".join(f"{w}: {n}" for w, n in weeks)
    return Plot(frame.width, frame.height, f"Sessions per week (recommended {target[0]}-{target[1]}): {summary}.",
                tuple(Tick(frame.x(i), w) for i, (w, _) in enumerate(weeks)), ticks(0, hi, frame.y, target=3),
                "sessions", "", frame.box, rects=(band, *bars), labels=labels)
