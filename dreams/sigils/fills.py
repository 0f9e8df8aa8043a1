"""Fill regions: a filled path's polygon (chords within ``POLYGON_TOLERANCE``) for the
nonzero winding rule, and the parts of its outline that actually border unfilled space: an
edge with filled area on both sides (overlapping subpaths, an arc's connecting line
traversed twice) is not part of the filled region's boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from dreams.sigils.arrays import expand
from dreams.sigils.curves import Primitives, arc_chords

# Maximum chord sagitta when arcs become polygon edges for the winding rule: 0.01 px at
# 512 px; it only decides the sign of distances smaller than itself.
POLYGON_TOLERANCE = 0.002


@dataclass(frozen=True)
class FillRegion:
    """A filled path: its winding polygon and the outline parts bordering unfilled space."""

    polygon: np.ndarray  # (k, 4) directed edges x0, y0, x1, y1
    boundary: Primitives


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
    edge_of, band_of = expand(first_band, last_band - first_band + 1, useful_index)
    order = np.argsort(band_of, kind="stable")
    band_edges = edge_of[order]
    band_sizes = np.bincount(band_of, minlength=bands)
    band_start = np.cumsum(band_sizes) - band_sizes
    point_band = np.clip(((py - low) // height).astype(np.intp), 0, bands - 1)
    sizes = band_sizes[point_band]
    if max_pairs is not None and sizes.sum() > max_pairs:
        raise _TooComplexError
    point_of, slot = expand(band_start[point_band], sizes, np.arange(count))
    edge = band_edges[slot]
    px, qy = points[point_of, 0], points[point_of, 1]
    ex0, ey0, ex1, ey1 = x0[edge], y0[edge], x1[edge], y1[edge]
    side = (ex1 - ex0) * (qy - ey0) - (px - ex0) * (ey1 - ey0)
    up = (ey0 <= qy) & (ey1 > qy) & (side > 0)
    down = (ey1 <= qy) & (ey0 > qy) & (side < 0)
    contribution = up.astype(np.intp) - down.astype(np.intp)
    return np.bincount(point_of, weights=contribution, minlength=count).astype(np.intp)


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


def fill_region(outline: Primitives) -> FillRegion | None:
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
        i, j = expand(position[mine] + 1, counts[mine], position[mine])
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
