"""Composing several sigils into one drawing, as a dream gathers the moments it rests on.

The first member takes the centre; the others stand in a ring around it, each turned so
that its top faces outward, all inside a thin enclosing circle. Every member is scaled
uniformly (arc radii with it) to fit its own disc, so the whole composition stays on the
100x100 canvas, within ``MAX_COMMANDS`` and within the parser's source size: whatever
``compose_sigils`` returns, ``commands_to_code`` writes code that parses back to it.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from dreams.sigils.commands import MAX_COMMANDS, commands_to_code, validate_commands
from dreams.sigils.parse import MAX_SOURCE_BYTES

CENTRE = 50.0
TAU = 2.0 * math.pi
FRAME_RADIUS = 48.0
# One centre and twelve around it: beyond that the ring's discs get too small to read.
MAX_MEMBERS = 13
# A member smaller than this (in canvas units from the centre) is not blown up further.
MIN_EXTENT = 5.0

_PAINTS = frozenset({"stroke", "fill"})
_STROKE = ["stroke"]
_FRAME: list[list] = [
    ["beginPath"],
    ["arc", CENTRE, CENTRE, FRAME_RADIUS, 0.0, TAU, False],
    _STROKE,
]


@dataclass(frozen=True)
class _Slot:
    """Where one member goes: the disc it is fitted into, and how far it is turned."""

    x: float
    y: float
    radius: float
    turn: float


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
    max_commands = (MAX_COMMANDS - len(_FRAME)) // len(drawings)
    max_bytes = (MAX_SOURCE_BYTES - len(commands_to_code(_FRAME))) // len(drawings)
    composed = list(_FRAME)
    for drawing, slot in zip(drawings, slots, strict=True):
        composed.extend(_fit(_place(drawing, slot), max_commands, max_bytes))
    return validate_commands(composed)


def _slots(count: int, seed: str) -> list[_Slot]:
    if count == 1:
        return [_Slot(CENTRE, CENTRE, FRAME_RADIUS - 4.0, 0.0)]
    # Two members share the space side by side; from three on, the first takes the centre.
    centre = [] if count == 2 else [_Slot(CENTRE, CENTRE, 16.0, 0.0)]
    distance, largest = (23.0, 21.0) if count == 2 else (31.0, 14.0)
    around = count - len(centre)
    # Neighbouring discs on the ring must not overlap.
    radius = min(largest, distance * math.sin(math.pi / around) - 0.5)
    step = TAU / around
    offset = zlib.crc32(seed.encode("utf-8")) / 2**32 * step
    ring = []
    for index in range(around):
        # Start at the top (canvas y points down); turning by angle + pi/2 points the
        # member's top, which faces -y, away from the centre.
        angle = offset + index * step - math.pi / 2
        ring.append(
            _Slot(
                CENTRE + distance * math.cos(angle),
                CENTRE + distance * math.sin(angle),
                radius,
                angle + math.pi / 2,
            )
        )
    return centre + ring


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
