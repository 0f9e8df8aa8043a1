"""Render a sigil as a standalone SVG document.

One ``<path>`` per ``stroke()`` or ``fill()``, with the segments of the canvas path at
that moment (see ``paths.trace_paints``): lines, quadratic and cubic Béziers, and
arcs as exact SVG ``A`` commands, never polylines. Only formatted numbers are written
into the document, so it is always well-formed and carries no content from the source.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dreams.sigils.geometry import LINE_WIDTH, check_size
from dreams.sigils.paths import (
    Arc,
    CubicCurve,
    Line,
    Paint,
    Point,
    QuadraticCurve,
    Subpath,
    is_degenerate,
    trace_paints,
)

__all__ = ["render_svg"]

COLOR = "#fff"
# 1e-4 canvas units is 0.0005 px at 512 px.
_PLACES = 4


def _number(value: float) -> str:
    text = f"{value:.{_PLACES}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _point(point: Point) -> str:
    return f"{_number(point[0])} {_number(point[1])}"


def _arc_commands(arc: Arc) -> list[str]:
    """SVG arcs for a canvas arc: halves for sweeps over pi, as one SVG arc cannot be a
    full circle and is ambiguous when its end points (nearly) coincide."""
    pieces = 2 if abs(arc.sweep) > math.pi else 1
    step = arc.sweep / pieces
    radius = _number(arc.radius)
    # SVG's sweep-flag 1 is the positive-angle direction, canvas's clockwise (y down).
    sweep_flag = 1 if arc.sweep > 0 else 0
    return [
        f"A{radius} {radius} 0 0 {sweep_flag} "
        f"{_point(arc.point_at(arc.start_angle + step * (k + 1)))}"
        for k in range(pieces)
    ]


def _subpath_data(subpath: Subpath) -> str:
    parts = [f"M{_point(subpath.start)}"]
    for segment in subpath.segments:
        if isinstance(segment, Line):
            parts.append(f"L{_point(segment.end)}")
        elif isinstance(segment, QuadraticCurve):
            parts.append(f"Q{_point(segment.control)} {_point(segment.end)}")
        elif isinstance(segment, CubicCurve):
            parts.append(
                f"C{_point(segment.control1)} {_point(segment.control2)} {_point(segment.end)}"
            )
        else:
            parts.extend(_arc_commands(segment))
    if subpath.closed:
        parts.append("Z")
    return "".join(parts)


def _paint_element(paint: Paint) -> str | None:
    # Canvas ignores subpaths without a segment of positive length; SVG would draw
    # round-capped dots for them.
    data = "".join(
        _subpath_data(sub)
        for sub in paint.subpaths
        if not all(is_degenerate(segment) for segment in sub.segments)
    )
    if not data:
        return None
    if paint.kind == "fill":
        return f'<path d="{data}" fill="{COLOR}" fill-rule="nonzero"/>'
    return (
        f'<path d="{data}" fill="none" stroke="{COLOR}" stroke-width="{_number(LINE_WIDTH)}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def render_svg(commands: Sequence[Sequence[object]], *, size: int = 512) -> str:
    """A standalone SVG (viewBox 0 0 100 100, ``size`` px square, transparent)."""
    elements = [element for paint in trace_paints(commands) if (element := _paint_element(paint))]
    body = "".join(f"\n  {element}" for element in elements)
    side = check_size(size)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 100 100">{body}\n</svg>\n'
    )
