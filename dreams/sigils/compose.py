"""Composing several sigils into one drawing, as a dream gathers the moments it rests on.

The drawing has to read as one figure down to a 40 px chip, where a canvas unit is 0.4 px:
a seal. The first member takes the centre, large; the others become medallions set into
a ring around it, the ring drawn as arcs from one medallion to the next, so that ring and
medallions are one outline. Each member keeps only its longest strokes (a handful in the
centre, two in a medallion): the rest would be specks at that size. Medallions are turned
so that their top faces outward. A single member fills a plain circle.

Every member is scaled uniformly (arc radii with it) to fit its own disc, so the whole
composition stays on the 100x100 canvas, within ``MAX_COMMANDS`` and within the parser's
source size: whatever ``compose_sigils`` returns, ``commands_to_code`` writes code that
parses back to it.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from dreams.sigils.commands import MAX_COMMANDS, commands_to_code, validate_commands
from dreams.sigils.parse import MAX_SOURCE_BYTES
from dreams.sigils.paths import Arc, CubicCurve, Line, QuadraticCurve, Segment, trace_paints

CENTRE = 50.0
TAU = 2.0 * math.pi
FRAME_RADIUS = 48.0
# One centre and twelve around it: beyond that the medallions get too small to read.
MAX_MEMBERS = 13
# A member smaller than this (in canvas units from the centre) is not blown up further.
MIN_EXTENT = 5.0
# The ring the medallions sit on, the largest a medallion may be, and the disc of the
# member in the centre (clear of the medallions).
RING_RADIUS = 38.0
MEDALLION_RADIUS = 9.0
CENTRE_RADIUS = 25.0
# The strokes a member keeps: at 40 px the centre is 20 px across, a medallion 7.
CENTRE_STROKES = 6
MEDALLION_STROKES = 2
# The ring stops this far (in canvas units) short of each medallion's disc.
_RING_GAP = 1.5

_PAINTS = frozenset({"stroke", "fill"})
_STROKE = ["stroke"]
# An arc's end angle this far past a full turn still reads as a full turn after the
# angles are rounded to the contract's four decimals.
_FULL_TURN = TAU + 1e-3


@dataclass(frozen=True)
class _Slot:
    """Where one member goes: the disc it is fitted into, how far it is turned, and how
    many of its strokes it keeps."""

    x: float
    y: float
    radius: float
    turn: float
    strokes: int


def compose_sigils(members: Sequence[list[list]], *, seed: str) -> list[list]:
    """Compose member command lists, most important first, into one command list.

    Members that paint nothing are left out and only the first ``MAX_MEMBERS`` are used;
    ``seed`` turns the ring, so the same members and seed always give the same drawing.
    Returns an empty list when no member paints anything.
    """
    drawings = [
        commands
        for commands in map(validate_commands, members)
        if any(command[0] in _PAINTS for command in commands)
    ][:MAX_MEMBERS]
    if not drawings:
        return []
    slots = _slots(len(drawings), seed)
    frame = _frame(slots)
    max_commands = (MAX_COMMANDS - len(frame)) // len(drawings)
    max_bytes = (MAX_SOURCE_BYTES - len(commands_to_code(frame))) // len(drawings)
    composed = list(frame)
    for drawing, slot in zip(drawings, slots, strict=True):
        placed = _place(_longest_strokes(drawing, slot.strokes), slot)
        composed.extend(_fit(placed, max_commands, max_bytes))
    return validate_commands(composed)


def _slots(count: int, seed: str) -> list[_Slot]:
    if count == 1:
        return [_Slot(CENTRE, CENTRE, FRAME_RADIUS - 4.0, 0.0, CENTRE_STROKES)]
    around = count - 1
    # Neighbouring medallions must leave room between them for a piece of the ring.
    radius = MEDALLION_RADIUS
    if around > 1:
        radius = min(radius, RING_RADIUS * math.sin(math.pi / around) - _RING_GAP - 1.0)
    step = TAU / around
    offset = zlib.crc32(seed.encode("utf-8")) / 2**32 * step
    ring = []
    for index in range(around):
        # Start at the top (canvas y points down); turning by angle + pi/2 points the
        # member's top, which faces -y, away from the centre.
        angle = offset + index * step - math.pi / 2
        ring.append(
            _Slot(
                CENTRE + RING_RADIUS * math.cos(angle),
                CENTRE + RING_RADIUS * math.sin(angle),
                radius,
                angle + math.pi / 2,
                MEDALLION_STROKES,
            )
        )
    return [_Slot(CENTRE, CENTRE, CENTRE_RADIUS, 0.0, CENTRE_STROKES), *ring]


def _frame(slots: list[_Slot]) -> list[list]:
    """A plain circle around a lone member; else the ring, as arcs from one medallion's
    disc to the next."""
    if len(slots) == 1:
        return [["beginPath"], ["arc", CENTRE, CENTRE, FRAME_RADIUS, 0.0, TAU, False], _STROKE]
    medallions = slots[1:]
    gap = math.asin((medallions[0].radius + _RING_GAP) / RING_RADIUS)
    # Medallions are evenly spaced: each arc spans the step between two, less the gaps.
    span = TAU / len(medallions) - 2 * gap
    frame: list[list] = [["beginPath"]]
    for slot in medallions:
        start = (math.atan2(slot.y - CENTRE, slot.x - CENTRE) + gap) % TAU
        x, y = CENTRE + RING_RADIUS * math.cos(start), CENTRE + RING_RADIUS * math.sin(start)
        frame += [
            ["moveTo", x, y],
            ["arc", CENTRE, CENTRE, RING_RADIUS, start, start + span, False],
        ]
    frame.append(_STROKE)
    return frame


def _length(segment: Segment) -> float:
    """A segment's length; a curve's about (the mean of its chord and control polygon)."""
    if isinstance(segment, Line):
        return math.dist(segment.start, segment.end)
    if isinstance(segment, Arc):
        return segment.radius * abs(segment.sweep)
    points = (
        [segment.start, segment.control, segment.end]
        if isinstance(segment, QuadraticCurve)
        else [segment.start, segment.control1, segment.control2, segment.end]
    )
    polygon = sum(math.dist(a, b) for a, b in itertools.pairwise(points))
    return (math.dist(points[0], points[-1]) + polygon) / 2


def _segment_command(segment: Segment) -> list:
    if isinstance(segment, Line):
        return ["lineTo", *segment.end]
    if isinstance(segment, QuadraticCurve):
        return ["quadraticCurveTo", *segment.control, *segment.end]
    if isinstance(segment, CubicCurve):
        return ["bezierCurveTo", *segment.control1, *segment.control2, *segment.end]
    start = segment.start_angle % TAU
    sweep = segment.sweep
    if abs(sweep) >= TAU:
        sweep = math.copysign(_FULL_TURN, sweep)
    return ["arc", *segment.center, segment.radius, start, start + sweep, sweep < 0]


def _longest_strokes(commands: list[list], keep: int) -> list[list]:
    """The drawing with only its ``keep`` longest strokes (subpaths that paint), in their
    own order; the drawing itself when it has no more."""
    marks = [
        (paint.kind, subpath)
        for paint in trace_paints(commands)
        for subpath in paint.subpaths
        if subpath.segments
    ]
    if len(marks) <= keep:
        return commands
    lengths = [sum(map(_length, subpath.segments)) for _, subpath in marks]
    longest = sorted(range(len(marks)), key=lambda index: -lengths[index])[:keep]
    kept: list[list] = []
    for index in sorted(longest):
        kind, subpath = marks[index]
        kept += [["beginPath"], ["moveTo", *subpath.start]]
        kept += [_segment_command(segment) for segment in subpath.segments]
        kept += [["closePath"]] if subpath.closed else []
        kept.append([kind])
    return validate_commands(kept)


def _extent(commands: list[list]) -> float:
    """How far from the canvas centre the drawing reaches, control points included.

    Curves stay inside the hull of their control points and arcs inside their circle, so
    a disc of this radius holds everything the drawing paints.
    """
    reach = MIN_EXTENT
    for name, *args in commands:
        if name == "arc":
            x, y, radius = args[:3]
            reach = max(reach, math.hypot(x - CENTRE, y - CENTRE) + radius)
        else:
            for x, y in zip(args[::2], args[1::2], strict=True):
                reach = max(reach, math.hypot(x - CENTRE, y - CENTRE))
    return reach


def _place(commands: list[list], slot: _Slot) -> list[list]:
    """The drawing scaled and turned into the slot, as a path of its own."""
    scale = slot.radius / _extent(commands)
    cos, sin = math.cos(slot.turn), math.sin(slot.turn)

    def point(x: float, y: float) -> tuple[float, float]:
        dx, dy = (x - CENTRE) * scale, (y - CENTRE) * scale
        return slot.x + dx * cos - dy * sin, slot.y + dx * sin + dy * cos

    # Without its own beginPath a member would extend, and repaint, the previous one's path.
    placed: list[list] = [] if commands[0][0] == "beginPath" else [["beginPath"]]
    for name, *args in commands:
        if name == "arc":
            x, y, radius, start, end, ccw = args
            start, end = _turned_angles(start, end, ccw, slot.turn)
            placed.append([name, *point(x, y), radius * scale, start, end, ccw])
        else:
            coordinates = [
                value for pair in zip(args[::2], args[1::2], strict=True) for value in point(*pair)
            ]
            placed.append([name, *coordinates])
    # A path left unpainted at the end shows nothing; dropping it saves the budget.
    last_paint = max(index for index, command in enumerate(placed) if command[0] in _PAINTS)
    return placed[: last_paint + 1]


def _turned_angles(start: float, end: float, ccw: bool, turn: float) -> tuple[float, float]:
    """Arc angles turned by ``turn``, sweeping as the originals did under the canvas
    rules (full circles stay full), but within a few turns however large they were."""
    difference = end - start
    if (-difference if ccw else difference) >= TAU:
        sweep = -TAU if ccw else TAU
    elif ccw:
        sweep = -((-difference) % TAU)
    else:
        sweep = difference % TAU
    start = (start + turn) % TAU
    return start, start + sweep


def _fit(commands: list[list], max_commands: int, max_bytes: int) -> list[list]:
    """The drawing itself if it is within both budgets, else its longest prefix that is
    and still ends by painting."""
    sizes = [len(commands_to_code([command])) for command in commands]
    if len(commands) <= max_commands and sum(sizes) <= max_bytes:
        return commands
    # Room for a closing stroke is kept in case the prefix paints nothing by itself.
    room = max_bytes - len(commands_to_code([_STROKE]))
    kept = 0
    while kept < max_commands - 1 and sizes[kept] <= room:
        room -= sizes[kept]
        kept += 1
    head = commands[:kept]
    paints = [index for index, command in enumerate(head) if command[0] in _PAINTS]
    return head[: paints[-1] + 1] if paints else [*head, _STROKE]
