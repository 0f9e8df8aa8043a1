"""The normalized sigil command list: the contract shared by the parser, the renderers,
the database and the browser.

A sigil is stored as a JSON-friendly ``list[list]``; each command is ``[name, *arguments]``:

    ["beginPath"]
    ["moveTo", x, y]
    ["lineTo", x, y]
    ["arc", x, y, r, a0, a1, ccw]        # ccw always present, a bool
    ["quadraticCurveTo", cpx, cpy, x, y]
    ["bezierCurveTo", c1x, c1y, c2x, c2y, x, y]
    ["closePath"]
    ["stroke"]
    ["fill"]

Numbers are floats rounded to ``DECIMALS`` places and bounded by the limits below, which
the parser enforces on source code and ``validate_commands`` enforces on stored data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

ArgKind = Literal["coordinate", "radius", "angle", "flag"]

DECIMALS = 4
MAX_COMMANDS = 500
# The canvas is 100x100; coordinates may wander well off it (a curve's control point often
# does) but stay small enough that renderers never meet huge or inaccurate floats.
COORDINATE_MIN = -1000.0
COORDINATE_MAX = 1100.0
# Canvas throws on a negative radius; the upper bound matches the coordinate span.
RADIUS_MIN = 0.0
RADIUS_MAX = 1100.0
# About 159 full turns either way: plenty for any drawing, and it keeps angle arithmetic
# (differences, normalisation modulo 2*pi) far from float trouble.
ANGLE_LIMIT = 1000.0

# Argument names (used in error messages) and kinds, in canvas API order.
COMMAND_SPECS: dict[str, tuple[tuple[str, ArgKind], ...]] = {
    "beginPath": (),
    "closePath": (),
    "moveTo": (("x", "coordinate"), ("y", "coordinate")),
    "lineTo": (("x", "coordinate"), ("y", "coordinate")),
    "arc": (
        ("x", "coordinate"),
        ("y", "coordinate"),
        ("radius", "radius"),
        ("startAngle", "angle"),
        ("endAngle", "angle"),
        ("counterclockwise", "flag"),
    ),
    "quadraticCurveTo": (
        ("cpx", "coordinate"),
        ("cpy", "coordinate"),
        ("x", "coordinate"),
        ("y", "coordinate"),
    ),
    "bezierCurveTo": (
        ("cp1x", "coordinate"),
        ("cp1y", "coordinate"),
        ("cp2x", "coordinate"),
        ("cp2y", "coordinate"),
        ("x", "coordinate"),
        ("y", "coordinate"),
    ),
    "stroke": (),
    "fill": (),
}

_BOUNDS: dict[ArgKind, tuple[float, float]] = {
    "coordinate": (COORDINATE_MIN, COORDINATE_MAX),
    "radius": (RADIUS_MIN, RADIUS_MAX),
    "angle": (-ANGLE_LIMIT, ANGLE_LIMIT),
}


class SigilCommandError(ValueError):
    """A command list does not follow the contract."""


def normalize_number(value: float) -> float:
    """Round to the contract's precision; ``+ 0.0`` turns -0.0 into 0.0 for stable JSON."""
    return round(value, DECIMALS) + 0.0


def format_bound(value: float) -> str:
    return f"{value:g}"


def check_number(value: float, kind: ArgKind, arg_name: str, command: str) -> str | None:
    """Return why a finite number is not acceptable for an argument, or None if it is."""
    low, high = _BOUNDS[kind]
    if low <= value <= high:
        return None
    if kind == "radius" and value < 0:
        return f"the radius of {command} must not be negative, found {value:g}"
    return (
        f"{arg_name} of {command} is {value:g}, outside the allowed range "
        f"[{format_bound(low)}, {format_bound(high)}]"
    )


def validate_commands(data: object) -> list[list]:
    """Check a command list read from JSON or the database and return a normalized copy.

    Integers are accepted for numbers and every number is rounded to the contract's
    precision; anything else off-contract raises ``SigilCommandError``.
    """
    if not isinstance(data, list | tuple):
        raise SigilCommandError(f"commands must be a list, found {type(data).__name__}")
    if len(data) > MAX_COMMANDS:
        raise SigilCommandError(
            f"too many commands: {len(data)}, at most {MAX_COMMANDS} are allowed"
        )
    return [_validate_command(index, command) for index, command in enumerate(data)]


def _validate_command(index: int, command: object) -> list:
    where = f"command {index}"
    if not isinstance(command, list | tuple) or not command:
        raise SigilCommandError(f"{where} must be a non-empty list [name, *arguments]")
    name, *args = command
    if not isinstance(name, str) or name not in COMMAND_SPECS:
        raise SigilCommandError(f"{where} has unknown name {name!r}")
    spec = COMMAND_SPECS[name]
    if len(args) != len(spec):
        raise SigilCommandError(f"{where} ({name}) needs {len(spec)} arguments, found {len(args)}")
    normalized: list = [name]
    for value, (arg_name, kind) in zip(args, spec, strict=True):
        if kind == "flag":
            if not isinstance(value, bool):
                raise SigilCommandError(f"{where} ({name}): {arg_name} must be a boolean")
            normalized.append(value)
            continue
        # bool is an int subclass, and True is not a coordinate.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SigilCommandError(f"{where} ({name}): {arg_name} must be a number")
        number = float(value)
        if not math.isfinite(number):
            raise SigilCommandError(f"{where} ({name}): {arg_name} must be finite")
        problem = check_number(number, kind, arg_name, name)
        if problem is not None:
            raise SigilCommandError(f"{where}: {problem}")
        normalized.append(normalize_number(number))
    return normalized


def format_number(value: float) -> str:
    """Shortest text that parses back to the same (already normalized) float."""
    if value == int(value):
        return str(int(value))
    return repr(value)


def commands_to_code(commands: Sequence[object]) -> str:
    """Write canonical canvas code, one ``ctx.name(...);`` per line.

    ``parse_sigil(commands_to_code(c)) == validate_commands(c)`` for every valid ``c``.
    """
    lines = []
    for name, *args in validate_commands(commands):
        text = ", ".join(
            ("true" if arg else "false") if isinstance(arg, bool) else format_number(arg)
            for arg in args
        )
        lines.append(f"ctx.{name}({text});")
    return "\n".join(lines) + ("\n" if lines else "")
