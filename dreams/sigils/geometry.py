"""The flattened geometry the raster renderers measure.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dreams.sigils.curves import Primitives, flatten
from dreams.sigils.fills import FillRegion, fill_region
from dreams.sigils.paths import Line, Segment, Subpath, is_degenerate, trace_paints

LINE_WIDTH = 2.0
# Largest raster or SVG side accepted, in pixels: a 4096 px field is 64 MB of float32.
MAX_IMAGE_SIZE = 4096


def check_size(size: int) -> int:
    """Validate an output side length in pixels."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_IMAGE_SIZE:
        raise ValueError(f"size must be a whole number of pixels in [1, {MAX_IMAGE_SIZE}]")
    return size


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
        region = fill_region(flatten(outline))
        if region is not None:
            regions.append(region)
    return Geometry(flatten(stroked), tuple(regions))


def _outline(subpath: Subpath, *, close: bool) -> list[Segment]:
    """The subpath's segments without zero-length ones, plus the closing line if asked."""
    segments = [segment for segment in subpath.segments if not is_degenerate(segment)]
    if close and subpath.end != subpath.start:
        segments.append(Line(subpath.end, subpath.start))
    return segments
