"""Deterministic generated sigils: balanced, mostly symmetric canvas drawings that stay
legible as a 40 px chip.

``generate_sigil(seed)`` seeds ``random.Random`` with the SHA-256 of ``str(seed)`` (never
Python's salted ``hash``), so a seed gives the same sigil in every process and on every
machine. About four in five sigils are mirror-symmetric about x = 50; the rest have
n-fold rotational symmetry about the centre. Each one has 10 to 30 commands, mixes lines,
arcs and curves, and keeps every point, control point and circle inside
[``MARGIN``, 100 - ``MARGIN``].

At 40 px a stroke is under a pixel wide and a canvas unit is 0.4 px, so a sigil reads
there only as one figure of a few bold strokes: each starts with a large anchor (a
diamond, a circle, a ring of the rotation...) that spans most of the canvas, no circle is
smaller than a few pixels, and a drawing is redrawn (from the same random stream, so
still deterministic) until its ink, the stroked length, lies within [``MIN_INK``,
``MAX_INK``] with at most ``MAX_STROKES`` pen strokes.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["MARGIN", "MAX_INK", "MAX_STROKES", "MIN_INK", "GeneratedSigil", "generate_sigil"]

MARGIN = 8
MIN_COMMANDS = 10
MAX_COMMANDS = 30
MIRROR_SHARE = 0.8
# Ink is the stroked length in canvas units: a 2-unit stroke over the 100 x 100 canvas
# inks 2% of it per 100 units, less where strokes cross. Below MIN_INK a sigil is a few
# faint marks at 40 px; above MAX_INK its strokes run together.
MIN_INK = 240
MAX_INK = 520
MAX_STROKES = 10
# Redraws before giving up on the ink window (the last drawing then keeps its commands
# within range): of 20,000 seeds, 93% were legible at once and all within five.
_ATTEMPTS = 12

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


def _curve_length(*points: tuple[int, int]) -> float:
    """About the length of a Bézier curve: the mean of its chord and its control polygon
    (exact for straight ones, within a few percent for the bends drawn here)."""
    polygon = sum(math.dist(a, b) for a, b in itertools.pairwise(points))
    return (math.dist(points[0], points[-1]) + polygon) / 2


# What _Sigil.restore needs to take elements back.
_State = tuple[int, float, int, tuple[int, int], tuple[int, int], bool]


class _Sigil:
    """Accumulates commands and their source text together, with the ink (stroked length,
    in hundredths of a unit) and the pen strokes (subpaths that draw) so far."""

    __slots__ = ("at", "commands", "ink", "lines", "start", "strokes", "stroking")

    def __init__(self) -> None:
        self.commands: list[list] = []
        self.lines: list[str] = []
        self.ink = 0.0
        self.strokes = 0
        self.at = self.start = (_MID, _MID)
        self.stroking = False  # whether the current subpath has drawn yet

    def state(self) -> _State:
        return (len(self.commands), self.ink, self.strokes, self.at, self.start, self.stroking)

    def restore(
        self, state: tuple[int, float, int, tuple[int, int], tuple[int, int], bool]
    ) -> None:
        """Undo what was added since ``state()``."""
        length, self.ink, self.strokes, self.at, self.start, self.stroking = state
        del self.commands[length:], self.lines[length:]

    def _draw(self, length: float, end: tuple[int, int]) -> None:
        if not self.stroking:
            self.strokes += 1
            self.stroking = True
        self.ink += length
        self.at = end

    def bare(self, name: str) -> None:
        self.commands.append([name])
        self.lines.append(f"ctx.{name}();")
        if name == "closePath":
            self._draw(math.dist(self.at, self.start), self.start)
        if name in ("closePath", "beginPath"):
            self.stroking = False

    def point(self, name: str, x: int, y: int) -> None:
        self.commands.append([name, _VALUE[x], _VALUE[y]])
        self.lines.append(f"ctx.{name}({_TEXT[x]}, {_TEXT[y]});")
        if name == "moveTo":
            self.at = self.start = (x, y)
            self.stroking = False
        else:
            self._draw(math.dist(self.at, (x, y)), (x, y))

    def quadratic(self, cx: int, cy: int, x: int, y: int) -> None:
        self.commands.append(["quadraticCurveTo", _VALUE[cx], _VALUE[cy], _VALUE[x], _VALUE[y]])
        self.lines.append(
            f"ctx.quadraticCurveTo({_TEXT[cx]}, {_TEXT[cy]}, {_TEXT[x]}, {_TEXT[y]});"
        )
        self._draw(_curve_length(self.at, (cx, cy), (x, y)), (x, y))

    def bezier(self, c1x: int, c1y: int, c2x: int, c2y: int, x: int, y: int) -> None:
        t = _TEXT
        v = _VALUE
        self.commands.append(["bezierCurveTo", v[c1x], v[c1y], v[c2x], v[c2y], v[x], v[y]])
        self.lines.append(
            f"ctx.bezierCurveTo({t[c1x]}, {t[c1y]}, {t[c2x]}, {t[c2y]}, {t[x]}, {t[y]});"
        )
        self._draw(_curve_length(self.at, (c1x, c1y), (c2x, c2y), (x, y)), (x, y))

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
        # The sweep as canvas draws it: a full turn when the angles are a turn apart.
        turn = start - end if ccw else end - start
        sweep = _TURN if turn >= _TURN else turn % _TURN
        angle = math.pi * end / _PI
        end_point = (cx + round(r * math.cos(angle)), cy + round(r * math.sin(angle)))
        self._draw(r * math.pi * sweep / _PI, end_point)

    def dot(self, x: int, y: int, r: int) -> None:
        """A filled dot, as a path of its own; its ink is its area over a stroke's width."""
        self.bare("beginPath")
        start_text, start_value = _angle(0)
        end_text, end_value = _angle(_TURN)
        self.commands.append(
            ["arc", _VALUE[x], _VALUE[y], _VALUE[r], start_value, end_value, False]
        )
        self.lines.append(f"ctx.arc({_TEXT[x]}, {_TEXT[y]}, {_TEXT[r]}, {start_text}, {end_text});")
        self.bare("fill")
        self.strokes += 1
        self.ink += math.pi * r * r / (_LINE_WIDTH * _UNIT)

    def legible(self) -> bool:
        return (
            MIN_COMMANDS <= len(self.commands) <= MAX_COMMANDS
            and MIN_INK * _UNIT <= self.ink <= MAX_INK * _UNIT
            and self.strokes <= MAX_STROKES
        )


_LINE_WIDTH = 2  # canvas units, as the renderers stroke


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
    for attempt in range(_ATTEMPTS + 1):
        sigil = _draw(rng, capped=attempt < _ATTEMPTS)
        if sigil.legible():
            break
    return GeneratedSigil("\n".join(sigil.lines) + "\n", sigil.commands)


def _draw(rng: random.Random, *, capped: bool) -> _Sigil:
    """One drawing; ``capped``, it stops adding elements before the ink or the strokes
    would run over (uncapped, it fills its budget of commands, which always fits)."""
    sigil = _Sigil()
    sigil.bare("beginPath")
    # Elements take at least two commands, so filling up to the budget may leave one
    # unused: aim one above the minimum.
    budget = rng.randint(MIN_COMMANDS + 1, MAX_COMMANDS)
    # A filled dot costs three commands (beginPath, arc, fill) after the stroke.
    dot = budget >= 14 and rng.random() < 0.3
    room = budget - 2 - (3 if dot else 0)  # beginPath() and stroke() take two
    limits = _Limits(MAX_INK * _UNIT, MAX_STROKES - dot) if capped else _Limits(math.inf, 10**6)
    if rng.random() < MIRROR_SHARE:
        _mirror_composition(rng, sigil, room, limits)
        dot_x, dot_y = _MID, _between(rng, 30, 70) * _UNIT
    else:
        _rotational_composition(rng, sigil, room, limits)
        dot_x, dot_y = _MID, _MID
    sigil.bare("stroke")
    if dot:
        sigil.dot(dot_x, dot_y, _between(rng, 150, 300))
    return sigil


@dataclass(frozen=True, slots=True)
class _Limits:
    ink: float
    strokes: int


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
    _chevron_at(sigil, x, y0, y1)


def _chevron_at(sigil: _Sigil, x: int, y0: int, y1: int) -> None:
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
    _diamond_at(sigil, top, bottom, side, _left(rng))


def _diamond_at(sigil: _Sigil, top: int, bottom: int, side: int, x: int) -> None:
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
    r = _coordinate(rng, 600, 3000)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    sigil.arc(_MID, cy, r, 0, _TURN, False)


def _axis_arc(rng: random.Random, sigil: _Sigil) -> None:
    """An arc centred on the axis, symmetric about it: around its bottom or its top."""
    _axis_arc_sized(rng, sigil, 600, 3500)


def _axis_arc_sized(rng: random.Random, sigil: _Sigil, low: int, high: int) -> None:
    r = _coordinate(rng, low, high)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    middle = _PI // 2 if rng.random() < 0.5 else 3 * _PI // 2
    half = _between(rng, 15, 85) * 100
    sigil.arc(_MID, cy, r, middle - half, middle + half, False)


def _circle_pair(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 500, 1500)
    cx = _coordinate(rng, _LOW + r, _MID - 200)
    cy = _coordinate(rng, _LOW + r, _HIGH - r)
    sigil.arc(cx, cy, r, 0, _TURN, False)
    sigil.arc(_WIDTH - cx, cy, r, _PI, -_PI, True)


def _arc_pair(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 600, 2500)
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


# Anchors: the large first element that the rest of a mirror sigil hangs on.


def _large_diamond(rng: random.Random, sigil: _Sigil) -> None:
    top = _coordinate(rng, _LOW, 2000)
    bottom = _coordinate(rng, 8000, _HIGH)
    side = _coordinate(rng, top + 2500, bottom - 2500)
    _diamond_at(sigil, top, bottom, side, _coordinate(rng, _LOW, 2500))


def _large_circle(rng: random.Random, sigil: _Sigil) -> None:
    r = _coordinate(rng, 2600, _MID - _LOW)
    sigil.arc(_MID, _coordinate(rng, _LOW + r, _HIGH - r), r, 0, _TURN, False)


def _large_chevron(rng: random.Random, sigil: _Sigil) -> None:
    """A V or an inverted V across the whole canvas."""
    near, far = _coordinate(rng, _LOW, 3000), _coordinate(rng, 7000, _HIGH)
    y0, y1 = (near, far) if rng.random() < 0.5 else (far, near)
    _chevron_at(sigil, _coordinate(rng, _LOW, 2200), y0, y1)


def _large_arc(rng: random.Random, sigil: _Sigil) -> None:
    _axis_arc_sized(rng, sigil, 2800, _MID - _LOW)


_Element = Callable[[random.Random, _Sigil], None]

# (family, commands used, strokes drawn, element); each family is drawn at least once
# when room allows.
_MIRROR_ELEMENTS: tuple[tuple[str, int, int, _Element], ...] = (
    ("line", 2, 1, _spine),
    ("line", 3, 1, _chevron),
    ("line", 2, 1, _bar),
    ("line", 5, 1, _diamond),
    ("line", 4, 2, _line_pair),
    ("arc", 2, 1, _axis_circle),
    ("arc", 2, 1, _axis_arc),
    ("arc", 4, 2, _circle_pair),
    ("arc", 4, 2, _arc_pair),
    ("curve", 2, 1, _bridge),
    ("curve", 4, 2, _curve_pair),
)
_MIRROR_ANCHORS: tuple[tuple[str, int, int, _Element], ...] = (
    ("line", 5, 1, _large_diamond),
    ("line", 3, 1, _large_chevron),
    ("arc", 2, 1, _large_circle),
    ("arc", 2, 1, _large_arc),
)


def _mirror_composition(rng: random.Random, sigil: _Sigil, room: int, limits: _Limits) -> None:
    _fill(rng, sigil, room, limits, _MIRROR_ANCHORS, _MIRROR_ELEMENTS)


_FAMILY_ORDERS = tuple(itertools.permutations(("line", "arc", "curve")))


def _fill(
    rng: random.Random,
    sigil: _Sigil,
    room: int,
    limits: _Limits,
    anchors: tuple[tuple[str, int, int, _Element], ...],
    elements: tuple[tuple[str, int, int, _Element], ...],
) -> None:
    """An anchor, then elements while they fit in ``room`` commands and the limits, first
    one of each family the anchor is not."""
    end = len(sigil.commands) + room
    family, _, _, anchor = anchors[int(rng.random() * len(anchors))]
    anchor(rng, sigil)
    families = [f for f in _FAMILY_ORDERS[int(rng.random() * len(_FAMILY_ORDERS))] if f != family]
    for family in families:
        if _add(rng, sigil, end, limits, [e for e in elements if e[0] == family]) is False:
            return
    while _add(rng, sigil, end, limits, elements):
        pass


def _add(
    rng: random.Random,
    sigil: _Sigil,
    end: int,
    limits: _Limits,
    elements: Sequence[tuple[str, int, int, _Element]],
) -> bool | None:
    """Add one of the elements that fit (True); None when none fits, False when the one
    drawn would run over the ink: it is taken back, and the drawing is done."""
    left, strokes_left = end - len(sigil.commands), limits.strokes - sigil.strokes
    fitting = [e for _, cost, strokes, e in elements if cost <= left and strokes <= strokes_left]
    if not fitting:
        return None
    state = sigil.state()
    fitting[int(rng.random() * len(fitting))](rng, sigil)
    if sigil.ink > limits.ink:
        sigil.restore(state)
        return False
    return True


# Rotational compositions: every element is repeated n times around (50, 50).


def _polar(radius: float, angle: float) -> tuple[int, int]:
    return _MID + round(radius * math.cos(angle)), _MID + round(radius * math.sin(angle))


# Everything stays within this distance of the centre, which keeps it inside the margins.
_REACH = _MID - _LOW - 10
# An anchor reaches at least this far.
_ANCHOR_REACH = 3000


@dataclass(frozen=True, slots=True)
class _Rotation:
    order: int
    phase: float  # radians

    def angle(self, k: int, offset: float = 0.0) -> float:
        return self.phase + 2 * math.pi * k / self.order + offset


def _spokes(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    inner = _between(rng, 0, 2000)
    _spokes_from(rng, sigil, turn, inner)


def _spokes_from(rng: random.Random, sigil: _Sigil, turn: _Rotation, inner: int) -> None:
    outer = _between(rng, max(inner + 1200, _ANCHOR_REACH if inner < 1000 else 0), _REACH)
    for k in range(turn.order):
        sigil.point("moveTo", *_polar(inner, turn.angle(k)))
        sigil.point("lineTo", *_polar(outer, turn.angle(k)))


def _ring(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    _ring_sized(rng, sigil, turn, 1500)


def _ring_sized(rng: random.Random, sigil: _Sigil, turn: _Rotation, low: int) -> None:
    """A regular polygon, or a star polygon when the order allows one."""
    radius = _between(rng, low, _REACH)
    steps = [s for s in range(1, (turn.order + 1) // 2) if math.gcd(s, turn.order) == 1]
    step = steps[int(rng.random() * len(steps))]
    sigil.point("moveTo", *_polar(radius, turn.angle(0)))
    for k in range(1, turn.order):
        sigil.point("lineTo", *_polar(radius, turn.angle(k * step)))
    sigil.bare("closePath")


def _hub(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    r = _between(rng, 500, 1500)
    sigil.arc(_MID, _MID, r, 0, _TURN, False)


def _orbits(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    r = _between(rng, 500, 1000)
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


def _large_ring(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    _ring_sized(rng, sigil, turn, _ANCHOR_REACH)


def _large_hub(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    r = _between(rng, _ANCHOR_REACH, _REACH)
    sigil.arc(_MID, _MID, r, 0, _TURN, False)


def _long_spokes(rng: random.Random, sigil: _Sigil, turn: _Rotation) -> None:
    _spokes_from(rng, sigil, turn, _between(rng, 0, 800))


_RotationElement = Callable[[random.Random, _Sigil, _Rotation], None]

# (family, commands used for a given order, strokes for a given order, element)
_Costed = tuple[str, Callable[[int], int], Callable[[int], int], _RotationElement]
_ROTATION_ELEMENTS: tuple[_Costed, ...] = (
    ("line", lambda n: 2 * n, lambda n: n, _spokes),
    ("line", lambda n: n + 1, lambda n: 1, _ring),
    ("arc", lambda n: 2, lambda n: 1, _hub),
    ("arc", lambda n: 2 * n, lambda n: n, _orbits),
    ("arc", lambda n: 2 * n, lambda n: n, _crown),
    ("curve", lambda n: 2 * n, lambda n: n, _petals),
)
_ROTATION_ANCHORS: tuple[_Costed, ...] = (
    ("line", lambda n: n + 1, lambda n: 1, _large_ring),
    ("line", lambda n: 2 * n, lambda n: n, _long_spokes),
    ("arc", lambda n: 2, lambda n: 1, _large_hub),
)


def _rotational_composition(rng: random.Random, sigil: _Sigil, room: int, limits: _Limits) -> None:
    # The largest orders only fit when there is room for the three families.
    orders = [n for n in _ROTATION_ORDERS if (n + 1) + 2 + 2 * n <= room] or [3]
    order = orders[int(rng.random() * len(orders))]
    turn = _Rotation(order, (0.0, -math.pi / 2, math.pi / 4)[int(rng.random() * 3)])

    def bound(costed: tuple[_Costed, ...]) -> tuple[tuple[str, int, int, _Element], ...]:
        return tuple(
            (family, cost(order), strokes(order), _bind(element, turn))
            for family, cost, strokes, element in costed
        )

    _fill(rng, sigil, room, limits, bound(_ROTATION_ANCHORS), bound(_ROTATION_ELEMENTS))


def _bind(element: _RotationElement, turn: _Rotation) -> _Element:
    def bound(rng: random.Random, sigil: _Sigil) -> None:
        element(rng, sigil, turn)

    return bound
