"""Signed distance fields of sigils, and the exact distance machinery the PNG renderer shares.

Definition. For an output of ``size`` pixels the canvas (100 x 100 units) is scaled by
``size / 100`` and every pixel is sampled at its centre. ``d`` is the signed Euclidean
distance, in output pixels, from the pixel centre to the painted shape, positive outside:

* strokes: ``d = (distance to the nearest stroked centreline) - LINE_WIDTH / 2`` (in
  pixels); round caps and joins make this exact for the stroked shape;
* fills: the signed distance to the filled region's boundary (nonzero winding rule),
  negative inside;
* the union of everything painted: the minimum over all strokes and fills.

The stored value is ``clip(round(128 - 128 * d / spread_px), 0, 255)``: 128 on the edge,
brighter inside, 0 at ``spread`` or farther outside, where ``spread`` is given in canvas
units (``SDF_SPREAD``) so fields of different sizes agree: ``spread_px = spread * size / 100``.

Distances are exact Euclidean distances to the flattened geometry: lines and circular
arcs, Béziers being arc splines within ``curves.CURVE_TOLERANCE`` (0.005 px at 512 px).
Each primitive is cut into short pieces, and each piece is measured in closed form over
the window of pixels its band can reach; pixels farther than the band from everything
keep the band value, which every encoding clamps anyway. Pieces are processed in blocks
of equally sized windows: few, large numpy operations rather than many small ones.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from dreams.sigils.curves import Primitives
from dreams.sigils.geometry import LINE_WIDTH, Geometry, build_geometry, check_size

__all__ = ["SDF_SPREAD", "encode_png", "render_sdf", "sdf_array", "signed_distance"]

SDF_SPREAD = 4.0
CANVAS_SIZE = 100.0
# Pieces are cut to about this many band widths: longer pieces mean fewer of them, but
# looser windows (a diagonal piece's bounding box is mostly empty). Measured at 512 px.
_PIECE_PER_BAND = 2.5
MIN_PIECE_PX = 32.0
MAX_PIECE_PX = 64.0
# Arc pieces stay within a quarter turn so the sector test and the sagitta bound hold.
_MAX_PIECE_SWEEP = math.pi / 2
# Elements per block of windows: large enough to amortize numpy's per-call cost, small
# enough for the temporaries to stay in cache (measured fastest at 512 px). The work is
# bound by memory traffic: threads measured no faster on two cores.
_BLOCK_ELEMENTS = 1 << 16
PNG_COMPRESS_LEVEL = 1


@dataclass(frozen=True)
class _Pieces:
    params: np.ndarray  # (n, k) float64, in pixels: lines x0, y0, x1, y1; arcs cx, cy, r, a, sweep
    bounds: np.ndarray  # (n, 4) int64 pixel windows: i0, i1, j0, j1 (ends exclusive)


@dataclass(frozen=True)
class _Block:
    pieces: _Pieces
    indices: np.ndarray
    height: int
    width: int


def signed_distance(geometry: Geometry, size: int, band: float) -> np.ndarray:
    """Signed distance in pixels (float32, ``(size, size)``), exact wherever ``|d| < band``;
    elsewhere it has the right sign and ``|d| >= band``."""
    scale = size / CANVAS_SIZE
    half_width = LINE_WIDTH / 2 * scale
    signed = _distance(geometry.strokes, scale, half_width + band, (0, 0, size, size))
    signed -= np.float32(half_width)
    for fill in geometry.fills:
        polygon = fill.polygon * scale
        # Beyond the band around the polygon's box a fill is outside by at least the band,
        # which cannot lower the result: only that region is computed.
        low = np.floor(polygon.reshape(-1, 2).min(axis=0) - band).astype(int)
        high = np.ceil(polygon.reshape(-1, 2).max(axis=0) + band).astype(int)
        left, top = np.clip(low, 0, size).tolist()
        right, bottom = np.clip(high, 0, size).tolist()
        if left >= right or top >= bottom:
            continue
        region = (left, top, right, bottom)
        boundary = _distance(fill.boundary, scale, band, region)
        inside = _nonzero_mask(polygon, region)
        np.negative(boundary, out=boundary, where=inside)
        window = signed[top:bottom, left:right]
        np.minimum(window, boundary, out=window)
    return signed


Region = tuple[int, int, int, int]  # left, top, right, bottom pixel indices (ends exclusive)


def _distance(primitives: Primitives, scale: float, band: float, region: Region) -> np.ndarray:
    """Distance from each pixel centre of the region to the primitives where below
    ``band``, else ``band``, as float32 ``(bottom - top, right - left)``."""
    left, top, right, bottom = region
    out = np.full((bottom - top, right - left), band, dtype=np.float32)
    piece = float(np.clip(_PIECE_PER_BAND * band, MIN_PIECE_PX, MAX_PIECE_PX))
    # Work in the region's own pixel coordinates.
    shift = np.array([left, top, left, top], dtype=np.float64)
    lines = _line_pieces(primitives.lines * scale - shift, band, out.shape, piece)
    arcs = primitives.arcs * np.array([scale, scale, scale, 1.0, 1.0])
    arcs[:, :2] -= shift[:2]
    for block in _blocks(lines, out.shape):
        _line_block(block, out)
    for block in _blocks(_arc_pieces(arcs, band, out.shape, piece), out.shape):
        _arc_block(block, out)
    return out


def _blocks(pieces: _Pieces, shape: tuple[int, int]) -> list[_Block]:
    """Group pieces into blocks sharing one window shape (the largest in the block), so a
    few large numpy operations replace many small ones.

    Pieces are sorted by window height, then width, which keeps padding moderate; capping
    the padding as well measured slower, as it makes more, smaller blocks.
    """
    bounds = pieces.bounds
    heights = (bounds[:, 3] - bounds[:, 2]).tolist()
    widths = (bounds[:, 1] - bounds[:, 0]).tolist()
    order = np.lexsort((widths, heights)).tolist()
    blocks: list[_Block] = []
    members: list[int] = []
    height = width = 0
    for index in order:
        grown_height = max(height, heights[index])
        grown_width = max(width, widths[index])
        if members and (len(members) + 1) * grown_height * grown_width > _BLOCK_ELEMENTS:
            blocks.append(_Block(pieces, np.array(members), height, width))
            members, grown_height, grown_width = [], heights[index], widths[index]
        members.append(index)
        height, width = grown_height, grown_width
    if members:
        blocks.append(_Block(pieces, np.array(members), height, width))
    return blocks


def _block_grid(
    block: _Block, x: np.ndarray, y: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    """Pixel-centre offsets from (x, y) per piece, ``(k, 1, w)`` and ``(k, h, 1)``, over
    windows padded to the block's shape (moved inwards at the border)."""
    bounds = block.pieces.bounds[block.indices]
    left = np.minimum(bounds[:, 0], shape[1] - block.width)
    top = np.minimum(bounds[:, 2], shape[0] - block.height)
    dx = left[:, None] + (np.arange(block.width) + 0.5) - x[:, None]
    dy = top[:, None] + (np.arange(block.height) + 0.5) - y[:, None]
    return (
        dx.astype(np.float32)[:, None, :],
        dy.astype(np.float32)[:, :, None],
        left.tolist(),
        top.tolist(),
    )


def _column(values: np.ndarray) -> np.ndarray:
    """Per-piece scalars shaped to broadcast against ``(k, h, w)`` blocks."""
    return values.astype(np.float32)[:, None, None]


def _merge(out: np.ndarray, values: np.ndarray, left: list[int], top: list[int]) -> None:
    height, width = values.shape[1:]
    for k, (i, j) in enumerate(zip(left, top, strict=True)):
        window = out[j : j + height, i : i + width]
        np.minimum(window, values[k], out=window)


def _line_block(block: _Block, out: np.ndarray) -> None:
    x0, y0, x1, y1 = block.pieces.params[block.indices].T
    dx, dy, left, top = _block_grid(block, x0, y0, out.shape)
    ex, ey = x1 - x0, y1 - y0
    length2 = ex * ex + ey * ey
    # Projection parameter of each pixel onto the segment, clamped to its ends.
    t = dy * _column(ey / length2) + dx * _column(ex / length2)
    np.clip(t, 0.0, 1.0, out=t)
    gap_x = t * _column(-ex)
    gap_x += dx
    gap_y = t * _column(-ey)
    gap_y += dy
    gap_x *= gap_x
    gap_y *= gap_y
    gap_x += gap_y
    np.sqrt(gap_x, out=gap_x)
    _merge(out, gap_x, left, top)


def _arc_block(block: _Block, out: np.ndarray) -> None:
    cx, cy, r, start, sweep = block.pieces.params[block.indices].T
    vx, vy, left, top = _block_grid(block, cx, cy, out.shape)
    # Inside the arc's sector the nearest point is radial; outside, an end point.
    radial = vx * vx + vy * vy
    np.sqrt(radial, out=radial)
    radial -= _column(r)
    np.abs(radial, out=radial)
    sx, sy = np.cos(start), np.sin(start)
    ex, ey = np.cos(start + sweep), np.sin(start + sweep)
    in_sector = vy * _column(sx) >= vx * _column(sy)
    in_sector &= vy * _column(ex) <= vx * _column(ey)
    to_start = (vx - _column(r * sx)) ** 2 + (vy - _column(r * sy)) ** 2
    to_end = (vx - _column(r * ex)) ** 2 + (vy - _column(r * ey)) ** 2
    np.minimum(to_start, to_end, out=to_start)
    np.sqrt(to_start, out=to_start)
    np.copyto(to_start, radial, where=in_sector)
    _merge(out, to_start, left, top)


def _windows(
    low: np.ndarray, high: np.ndarray, band: float, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel index ranges ``(n, 4)`` (i0, i1, j0, j1) whose centres lie within ``band`` of
    each box ``low``-``high`` (``(n, 2)`` corners), and which of them are non-empty."""
    first = np.maximum(np.ceil(low - band - 0.5), 0).astype(np.int64)
    last = np.minimum(np.floor(high + band - 0.5) + 1, [shape[1], shape[0]]).astype(np.int64)
    bounds = np.column_stack([first[:, 0], last[:, 0], first[:, 1], last[:, 1]])
    visible = (first < last).all(axis=1)
    return bounds, visible


def _split(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner index and piece index within the owner, for ``counts`` pieces per item."""
    owner = np.repeat(np.arange(len(counts)), counts)
    index = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, index


def _line_pieces(lines: np.ndarray, band: float, shape: tuple[int, int], piece: float) -> _Pieces:
    """Line pieces at most ``piece`` px long with their windows; visible ones only."""
    length = np.hypot(lines[:, 2] - lines[:, 0], lines[:, 3] - lines[:, 1])
    lines = lines[length > 0]
    counts = np.ceil(length[length > 0] / piece).astype(np.intp)
    owner, index = _split(counts)
    t0 = (index / counts[owner])[:, None]
    t1 = ((index + 1) / counts[owner])[:, None]
    start, end = lines[owner, :2], lines[owner, 2:]
    p0 = start + t0 * (end - start)
    p1 = np.where(t1 == 1.0, end, start + t1 * (end - start))
    bounds, visible = _windows(np.minimum(p0, p1), np.maximum(p0, p1), band, shape)
    return _Pieces(np.concatenate([p0, p1], axis=1)[visible], bounds[visible])


def _arc_pieces(arcs: np.ndarray, band: float, shape: tuple[int, int], piece: float) -> _Pieces:
    """Arc pieces sweeping forwards, at most a quarter turn and ``piece`` px long, with
    their windows; visible ones only."""
    radius = arcs[:, 2]
    sweep = np.abs(arcs[:, 4])
    counts = np.ceil(np.maximum(sweep / _MAX_PIECE_SWEEP, radius * sweep / piece))
    owner, index = _split(np.maximum(counts, 1).astype(np.intp))
    piece_sweep = sweep[owner] / np.maximum(counts, 1)[owner]
    # Negative sweeps are walked from their far end so every piece sweeps forwards.
    first = np.where(arcs[owner, 4] < 0, arcs[owner, 3] + arcs[owner, 4], arcs[owner, 3])
    start = first + index * piece_sweep
    cx, cy, r = arcs[owner, 0], arcs[owner, 1], radius[owner]
    ends = np.stack([start, start + piece_sweep])
    xs = cx + r * np.cos(ends)
    ys = cy + r * np.sin(ends)
    # The arc stays within its sagitta of the chord, so the chord's box grown by the
    # sagitta contains it.
    sagitta = (r * (1.0 - np.cos(piece_sweep / 2)))[:, None]
    low = np.column_stack([xs.min(axis=0), ys.min(axis=0)]) - sagitta
    high = np.column_stack([xs.max(axis=0), ys.max(axis=0)]) + sagitta
    bounds, visible = _windows(low, high, band, shape)
    params = np.column_stack([cx, cy, r, start, piece_sweep])
    return _Pieces(params[visible], bounds[visible])


def _nonzero_mask(polygon: np.ndarray, region: Region) -> np.ndarray:
    """Which pixel centres of the region have a nonzero winding number around the
    polygon (pixel units), by scanlines: each edge adds its direction to the pixels right
    of where it crosses a row, and a running sum along the row gives the winding."""
    left, top, right, bottom = region
    width = right - left
    x0, y0, x1, y1 = (polygon - np.array([left, top, left, top], dtype=np.float64)).T
    height = bottom - top
    # An edge crosses the rows whose centre y satisfies min(y0, y1) <= y < max(y0, y1).
    first_row = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, height).astype(np.intp)
    last_row = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, height).astype(np.intp)
    edge, offset = _split(np.maximum(last_row - first_row, 0))
    row = first_row[edge] + offset
    slope = (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])
    crossing_x = x0[edge] + (row + 0.5 - y0[edge]) * slope
    column = np.clip(np.ceil(crossing_x - 0.5), 0, width).astype(np.intp)
    direction = np.where(y1[edge] > y0[edge], 1, -1)
    steps = np.bincount(
        row * (width + 1) + column, weights=direction, minlength=height * (width + 1)
    )
    # Winding numbers are small integers: int16 sums are exact and quicker than floats.
    winding = np.cumsum(steps.astype(np.int16).reshape(height, width + 1)[:, :width], axis=1)
    return winding != 0


def sdf_array(
    commands: Sequence[Sequence[object]], *, size: int = 256, spread: float = SDF_SPREAD
) -> np.ndarray:
    """The sigil's signed distance field as ``uint8 (size, size)`` (see module docstring)."""
    if not (math.isfinite(spread) and spread > 0):
        raise ValueError("spread must be a positive number of canvas units")
    spread_px = spread * check_size(size) / CANVAS_SIZE
    value = signed_distance(build_geometry(commands), size, spread_px)
    value *= np.float32(-128.0 / spread_px)
    value += np.float32(128.0)
    np.rint(value, out=value)
    np.clip(value, 0, 255, out=value)
    return value.astype(np.uint8)


def render_sdf(
    commands: Sequence[Sequence[object]], *, size: int = 256, spread: float = SDF_SPREAD
) -> bytes:
    """The signed distance field as an 8-bit grayscale PNG."""
    return encode_png(sdf_array(commands, size=size, spread=spread))


def encode_png(pixels: np.ndarray, mode: str = "L") -> bytes:
    """PNG bytes for 8-bit pixels: grayscale ``(h, w)`` or grayscale+alpha ``(h, w, 2)``."""
    buffer = io.BytesIO()
    # The images are smooth or mostly empty: the fastest zlib level loses little size.
    Image.fromarray(pixels, mode).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
