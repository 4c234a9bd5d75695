"""Server-side SVG charts: plain markup, no JavaScript, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineChart:
    """A polyline scaled into a ``width`` x ``height`` box, with its axis ranges for labels."""

    width: int
    height: int
    points: str
    x_max: float
    y_min: float
    y_max: float
    bands: tuple[tuple[float, float], ...]


def line_chart(
    series: list[tuple[float, float]],
    *,
    width: int = 720,
    height: int = 200,
    spans: list[tuple[float, float]] | None = None,
) -> LineChart | None:
    """Scale ``series`` (x, y) to pixels; ``spans`` (x0, x1) become shaded bands (e.g. sets)."""
    if len(series) < 2:
        return None
    xs = [x for x, _ in series]
    ys = [y for _, y in series]
    x_max = max(xs) or 1.0
    y_min, y_max = min(ys) - 5, max(ys) + 5
    sx = width / x_max
    sy = height / (y_max - y_min)
    points = " ".join(f"{x * sx:.1f},{height - (y - y_min) * sy:.1f}" for x, y in series)
    bands = tuple((a * sx, max((b - a) * sx, 1.0)) for a, b in (spans or []))
    return LineChart(width, height, points, x_max, y_min, y_max, bands)
