"""Timing of the sigil pipeline on a fixed 30-command sigil, against the performance targets.

The sigil is frozen here (it came from ``generate_sigil(191)``) so figures stay
comparable when the generator changes; it has lines, arcs, quadratic and cubic curves.
"""

from __future__ import annotations

import io
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dreams.sigils.parse import parse_sigil
from dreams.sigils.render_png import render_png
from dreams.sigils.sdf import SDF_SPREAD, render_sdf

__all__ = ["BASELINE_NAME", "BENCH_SOURCE", "BenchResult", "run_benchmark"]

BASELINE_NAME = "baseline: windowed brute-force SDF 512"

BENCH_SOURCE = """\
ctx.beginPath();
ctx.moveTo(27.6, 34);
ctx.quadraticCurveTo(50, 53.9, 72.4, 34);
ctx.moveTo(16.1, 69.7);
ctx.lineTo(83.9, 69.7);
ctx.moveTo(18.09, 50.02);
ctx.arc(28.7, 33.3, 19.8, Math.PI * 0.68, Math.PI * 1.3, true);
ctx.moveTo(81.91, 50.02);
ctx.arc(71.3, 33.3, 19.8, Math.PI * 0.32, Math.PI * -0.3);
ctx.moveTo(41.1, 36.4);
ctx.bezierCurveTo(12.5, 10.7, 87.5, 10.7, 58.9, 36.4);
ctx.moveTo(12.5, 8.6);
ctx.quadraticCurveTo(50, 61.6, 87.5, 8.6);
ctx.moveTo(43.6, 11.5);
ctx.quadraticCurveTo(42, 8.7, 77.3, 35.2);
ctx.moveTo(56.4, 11.5);
ctx.quadraticCurveTo(58, 8.7, 22.7, 35.2);
ctx.moveTo(49.27, 62.12);
ctx.arc(67.6, 47.9, 23.2, Math.PI * 0.79, Math.PI * 1.24);
ctx.moveTo(50.73, 62.12);
ctx.arc(32.4, 47.9, 23.2, Math.PI * 0.21, Math.PI * -0.24, true);
ctx.moveTo(32.4, 89.2);
ctx.bezierCurveTo(45.5, 85.6, 51.5, 24, 80.4, 44.4);
ctx.moveTo(67.6, 89.2);
ctx.bezierCurveTo(54.5, 85.6, 48.5, 24, 19.6, 44.4);
ctx.moveTo(10.5, 54.5);
ctx.lineTo(89.5, 54.5);
ctx.moveTo(70.4, 35.4);
ctx.arc(50, 35.4, 20.4, 0, Math.PI * 2);
ctx.stroke();
"""


def windowed_brute_force_sdf(commands: list[list], *, size: int, spread: float) -> np.ndarray:
    """The source system's method, as a baseline: rasterize the shape, then for every pixel
    search a window of radius `spread` for the nearest pixel on the other side of the edge.
    Vectorized over pixels (one pass per window offset), so only the method is slow."""
    inside = np.asarray(Image.open(io.BytesIO(render_png(commands, size=size))))[..., 1] >= 128
    radius = math.ceil(spread * size / 100)
    padded_inside = np.pad(inside, radius, constant_values=False)
    padded_outside = np.pad(~inside, radius, constant_values=True)
    nearest = np.full(inside.shape, float(radius), dtype=np.float32)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            distance = math.hypot(dx, dy)
            if distance >= radius:
                continue
            window = (
                slice(radius + dy, radius + dy + size),
                slice(radius + dx, radius + dx + size),
            )
            other_side = np.where(inside, padded_outside[window], padded_inside[window])
            np.minimum(nearest, np.where(other_side, distance, radius), out=nearest)
    signed = np.where(inside, -nearest, nearest)
    return np.clip(np.round(128 - 128 * signed / radius), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class BenchResult:
    name: str
    median_ms: float
    p90_ms: float
    target_ms: float | None = None  # on the median

    @property
    def passed(self) -> bool | None:
        return None if self.target_ms is None else self.median_ms <= self.target_ms


def _time(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    action()  # warm caches and lazy imports outside the measurement
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    p90 = samples[min(len(samples) - 1, max(0, round(0.9 * len(samples)) - 1))]
    return statistics.median(samples), p90


def run_benchmark(*, repeats: int = 30) -> list[BenchResult]:
    """Median and 90th percentile wall time of each stage, in milliseconds."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    commands = parse_sigil(BENCH_SOURCE)
    cases: list[tuple[str, Callable[[], object], float | None]] = [
        ("parse (30 commands)", lambda: parse_sigil(BENCH_SOURCE), None),
        ("PNG 512", lambda: render_png(commands, size=512), None),
        ("parse + PNG 512", lambda: render_png(parse_sigil(BENCH_SOURCE), size=512), 20.0),
        ("SDF 256", lambda: render_sdf(commands, size=256), None),
        ("SDF 512", lambda: render_sdf(commands, size=512), 30.0),
    ]
    results = []
    for name, action, target in cases:
        median, p90 = _time(action, repeats)
        results.append(BenchResult(name, median, p90, target))
    # The baseline takes seconds, so it runs a few times only.
    median, p90 = _time(
        lambda: windowed_brute_force_sdf(commands, size=512, spread=SDF_SPREAD), min(repeats, 3)
    )
    results.append(BenchResult(BASELINE_NAME, median, p90))
    return results
