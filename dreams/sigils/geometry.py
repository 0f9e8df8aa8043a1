"""Canvas path semantics, and the flattened geometry the raster renderers measure.

``trace_paints`` replays normalized commands with the HTML canvas rules and returns what
each ``stroke()``/``fill()`` paints, as exact segments (lines, quadratic and cubic
Béziers, circular arcs); the SVG renderer writes those directly.

``build_geometry`` flattens the paints for distance computations:

* Béziers become arc splines (circular arcs and lines) within ``CURVE_TOLERANCE``;
  canvas arcs stay exact arcs. Arcs keep the primitive count small (a few per curve,
  not hundreds of chords), which is what makes exact distance fields fast.
* strokes are the union of every stroked centreline (width ``LINE_WIDTH``, round caps
  and joins, so the painted shape is exactly the set of points within half the width);
* fills keep a polygon (chords within ``POLYGON_TOLERANCE``) for the nonzero winding
  rule, and the parts of their outline that actually border unfilled space: an edge
  with filled area on both sides (overlapping subpaths, an arc's connecting line
  traversed twice) is not part of the filled region's boundary.

Canvas rules followed (HTML spec, "Building paths"): ``moveTo`` starts a subpath;
``lineTo``/curves with no subpath start one (at the point, or at the first control
point for curves); ``arc`` draws a straight line from the current point to the arc's
start or starts a subpath there, sweeps clockwise (increasing angle, y down) unless
``ccw``, covers the full circle when the angle difference in the sweep direction is at
least 2*pi, and otherwise sweeps between the two points on the circle; ``closePath``
draws back to the subpath start and starts a new subpath there; ``beginPath`` forgets
the path. Zero-length segments and one-point subpaths are not stroked.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dreams.sigils.commands import validate_commands

LINE_WIDTH = 2.0
# Maximum distance between a Bézier and its arc spline, in canvas units:
# 0.001 units is 0.005 px at 512 px, far below anything visible or measurable.
CURVE_TOLERANCE = 0.001
# Maximum chord sagitta when arcs become polygon edges for the winding rule: 0.01 px at
# 512 px; it only decides the sign of distances smaller than itself.
POLYGON_TOLERANCE = 0.002
TAU = 2.0 * math.pi
# Largest raster or SVG side accepted, in pixels: a 4096 px field is 64 MB of float32.
MAX_IMAGE_SIZE = 4096

Point = tuple[float, float]
PaintKind = Literal["stroke", "fill"]


@dataclass(frozen=True, slots=True)
class Line:
    start: Point
    end: Point


@dataclass(frozen=True, slots=True)
class QuadraticCurve:
    start: Point
    control: Point
    end: Point


@dataclass(frozen=True, slots=True)
class CubicCurve:
    start: Point
    control1: Point
    control2: Point
    end: Point


@dataclass(frozen=True, slots=True)
class Arc:
    """Circular arc from ``start_angle`` sweeping ``sweep`` radians (negative: ccw)."""

    center: Point
    radius: float
    start_angle: float
    sweep: float

    def point_at(self, angle: float) -> Point:
        return (
            self.center[0] + self.radius * math.cos(angle),
            self.center[1] + self.radius * math.sin(angle),
        )


Segment = Line | QuadraticCurve | CubicCurve | Arc


@dataclass(frozen=True, slots=True)
class Subpath:
    start: Point
    end: Point  # the current point after the last segment
    segments: tuple[Segment, ...]
    closed: bool


@dataclass(frozen=True, slots=True)
class Paint:
    kind: PaintKind
    subpaths: tuple[Subpath, ...]


@dataclass(slots=True)
class _OpenSubpath:
    start: Point
    last: Point
    segments: list[Segment]
    closed: bool = False


class _Path:
    def __init__(self) -> None:
        self.subpaths: list[_OpenSubpath] = []

    def move_to(self, point: Point) -> None:
        self.subpaths.append(_OpenSubpath(point, point, []))

    def ensure_subpath(self, point: Point) -> None:
        if not self.subpaths:
            self.move_to(point)

    def add(self, segment: Segment, end: Point) -> None:
        current = self.subpaths[-1]
        current.segments.append(segment)
        current.last = end

    def line_to(self, point: Point) -> None:
        if not self.subpaths:
            self.move_to(point)
            return
        self.add(Line(self.subpaths[-1].last, point), point)

    def arc(self, x: float, y: float, r: float, a0: float, a1: float, ccw: bool) -> None:
        if ccw:
            full = a0 - a1 >= TAU
            sweep = -TAU if full else -((a0 - a1) % TAU)
        else:
            full = a1 - a0 >= TAU
            sweep = TAU if full else (a1 - a0) % TAU
        arc = Arc((x, y), r, a0, sweep)
        start = arc.point_at(a0)
        end = start if full else arc.point_at(a1)
        if self.subpaths:
            self.line_to(start)
        else:
            self.move_to(start)
        if r > 0 and sweep != 0:
            self.add(arc, end)

    def close(self) -> None:
        if not self.subpaths:
            return
        current = self.subpaths[-1]
        current.closed = True
        self.move_to(current.start)

    def snapshot(self) -> tuple[Subpath, ...]:
        return tuple(
            Subpath(sub.start, sub.last, tuple(sub.segments), sub.closed) for sub in self.subpaths
        )


def check_size(size: int) -> int:
    """Validate an output side length in pixels."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_IMAGE_SIZE:
        raise ValueError(f"size must be a whole number of pixels in [1, {MAX_IMAGE_SIZE}]")
    return size


def trace_paints(commands: Sequence[Sequence[object]]) -> list[Paint]:
    """Replay commands on a canvas path and return every stroke/fill in order."""
    path = _Path()
    paints: list[Paint] = []
    for name, *args in validate_commands(commands):
        if name == "beginPath":
            path = _Path()
        elif name == "moveTo":
            path.move_to((args[0], args[1]))
        elif name == "lineTo":
            path.line_to((args[0], args[1]))
        elif name == "quadraticCurveTo":
            path.ensure_subpath((args[0], args[1]))
            start = path.subpaths[-1].last
            path.add(
                QuadraticCurve(start, (args[0], args[1]), (args[2], args[3])), (args[2], args[3])
            )
        elif name == "bezierCurveTo":
            path.ensure_subpath((args[0], args[1]))
            start = path.subpaths[-1].last
            path.add(
                CubicCurve(start, (args[0], args[1]), (args[2], args[3]), (args[4], args[5])),
                (args[4], args[5]),
            )
        elif name == "arc":
            path.arc(*args)
        elif name == "closePath":
            path.close()
        else:
            paints.append(Paint(name, path.snapshot()))
    return paints


@dataclass(frozen=True)
class Primitives:
    """Lines ``(n, 4)``: x0, y0, x1, y1; arcs ``(m, 5)``: cx, cy, r, start angle, sweep."""

    lines: np.ndarray
    arcs: np.ndarray


@dataclass(frozen=True)
class FillRegion:
    """A filled path: its winding polygon and the outline parts bordering unfilled space."""

    polygon: np.ndarray  # (k, 4) directed edges x0, y0, x1, y1
    boundary: Primitives


@dataclass(frozen=True)
class Geometry:
    strokes: Primitives  # union of all stroked centrelines
    fills: tuple[FillRegion, ...]


def build_geometry(commands: Sequence[Sequence[object]]) -> Geometry:
    paints = trace_paints(commands)
    stroked: dict[Segment, None] = {}
    for paint in paints:
        if paint.kind == "stroke":
            for subpath in paint.subpaths:
                stroked.update(dict.fromkeys(_outline(subpath, close=subpath.closed)))
    fills: dict[tuple[Subpath, ...], None] = {
        paint.subpaths: None for paint in paints if paint.kind == "fill"
    }
    regions = []
    for subpaths in fills:
        outline = [segment for sub in subpaths for segment in _outline(sub, close=True)]
        region = _fill_region(_flatten(outline))
        if region is not None:
            regions.append(region)
    return Geometry(_flatten(stroked), tuple(regions))


def _outline(subpath: Subpath, *, close: bool) -> list[Segment]:
    """The subpath's segments without zero-length ones, plus the closing line if asked."""
    segments = [segment for segment in subpath.segments if not is_degenerate(segment)]
    if close and subpath.end != subpath.start:
        segments.append(Line(subpath.end, subpath.start))
    return segments


def is_degenerate(segment: Segment) -> bool:
    """Zero-length segments draw nothing (canvas prunes them before stroking)."""
    if isinstance(segment, Arc):
        return segment.radius == 0 or segment.sweep == 0
    if isinstance(segment, Line):
        return segment.start == segment.end
    if isinstance(segment, QuadraticCurve):
        return segment.start == segment.control == segment.end
    return segment.start == segment.control1 == segment.control2 == segment.end


def _flatten(segments: Iterable[Segment]) -> Primitives:
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
    owner, index = _expand(np.zeros(len(counts)), counts, np.arange(len(cubics)))
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
        owner, step = _expand(np.zeros(len(parts)), parts, owner[split])
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


class _TooComplexError(Exception):
    """A fill is too intricate to classify its outline within the work budget."""


def winding_numbers(
    points: np.ndarray, edges: np.ndarray, *, max_pairs: int | None = None
) -> np.ndarray:
    """Winding number of each point ``(k, 2)`` around the directed edges ``(m, 4)``.

    Points and edges are bucketed into horizontal bands so each point is only tested
    against the edges that share its band, not against every edge. More than
    ``max_pairs`` point-edge tests raise ``_TooComplexError``.
    """
    count = len(points)
    if count == 0 or len(edges) == 0:
        return np.zeros(count, dtype=np.intp)
    x0, y0, x1, y1 = edges.T
    py = points[:, 1]
    low, high = py.min(), py.max()
    # About 8 bands per sqrt(edges) measured fastest: the flat chords at the top and bottom
    # of circles crowd into few bands otherwise.
    bands = int(np.clip(8 * np.sqrt(len(edges)), 1, 4096))
    height = (high - low) / bands if high > low else 1.0
    edge_low = np.minimum(y0, y1)
    edge_high = np.maximum(y0, y1)
    useful = (edge_high > edge_low) & (edge_high >= low) & (edge_low <= high)
    useful_index = np.nonzero(useful)[0]
    first_band = np.clip(((edge_low[useful] - low) // height).astype(np.intp), 0, bands - 1)
    last_band = np.clip(((edge_high[useful] - low) // height).astype(np.intp), 0, bands - 1)
    edge_of, band_of = _expand(first_band, last_band - first_band + 1, useful_index)
    order = np.argsort(band_of, kind="stable")
    band_edges = edge_of[order]
    band_sizes = np.bincount(band_of, minlength=bands)
    band_start = np.cumsum(band_sizes) - band_sizes
    point_band = np.clip(((py - low) // height).astype(np.intp), 0, bands - 1)
    sizes = band_sizes[point_band]
    if max_pairs is not None and sizes.sum() > max_pairs:
        raise _TooComplexError
    point_of, slot = _expand(band_start[point_band], sizes, np.arange(count))
    edge = band_edges[slot]
    px, qy = points[point_of, 0], points[point_of, 1]
    ex0, ey0, ex1, ey1 = x0[edge], y0[edge], x1[edge], y1[edge]
    side = (ex1 - ex0) * (qy - ey0) - (px - ex0) * (ey1 - ey0)
    up = (ey0 <= qy) & (ey1 > qy) & (side > 0)
    down = (ey1 <= qy) & (ey0 > qy) & (side < 0)
    contribution = up.astype(np.intp) - down.astype(np.intp)
    return np.bincount(point_of, weights=contribution, minlength=count).astype(np.intp)


def _expand(
    starts: np.ndarray, counts: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each item, ``counts`` consecutive values from ``starts``, each tagged by label."""
    label = np.repeat(labels, counts)
    offset = np.arange(len(label)) - np.repeat(np.cumsum(counts) - counts, counts)
    return label, np.repeat(starts, counts) + offset


# Parameter slack when deciding whether a crossing lies inside an edge.
_SPLIT_EPSILON = 1e-9
# How far from an edge the winding number is probed on each side, in canvas units
# (0.026 px at 512 px). Slivers thinner than this, such as the near-coincident connecting
# lines a ring's ``arc`` calls leave, count as having the same winding on both sides.
_PROBE_OFFSET = 0.005
# Work budgets for classifying a fill's outline: polygon edges, edge pairs whose boxes
# overlap, and point-edge winding tests (about 0.1 microseconds each). Only hostile input
# (hundreds of large filled arcs, or hundreds of long self-crossing edges) exceeds them;
# its whole outline is then taken as boundary, which keeps rendering within a second or so.
MAX_CLASSIFIED_EDGES = 50_000
MAX_CANDIDATE_PAIRS = 2_000_000
MAX_WINDING_TESTS = 4_000_000
# Bounding-box candidate pairs are examined in batches of about this many.
_PAIR_BATCH = 500_000


def _fill_region(outline: Primitives) -> FillRegion | None:
    line_edges = outline.lines
    chord_edges, chord_params = arc_chords(outline.arcs, POLYGON_TOLERANCE)
    polygon = np.concatenate([line_edges, chord_edges])
    if len(polygon) == 0:
        return None
    if len(polygon) > MAX_CLASSIFIED_EDGES:
        return FillRegion(polygon, outline)
    # Each edge remembers which primitive it comes from (lines first, then arcs) and which
    # parameter interval of it, so boundary pieces map back to exact lines and arcs.
    owner = np.concatenate(
        [np.arange(len(line_edges)), chord_params[:, 0].astype(np.intp) + len(line_edges)]
    )
    param0 = np.concatenate([np.zeros(len(line_edges)), chord_params[:, 1]])
    param1 = np.concatenate([np.ones(len(line_edges)), chord_params[:, 2]])
    try:
        edge_index, s0, s1 = _split_at_crossings(polygon)
        start = polygon[edge_index, :2]
        direction = polygon[edge_index, 2:] - start
        middle = start + 0.5 * (s0 + s1)[:, None] * direction
        normal = np.column_stack([-direction[:, 1], direction[:, 0]])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        probes = np.concatenate([middle + _PROBE_OFFSET * normal, middle - _PROBE_OFFSET * normal])
        winding = winding_numbers(probes, polygon, max_pairs=MAX_WINDING_TESTS)
    except _TooComplexError:
        return FillRegion(polygon, outline)
    winding = winding.reshape(2, -1)
    on_boundary = (winding[0] == 0) != (winding[1] == 0)
    edge_index, s0, s1 = edge_index[on_boundary], s0[on_boundary], s1[on_boundary]
    span = param1[edge_index] - param0[edge_index]
    intervals = np.column_stack(
        [owner[edge_index], param0[edge_index] + s0 * span, param0[edge_index] + s1 * span]
    )
    return FillRegion(polygon, _pieces(outline, _merge_intervals(intervals)))


def _split_at_crossings(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut edges where other edges cross or touch them.

    Returns sub-edges as (edge index, s0, s1) with s the fraction along the edge, sorted;
    the winding number on each side is constant along every sub-edge.
    """
    count = len(edges)
    cuts_edge: list[np.ndarray] = [np.arange(count), np.arange(count)]
    cuts_at: list[np.ndarray] = [np.zeros(count), np.ones(count)]
    for i, j in _overlapping_pairs(edges):
        for a, b in ((i, j), (j, i)):
            pair, at = _crossings(edges[a], edges[b])
            cuts_edge.append(a[pair])
            cuts_at.append(at)
    edge_index = np.concatenate(cuts_edge)
    position = np.concatenate(cuts_at)
    order = np.lexsort((position, edge_index))
    edge_index, position = edge_index[order], position[order]
    keep = (edge_index[1:] == edge_index[:-1]) & (position[1:] - position[:-1] > _SPLIT_EPSILON)
    return edge_index[:-1][keep], position[:-1][keep], position[1:][keep]


def _overlapping_pairs(edges: np.ndarray) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Batches of index pairs (i, j), i != j, whose bounding boxes overlap; a sweep along x
    (edges sorted by left end) keeps candidates near-linear in the number of edges for
    ordinary outlines. More than ``MAX_CANDIDATE_PAIRS`` raise ``_TooComplexError``."""
    low = np.minimum(edges[:, :2], edges[:, 2:])
    high = np.maximum(edges[:, :2], edges[:, 2:])
    order = np.argsort(low[:, 0], kind="stable")
    left = low[order, 0]
    reach = np.searchsorted(left, high[order, 0], side="right")
    position = np.arange(len(edges))
    counts = np.maximum(reach - position - 1, 0)
    batch_end = np.cumsum(counts)
    if batch_end[-1] > MAX_CANDIDATE_PAIRS:
        raise _TooComplexError
    first = 0
    while first < len(edges):
        last = int(np.searchsorted(batch_end, batch_end[first] - counts[first] + _PAIR_BATCH))
        last = max(last, first + 1)
        mine = slice(first, last)
        i, j = _expand(position[mine] + 1, counts[mine], position[mine])
        a, b = order[i], order[j]
        overlap = (low[a, 1] <= high[b, 1]) & (low[b, 1] <= high[a, 1])
        yield a[overlap], b[overlap]
        first = last


def _crossings(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each edge b meets the interior of edge a: (pair index, fraction along a).

    Covers proper crossings, b's end points touching a, and collinear overlaps (b's end
    points projected onto a).
    """
    p = a[:, :2]
    r = a[:, 2:] - p
    q = b[:, :2]
    w = b[:, 2:] - q
    qp = q - p
    denominator = r[:, 0] * w[:, 1] - r[:, 1] * w[:, 0]
    length2 = (r * r).sum(axis=1)
    scale = np.sqrt(length2 * (w * w).sum(axis=1))
    parallel = np.abs(denominator) <= 1e-12 * scale
    safe = np.where(parallel, 1.0, denominator)
    s = (qp[:, 0] * w[:, 1] - qp[:, 1] * w[:, 0]) / safe
    u = (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / safe
    eps = _SPLIT_EPSILON
    crossing = ~parallel & (s > eps) & (s < 1 - eps) & (u >= -eps) & (u <= 1 + eps)
    pairs = [np.nonzero(crossing)[0]]
    positions = [s[crossing]]
    # Collinear: b lies on a's line when q is (nearly) on it.
    off_line = np.abs(qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / np.sqrt(length2)
    collinear = parallel & (off_line <= eps)
    for point in (q, b[:, 2:]):
        t = ((point - p) * r).sum(axis=1) / length2
        inside = collinear & (t > eps) & (t < 1 - eps)
        pairs.append(np.nonzero(inside)[0])
        positions.append(t[inside])
    return np.concatenate(pairs), np.concatenate(positions)


def _merge_intervals(intervals: np.ndarray) -> np.ndarray:
    """Join touching (primitive, t0, t1) intervals of the same primitive."""
    if len(intervals) == 0:
        return intervals
    order = np.lexsort((intervals[:, 1], intervals[:, 0]))
    intervals = intervals[order]
    owner, t0, t1 = intervals.T
    starts = np.ones(len(intervals), dtype=bool)
    starts[1:] = (owner[1:] != owner[:-1]) | (t0[1:] - t1[:-1] > _SPLIT_EPSILON)
    ends = np.ones(len(intervals), dtype=bool)
    ends[:-1] = starts[1:]
    return np.column_stack([owner[starts], t0[starts], t1[ends]])


def _pieces(outline: Primitives, intervals: np.ndarray) -> Primitives:
    """Cut primitives down to the given (primitive, t0, t1) intervals."""
    line_count = len(outline.lines)
    owner = intervals[:, 0].astype(np.intp)
    is_line = owner < line_count
    lines = outline.lines[owner[is_line]]
    t0 = intervals[is_line, 1:2]
    t1 = intervals[is_line, 2:3]
    direction = lines[:, 2:] - lines[:, :2]
    line_pieces = np.concatenate(
        [lines[:, :2] + t0 * direction, lines[:, :2] + t1 * direction], axis=1
    )
    arcs = outline.arcs[owner[~is_line] - line_count].copy()
    t0 = intervals[~is_line, 1]
    t1 = intervals[~is_line, 2]
    arcs[:, 3] += t0 * arcs[:, 4]
    arcs[:, 4] *= t1 - t0
    return Primitives(line_pieces, arcs)
