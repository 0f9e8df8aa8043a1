"""Béziers flattened to arc splines (circular arcs and lines) within ``CURVE_TOLERANCE``,
and arcs cut into chords.

Canvas arcs stay exact arcs and Béziers become a few arcs each (not hundreds of chords),
which is what makes exact distance fields fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from dreams.sigils.arrays import expand
from dreams.sigils.paths import Arc, Line, QuadraticCurve, Segment

# Maximum distance between a Bézier and its arc spline, in canvas units:
# 0.001 units is 0.005 px at 512 px, far below anything visible or measurable.
CURVE_TOLERANCE = 0.001


@dataclass(frozen=True)
class Primitives:
    """Lines ``(n, 4)``: x0, y0, x1, y1; arcs ``(m, 5)``: cx, cy, r, start angle, sweep."""

    lines: np.ndarray
    arcs: np.ndarray


def flatten(segments: Iterable[Segment]) -> Primitives:
    lines: list[tuple[float, float, float, float]] = []
    arcs: list[tuple[float, float, float, float, float]] = []
    cubics: list[tuple[float, ...]] = []
    for segment in segments:
        if isinstance(segment, Line):
            lines.append((*segment.start, *segment.end))
        elif isinstance(segment, Arc):
            arcs.append((*segment.center, segment.radius, segment.start_angle, segment.sweep))
        elif isinstance(segment, QuadraticCurve):
            # A quadratic is the cubic with control points 2/3 of the way to its control.
            (x0, y0), (cx, cy), (x1, y1) = segment.start, segment.control, segment.end
            cubics.append((
                x0, y0,
                x0 + 2 / 3 * (cx - x0), y0 + 2 / 3 * (cy - y0),
                x1 + 2 / 3 * (cx - x1), y1 + 2 / 3 * (cy - y1),
                x1, y1,
            ))  # fmt: skip
        else:
            cubics.append((*segment.start, *segment.control1, *segment.control2, *segment.end))
    line_array = np.array(lines, dtype=np.float64).reshape(-1, 4)
    arc_array = np.array(arcs, dtype=np.float64).reshape(-1, 5)
    if cubics:
        curve_lines, curve_arcs = arc_spline(np.array(cubics, dtype=np.float64))
        line_array = np.concatenate([line_array, curve_lines])
        arc_array = np.concatenate([arc_array, curve_arcs])
    return Primitives(line_array, arc_array)


# Fitted arcs stay short so each one's sector test and bounding box stay simple and tight.
_MAX_FIT_SWEEP = math.pi / 2
# Every round at least halves the failing pieces; after 30 rounds pieces are about 1e-9 of
# the curve's length and are taken as chords whatever their shape.
_MAX_SPLIT_DEPTH = 30
# The error is checked at samples between the three points the arc goes through; the
# true maximum lies slightly off the samples, hence the margin.
_SAMPLES = np.linspace(0.0, 1.0, 9)
_SAMPLE_MARGIN = 0.8


def _cubic_points(cubics: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Evaluate cubics ``(k, 8)`` at per-curve parameters ``t (k, s)``: ``(k, s, 2)``."""
    p = cubics.reshape(-1, 1, 4, 2)
    u = (1.0 - t)[..., None]
    v = t[..., None]
    return (
        u * u * u * p[:, :, 0]
        + 3.0 * u * u * v * p[:, :, 1]
        + 3.0 * u * v * v * p[:, :, 2]
        + v * v * v * p[:, :, 3]
    )


def arc_spline(cubics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Approximate cubic Béziers by lines and arcs within ``CURVE_TOLERANCE``.

    Each piece is tried as a chord, then as the arc through its start, middle and end
    points; pieces whose sampled error exceeds the tolerance are cut further, all curves
    in one vectorized round at a time.
    """
    tolerance = CURVE_TOLERANCE * _SAMPLE_MARGIN
    control = cubics.reshape(-1, 4, 2)
    # Starting from pieces about 10 units long saves several rounds.
    polygon = np.linalg.norm(np.diff(control, axis=1), axis=2).sum(axis=1)
    counts = np.clip(np.ceil(polygon / 10.0), 1, 64).astype(np.intp)
    owner, index = expand(np.zeros(len(counts)), counts, np.arange(len(cubics)))
    t0 = index / counts[owner]
    t1 = (index + 1) / counts[owner]
    lines: list[np.ndarray] = []
    arcs: list[np.ndarray] = []
    for depth in range(_MAX_SPLIT_DEPTH + 1):
        t = t0[:, None] + (t1 - t0)[:, None] * _SAMPLES
        points = _cubic_points(cubics[owner], t)
        start, middle, end = points[:, 0], points[:, 4], points[:, -1]
        chord_ok = _chord_error(points, start, end) <= tolerance
        if depth == _MAX_SPLIT_DEPTH:
            chord_ok[:] = True
        center, radius, sweep, arc_error = _fit_arcs(points, start, middle, end)
        arc_ok = ~chord_ok & (arc_error <= tolerance) & (np.abs(sweep) <= _MAX_FIT_SWEEP)
        lines.append(np.concatenate([start, end], axis=1)[chord_ok])
        angle = np.arctan2(start[:, 1] - center[:, 1], start[:, 0] - center[:, 0])
        arcs.append(np.column_stack([center, radius, angle, sweep])[arc_ok])
        split = ~(chord_ok | arc_ok)
        if not split.any():
            break
        # The fit error shrinks with the cube of the piece length: cut each failing piece
        # into as many parts as that predicts, rather than halving again and again.
        ratio = np.cbrt(arc_error[split] / tolerance)
        parts = np.where(np.isfinite(ratio), np.clip(np.ceil(ratio * 1.05), 2, 8), 2)
        parts = parts.astype(np.intp)
        owner, step = expand(np.zeros(len(parts)), parts, owner[split])
        base = np.repeat(t0[split], parts)
        width = np.repeat((t1 - t0)[split] / parts, parts)
        t0, t1 = base + step * width, base + (step + 1) * width
    line_array = np.concatenate(lines)
    # Pieces that collapse to a point add nothing to the drawing.
    line_array = line_array[(line_array[:, :2] != line_array[:, 2:]).any(axis=1)]
    return line_array, np.concatenate(arcs)


def _chord_error(points: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Largest distance from the sampled points to the chord segment start-end."""
    chord = (end - start)[:, None, :]
    offset = points - start[:, None, :]
    length2 = (chord * chord).sum(axis=2)
    safe = np.where(length2 > 0, length2, 1.0)
    t = np.clip((offset * chord).sum(axis=2) / safe, 0.0, 1.0)
    gap = offset - t[..., None] * chord
    return np.sqrt((gap * gap).sum(axis=2)).max(axis=1)


def _fit_arcs(
    points: np.ndarray, start: np.ndarray, middle: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Circle through start, middle, end; its signed sweep and the samples' error.

    The error is the samples' largest distance from the circle, or infinite when the
    circle is degenerate or the samples do not advance steadily from the start to the end
    (a curve doubling back would stray beyond the arc's ends).
    """
    b = middle - start
    c = end - start
    denominator = 2.0 * (b[:, 0] * c[:, 1] - b[:, 1] * c[:, 0])
    valid = np.abs(denominator) > 1e-12
    safe = np.where(valid, denominator, 1.0)
    b2 = (b * b).sum(axis=1)
    c2 = (c * c).sum(axis=1)
    ux = (c[:, 1] * b2 - b[:, 1] * c2) / safe
    uy = (b[:, 0] * c2 - c[:, 0] * b2) / safe
    center = start + np.column_stack([ux, uy])
    radius = np.hypot(ux, uy)
    to_start = start - center
    to_middle = middle - center
    to_end = end - center
    sweep = _turn(to_start, to_middle) + _turn(to_middle, to_end)
    offsets = points - center[:, None, :]
    error = np.abs(np.sqrt((offsets * offsets).sum(axis=2)) - radius[:, None]).max(axis=1)
    cross = to_start[:, None, 0] * offsets[..., 1] - to_start[:, None, 1] * offsets[..., 0]
    dot = to_start[:, None, 0] * offsets[..., 0] + to_start[:, None, 1] * offsets[..., 1]
    progress = np.arctan2(cross, dot) * np.sign(sweep)[:, None]
    steady = (np.diff(progress, axis=1) >= 0).all(axis=1)
    error = np.where(valid & steady, error, np.inf)
    return center, radius, sweep, error


def _turn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angle from vector a to vector b, in (-pi, pi]."""
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = (a * b).sum(axis=1)
    return np.arctan2(cross, dot)


def arc_chords(arcs: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Split arcs into chords whose sagitta is at most ``tolerance``.

    Returns the chord end points ``(k, 4)`` and, per chord, ``(arc index, t0, t1)`` with
    t the fraction of the arc's sweep.
    """
    radius = arcs[:, 2]
    ratio = np.clip(1.0 - tolerance / np.maximum(radius, tolerance), -1.0, 1.0)
    step = np.maximum(2.0 * np.arccos(ratio), 1e-6)
    counts = np.maximum(np.ceil(np.abs(arcs[:, 4]) / step), 1).astype(np.intp)
    owner = np.repeat(np.arange(len(arcs)), counts)
    index = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    t0 = index / counts[owner]
    t1 = (index + 1) / counts[owner]
    cx, cy, r, start, sweep = (arcs[owner, k] for k in range(5))
    a0 = start + t0 * sweep
    a1 = start + t1 * sweep
    edges = np.column_stack(
        [cx + r * np.cos(a0), cy + r * np.sin(a0), cx + r * np.cos(a1), cy + r * np.sin(a1)]
    )
    return edges, np.column_stack([owner, t0, t1])
