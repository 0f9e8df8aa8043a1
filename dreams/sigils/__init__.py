"""Sigils: tiny canvas drawings, parsed safely, rendered as SVG, PNG and distance fields.

Source code (a small subset of the canvas 2D API) becomes a normalized command list
(``parse_sigil``), the contract stored in the database and replayed in the browser
(``static/dreams/sigil.js``). See ``docs/sigils.md``.

The names below are loaded from their modules on first use: parsing a sigil (which every
engine contract does) must not pull in numpy and Pillow for the renderers, and the
benchmark (``benchmarks/sigils.py``, outside the product) is never imported by it.
"""

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS: dict[str, str] = {
    "LINE_WIDTH": "geometry",
    "MAX_COMMANDS": "commands",
    "MAX_SOURCE_BYTES": "parse",
    "SDF_SPREAD": "sdf",
    "GeneratedSigil": "generate",
    "SigilCommandError": "commands",
    "SigilSyntaxError": "parse",
    "commands_to_code": "commands",
    "generate_sigil": "generate",
    "parse_sigil": "parse",
    "render_png": "render_png",
    "render_sdf": "sdf",
    "render_svg": "render_svg",
    "sdf_array": "sdf",
    "validate_commands": "commands",
}

__all__ = [
    "LINE_WIDTH",
    "MAX_COMMANDS",
    "MAX_SOURCE_BYTES",
    "SDF_SPREAD",
    "GeneratedSigil",
    "SigilCommandError",
    "SigilSyntaxError",
    "commands_to_code",
    "generate_sigil",
    "parse_sigil",
    "render_png",
    "render_sdf",
    "render_svg",
    "sdf_array",
    "validate_commands",
]

if TYPE_CHECKING:
    from dreams.sigils.commands import (
        MAX_COMMANDS,
        SigilCommandError,
        commands_to_code,
        validate_commands,
    )
    from dreams.sigils.generate import GeneratedSigil, generate_sigil
    from dreams.sigils.geometry import LINE_WIDTH
    from dreams.sigils.parse import MAX_SOURCE_BYTES, SigilSyntaxError, parse_sigil
    from dreams.sigils.render_png import render_png
    from dreams.sigils.render_svg import render_svg
    from dreams.sigils.sdf import SDF_SPREAD, render_sdf, sdf_array


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
