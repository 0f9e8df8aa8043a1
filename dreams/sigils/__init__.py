"""Sigils: tiny canvas drawings, parsed safely, rendered as SVG, PNG and distance fields.

Source code (a small subset of the canvas 2D API) becomes a normalized command list
(``parse_sigil``), the contract stored in the database and replayed in the browser
(``static/dreams/sigil.js``). See ``docs/sigils.md``.
"""

from dreams.sigils.bench import BenchResult, run_benchmark
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

__all__ = [
    "LINE_WIDTH",
    "MAX_COMMANDS",
    "MAX_SOURCE_BYTES",
    "SDF_SPREAD",
    "BenchResult",
    "GeneratedSigil",
    "SigilCommandError",
    "SigilSyntaxError",
    "commands_to_code",
    "generate_sigil",
    "parse_sigil",
    "render_png",
    "render_sdf",
    "render_svg",
    "run_benchmark",
    "sdf_array",
    "validate_commands",
]
