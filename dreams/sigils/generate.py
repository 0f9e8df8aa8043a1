"""Deterministic generated sigils: balanced, mostly symmetric canvas drawings.

``generate_sigil(seed)`` seeds ``random.Random`` with the SHA-256 of ``str(seed)`` (never
Python's salted ``hash``), so a seed gives the same sigil in every process and on every
machine. About four in five sigils are mirror-symmetric about x = 50; the rest have
n-fold rotational symmetry about the centre. Each one has 10 to 30 commands, mixes lines,
arcs and curves, and keeps every point, control point and circle inside
[``MARGIN``, 100 - ``MARGIN``].

The demo data calls this for every moment, so it is written for speed (tens of
microseconds): coordinates are integers in hundredths of a canvas unit, turned into text
and floats through lookup tables, and the code and the commands are built side by side
so that ``parse_sigil(sigil.code) == sigil.commands`` without parsing.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["MARGIN", "GeneratedSigil", "generate_sigil"]

MARGIN = 8
MIN_COMMANDS = 10
MAX_COMMANDS = 30
MIRROR_SHARE = 0.8

_UNIT = 100  # coordinates are integers in hundredths of a canvas unit
_LOW = MARGIN * _UNIT
_HIGH = (100 - MARGIN) * _UNIT
_MID = 50 * _UNIT
_WIDTH = 100 * _UNIT
# Angles are integers in ten-thousandths of pi: mirroring (pi - a) and n-fold rotations
# for the orders used stay exact or within 1e-4 * pi.
_PI = 10_000
_TURN = 2 * _PI
_ROTATION_ORDERS = (3, 4, 5, 6, 8)


def _decimal(value: int, places: int) -> str:
    whole, fraction = divmod(abs(value), 10**places)
    sign = "-" if value < 0 else ""
    if not fraction:
        return f"{sign}{whole}"
    return f"{sign}{whole}." + f"{fraction:0{places}d}".rstrip("0")


_TEXT = tuple(_decimal(v, 2) for v in range(_WIDTH + 1))
_VALUE = tuple(v / _UNIT for v in range(_WIDTH + 1))


@dataclass(frozen=True, slots=True)
class GeneratedSigil:
    code: str
    commands: list[list]


class _Sigil:
    """Accumulates commands and their source text together."""

    __slots__ = ("commands", "lines")

    def __init__(self) -> None:
        self.commands: list[list] = []
        self.lines: list[str] = []

    def bare(self, name: str) -> None:
        self.commands.append([name])
        self.lines.append(f"ctx.{name}();")

    def point(self, name: str, x: int, y: int) -> None:
        self.commands.append([name, _VALUE[x], _VALUE[y]])
        self.lines.append(f"ctx.{name}({_TEXT[x]}, {_TEXT[y]});")

    def quadratic(self, cx: int, cy: int, x: int, y: int) -> None:
        self.commands.append(["quadraticCurveTo", _VALUE[cx], _VALUE[cy], _VALUE[x], _VALUE[y]])
        self.lines.append(
            f"ctx.quadraticCurveTo({_TEXT[cx]}, {_TEXT[cy]}, {_TEXT[x]}, {_TEXT[y]});"
        )

    def bezier(self, c1x: int, c1y: int, c2x: int, c2y: int, x: int, y: int) -> None:
        t = _TEXT
        v = _VALUE
        self.commands.append(["bezierCurveTo", v[c1x], v[c1y], v[c2x], v[c2y], v[x], v[y]])
        self.lines.append(
            f"ctx.bezierCurveTo({t[c1x]}, {t[c1y]}, {t[c2x]}, {t[c2y]}, {t[x]}, {t[y]});"
        )

    def arc(self, cx: int, cy: int, r: int, start: int, end: int, ccw: bool) -> None:
        """Move to the arc's start (so no connecting line is drawn), then draw it."""
        angle = math.pi * start / _PI
        self.point("moveTo", cx + round(r * math.cos(angle)), cy + round(r * math.sin(angle)))
        start_text, start_value = _angle(start)
        end_text, end_value = _angle(end)
        self.commands.append(
            ["arc", _VALUE[cx], _VALUE[cy], _VALUE[r], start_value, end_value, ccw]
        )
        flag = ", true" if ccw else ""
        self.lines.append(
            f"ctx.arc({_TEXT[cx]}, {_TEXT[cy]}, {_TEXT[r]}, {start_text}, {end_text}{flag});"
        )


@lru_cache(maxsize=8192)
def _angle(units: int) -> tuple[str, float]:
    """Source text and parsed value (as ``parse_sigil`` computes it) of an angle."""
    if units == 0:
        return "0", 0.0
    if units == _PI:
        return "Math.PI", round(math.pi, 4)
    if units == -_PI:
        return "-Math.PI", round(-math.pi, 4)
    factor = _decimal(units, 4)
    return f"Math.PI * {factor}", round(math.pi * float(factor), 4) + 0.0


def generate_sigil(seed: str | int) -> GeneratedSigil:
    """The sigil for a seed: equal seeds (``5`` and ``"5"`` included) give equal sigils."""
    digest = hashlib.sha256(str(seed).encode("utf-8")).digest()
    # Reproducible variety, not secrecy, is the point here.
    rng = random.Random(int.from_bytes(digest, "big"))  # noqa: S311
    sigil = _Sigil()
    sigil.bare("beginPath")
    # Elements take at least two commands, so filling up to the budget may leave one
    # unused: aim one above the minimum.
    budget = rng.randint(MIN_COMMANDS + 1, MAX_COMMANDS)
    # A filled dot costs three commands (beginPath, arc, fill) after the stroke.
    dot = budget >= 14 and rng.random() < 0.3
    room = budget - 2 - (3 if dot else 0)  # beginPath() and stroke() take two
    if rng.random() < MIRROR_SHARE:
        _mirror_composition(rng, sigil, room)
        dot_x, dot_y = _MID, _between(rng, 30, 70) * _UNIT
    else:
        _rotational_composition(rng, sigil, room)
        dot_x, dot_y = _MID, _MID
    sigil.bare("stroke")
    if dot:
        sigil.bare("beginPath")
        r = _between(rng, 150, 300)
        start_text, start_value = _angle(0)
        end_text, end_value = _angle(_TURN)
        sigil.commands.append(
            ["arc", _VALUE[dot_x], _VALUE[dot_y], _VALUE[r], start_value, end_value, False]
        )
        sigil.lines.append(
            f"ctx.arc({_TEXT[dot_x]}, {_TEXT[dot_y]}, {_TEXT[r]}, {start_text}, {end_text});"
        )
        sigil.bare("fill")
    return GeneratedSigil("\n".join(sigil.lines) + "\n", sigil.commands)


# Mirror compositions: every element is symmetric about x = 50 on its own, either by
# lying on the axis or by being drawn together with its mirror image.


def _between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high]; much faster than ``randrange`` (no Python-level
    rejection sampling), and the bias for these small ranges is far below 1e-12."""
    return low + int(rng.random() * (high - low + 1))


def _coordinate(rng: random.Random, low: int = _LOW, high: int = _HIGH) -> int:
    """A coordinate in tenths (multiples of 10 hundredths), inside [low, high]."""
    return _between(rng, low // 10, high // 10) * 10


def _left(rng: random.Random) -> int:
    return _coordinate(rng, _LOW, _MID - 400)


def _spine(rng: random.Random, sigil: _Sigil) -> None:
    top = _coordinate(rng, _LOW, 3500)
    sigil.point("moveTo", _MID, top)
    sigil.point("lineTo", _MID, _coordinate(rng, top + 3000, _HIGH))


def _chevron(rng: random.Random, sigil: _Sigil) -> None:
    x, y0, y1 = _left(rng), _coordinate(rng), _coordinate(rng)
    sigil.point("moveTo", x, y0)
    sigil.point("lineTo", _MID, y1)
    sigil.point("lineTo", _WIDTH - x, y0)


def _bar(rng: random.Random, sigil: _Sigil) -> None:
    x, y = _left(rng), _coordinate(rng)
    sigil.point("moveTo", x, y)
    sigil.point("lineTo", _WIDTH - x, y)


def _diamond(rng: random.Random, sigil: _Sigil) -> None:
    top = _coordinate(rng, _LOW, 4000)
    bottom = _coordinate(rng, top + 2000, _HIGH)
    side = _coordinate(rng, top + 500, bottom - 500)
    x = _left(rng)
    sigil.point("moveTo", _MID, top)
    sigil.point("lineTo", x, side)
    sigil.point("lineTo", _MID, bottom)
    sigil.point("lineTo", _WIDTH - x, side)
    sigil.bare("closePath")


def _line_pair(rng: random.Random, sigil: _Sigil) -> None:
    x0, y0, x1, y1 = _left(rng), _coordinate(rng), _left(rng), _coordinate(rng)
    for flip in (False, True):
        sigil.point("moveTo", _WIDTH - x0 if flip else x0, y0)
        sigil.point("lineTo", _WIDTH - x1 if flip else x1, y1)


def _axis_circle(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 400, 3000)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    sigil.arc(_MID, cy, r, 0, _TURN, False)


def _axis_arc(rng: random.Random, sigil: _Sigil) -> None:
    """An arc centred on the axis, symmetric about it: around its bottom or its top."""
    r = _coordinate(rng, 600, 3500)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    middle = _PI // 2 if rng.random() < 0.5 else 3 * _PI // 2
    half = _between(rng, 15, 85) * 100
    sigil.arc(_MID, cy, r, middle - half, middle + half, False)


def _circle_pair(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 300, 1500)
    cx = _coordinate(rng, _LOW + r, _MID - 200)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    sigil.arc(cx, cy, r, 0, _TURN, False)
    sigil.arc(_WIDTH - cx, cy, r, _PI, -_PI, True)


def _arc_pair(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 500, 2500)
    cx = _coordinate(rng, _LOW + r, _HIGH - r)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    start = _between(rng, 0, 199) * 100
    end = (start + _between(rng, 30, 159) * 100) % _TURN
    ccw = rng.random() < 0.5
    sigil.arc(cx, cy, r, start, end, ccw)
    # Mirroring maps angle a to pi - a and reverses the direction of travel.
    sigil.arc(_WIDTH - cx, cy, r, _PI - start, _PI - end, not ccw)


def _bridge(rng: random.Random, sigil: _Sigil) -> None:
    """A curve from one side to the mirrored point, symmetric about the axis."""
    x, y = _left(rng), _coordinate(rng)
    sigil.point("moveTo", x, y)
    if rng.random() < 0.5:
        sigil.quadratic(_MID, _coordinate(rng), _WIDTH - x, y)
    else:
        cx, cy = _coordinate(rng), _coordinate(rng)
        sigil.bezier(cx, cy, _WIDTH - cx, cy, _WIDTH - x, y)


def _curve_pair(rng: random.Random, sigil: _Sigil) -> None:
    x0, y0, x1, y1 = _left(rng), _coordinate(rng), _coordinate(rng), _coordinate(rng)
    c1x, c1y, c2x, c2y = _coordinate(rng), _coordinate(rng), _coordinate(rng), _coordinate(rng)
    cubic = rng.random() < 0.5
    w = _WIDTH
    for a0, a1, b1, b2 in ((x0, x1, c1x, c2x), (w - x0, w - x1, w - c1x, w - c2x)):
        sigil.point("moveTo", a0, y0)
        if cubic:
            sigil.bezier(b1, c1y, b2, c2y, a1, y1)
        else:
            sigil.quadratic(b1, c1y, a1, y1)


_Element = Callable[[random.Random, _Sigil], None]

# (family, commands used, element); each family is drawn at least once when room allows.
_MIRROR_ELEMENTS: tuple[tuple[str, int, _Element], ...] = (
    ("line", 2, _spine),
    ("line", 3, _chevron),
    ("line", 2, _bar),
    ("line", 5, _diamond),
    ("line", 4, _line_pair),
    ("arc", 2, _axis_circle),
    ("arc", 2, _axis_arc),
    ("arc", 4, _circle_pair),
    ("arc", 4, _arc_pair),
    ("curve", 2, _bridge),
    ("curve", 4, _curve_pair),
)


def _mirror_composition(rng: random.Random, sigil: _Sigil, room: int) -> None:
    _fill(rng, sigil, room, _MIRROR_ELEMENTS)


_FAMILY_ORDERS = tuple(itertools.permutations(("line", "arc", "curve")))


def _fill(
    rng: random.Random,
    sigil: _Sigil,
    room: int,
    elements: tuple[tuple[str, int, _Element], ...],
) -> None:
    """Add elements while they fit in ``room`` commands, first one of each family."""
    families = _FAMILY_ORDERS[int(rng.random() * len(_FAMILY_ORDERS))]
    end = len(sigil.commands) + room
    for family in families:
        left = end - len(sigil.commands)
        fitting = [e for f, cost, e in elements if f == family and cost <= left]
        if fitting:
            fitting[int(rng.random() * len(fitting))](rng, sigil)
    while True:
        left = end - len(sigil.commands)
        fitting = [e for _, cost, e in elements if cost <= left]
        if not fitting:
            return
        fitting[int(rng.random() * len(fitting))](rng, sigil)


# Rotational compositions: every element is repeated n times around (50, 50).


def _polar(radius: float, angle: float) -> tuple[int, int]:
    return _MID + round(radius * math.cos(angle)), _MID + round(radius * math.sin(angle))


# Everything stays within this distance of the centre, which keeps it inside the margins.
_REACH = _MID - _LOW - 10


@dataclass(frozen=True, slots=True)
class _Rotation:
    order: int
    phase: float  # radians

    def angle(self, k: int, offset: float = 0.0) -> float:
        return self.phase + 2 * math.pi * k / self.order + offset


def _spokes(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    inner = _between(rng, 0, 2000)
    outer = _between(rng, inner + 1200, _REACH)
    for k in range(turn.order):
        sigil.point("moveTo", *_polar(inner, turn.angle(k)))
        sigil.point("lineTo", *_polar(outer, turn.angle(k)))


def _ring(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    """A regular polygon, or a star polygon when the order allows one."""
    radius = _between(rng, 1500, _REACH)
    steps = [s for s in range(1, (turn.order + 1) // 2) if math.gcd(s, turn.order) == 1]
    step = steps[int(rng.random() * len(steps))]
    sigil.point("moveTo", *_polar(radius, turn.angle(0)))
    for k in range(1, turn.order):
        sigil.point("lineTo", *_polar(radius, turn.angle(k * step)))
    sigil.bare("closePath")


def _hub(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    r = _between(rng, 300, 1500)
    sigil.arc(_MID, _MID, r, 0, _TURN, False)


def _orbits(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    r = _between(rng, 200, 800)
    distance = _between(rng, 1200, _REACH - r)
    for k in range(turn.order):
        cx, cy = _polar(distance, turn.angle(k))
        sigil.arc(cx, cy, r, 0, _TURN, False)


def _crown(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    """Arcs of one circle around the centre, one per sector."""
    r = _between(rng, 1500, _REACH)
    share = rng.uniform(0.3, 0.8)
    phase = round(turn.phase / math.pi * _PI)
    for k in range(turn.order):
        start = phase + round(2 * _PI * k / turn.order)
        sigil.arc(_MID, _MID, r, start, start + round(share * 2 * _PI / turn.order), False)


def _petals(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    inner = _between(rng, 500, 2000)
    outer = _between(rng, inner + 1000, _REACH)
    bend = rng.uniform(-1.2, 1.2) * math.pi / turn.order
    pull = rng.uniform(0.4, 1.0) * outer
    cubic = rng.random() < 0.5
    for k in range(turn.order):
        sigil.point("moveTo", *_polar(inner, turn.angle(k)))
        end = _polar(outer, turn.angle(k))
        if cubic:
            sigil.bezier(
                *_polar(pull, turn.angle(k, bend)), *_polar(pull, turn.angle(k, -bend)), *end
            )
        else:
            sigil.quadratic(*_polar(pull, turn.angle(k, bend)), *end)


_RotationElement = Callable[[random.Random, _Sigil, _Rotation], None]

# (family, commands used for a given order, element)
_ROTATION_ELEMENTS: tuple[tuple[str, Callable[[int], int], _RotationElement], ...] = (
    ("line", lambda n: 2 * n, _spokes),
    ("line", lambda n: n + 1, _ring),
    ("arc", lambda n: 2, _hub),
    ("arc", lambda n: 2 * n, _orbits),
    ("arc", lambda n: 2 * n, _crown),
    ("curve", lambda n: 2 * n, _petals),
)


def _rotational_composition(rng: random.Random, sigil: _Sigil, room: int) -> None:
    # The largest orders only fit when there is room for the three families.
    orders = [n for n in _ROTATION_ORDERS if (n + 1) + 2 + 2 * n <= room] or [3]
    order = orders[int(rng.random() * len(orders))]
    turn = _Rotation(order, (0.0, -math.pi / 2, math.pi / 4)[int(rng.random() * 3)])
    elements = tuple(
        (family, cost(turn.order), _bind(element, turn))
        for family, cost, element in _ROTATION_ELEMENTS
    )
    _fill(rng, sigil, room, elements)


def _bind(element: _RotationElement, turn: _Rotation) -> _Element:
    def bound(rng: random.Random, sigil: _Sigil) -> None:
        element(rng, sigil, turn)

    return bound
