"""Canvas path semantics.

``trace_paints`` replays normalized commands with the HTML canvas rules and returns what
each ``stroke()``/``fill()`` paints, as exact segments (lines, quadratic and cubic
Béziers, circular arcs); the SVG renderer writes those directly.

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dreams.sigils.commands import validate_commands

TAU = 2.0 * math.pi

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


def is_degenerate(segment: Segment) -> bool:
    """Zero-length segments draw nothing (canvas prunes them before stroking)."""
    if isinstance(segment, Arc):
        return segment.radius == 0 or segment.sweep == 0
    if isinstance(segment, Line):
        return segment.start == segment.end
    if isinstance(segment, QuadraticCurve):
        return segment.start == segment.control == segment.end
    return segment.start == segment.control1 == segment.control2 == segment.end
